"""``kcdata audit`` passes on the default build and fails, naming the rows, on broken ones."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
from click.testing import CliRunner

from kcdata.cli import main
from kcdata.config import BuildConfig
from kcdata.pipeline import run_build
from kcdata.validate.audit import MUST_BE_ZERO, audit_rows


def _rows(folder):
    return [r for f in sorted(folder.glob("*/test-*.parquet")) for r in pq.read_table(f).to_pylist()]


def test_default_build_passes_and_the_card_says_so(sample_build):
    res = CliRunner().invoke(main, ["audit", str(sample_build), "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["ok"] and report["rows"] == len(_rows(sample_build))
    assert {c["name"]: c["count"] for c in report["checks"] if c["must_be_zero"]} == dict.fromkeys(MUST_BE_ZERO, 0)
    manifest = json.loads((sample_build / "manifest.json").read_text())
    assert manifest["quality"]["ok"]
    assert next(c for c in manifest["quality"]["checks"] if c["name"] == "substitute_class_differs")["checked"]
    assert "## Quality checks" in (sample_build / "README.md").read_text()


def test_the_first_versions_fail_the_audit_with_the_audited_defects(tmp_path):
    out = tmp_path / "v1"
    run_build(BuildConfig(rules="rules_v1", counterfactuals="v1", answers="answers_v1", contexts="contexts_v1",
                          passages="passages_v1"), out)
    res = CliRunner().invoke(main, ["audit", str(out)])
    assert res.exit_code == 1
    assert "counter_context_keeps_original_date" in res.output and "Q16:P6:en" in res.output
    report = audit_rows(_rows(out))
    counts = {c.name: c.count for c in report.checks}
    # the figures the audit counted by hand on the 0.1.0 build
    assert counts["counter_context_keeps_original_date"] == 103
    assert counts["counter_context_names_original"] == 3 and counts["counter_answers_overlap_answers"] == 4
    assert counts["unsafe_alias_in_answers"] > 0 and counts["passage_replacement_in_longer_name"] > 0
    card = (out / "README.md").read_text()
    assert "SOME CHECKS FAILED" in card


def test_a_tampered_row_is_named(tmp_path, sample_build):
    rows = _rows(sample_build)
    broken = dict(rows[0])
    broken["context_counter"] = f"{broken['context_counter']} ({broken['answers'][0]})"
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in [broken, *rows[1:]]), encoding="utf-8")
    res = CliRunner().invoke(main, ["audit", str(path)])
    assert res.exit_code == 1 and broken["id"] in res.output and "counter_context_names_original" in res.output
    assert "hint" not in res.output or "Error: audit of" in res.output


def test_missing_path_is_a_clean_error(tmp_path):
    res = CliRunner().invoke(main, ["audit", str(tmp_path / "nope")])
    assert res.exit_code == 1 and "no such file or folder" in res.output and "Traceback" not in res.output


def test_rows_that_are_not_rows_are_a_clean_error(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1}\nnot json\n', encoding="utf-8")
    res = CliRunner().invoke(main, ["audit", str(path)])
    assert res.exit_code == 1 and "are not valid rows" in res.output and "kcdata validate" in res.output
    assert "Traceback" not in res.output and not isinstance(res.exception, KeyError)
