"""What makes a row true, on real builds of the embedded sample: the knowledge horizon, past-only
outdated values, complete answer lists, safe aliases, and the v1 names still selectable."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow.parquet as pq
import pytest

from kcdata.config import BuildConfig
from kcdata.facts import parse_entity
from kcdata.normalise import any_overlap, matchable_alias
from kcdata.pipeline import run_build
from kcdata.sources.snapshot import load_sample


def _rows(folder):
    return [r for f in sorted(folder.glob("*/test-*.parquet")) for r in pq.read_table(f).to_pylist()]


@pytest.fixture(scope="module")
def build_2016(tmp_path_factory):
    out = tmp_path_factory.mktemp("b2016") / "out"
    result = run_build(BuildConfig(as_of="2016-01-01", wikipedia=False), out)
    return out, result


def test_explicit_as_of_drops_facts_recorded_earlier(build_2016):
    out, result = build_2016
    rows = _rows(out)
    assert rows and all(r["as_of"] == "2016-01-01" <= r["snapshot_date"] for r in rows)
    assert result.drops["as_of_after_snapshot"] > 0
    rejects = [json.loads(x) for x in (out / "rejects.jsonl").read_text().splitlines()]
    early = [r for r in rejects if r["reason"] == "as_of_after_snapshot"]
    assert early and all("asked as of 2016-01-01" in r["detail"] for r in early)
    assert json.loads((out / "manifest.json").read_text())["as_of"] == "2016-01-01"


def test_2016_never_yields_a_later_value(build_2016):
    out, _ = build_2016
    facts = {f.id: f for e in load_sample().entities for f in parse_entity(e, "sample")}
    checked = 0
    for r in _rows(out):
        if r["counterfactual"]["strategy"] != "outdated_v2" or r["counterfactual"]["id"] is None:
            continue
        stmts = [s for s in facts[r["fact_id"]].statements if s.value.item == r["counterfactual"]["id"]]
        assert stmts and all(s.end is not None and s.end.bounds()[1] <= dt.date(2016, 1, 1) for s in stmts), r["id"]
        checked += 1
    assert checked >= 3
    ids = {r["fact_id"] for r in _rows(out)}
    # Trump (US head of state, undated, recorded 2018) and a death on 2016-12-31 are not facts of 2016
    assert "Q30:P35" not in ids and "Q646148:P570" not in ids
    assert {"event_after_as_of", "undated_before_snapshot"} <= set(build_2016[1].drops)
    canada = {r["language"]: r for r in _rows(out) if r["fact_id"] == "Q16:P35"}
    assert canada["en"]["object"]["label"] == "Elizabeth II"
    assert canada["en"]["counterfactual"]["label"] != "Charles III of the United Kingdom"


def test_answers_name_every_current_value_and_no_unsafe_alias(sample_build):
    rows = _rows(sample_build)
    multi = [r for r in rows if len(r["answers"]) > len([r["object"]["label"], *r["object"]["aliases"]])]
    assert multi  # multi-valued rows list every current value
    for r in rows:
        lang = r["language"]
        for lst in (r["answers"], r["counter_answers"], r["rival_answers"]):
            assert all(matchable_alias(a, lang) for a in lst if a not in (r["object"]["label"], r["counterfactual"]["label"])) or \
                lst is r["answers"], r["id"]
        assert not any_overlap(r["counter_answers"], r["answers"], lang), r["id"]
        assert all(matchable_alias(a, lang) for a in r["object"]["aliases"] + r["counterfactual"]["aliases"]), r["id"]
    drops = json.loads((sample_build / "manifest.json").read_text())["drops"]
    assert drops.get("missing_answer_label", 0) > 0 and drops.get("open_world_relation", 0) > 0


def test_short_and_common_word_aliases_stay_out():
    assert not matchable_alias("US", "en") and not matchable_alias("can", "en") and not matchable_alias("be", "en")
    assert not matchable_alias("и", "ru") and not matchable_alias("die", "de")
    assert matchable_alias("USA", "en") and matchable_alias("America", "en") and matchable_alias("Bund", "de")


def test_v1_names_stay_selectable(tmp_path):
    out = tmp_path / "v1"
    run_build(BuildConfig(rules="rules_v1", counterfactuals="v1", answers="answers_v1", wikipedia=False,
                          relations=("P6", "P36", "P530", "P571")), out)
    rows = _rows(out)
    assert rows and {r["rule"].split("/")[0] for r in rows} == {"rules_v1"}
    strategies = {r["counterfactual"]["strategy"] for r in rows}
    assert strategies <= {"rival_v1", "outdated_v1", "substitute_v1", "number_v1", "date_shift_v1"}
    assert any(r["relation"] == "P530" for r in rows)  # v1 still builds open-world counter rows
    assert any(r["kind"] == "disputable" for r in rows)  # and rules_v1's concurrent-value disputes
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["rules"], manifest["counterfactuals"], manifest["answers"]) == ("rules_v1", "v1", "answers_v1")
