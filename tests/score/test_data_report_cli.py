"""Reading built datasets, the aggregate report / table / plot, and the `kcdata score` command."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from kcdata.errors import ConfigError, InputError
from kcdata.score.data import load_rows
from kcdata.score.report import build_report, render_table, write_outputs


def _write_built(tmp_path: Path, rows) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = tmp_path / "built"
    for kind in ("static", "temporal", "disputable"):
        sub = [r for r in rows if r["kind"] == kind]
        (out / kind).mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(sub), out / kind / "test-00000-of-00001.parquet")
    return out


def test_load_rows_from_built_folder_and_jsonl(tmp_path, rows, rows_file):
    built = _write_built(tmp_path, rows)
    assert len(load_rows(built)) == len(rows)
    assert {r["kind"] for r in load_rows(built, "temporal")} == {"temporal"}
    assert [r["language"] for r in load_rows(built, languages=["de"])] == ["de"]
    assert len(load_rows(rows_file, limit=2)) == 2
    assert load_rows(rows_file)[0]["answers"] == ["Paris", "City of Light"]


def test_load_rows_errors(tmp_path, rows_file):
    with pytest.raises(ConfigError, match="does not exist"):
        load_rows(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="kcdata build"):
        load_rows(tmp_path / "empty")
    with pytest.raises(ConfigError, match="no rows"):
        load_rows(rows_file, languages=["xx"])
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"}\n{not json\n')
    with pytest.raises(InputError, match="bad.jsonl:2"):
        load_rows(bad)
    bad.write_text('{"id": "a"}\n')
    with pytest.raises(InputError, match="lacks"):
        load_rows(bad)


def _record(rid, kind, match, *, known=True, persuaded=False, psi=0.5, ack=None, se=0.0):
    cond = {
        "exact_original": known,
        "contains_original": known,
        "exact_counter": match == "counter",
        "contains_counter": match == "counter",
        "match": match,
        "truncated": False,
        "empty": False,
        "logprob_original": -1.0,
        "logprob_counter": -2.0,
        "acknowledges_conflict": ack,
        "semantic_entropy": se,
        "discrete_semantic_entropy": se,
    }
    return {
        "id": rid,
        "kind": kind,
        "language": "en",
        "relation": "P36",
        "model": "m",
        "settings": {"samples": 2},
        "known": known,
        "persuaded": persuaded,
        "stubborn": not persuaded,
        "conditions": {"none": dict(cond, match="original"), "original": dict(cond), "counter": dict(cond)},
        "persuasion": {
            "no_context": {"original": 0.1, "counter": psi},
            "context_average": {"original": 0.1, "counter": 0.2},
        },
        "susceptibility": 0.15,
        "coherent_persuasion": {"original": None, "counter": psi},
    }


def test_report_aggregates_by_group():
    recs = [
        _record("a", "static", "original"),
        _record("b", "static", "counter", persuaded=True, psi=1.5),
        _record("c", "static", "original", known=False, psi=None),
        _record("d", "disputable", "both", ack=True, se=math.log(2)),
    ]
    report = build_report(recs)
    static = report["by_kind"]["static"]
    assert static["n"] == 3
    assert static["metrics"]["memorisation_ratio"] == pytest.approx(2 / 3)
    assert static["metrics"]["memorisation_ratio_known"] == pytest.approx(1 / 2)
    assert static["metrics"]["persuaded_rate"] == pytest.approx(1 / 3)
    assert static["metrics"]["persuasion_no_context_counter"] == pytest.approx(1.0)  # null skipped
    assert static["skipped"]["persuasion_no_context_counter"] == 1
    assert static["metrics"]["conflict_acknowledgement_no_context"] is None
    assert report["by_kind"]["disputable"]["metrics"]["memorisation_ratio"] is None  # n_o + n_s = 0
    assert report["by_kind"]["disputable"]["metrics"]["conflict_acknowledgement_no_context"] == 1.0
    assert report["overall"]["metrics"]["prefers_original_counter_context"] == 1.0
    table = render_table(report)
    assert table.splitlines()[0].startswith("| kind | language | relation | n |")
    assert "| static | en | P36 | 3 |" in table
    assert "| **all** | all | all | 4 |" in table


def test_write_outputs(tmp_path):
    recs = [_record("a", "static", "original"), _record("b", "temporal", "counter")]
    paths = write_outputs(recs, tmp_path / "scores.jsonl")
    assert paths["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads(paths["report"].read_text())["overall"]["n"] == 2
    assert paths["table"].name == "scores.table.md"


def test_cli_score_end_to_end_and_resume(tmp_path, rows, saved_tiny):
    from kcdata.cli.score import score

    built = _write_built(tmp_path, rows)
    out = tmp_path / "res" / "scores.jsonl"
    args = [
        "--model",
        str(saved_tiny),
        "--data",
        str(built),
        "--samples",
        "2",
        "--max-new-tokens",
        "3",
        "--limit",
        "4",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(score, args)
    assert result.exit_code == 0, result.output
    assert "| kind | language | relation |" in result.stdout
    assert len(out.read_text().splitlines()) == 4
    for suffix in (".report.json", ".table.md", ".png"):
        assert (out.parent / f"scores{suffix}").exists()
    again = CliRunner().invoke(score, args[:-4] + ["--limit", "5", "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert "scored 1 new rows (5 in total)" in again.stderr
    other = CliRunner().invoke(score, args[:4] + ["--samples", "1", "--out", str(out)])
    assert other.exit_code == 1
    assert "other settings" in other.output and "Traceback" not in other.output


def test_cli_errors_are_messages(tmp_path, rows_file):
    from kcdata.cli.score import score

    r = CliRunner().invoke(score, ["--model", str(tmp_path / "nope"), "--data", str(rows_file)])
    assert r.exit_code == 1
    assert "no model at" in r.output and "no such file or folder" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(score, ["--model", "x", "--data", str(rows_file), "--config", "nope"])
    assert r.exit_code == 2
    r = CliRunner().invoke(score, ["--model", "x", "--data", str(rows_file), "--equivalence", "nli"])
    assert r.exit_code == 1 and "--equivalence-model" in r.output
    r = CliRunner().invoke(score, ["-h"])
    assert r.exit_code == 0 and "--samples" in r.output


def test_limit_draws_a_seeded_sample_stratified_by_kind_and_language(sample_build):
    from kcdata.score.data import stratified_sample

    every = load_rows(sample_build)
    strata = {(r["kind"], r["language"]) for r in every}
    got = stratified_sample(every, 10, seed=0)
    assert len(got) == 10
    assert {r["kind"] for r in got} == {r["kind"] for r in every}  # file order alone gave no temporal row
    assert len({(r["kind"], r["language"]) for r in got}) == min(10, len(strata))
    assert got == stratified_sample(every, 10, seed=0)
    assert got != stratified_sample(every, 10, seed=1)
    order = {r["id"]: i for i, r in enumerate(every)}
    assert [order[r["id"]] for r in got] == sorted(order[r["id"]] for r in got)  # file order kept
    assert stratified_sample(every, len(every) + 5) == every
    big = stratified_sample(every, 100, seed=0)
    counts = {}
    for r in big:
        counts[(r["kind"], r["language"])] = counts.get((r["kind"], r["language"]), 0) + 1
    assert len(big) == 100 and max(counts.values()) - min(counts.values()) <= 1


def test_a_finished_rerun_and_a_settings_mismatch_never_load_the_model(tmp_path, rows, saved_tiny):
    from kcdata.cli.score import score

    built = _write_built(tmp_path, rows)
    out = tmp_path / "res" / "scores.jsonl"
    args = ["--model", str(saved_tiny), "--data", str(built), "--samples", "1", "--max-new-tokens", "2",
            "--limit", "4", "--out", str(out)]
    assert CliRunner().invoke(score, args).exit_code == 0
    report = json.loads((out.parent / "scores.report.json").read_text())
    assert report["sample"]["limit"] == 4 and report["sample"]["rows"] == 4
    assert report["sample"]["of"] == len(rows) and sum(report["sample"]["by_kind_language"].values()) == 4
    hidden = saved_tiny.with_name("moved-away")
    saved_tiny.rename(hidden)  # loading the model now fails: a rerun must not need it
    again = CliRunner().invoke(score, args)
    assert again.exit_code == 0, again.output
    assert "scored 0 new rows (4 in total)" in again.stderr
    other = CliRunner().invoke(score, args[:4] + ["--samples", "2"] + args[6:])
    assert other.exit_code == 1 and "other settings" in other.output
    assert "samples 1 -> 2" in other.output  # names what differs


def test_the_plot_puts_rates_on_one_axis_and_shows_n_and_truncation():
    from kcdata.score.report import PLOT_COLUMNS, plot_spec

    report = {"by_kind": {"static": {"n": 7, "metrics": {"accuracy_contains_no_context": 0.4, "truncated_rate": 0.9,
                                                        "persuasion_no_context_counter": -2.5}},
                          "temporal": {"n": 3, "metrics": {"accuracy_contains_no_context": 0.1}}},
              "overall": {"n": 10, "metrics": {}}}
    panels = {p["name"]: p for p in plot_spec(report)}
    assert "truncated_rate" in PLOT_COLUMNS and panels["truncated_rate"]["values"] == [0.9, None]
    assert panels["accuracy_contains_no_context"]["ylim"] == (0.0, 1.0)
    assert panels["accuracy_contains_no_context"]["labels"] == ["static\nn=7", "temporal\nn=3"]
    lo, hi = panels["persuasion_no_context_counter"]["ylim"]
    assert lo < -2.5 and hi >= 0


@pytest.mark.parametrize("name", ["./nope-model", "/no/such/model", "~/nope.gguf"])
def test_a_missing_model_path_says_so(name):
    from kcdata.errors import ConfigError
    from kcdata.score.runner import load_model

    with pytest.raises(ConfigError, match="no such file or folder"):
        load_model(name)
