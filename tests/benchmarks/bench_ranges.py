"""Benchmark of reading a dump in ranges (:mod:`kcdata.sources.ranges`, rapidgzip's seek index)
against one gzip stream (python-isal, the build's reader), counting lines.

Generates a dump-format ``.json.gz`` of ``--size-mb`` compressed MB from the fixture entities
(``bench_dump.make_dump``), builds the seek index once (timed apart), then times in interleaved
rounds (best of ``--rounds``): isal single stream; ranges with 1 worker; ranges with 2 workers.
Prints MB/s of decompressed JSON and the ratios to the single stream.

Run::

    python tests/benchmarks/bench_ranges.py --size-mb 50
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def _count(offset: int, line: bytes) -> int:
    return 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=float, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    from bench_dump import make_dump
    from isal import igzip

    from kcdata.sources import ranges

    work = Path(tempfile.mkdtemp(prefix="kcdata-bench-ranges-"))
    path = work / "wikidata-20250101-all.json.gz"
    entities, raw = make_dump(path, args.size_mb)
    t0 = time.perf_counter()
    ranges.plan(path, 8, work / "cache")
    print(f"{path.stat().st_size / 1e6:.0f} MB gz, {raw / 1e6:.0f} MB JSON, {entities:,} entities; "
          f"seek index built once in {time.perf_counter() - t0:.1f} s")

    def single() -> int:  # line by line in Python, as the ranges are read
        n, rest = 0, b""
        with igzip.open(path, "rb") as fh:
            while block := fh.read(4 << 20):
                lines = (rest + block).split(b"\n")
                rest = lines.pop()
                n += sum(_count(0, line) for line in lines)
        return n + bool(rest)

    variants = {
        "isal, one stream": single,
        "ranges, 1 worker": lambda: sum(ranges.map_ranges(path, 1, work / "cache", _count)),
        "ranges, 2 workers": lambda: sum(ranges.map_ranges(path, 2, work / "cache", _count)),
    }
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(args.rounds):
        for name, run in variants.items():
            t = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - t)
    base = best["isal, one stream"]
    for name, t in best.items():
        print(f"  {name:20s} {raw / 1e6 / t:8.0f} MB/s  {base / t:5.2f}x the single stream")


if __name__ == "__main__":
    main()
