"""End to end: a files build, a dump build and ``kcdata classify`` over real entities mixed with
malformed lines (issue 12, "quarantine, not crash").

The build succeeds, the good entities give the rows they give alone, the manifest counts what was
set aside by reason, ``rejects.jsonl`` names the file, line and byte offset of each, and
``--strict`` stops at the first with one clear line and no traceback.
"""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from kcdata.cli import main
from kcdata.config import BuildConfig
from kcdata.pipeline import run_build
from kcdata.resources import sample_dir
from kcdata.schemas import problems as schema_problems

GOOD = ("Q31", "Q35", "Q64", "Q84")
BASE = dict(languages=("en", "de"), relations=("P571", "P1082", "P36", "P17"), wikipedia=False)


def _sample_lines() -> dict[str, str]:
    out = {}
    with gzip.open(sample_dir() / "entities.json.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            s = line.strip().rstrip(",")
            if s not in ("", "[", "]"):
                out[json.loads(s)["id"]] = s
    return out


def _with(entity: dict, **changes) -> str:
    e = copy.deepcopy(entity)
    e.update(changes)
    return json.dumps(e, ensure_ascii=True)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict:
    """``good.jsonl`` (four real entities) and ``mixed.jsonl``: the same four with malformed lines
    between them, and a copy of Q31 (as Q99031, after them all) whose one P571 statement has an
    impossible day."""
    root = tmp_path_factory.mktemp("quarantine")
    lines = _sample_lines()
    good = [lines[q] for q in GOOD]
    q31 = json.loads(lines["Q31"])
    label = copy.deepcopy(q31["labels"])
    label["en"]["value"] = "Belgium\ud800"
    copy_ = copy.deepcopy(q31)
    copy_["id"] = "Q99031"
    (st,) = copy_["claims"]["P571"]
    st["mainsnak"]["datavalue"]["value"].update(time="+1999-02-30T00:00:00Z", precision=11)
    bad: list[tuple[bytes, str]] = [
        (b'{"type": "item", "id": "Q1", "claims": ', "bad_entity_json"),
        (_with(q31, id="foo").encode(), "bad_entity_id"),
        (_with(q31, id="Q1:P2").encode(), "bad_entity_id"),
        (_with(q31, id="L1-F1").encode(), "unsupported_entity"),
        (_with(q31, labels=["Belgium"]).encode(), "bad_entity_shape"),
        (_with(q31, modified=20240101).encode(), "bad_entity_shape"),
        (_with(q31, labels=label).encode(), "bad_unicode"),
        (b"[" * 100_000 + b"]" * 100_000, "json_too_deep"),
        (b'{"type": "item", "id": "Q5", "lastrevid": NaN, "claims": {}}', "bad_entity_json"),
        (b'{"type": "item", "id": "Q6", "labels": {"en": {"language": "en", "value": "\xff\xfe"}}}', "bad_unicode"),
    ]
    mixed: list[tuple[bytes, str | None]] = []
    for i, line in enumerate(good):
        mixed.append((line.encode(), None))
        mixed.extend(bad[i::len(good)])
    mixed.append((json.dumps(copy_, ensure_ascii=True).encode(), "bad_time_value"))
    (root / "good.jsonl").write_text("".join(x + "\n" for x in good), encoding="utf-8")
    (root / "mixed.jsonl").write_bytes(b"".join(x + b"\n" for x, _ in mixed))
    dump = root / "wikidata-20250101-all.json"
    dump.write_bytes(b"[\n" + b",\n".join(x for x, _ in mixed) + b"\n]\n")
    return {"root": root, "mixed": mixed, "dump": dump}


def _rows(out: Path) -> list[dict]:
    """The rows of a build, without the source file in their provenance."""
    rows = []
    for p in sorted(out.glob("*/*.parquet")):
        rows += pq.read_table(p).to_pylist()
    for r in rows:
        r["provenance"].pop("source")
    return rows


def _quarantine_records(out: Path) -> list[dict]:
    recs = [json.loads(x) for x in (out / "rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    return [r for r in recs if "level" in r]


def test_a_files_build_sets_aside_each_malformed_line_and_keeps_the_good_rows(inputs, tmp_path):
    root, mixed = inputs["root"], inputs["mixed"]
    alone = run_build(BuildConfig(source="files", source_path=str(root / "good.jsonl"), **BASE), tmp_path / "a")
    src = str(root / "mixed.jsonl")
    result = run_build(BuildConfig(source="files", source_path=src, **BASE), tmp_path / "b")
    want: dict[str, int] = {}
    for _, reason in mixed:
        if reason:
            want[reason] = want.get(reason, 0) + 1
    assert result.manifest["quarantine"] == dict(sorted(want.items()))
    assert alone.manifest["quarantine"] == {}
    assert all(result.manifest["drops"][k] >= v for k, v in want.items())
    assert not schema_problems(result.manifest, "manifest", "manifest.json")
    # the good entities give the rows they give alone; the copy of Q31 loses only its P571 fact
    rows = _rows(tmp_path / "b")
    assert [r for r in rows if r["fact_id"].split(":")[0] != "Q99031"] == _rows(tmp_path / "a")
    q31 = {r["relation"] for r in rows if r["fact_id"].split(":")[0] == "Q31"}
    assert "P571" in q31 and {r["relation"] for r in rows if r["fact_id"].split(":")[0] == "Q99031"} == q31 - {"P571"}
    # each one in rejects.jsonl: reason, file, line and the byte offset of the line
    data = (root / "mixed.jsonl").read_bytes()
    recs = _quarantine_records(tmp_path / "b")
    assert len(recs) == sum(want.values())
    starts = [0]
    for line, _ in mixed:
        starts.append(starts[-1] + len(line) + 1)
    for r in recs:
        assert r["file"] == src and r["reason"] == mixed[r["line"] - 1][1]
        assert r["offset"] == starts[r["line"] - 1] and len(r["detail"]) < 400
        assert data[r["offset"]:].startswith(mixed[r["line"] - 1][0])
    (dated,) = [r for r in recs if r["reason"] == "bad_time_value"]
    assert dated["fact_id"] == "Q99031:P571" and dated["level"] == "statement" and "1999-02-30" in dated["detail"]


def test_strict_stops_at_the_first_malformed_line(inputs, tmp_path):
    src = inputs["root"] / "mixed.jsonl"
    res = CliRunner().invoke(main, ["build", "--source", "files", str(src), "--langs", "en",
                                    "--relations", "P571", "--no-wikipedia", "--strict", "--out", str(tmp_path / "s")])
    assert res.exit_code == 1 and "Traceback" not in res.output
    first = res.output.splitlines()[0]
    offset = len(inputs["mixed"][0][0]) + 1
    assert first.startswith(f"Error: {src}:2: malformed JSON (Expecting value at column ")
    assert first.endswith(f") (bad_entity_json, byte {offset:,})")
    assert not (tmp_path / "s").exists()
    res = CliRunner().invoke(main, ["build", "--source", "files", str(src), "--langs", "en", "--relations", "P571",
                                    "--no-wikipedia", "--out", str(tmp_path / "q")])
    assert res.exit_code == 0, res.output
    assert "set aside from the source (see rejects.jsonl): bad_entity_id=2" in res.output


@pytest.mark.parametrize("workers", [1, 2])
def test_a_dump_build_sets_aside_what_it_reads_with_line_and_offset(inputs, tmp_path, workers):
    dump, mixed = inputs["dump"], inputs["mixed"]
    config = BuildConfig(source="dump", source_path=str(dump), workers=workers, **BASE)
    result = run_build(config, tmp_path / "d")
    recs = _quarantine_records(tmp_path / "d")
    data = dump.read_bytes()
    starts = [0]
    for line in data.split(b"\n"):
        starts.append(starts[-1] + len(line) + 1)
    for r in recs:  # line 1 is the array's "["
        assert r["file"] == str(dump) and r["reason"] == mixed[r["line"] - 2][1] and r["offset"] == starts[r["line"] - 1]
    # the dump reader parses the lines that hold an asked relation: those with claims
    assert result.manifest["quarantine"] == {"bad_entity_id": 2, "bad_entity_shape": 2, "bad_time_value": 1,
                                             "bad_unicode": 1, "unsupported_entity": 1}
    rows = _rows(tmp_path / "d")
    assert {r["fact_id"].split(":")[0] for r in rows} == {*GOOD, "Q99031"}
    strict = CliRunner().invoke(main, ["build", "--source", "dump", str(dump), "--workers", str(workers),
                                       "--langs", "en", "--relations", "P571", "--no-wikipedia", "--strict",
                                       "--out", str(tmp_path / "s")])
    assert strict.exit_code == 1 and "Traceback" not in strict.output
    # the first malformed line that holds P571: Q31 with its labels a list, line 4 of the dump
    assert strict.output.startswith(f"Error: {dump}:4: labels is not an object: [\"Belgium\"] "
                                    f"(bad_entity_shape, byte {starts[3]:,})")


def test_classify_skips_with_a_warning_and_strict_stops(inputs):
    src = inputs["root"] / "mixed.jsonl"
    res = CliRunner().invoke(main, ["classify", str(src), "--relations", "P571", "--as-of", "2020-01-01"])
    out = [json.loads(x) for x in res.stdout.splitlines()]
    assert {o["subject_id"] for o in out} == {"Q31", "Q35", "Q64", "Q84"}  # Q99031's P571 was set aside
    assert f"warning: {src}:2: malformed JSON" in res.stderr and f"{src}:14: " in res.stderr
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "skipped 10 malformed line(s)" in res.stderr
    res = CliRunner().invoke(main, ["classify", "--strict", str(src), "--relations", "P571"])
    assert res.exit_code == 1 and not res.stdout and "Traceback" not in res.output
    assert res.stderr.startswith(f"Error: {src}:2: malformed JSON")
    res = CliRunner().invoke(main, ["classify", "-"], input=b'{"id": "Q1", "labels": {"en": {"value": "\xff"}}}\n')
    assert res.exit_code == 1 and "<stdin>:1: not UTF-8" in res.stderr and "Traceback" not in res.output


def test_values_a_relation_cannot_take_are_dropped_not_crashed_on(tmp_path):
    """A population of 40 digits (valid Wikibase, beyond the number counterfactual's 28) and a
    capital that is a string: dropped with their reasons, the rest of the build goes on."""
    q31 = json.loads(_sample_lines()["Q31"])
    for st in q31["claims"]["P1082"]:
        st["mainsnak"]["datavalue"]["value"]["amount"] = "+" + "9" * 40
    (capital,) = q31["claims"]["P36"]
    capital["mainsnak"]["datavalue"] = {"type": "string", "value": "Brussels"}
    src = tmp_path / "odd.jsonl"
    src.write_text(json.dumps(q31) + "\n" + _sample_lines()["Q35"] + "\n", encoding="utf-8")
    result = run_build(BuildConfig(source="files", source_path=str(src), languages=("en",),
                                   relations=("P1082", "P36"), wikipedia=False), tmp_path / "out")
    assert result.manifest["drops"]["amount_too_long"] == 1
    assert result.manifest["quarantine"] == {"wrong_value_type": 1}
    facts = {r["fact_id"] for r in _rows(tmp_path / "out")}
    assert "Q35:P1082" in facts and not {f for f in facts if f.startswith("Q31:")}
