"""The compact fact store a dump build keeps its facts in (issue 14: memory): every fact reads
back equal, ids without decoding, and a build from the store makes the rows of one from a list."""

from __future__ import annotations

import pytest

from kcdata import pipeline
from kcdata.config import BuildConfig
from kcdata.facts import parse_entity
from kcdata.facts.store import FactStore, fact_ids
from kcdata.sources.snapshot import load_sample


@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.fixture(scope="module")
def facts(sample):
    return [f for e in sample.entities for f in parse_entity(e, "sample")]


def test_every_fact_reads_back_equal(facts):
    store = FactStore(facts)
    assert len(store) == len(facts) == len(store.ids)
    assert list(store) == facts and [store[i] for i in range(len(store))] == facts
    assert store[3:6] == facts[3:6] and store[-1] == facts[-1]
    assert store.ids == fact_ids(facts) == [f.id for f in facts]
    assert store.relation(0) == facts[0].relation
    assert store[0] is not store[0]  # decoded each time: nothing held but the blob
    with_qualifiers = [f for f in facts if any(s.qualifiers for s in f.statements)]
    assert with_qualifiers and all(store[facts.index(f)] == f for f in with_qualifiers[:20])


def test_a_build_from_the_store_makes_the_rows_of_a_list(sample, facts):
    rows_list = pipeline.build_rows(facts, sample, BuildConfig(), None, pipeline.Rejects())
    rejects = pipeline.Rejects()
    rows_store = pipeline.build_rows(FactStore(facts), sample, BuildConfig(sample=3, seed=5), None, rejects)
    assert rows_list == pipeline.build_rows(FactStore(facts), sample, BuildConfig(), None, pipeline.Rejects())
    assert rows_store == pipeline.build_rows(list(facts), sample, BuildConfig(sample=3, seed=5), None, pipeline.Rejects())
    assert len(rows_list) > 200 and 0 < len(rows_store) < len(rows_list)


def test_a_dump_snapshot_keeps_its_facts_in_a_store(tmp_path):
    import gzip
    import shutil

    from kcdata.resources import sample_dir
    from kcdata.sources import live

    dump = tmp_path / "wikidata-20250101-all.json.gz"
    with gzip.open(sample_dir() / "entities.json.gz", "rb") as src, gzip.open(dump, "wb") as out:
        shutil.copyfileobj(src, out)
    snapshot = live.load(BuildConfig(source="dump", source_path=str(dump), cache_dir=str(tmp_path / "c"),
                                     shard_cache=False), None)
    assert isinstance(snapshot.facts, FactStore) and len(snapshot.facts) > 100
    assert all(f.id == fid for f, fid in zip(snapshot.facts, snapshot.facts.ids))
