"""``--sample N``: a seeded sample of N facts per relation x kind, spread over popularity quartiles,
replacing chosen facts that make no row from their bucket's reserve (issue 14 item 2)."""

from __future__ import annotations

import json
import random
from collections import Counter

import pyarrow.parquet as pq
import pytest

from kcdata.classify.sample import BUCKETS, Sample

ITEMS = [(f"Q{i}:P6", "P6", "temporal", i) for i in range(1, 101)] + [
    (f"Q{i}:P36", "P36", "static", i % 7) for i in range(1, 31)] + [("Q1:P35", "P35", "static", 5)]


def test_the_draw_takes_n_per_stratum_spread_over_popularity_buckets():
    s = Sample.draw(ITEMS, 8, seed=0)
    first = s.first()
    by = Counter(s.stratum_of[f] for f in first)
    assert by == {("P6", "temporal"): 8, ("P36", "static"): 8, ("P35", "static"): 1}
    # P6's sitelinks are 1..100: quartiles 1-25, 26-50, 51-75, 76-100, two from each
    links = sorted(int(f.split(":")[0][1:]) for f in first if f.endswith(":P6"))
    assert Counter((x - 1) // 25 for x in links) == {0: 2, 1: 2, 2: 2, 3: 2}


def test_the_draw_depends_on_the_candidates_and_the_seed_only():
    a = Sample.draw(ITEMS, 5, seed=3).first()
    shuffled = list(ITEMS)
    random.Random(1).shuffle(shuffled)
    assert Sample.draw(shuffled, 5, seed=3).first() == a
    assert Sample.draw(ITEMS, 5, seed=4).first() != a


def test_facts_that_make_no_row_are_replaced_from_the_same_bucket_first():
    s = Sample.draw(ITEMS, 4, seed=0)
    first = s.first()
    failed = {f for f in first if f.endswith(":P6")}  # every P6 pick fails once
    more = s.refill(lambda f: f not in failed, first)
    assert len(more) == 4 and all(f.endswith(":P6") for f in more) and not more & first
    # one per bucket again: the replacements come from the buckets that were short
    assert sorted((int(f.split(":")[0][1:]) - 1) // 25 for f in more) == list(range(BUCKETS))
    assert s.refill(lambda f: True, more) == set()
    report = s.report()
    assert report["strata"]["P6/temporal"] == {"candidates": 100, "tried": 8, "chosen": 4}
    assert report["strata"]["P35/static"] == {"candidates": 1, "tried": 1, "chosen": 1}


def test_a_stratum_smaller_than_n_is_taken_whole():
    s = Sample.draw(ITEMS, 50, seed=0)
    first = s.first()
    assert sum(f.endswith(":P36") for f in first) == 30


@pytest.fixture(scope="module")
def sampled(tmp_path_factory):
    from kcdata.config import BuildConfig
    from kcdata.pipeline import run_build

    out = tmp_path_factory.mktemp("sample") / "b"
    run_build(BuildConfig(sample=2, wikipedia=False), out)
    return out


def _rows(folder):
    return [r for f in sorted(folder.glob("*/*.parquet")) for r in pq.read_table(f).to_pylist()]


def test_a_sampled_build_has_at_most_n_facts_per_relation_and_kind_and_records_the_draw(sampled, sample_build):
    rows = _rows(sampled)
    facts = Counter((r["relation"], r["kind"]) for r in {r["fact_id"]: r for r in rows}.values())
    assert facts and max(facts.values()) <= 2
    manifest = json.loads((sampled / "manifest.json").read_text(encoding="utf-8"))
    strata = manifest["sample"]["strata"]
    assert manifest["created_from"]["sample"] == 2 and manifest["sample"]["per_stratum"] == 2
    for (rel, kind), n in facts.items():
        assert strata[f"{rel}/{kind}"]["chosen"] == n
    # every fact chosen is rendered in each language it can be, as in the full build
    full = {(r["fact_id"], r["language"]) for r in _rows(sample_build)}
    chosen = {r["fact_id"] for r in rows}
    assert {(f, lang) for f, lang in full if f in chosen} == {(r["fact_id"], r["language"]) for r in rows}
    # where a stratum has more candidates than N, the sample has N facts
    assert any(s["candidates"] > 2 and s["chosen"] == 2 for s in strata.values())
    card = (sampled / "README.md").read_text(encoding="utf-8")
    assert "sample" in card.lower()


def test_a_build_without_sample_records_none(sample_build):
    manifest = json.loads((sample_build / "manifest.json").read_text(encoding="utf-8"))
    assert "sample" not in manifest and "sample" not in manifest["created_from"]
