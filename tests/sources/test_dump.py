"""The dump source on real dump excerpts: same entities as a plain parse, faults reported."""

from __future__ import annotations

import bz2
import functools
import gzip
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from kcdata.errors import ConfigError, InputError
from kcdata.facts import parse_entity_info, slim
from kcdata.facts.fast import EntityRecord
from kcdata.facts.slim import referenced_ids, slim_entity, terms_only
from kcdata.sources import dump, dump_scan
from kcdata.sources.dump import DumpError, DumpOutput, DumpStats, iter_dump, iter_records
from kcdata.types import Entity

from .conftest import FIXTURES

FIRST50 = FIXTURES / "wikidata_dump_sample" / "wikibase-dump-filter_latest-all_first50.json"
WDTK = FIXTURES / "wikidata_dump_sample" / "wdtk_sample-dump-20150815.json.gz"
RELATIONS = frozenset({"P6", "P17", "P35", "P36", "P1082", "P31", "P47"})


def dump_lines(path: Path) -> list[bytes]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    out = []
    for line in raw.splitlines():
        line = line.strip()
        if line.endswith(b","):
            line = line[:-1]
        if line and line not in (b"[", b"]"):
            out.append(line)
    return out


@functools.cache
def all_fixture_lines() -> list[bytes]:
    """Dump lines of every real entity in the fixtures (dump excerpts and entity files)."""
    lines = dump_lines(FIRST50) + dump_lines(WDTK)
    for p in sorted((FIXTURES / "wikidata_entities").glob("*/*.json")):
        doc = json.loads(p.read_text(encoding="utf-8"))
        for ent in doc["entities"].values() if "entities" in doc else [doc]:
            lines.append(json.dumps(ent, ensure_ascii=False, separators=(",", ":")).encode())
    return lines


@pytest.fixture(scope="module")
def closed_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 49 real first entities of a latest-all.json, closed with ']' as the real file is."""
    path = tmp_path_factory.mktemp("dump") / "wikidata-20250101-all.json"
    lines = dump_lines(FIRST50)
    path.write_bytes(b"[\n" + b",\n".join(lines) + b"\n]\n")
    return path


def expected(lines: list[bytes], relations: frozenset[str], **kw: Any) -> list[dict[str, Any]]:
    out = []
    for line in lines:
        e = slim_entity(json.loads(line), relations, **kw)
        if e is not None:
            out.append(e)
    return out


@pytest.mark.parametrize(
    "relations", [RELATIONS, frozenset({"P31"}), frozenset({"P580"}), frozenset({"P1082", "P530"})]
)
@pytest.mark.parametrize("languages", [None, frozenset({"en", "de"})])
@pytest.mark.parametrize("references", [True, False])
def test_fast_slim_equals_full_parse_on_every_fixture_entity(relations, languages, references):
    for line in all_fixture_lines():
        full = json.loads(line)
        want = slim_entity(full, relations, languages, references)
        got = slim.fast_slim(line, relations, languages, references=references)
        assert got == want, full.get("id")
        assert json.dumps(got) == json.dumps(want), full.get("id")  # same key order too
        assert slim.fast_slim(line, None, languages, terms_only_=True) == terms_only(full, languages)


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("codec", ["plain", "gz", "bz2"])
def test_iter_dump_all_codecs_and_workers_agree(closed_dump, tmp_path, workers, codec):
    path = closed_dump
    if codec == "gz":
        path = tmp_path / "d.json.gz"
        path.write_bytes(gzip.compress(closed_dump.read_bytes()))
    elif codec == "bz2":
        path = tmp_path / "d.json.bz2"
        path.write_bytes(bz2.compress(closed_dump.read_bytes()))
    stats = DumpStats()
    got = list(
        iter_dump(
            path, output=DumpOutput.SLIM, relations=RELATIONS, workers=workers, stats=stats, chunk_bytes=256 * 1024
        )
    )
    assert got == expected(dump_lines(FIRST50), RELATIONS, references=False)
    assert stats.entities == 49
    assert stats.bytes_in == closed_dump.stat().st_size
    assert 0 < stats.candidates <= 49


def test_wdtk_2015_dump_without_prefilter_hits(tmp_path):
    stats = DumpStats()
    got = list(iter_dump(WDTK, output=DumpOutput.SLIM, relations={"P31"}, stats=stats))
    assert [e["id"] for e in got] == [e["id"] for e in expected(dump_lines(WDTK), {"P31"})]
    assert stats.entities == 101
    assert list(iter_dump(WDTK, output=DumpOutput.SLIM, relations={"P6"})) == []


@pytest.mark.parametrize("workers", [1, 2])
def test_ids_filter_gives_the_whole_entities_in_workers(closed_dump, workers):
    ids = {"Q31", "Q142"}
    got = list(iter_dump(closed_dump, output=DumpOutput.FULL, ids=ids, workers=workers))
    want = [e for e in map(json.loads, dump_lines(FIRST50)) if e["id"] in ids]
    assert len(want) == 2 and got == want
    assert all("P6" in e["claims"] and "descriptions" in e for e in got)  # whole, not slim
    terms = list(iter_dump(closed_dump, output=DumpOutput.TERMS, ids=ids, languages=["fr"], workers=workers))
    assert terms == [terms_only(e, frozenset({"fr", "mul"})) for e in want]


def test_second_pass_has_terms_of_referenced_entities(closed_dump):
    got = list(iter_records(closed_dump, ["P36"], ["en", "fr"]))
    records = [r for r in got if isinstance(r, EntityRecord)]
    terms = [r for r in got if isinstance(r, Entity)]
    assert records and terms and got == records + terms  # subjects, then the second pass
    # the same subjects and referenced ids as the slim entity dicts of the first pass
    subjects = list(iter_dump(closed_dump, output=DumpOutput.SLIM, relations=["P36"], languages=["en", "fr"]))
    assert [r.entity.id for r in records] == [e["id"] for e in subjects]
    refs = set().union(*(referenced_ids(e) for e in subjects))
    assert set().union(*(r.references for r in records)) == refs
    assert {e.id for e in terms} <= refs
    assert all(set(e.labels) <= {"en", "fr"} for e in [*(r.entity for r in records), *terms])
    # the capital (P36) of the United Kingdom (Q145) is London (Q84), also in the excerpt
    london = next(e for e in terms if e.id == "Q84")
    assert london.labels["en"] == "London"
    # the label pass as dicts: terms only (no claims, so no kind: the label pass's Entity reads
    # the entity's classes, gender and lifetime from its P31 / P21 / P569 / P570 claims too)
    (london_dict,) = iter_dump(closed_dump, output=DumpOutput.TERMS, ids={"Q84"}, languages=["en", "fr"])
    assert london_dict["labels"]["en"]["value"] == "London"
    assert set(london_dict) == {"type", "id", "labels", "aliases"}
    assert parse_entity_info(london_dict) == Entity(london.id, london.labels, london.aliases)
    assert "Q515" in london.classes  # a city


def test_dump_facts_equal_snapshot_facts(closed_dump):
    """The dump path gives the same facts as parsing the same entities whole."""
    facts = pytest.importorskip("kcdata.facts")
    full = {json.loads(ln)["id"]: json.loads(ln) for ln in dump_lines(FIRST50)}
    got = {}
    for ent in iter_dump(closed_dump, output=DumpOutput.SLIM, relations=RELATIONS, workers=2):
        got[ent["id"]] = facts.parse_entity(ent, "dump")
    for qid, ent in full.items():
        want = [f for f in facts.parse_entity(ent, "dump") if f.relation in RELATIONS]
        assert got.get(qid, []) == want, qid


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_truncated_gzip_is_reported_with_offsets_and_a_build_writes_nothing(closed_dump, tmp_path):
    from kcdata.config import BuildConfig
    from kcdata.pipeline import run_build

    data = gzip.compress(closed_dump.read_bytes())
    good = tmp_path / "in" / "wikidata-20250101-all.json.gz"
    good.parent.mkdir()
    good.write_bytes(data)
    bad = tmp_path / "in" / "wikidata-20250101-cut.json.gz"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(DumpError) as err:
        list(iter_dump(bad, output=DumpOutput.SLIM, relations=RELATIONS))
    msg = str(err.value)
    assert "truncated" in msg and "byte" in msg and "line" in msg
    assert isinstance(err.value, InputError)

    base = dict(source="dump", relations=("P36", "P569", "P571", "P1082"), languages=("en",), wikipedia=False)
    out = tmp_path / "out"
    run_build(BuildConfig(source_path=str(good), **base), out)
    before = _hashes(out)
    assert before
    with pytest.raises(DumpError) as again:
        run_build(BuildConfig(source_path=str(bad), **base), out)
    assert str(again.value) == msg
    assert _hashes(out) == before  # the existing output is untouched
    with pytest.raises(DumpError):
        run_build(BuildConfig(source_path=str(bad), **base), tmp_path / "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]  # nothing new, no temporary


def test_corrupt_line_names_the_line(closed_dump, tmp_path):
    lines = closed_dump.read_bytes().split(b"\n")
    lines[5] = lines[5][: len(lines[5]) // 2]  # a line cut in the middle
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\n".join(lines))
    with pytest.raises(DumpError, match=r"line 6 \(decompressed byte [\d,]+\)"):
        list(iter_dump(bad, output=DumpOutput.FULL, workers=2))


def test_unclosed_array_is_truncation(tmp_path):
    path = tmp_path / "excerpt.json"
    shutil.copy(FIRST50, path)  # the first 50 lines: no closing ']'
    with pytest.raises(DumpError, match="not closed"):
        list(iter_dump(path, output=DumpOutput.SLIM, relations=RELATIONS))
    assert len(list(iter_dump(path, output=DumpOutput.SLIM, relations=RELATIONS, require_end=False))) > 0


def test_slim_entities_keep_only_the_asked_claims_and_round_trip_as_json(closed_dump):
    got = list(iter_dump(closed_dump, output=DumpOutput.SLIM, relations={"P6"}))
    assert got and all(set(e["claims"]) == {"P6"} for e in got)
    assert all("descriptions" not in e for e in got)
    lines = [json.dumps(e, ensure_ascii=False, sort_keys=True) for e in got]
    assert [json.loads(ln) for ln in lines] == got


def test_missing_file_and_bad_workers(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        list(iter_dump(tmp_path / "nope.json.gz", relations={"P6"}))
    with pytest.raises(ConfigError, match="workers"):
        list(iter_dump(FIRST50, relations={"P6"}, workers=0))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "DumpOutput.RECORDS needs relations"),
        ({"output": DumpOutput.RECORDS, "ids": {"Q31"}}, "DumpOutput.RECORDS needs relations"),
        ({"output": DumpOutput.LABELS}, "DumpOutput.LABELS needs ids"),
        ({"output": DumpOutput.TERMS, "relations": {"P6"}}, "DumpOutput.TERMS needs ids"),
        ({"output": DumpOutput.TERMS, "ids": {"Q31"}, "relations": {"P6"}}, "not relations"),
        ({"output": DumpOutput.FULL, "relations": {"P6"}}, "DumpOutput.FULL yields whole entities"),
        ({"output": DumpOutput.FULL, "languages": ["en"]}, "DumpOutput.FULL yields whole entities"),
        ({"output": DumpOutput.SLIM, "qualifiers": {"P585"}}, "qualifiers apply to DumpOutput.RECORDS"),
        ({"output": "records-and-more", "relations": {"P6"}}, "unknown dump output 'records-and-more'"),
    ],
)
def test_outputs_refuse_arguments_they_lack_or_do_not_take(tmp_path, kwargs, message):
    with pytest.raises(ConfigError, match=message) as err:
        next(iter_dump(tmp_path / "nope.json", **kwargs))  # refused before the file is opened
    assert err.value.remedy


def test_outputs_by_name_and_records_by_default(closed_dump):
    records = list(iter_dump(closed_dump, relations={"P36"}))
    assert records and all(isinstance(r, EntityRecord) for r in records)
    assert list(iter_dump(closed_dump, output="records", relations={"P36"})) == records
    assert DumpOutput("slim") is DumpOutput.SLIM and DumpOutput.SLIM == "slim"


def test_dump_date_from_name():
    assert dump.dump_date("wikidata-20250101-all.json.gz") == "2025-01-01"
    assert dump.dump_date("latest-all.json.gz") is None


def test_memory_stays_bounded_with_many_chunks(closed_dump, tmp_path):
    """Tiny chunks, many in flight: results arrive in order, none lost or duplicated."""
    got = [
        e["id"]
        for e in iter_dump(
            closed_dump, output=DumpOutput.SLIM, relations={"P31"}, workers=2, chunk_bytes=4096, max_in_flight=2
        )
    ]
    want = [e["id"] for e in expected(dump_lines(FIRST50), frozenset({"P31"}))]
    assert got == want


def test_progress_on_stderr_with_entities_per_second(closed_dump, capfd):
    list(iter_dump(closed_dump, relations={"P6"}, progress=True))
    err = capfd.readouterr().err
    assert "entities/s" in err and "49 entities" in err
    # a tqdm bar over the file's bytes: size, 100 % at the end, a byte rate and ETA fields
    size = closed_dump.stat().st_size
    assert "100%" in err and "B/s" in err and f"{size / 1e6:.2f}M" in err, err


def test_dump_build_gives_the_sample_rows(tmp_path):
    """A dump made of the sample's entities builds the same rows as the sample itself.

    Runs once the pipeline reads dumps (``kcdata.sources.live``); provenance fields that name
    the source differ by design and are left out of the comparison.
    """
    pytest.importorskip("kcdata.sources.live")
    from kcdata.config import BuildConfig
    from kcdata.pipeline import run_build
    from kcdata.resources import sample_dir

    sample = sample_dir()
    with gzip.open(sample / "entities.json.gz", "rb") as fh:
        raw = fh.read()
    entities = [
        json.loads(ln.strip().rstrip(b",")) for ln in raw.splitlines() if ln.strip() not in (b"", b"[", b"]")
    ]
    if len(entities) == 1 and "entities" in entities[0]:
        entities = list(entities[0]["entities"].values())
    dump_path = tmp_path / "wikidata-20251229-all.json.gz"
    lines = [json.dumps(e, ensure_ascii=False, separators=(",", ":")).encode() for e in entities]
    dump_path.write_bytes(gzip.compress(b"[\n" + b",\n".join(lines) + b"\n]\n"))
    date = json.loads((sample / "snapshot.json").read_text(encoding="utf-8"))["date"]

    def rows(config: BuildConfig, out: Path) -> dict[str, dict[str, Any]]:
        run_build(config, out)
        import pyarrow.parquet as pq

        got = {}
        for part in sorted(out.glob("*/test-*.parquet")):
            for r in pq.read_table(part).to_pylist():
                for k in ("source", "dump_date", "retrieved", "entity_revision", "snapshot_basis"):
                    r["provenance"].pop(k, None)
                r.pop("snapshot_date")  # the dump's date for the dump, each entity's own for the sample
                got[r["id"]] = r
        return got

    # every sample subject was recorded after 2013; the dump's own date is 2025-12-29
    assert date == "2025-12-29"
    base = dict(wikipedia=False, as_of="2013-01-01", seed=0)
    want = rows(BuildConfig(**base), tmp_path / "sample")
    got = rows(
        BuildConfig(
            source="dump",
            source_path=str(dump_path),
            label_table=str(sample / "labels.jsonl.gz"),
            workers=2,
            **base,
        ),
        tmp_path / "dump",
    )
    assert got == want


def test_stdlib_fallback_without_fast_extras(closed_dump, tmp_path, monkeypatch):
    """Without orjson and python-isal the same entities come out (stdlib json and gzip)."""
    gz = tmp_path / "d.json.gz"
    gz.write_bytes(gzip.compress(closed_dump.read_bytes()))
    monkeypatch.setattr(slim, "_loads", json.loads)
    monkeypatch.setattr(dump_scan, "_loads", json.loads)
    monkeypatch.setattr(dump, "_igzip", None)
    monkeypatch.setattr(dump, "_igzip_threaded", None)
    stream, raw = dump.open_dump(gz)
    assert isinstance(stream, gzip.GzipFile)
    stream.close()
    raw.close()
    got = list(iter_dump(gz, output=DumpOutput.SLIM, relations=RELATIONS))
    assert got == expected(dump_lines(FIRST50), RELATIONS, references=False)


def test_a_reader_without_the_fast_path_says_so_once(monkeypatch, caplog):
    """isal, msgspec and orjson are default dependencies; where a platform lacks them the build
    still runs, 3x slower, and says why (issue 13)."""
    from kcdata.sources import dump as dump_mod

    monkeypatch.setattr(dump_mod, "GZIP_BACKEND", "gzip")
    monkeypatch.setattr(dump_mod, "RECORD_BACKEND", "dict")
    monkeypatch.setattr(dump_mod, "_NOTICED", set())
    with caplog.at_level("WARNING", logger="kcdata.sources.dump"):
        first = list(dump_mod.iter_dump(WDTK, relations=["P31"]))
        list(dump_mod.iter_dump(WDTK, relations=["P31"]))
    notices = [r.getMessage() for r in caplog.records if "fast dump path" in r.getMessage()]
    assert notices == ["the fast dump path is not installed (isal, msgspec missing): reading with the "
                       "standard library, about 3x slower; pip install isal msgspec"]
    assert first  # and it still reads


def test_the_fast_path_is_installed_here():
    from kcdata.sources import dump as dump_mod

    assert (dump_mod.GZIP_BACKEND, dump_mod.RECORD_BACKEND) == ("isal", "msgspec")


def test_an_undated_dump_needs_as_of_before_any_reading(closed_dump, tmp_path, monkeypatch):
    """latest-all.json.gz does not say its date: the build asks for --as-of at once (issue 14,
    "fail early"), and with it takes that date as the dump's."""
    from kcdata.config import BuildConfig
    from kcdata.errors import ConfigError
    from kcdata.pipeline import run_build

    undated = tmp_path / "latest-all.json"
    shutil.copy(closed_dump, undated)
    read = []
    monkeypatch.setattr(dump, "open_dump", lambda *a, **k: read.append(a) or (_ for _ in ()).throw(AssertionError))
    base = dict(source="dump", source_path=str(undated), relations=("P36", "P1082"), languages=("en",),
                wikipedia=False)
    with pytest.raises(ConfigError, match=r"latest-all\.json does not say its date") as err:
        run_build(BuildConfig(**base), tmp_path / "out")
    assert "--as-of" in err.value.remedy and read == []
    monkeypatch.undo()
    result = run_build(BuildConfig(as_of="2025-01-01", **base), tmp_path / "out")
    dated = run_build(BuildConfig(as_of="2025-01-01", **{**base, "source_path": str(closed_dump)}), tmp_path / "o2")
    assert result.rows == dated.rows and sum(result.rows.values()) > 0


def test_a_sampled_dump_build_is_byte_identical_whatever_the_workers(closed_dump, tmp_path):
    from kcdata.config import BuildConfig
    from kcdata.pipeline import run_build

    base = dict(source="dump", source_path=str(closed_dump), languages=("en", "de"), wikipedia=False, sample=1,
                shard_cache=False)  # every build reads the dump
    one = run_build(BuildConfig(workers=1, **base), tmp_path / "w1")
    two = run_build(BuildConfig(workers=2, **base), tmp_path / "w2")
    assert one.files == two.files and sum(one.rows.values()) > 0  # every data file, card included
    m1, m2 = (json.loads((tmp_path / w / "manifest.json").read_text()) for w in ("w1", "w2"))
    assert m1["created_from"].pop("workers") == 1 and m2["created_from"].pop("workers") == 2
    assert m1 == m2  # the manifest differs only in the workers it records
    other = run_build(BuildConfig(workers=1, **{**base, "seed": 5}), tmp_path / "s5")
    assert json.loads((tmp_path / "s5" / "manifest.json").read_text())["sample"]["seed"] == 5
    assert other.manifest["sample"]["per_stratum"] == 1
