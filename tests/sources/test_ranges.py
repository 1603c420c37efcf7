"""Reading a dump in ranges of its decompressed stream (issue 14 item 3): with 1, 2, 3 and 7 ranges,
in this process or in workers, every line comes back exactly once, at its exact offset, in file
order, as a single-stream read gives it; for plain, gzip and bzip2 dumps; the seek index is built
once and kept in the cache."""

from __future__ import annotations

import bz2
import gzip
import json
import random

import pytest

from kcdata.sources import ranges
from kcdata.sources.dump import DumpError, DumpOutput, iter_dump

from .conftest import FIXTURES

pytest.importorskip("rapidgzip")
WDTK = FIXTURES / "wikidata_dump_sample" / "wdtk_sample-dump-20150815.json.gz"


def _lines(data: bytes) -> list[tuple[int, bytes]]:
    out, at = [], 0
    for line in data.split(b"\n"):
        out.append((at, line))
        at += len(line) + 1
    if out and out[-1][1] == b"" and data.endswith(b"\n"):
        out.pop()
    return out


@pytest.fixture(scope="module")
def dumps(tmp_path_factory):
    """The same real dump excerpt as .json, .json.gz and .json.bz2, several MB (many gzip blocks)."""
    base = gzip.decompress(WDTK.read_bytes()).split(b"\n")
    rng = random.Random(0)
    body = [line for _ in range(60) for line in base[1:-2] if line.strip()]
    rng.shuffle(body)
    data = b"[\n" + b"\n".join(body) + b"\n]\n"
    folder = tmp_path_factory.mktemp("ranges")
    (folder / "d.json").write_bytes(data)
    (folder / "d.json.gz").write_bytes(gzip.compress(data, compresslevel=6))
    (folder / "d.json.bz2").write_bytes(bz2.compress(data, compresslevel=1))
    return folder, data


@pytest.mark.parametrize("name", ["d.json", "d.json.gz", "d.json.bz2"])
@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_every_line_once_in_order_at_its_offset(dumps, tmp_path, name, n):
    folder, data = dumps
    want = _lines(data)
    got = list(ranges.iter_lines(folder / name, 1, tmp_path / "cache", ranges=n))
    assert got == want
    p = ranges.plan(folder / name, n, tmp_path / "cache")
    assert p.size == len(data) and p.ranges[0][0] == 0 and p.ranges[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in zip(p.ranges, p.ranges[1:], strict=False))


def test_range_edges_on_and_next_to_a_newline(dumps, tmp_path):
    folder, data = dumps
    want = _lines(data)
    starts = [off for off, _ in want]
    p = ranges.plan(folder / "d.json.gz", 1, tmp_path / "cache")
    for cut in (starts[5], starts[5] - 1, starts[5] + 1, starts[5] - 2, 1, len(data) - 1):
        first = list(ranges.read_range(p, 0, cut))
        rest = list(ranges.read_range(p, cut, len(data)))
        assert first + rest == want, cut
        assert all(off < cut for off, _ in first) and all(off >= cut for off, _ in rest)


def _ids(offset: int, line: bytes):
    line = line.rstrip(b",")
    return json.loads(line)["id"] if line.startswith(b"{") else None


def test_workers_give_the_single_stream_result_and_the_index_is_reused(dumps, tmp_path):
    folder, data = dumps
    want = [json.loads(line.rstrip(b","))["id"] for _, line in _lines(data) if line.startswith(b"{")]
    for workers in (2, 3):
        got = list(ranges.map_ranges(folder / "d.json.gz", workers, tmp_path / "cache", _ids, ranges=7))
        assert got == want
    index_files = list((tmp_path / "cache" / "dump-index").iterdir())
    assert len(index_files) == 1
    before = index_files[0].stat().st_mtime_ns
    ranges.plan(folder / "d.json.gz", 5, tmp_path / "cache")
    assert index_files[0].stat().st_mtime_ns == before  # built once, then read


def test_the_dump_reader_decompressing_in_parallel_reads_the_same(dumps, tmp_path):
    """``iter_dump(decompress_workers=N)`` (what ``--workers N`` uses for a .gz or .bz2 dump):
    rapidgzip threads decode their own chunks; the records are the single stream's, the first
    pass saves the seek index and the next reads it."""
    from kcdata.sources.dump import DumpOutput, iter_dump

    folder, _ = dumps
    rels = {"P31", "P17", "P6"}
    for name in ("d.json.gz", "d.json.bz2"):
        want = list(iter_dump(folder / name, output=DumpOutput.RECORDS, relations=rels))
        got = list(iter_dump(folder / name, output=DumpOutput.RECORDS, relations=rels,
                             decompress_workers=2, index_dir=tmp_path / "cache"))
        assert got == want and want
        (index,) = [p for p in (tmp_path / "cache" / "dump-index").iterdir() if p.suffix == (
            ".gzipidx" if name.endswith("gz") else ".bzip2idx")]
        before = index.stat().st_mtime_ns
        again = list(iter_dump(folder / name, output=DumpOutput.RECORDS, relations=rels, workers=2,
                               decompress_workers=2, index_dir=tmp_path / "cache"))
        assert again == want and index.stat().st_mtime_ns == before


def test_a_gz_dump_build_with_workers_is_the_one_worker_build(tmp_path):
    """The sample's real entities as a dated .json.gz dump: --workers 2 (parallel decompression
    and rendering in workers) builds the same files as one worker, and caches the seek index."""
    import shutil

    from kcdata.config import BuildConfig
    from kcdata.pipeline import run_build
    from kcdata.resources import sample_dir

    dump = tmp_path / "wikidata-20250101-all.json.gz"
    shutil.copy(sample_dir() / "entities.json.gz", dump)
    base = dict(source="dump", source_path=str(dump), wikipedia=False, cache_dir=str(tmp_path / "cache"),
                shard_cache=False)  # both builds read the dump
    one = run_build(BuildConfig(workers=1, **base), tmp_path / "w1")
    assert not (tmp_path / "cache" / "dump-index").exists()  # one worker reads one isal stream
    two = run_build(BuildConfig(workers=2, **base), tmp_path / "w2")
    assert one.files == two.files and sum(one.rows.values()) > 200
    assert [p.suffix for p in (tmp_path / "cache" / "dump-index").iterdir()] == [".gzipidx"]


def test_workers_that_decode_their_own_ranges_read_what_the_stream_reads(dumps, tmp_path):
    """``iter_dump(ranged=True)``: each worker decodes and scans its own ranges; records, counts,
    and quarantine records with their line numbers and offsets are the single stream's."""
    from kcdata.facts.checks import Quarantine
    from kcdata.sources.dump import DumpOutput, DumpStats, iter_dump

    folder, data = dumps
    # a broken line in the middle: its line number and offset must come out the same
    lines = data.split(b"\n")
    at = next(i for i in range(len(lines) // 2, len(lines)) if b'"labels":{' in lines[i] and b'"P31"' in lines[i])
    lines[at] = lines[at].replace(b'"labels":{', b'"labels":["x"],"x":{', 1)
    broken = folder / "broken.json.gz"
    broken.write_bytes(gzip.compress(b"\n".join(lines)))
    rels = {"P31", "P17", "P6"}
    for name in ("d.json.gz", "d.json.bz2", "broken.json.gz"):
        q1, q2, s1, s2 = Quarantine(), Quarantine(), DumpStats(), DumpStats()
        want = list(iter_dump(folder / name, output=DumpOutput.RECORDS, relations=rels, quarantine=q1, stats=s1))
        got = list(iter_dump(folder / name, output=DumpOutput.RECORDS, relations=rels, quarantine=q2, stats=s2,
                             workers=2, ranged=True, index_dir=tmp_path / "cache", chunk_bytes=1 << 16))
        assert got == want and want, name
        assert q2.records == q1.records and (q1.records if name.startswith("broken") else True)
        assert (s2.entities, s2.candidates, s2.results, s2.bytes_in) == (s1.entities, s1.candidates, s1.results,
                                                                         s1.bytes_in)


@pytest.mark.parametrize("executor", ["local", "ray"])
def test_a_truncated_gz_dump_with_workers_is_named_truncated(tmp_path, executor):
    """rapidgzip cannot index a cut file: the stream then decodes it, and its error (a
    RuntimeError from rapidgzip) is the reader's 'corrupt or truncated', not an unexpected one."""
    from kcdata import engine
    from kcdata.resources import sample_dir

    if executor == "ray" and not engine.available():
        pytest.skip("Ray (extra ray) is not installed")
    data = (sample_dir() / "entities.json.gz").read_bytes()
    path = tmp_path / "d.json.gz"
    path.write_bytes(data[: len(data) * 3 // 4])
    try:
        with pytest.raises(DumpError, match="corrupt or truncated"):
            list(iter_dump(path, output=DumpOutput.RECORDS, relations=frozenset({"P36"}), workers=2,
                           decompress_workers=2, index_dir=tmp_path / "cache", ranged=True, executor=executor))
    finally:
        engine.stop()
