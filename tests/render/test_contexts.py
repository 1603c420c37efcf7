"""contexts_v2 on a real build of the sample: a counter context carries the counterfactual's own
dates or none, never the original's, never names an original answer, and reads without doubled
full stops; contexts_v1 stays selectable."""

from __future__ import annotations

import dataclasses
import re

import pyarrow.parquet as pq
import pytest

from kcdata.config import BuildConfig
from kcdata.facts import parse_entity
from kcdata.normalise import names
from kcdata.pipeline import run_build
from kcdata.render import format_date
from kcdata.render.grammar import date_forms
from kcdata.sources.snapshot import load_sample


def _rows(folder):
    return [r for f in sorted(folder.glob("*/test-*.parquet")) for r in pq.read_table(f).to_pylist()]


@pytest.fixture(scope="module")
def facts():
    return {f.id: f for e in load_sample().entities for f in parse_entity(e, "sample")}


def _start(fact, value_id=None, value_key=None):
    for s in fact.statements:
        if (value_id and s.value.item == value_id) or (value_key and s.value.key() == value_key):
            return s.start or s.point_in_time
    return None


def _written(t, lang):
    """Every way a context writes date ``t``: its label and, in contexts_v3, its phrases, also at a
    coarser precision shared with the other context's date."""
    out = set()
    for p in range(t.precision, 8, -1):
        c = dataclasses.replace(t, precision=p)
        out |= {format_date(c, lang), *date_forms(c, lang).values()}
    return out


def test_counter_contexts_carry_their_own_dates(sample_build, facts):
    rows = _rows(sample_build)
    dated_outdated = 0
    for r in rows:
        if r["kind"] != "temporal":
            continue
        fact = facts[r["fact_id"]]
        original_start = _start(fact, r["object"]["id"]) if r["object"]["id"] else None
        own = original_start and _written(original_start, r["language"])
        cf = r["counterfactual"]
        if cf["strategy"] == "outdated_v2" and cf["id"]:
            cf_start = _start(fact, cf["id"])
            if cf_start is not None and "dated_contexts" in r["provenance"]["counter_template_id"]:
                assert any(w in r["context_counter"] for w in _written(cf_start, r["language"])), r["id"]
                dated_outdated += 1
        if own and (cf["strategy"] != "outdated_v2" or _start(fact, cf["id"]) != original_start):
            assert not any(w in r["context_counter"] for w in own), (r["id"], r["context_counter"])
    assert dated_outdated >= 8  # the item-valued ones (office holders); quantities are checked below


def test_outdated_figures_keep_their_own_point_in_time(sample_build):
    rows = [r for r in _rows(sample_build) if r["relation"] == "P1082" and r["counterfactual"]["strategy"] == "outdated_v2"
            and r["language"] == "en"]
    assert len(rows) >= 10
    for r in rows:
        original_when = r["context_original"].split(",")[0]  # "As of 1 January 2016"
        assert r["context_counter"].split(",")[0] != original_when, r["id"]


def test_substitutes_get_an_undated_counter_context(sample_build):
    rows = [r for r in _rows(sample_build) if r["kind"] == "temporal" and r["counterfactual"]["strategy"] == "substitute_v2"]
    assert rows
    for r in rows:
        assert re.search(r"#(grammatical\.)?contexts\[", r["provenance"]["counter_template_id"]), r["id"]
        assert not re.search(r"\b(1[89]|20)\d\d\b", r["context_counter"]), r["id"]


def test_no_counter_context_names_an_original_answer_and_no_double_stop(sample_build):
    rows = _rows(sample_build)
    for r in rows:
        assert not any(names(r["context_counter"], a, r["language"]) for a in r["answers"]), r["id"]
        for text in (r["context_original"], r["context_counter"]):
            assert not re.search(r"[^.]\.\.(?!\.)", text), (r["id"], text)
    assert any("BC" in r["context_original"] or "Chr." in r["context_original"] for r in rows)


def test_contexts_v1_stays_selectable(tmp_path):
    out = tmp_path / "v1"
    run_build(BuildConfig(contexts="contexts_v1", relations=("P6",), languages=("en",), wikipedia=False), out)
    rows = _rows(out)
    assert rows
    for r in rows:
        assert r["provenance"]["counter_template_id"] == r["provenance"]["template_id"]
    stale = [r for r in rows if r["counterfactual"]["strategy"] == "outdated_v2" and "dated" in r["provenance"]["template_id"]]
    # the audited v1 defect: the counter context keeps the original's start date
    assert stale and all(r["context_original"].split(",")[0] == r["context_counter"].split(",")[0] for r in stale
                         if r["context_original"].startswith("Since"))
