"""The row spool (issue 14 item 4): a build's rows leave memory a batch at a time, are spilled per
config to Arrow files, and come back as parquet shards with the same bytes as writing the sorted
rows from memory, whatever the batch, spill and run sizes."""

from __future__ import annotations

import hashlib
import json
import random

import pytest

from kcdata import pipeline
from kcdata.config import BuildConfig
from kcdata.publish import spool as spool_mod
from kcdata.publish.parquet import write_rows
from kcdata.publish.spool import RowSpool, RowStats
from kcdata.sources.snapshot import load_sample
from kcdata.validate.audit import audit_rows


def _key(fact_id: str, lang: str) -> tuple:
    return (pipeline._fact_sort_key(fact_id), lang)


@pytest.fixture(scope="module")
def sample_rows():
    snapshot = load_sample()
    facts = [f for e in snapshot.entities for f in pipeline.parse_entity(e, "sample")]
    rows = pipeline.build_rows(facts, snapshot, BuildConfig(), None, pipeline.Rejects())
    assert len(rows) > 250
    return rows


def _digest(folder) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.parquet"))}


def _expected(rows, out, shard_rows):
    """What the build wrote before the spool: each config's rows sorted, cut into shards."""
    for config in sorted({r["kind"] for r in rows}):
        mine = sorted((r for r in rows if r["kind"] == config), key=lambda r: _key(r["fact_id"], r["language"]))
        n = -(-len(mine) // shard_rows)
        for k in range(n):
            write_rows(mine[k * shard_rows:(k + 1) * shard_rows],
                       out / pipeline.DATA_FILE.format(config=config, shard=k, shards=n))
    return _digest(out)


@pytest.mark.parametrize("spill", [1, 3, 2048])
@pytest.mark.parametrize("shard_rows", [7, 50, 50_000])
def test_one_run_gives_the_bytes_of_the_sorted_rows(sample_rows, tmp_path, monkeypatch, spill, shard_rows):
    monkeypatch.setattr(spool_mod, "SPILL_ROWS", spill)
    spool = RowSpool(tmp_path / "spill", _key)
    order = sorted(sample_rows, key=lambda r: _key(r["fact_id"], r["language"]))
    for i in range(0, len(order), 13):  # batches in order; within a batch any order
        part = order[i:i + 13]
        spool.add(list(reversed(part)))
    written = spool.write(tmp_path / "got", shard_rows, pipeline.DATA_FILE)
    spool.close()
    assert not (tmp_path / "spill").exists()
    assert sum(len(v) for v in written.values()) == len(_digest(tmp_path / "got"))
    assert _digest(tmp_path / "got") == _expected(sample_rows, tmp_path / "want", shard_rows)


def test_several_runs_are_merged_as_a_stable_sort_would_order_them(sample_rows, tmp_path, monkeypatch):
    monkeypatch.setattr(spool_mod, "SPILL_ROWS", 4)
    rng = random.Random(3)
    by_fact: dict[str, list] = {}
    for r in sample_rows:
        by_fact.setdefault(r["fact_id"], []).append(r)
    runs: list[list] = [[], [], []]
    for fid in sorted(by_fact, key=pipeline._fact_sort_key):
        runs[rng.randrange(3)].extend(by_fact[fid])
    # a tie: one (fact, language) in two runs, as a refill could give; the first run's row first
    tie = dict(runs[0][0], question="the later run's row")
    runs[2].insert(0, tie)
    for run in runs:  # a batch may end inside a fact: each run sorted by (fact, language)
        run.sort(key=lambda r: _key(r["fact_id"], r["language"]))
    spool = RowSpool(tmp_path / "spill", _key)
    for run in runs:
        for i in range(0, len(run), 5):
            spool.add(run[i:i + 5], new_run=i == 0)
    spool.write(tmp_path / "got", 40, pipeline.DATA_FILE)
    spool.close()
    everything = [r for run in runs for r in run]  # the order the build made them in
    assert _digest(tmp_path / "got") == _expected(everything, tmp_path / "want", 40)
    import pyarrow.parquet as pq

    config_rows = [r for p in sorted((tmp_path / "got" / tie["kind"]).glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    same = [r["question"] for r in config_rows if r["id"] == tie["id"]]
    assert same == [runs[0][0]["question"], "the later run's row"]


def test_a_row_out_of_order_within_a_run_is_refused(sample_rows, tmp_path):
    order = sorted(sample_rows, key=lambda r: _key(r["fact_id"], r["language"]))
    spool = RowSpool(tmp_path / "spill", _key)
    spool.add(order[10:20])
    with pytest.raises(RuntimeError, match="out of order"):
        spool.add(order[:10])
    spool.add(order[:10], new_run=True)  # a new run may start anywhere
    spool.close()


def test_row_stats_and_the_streamed_audit_equal_the_whole_list_audit(sample_rows):
    # duplicate questions: one in a build's id form, one in another (a JSONL file's own ids)
    rows = sample_rows + [dict(sample_rows[0], id="Q1:P1:en", fact_id="Q1:P1"),
                          dict(sample_rows[5], id="mine-1", fact_id="Q2:P2"),
                          dict(sample_rows[5], id="mine-2", fact_id="Q2:P2")]
    rows.insert(0, dict(sample_rows[9], id="mine-0", fact_id="Q3:P3"))
    stats = RowStats()
    for r in rows:
        stats.add(r)
    assert stats.auditor.report().as_dict() == audit_rows(rows).as_dict()
    facts, first = {}, {}  # the check as it was: every question's facts and first row id
    for r in rows:
        key = (r["language"], r["question"])
        facts.setdefault(key, set()).add(r["fact_id"])
        first.setdefault(key, r["id"])
    want = [first[k] for k in sorted(facts) if len(facts[k]) > 1]
    dup = next(c for c in audit_rows(rows).checks if c.name == "duplicate_questions")
    assert len(want) >= 3 and dup.count == len(want) and dup.examples == want[:5]
    assert "mine-0" in want and sample_rows[0]["id"] in want and sample_rows[5]["id"] in want
    assert stats.rows == len(rows)
    assert stats.as_of == [min(r["as_of"] for r in rows), max(r["as_of"] for r in rows)]


@pytest.mark.parametrize("extra", [{}, {"sample": 2, "seed": 7}])
def test_the_build_writes_the_same_bytes_whatever_the_batch_and_spill_sizes(tmp_path, monkeypatch, extra):
    config = BuildConfig(**extra)
    first = pipeline.run_build(config, tmp_path / "a")
    monkeypatch.setattr(pipeline, "BATCH_FACTS", 1)
    monkeypatch.setattr(spool_mod, "SPILL_ROWS", 3)
    second = pipeline.run_build(config, tmp_path / "b")
    assert first.files == second.files
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text(encoding="utf-8"))
    assert sum(manifest["counts"]["rows"].values()) > 50
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]  # no spill folder left


def test_the_sink_counts_facts_and_rows_and_refuses_a_disk_too_small(sample_rows, tmp_path, monkeypatch, capsys):
    from kcdata.errors import DiskFullError
    from kcdata.publish.spool import ROW_DISK_BYTES, RowSink

    order = sorted(sample_rows, key=lambda r: _key(r["fact_id"], r["language"]))
    spool = RowSpool(tmp_path / "spill", _key)
    sink = RowSink(spool, RowStats(), 4, progress=True)
    sink.bar.delay = 0
    sink.plan(30)
    sink.add(order[:40], True, 10)
    sink.add(order[40:80], False, 20)
    assert (sink.bar.n, sink.bar.total, sink.stats.rows, spool.counts.total()) == (30, 30, 80, 80)
    assert "80 rows (" in sink.bar.postfix and "rows/s)" in sink.bar.postfix
    sink.close()
    assert "30/30" in capsys.readouterr().err
    monkeypatch.setattr(spool_mod, "free_bytes", lambda path: 100 * 4 * ROW_DISK_BYTES - 1)
    with pytest.raises(DiskFullError, match=r"not enough space in .* for the rows: 100 facts in 4 language"):
        RowSink(spool, RowStats(), 4, progress=False).plan(100)
    RowSink(spool, RowStats(), 4, progress=False).plan(99)
    spool.close()


def test_many_runs_are_compacted_and_few_files_are_ever_open(sample_rows, tmp_path, monkeypatch):
    # a sample's refills can make hundreds of runs: past MAX_RUNS a config's spill files are
    # merged into one (the earliest runs first), and only the current run's files are open
    monkeypatch.setattr(spool_mod, "SPILL_ROWS", 2)
    monkeypatch.setattr(spool_mod, "MAX_RUNS", 3)
    rng = random.Random(5)
    order = sorted(sample_rows, key=lambda r: _key(r["fact_id"], r["language"]))
    runs: list[list] = [[] for _ in range(11)]
    for r in order:
        runs[rng.randrange(11)].append(r)
    runs[7].insert(0, dict(runs[1][0], question="a tie, from a later run"))
    runs[7].sort(key=lambda r: _key(r["fact_id"], r["language"]))
    spool = RowSpool(tmp_path / "spill", _key)
    most = 0
    for run in runs:
        for i in range(0, max(len(run), 1), 4):
            spool.add(run[i:i + 4], new_run=i == 0)
            assert len(spool._writers) <= 3
            most = max(most, max((len(f) for f in spool._files.values()), default=0))
    assert most <= 3 and len(list((tmp_path / "spill").iterdir())) <= 3 * 3
    spool.write(tmp_path / "got", 23, pipeline.DATA_FILE)
    spool.close()
    everything = [r for run in runs for r in run]
    assert _digest(tmp_path / "got") == _expected(everything, tmp_path / "want", 23)


def test_the_audit_takes_a_question_with_a_lone_surrogate(sample_rows):
    # such a row passes the schema; the question's digest must not fail on it
    first = dict(sample_rows[0], question=sample_rows[0]["question"] + "\ud800")
    rows = [first, dict(first, id="Q7:P7:" + first["language"], fact_id="Q7:P7")]
    report = audit_rows(rows)
    assert report.rows == 2
    dup = next(c for c in report.checks if c.name == "duplicate_questions")
    assert dup.examples == [first["id"]]


def test_a_full_disk_while_spilling_names_the_spill_file(sample_rows, tmp_path, monkeypatch):
    """An ENOSPC from pyarrow (which names no file) while a batch is spilled names the spill file
    being written, where it is: not a file of the build, which it never becomes."""
    import errno

    import pyarrow as pa

    from kcdata.cli import os_error
    from kcdata.fileio import private_dir

    class FullWriter:
        def write_batch(self, batch):
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self):
            pass

    monkeypatch.setattr(pa.ipc, "new_file", lambda *a, **k: FullWriter())
    monkeypatch.setattr(spool_mod, "SPILL_ROWS", 1)  # the first row is spilled at once
    folder = private_dir(tmp_path / "ds", "spool")
    spool = RowSpool(folder, _key)
    with pytest.raises(OSError) as caught:
        spool.add(sample_rows[:4], True)
    config = min(sample_rows[:4], key=lambda r: _key(r["fact_id"], r["language"]))["kind"]
    message = str(os_error(caught.value, "build", {})).splitlines()[0]
    assert message.startswith(f"no space left on device writing {folder}/{config}.1.arrow (only "), message
    assert message.endswith(" free there)")
