"""Benchmark of row validation: the reference validator (jsonschema) against the compiled one
(jsonschema-rs) that :func:`kcdata.schemas.problems` tries first, on every row of a default build.

Both run in this process in interleaved rounds (``--rounds``, default 5), each keeping its best
time, so a shared machine's drift slows both alike. Prints rows/s of each and the ratio.

Run::

    python tests/benchmarks/bench_validate.py            # builds the sample into a temp folder
    python tests/benchmarks/bench_validate.py --data out/sample

Target (issue 14): row validation no longer the build's largest stage after extraction
(it was 40 % at 1.2 ms a row).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None, help="a built folder (default: build the sample)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=5, help="passes over the rows per round")
    args = ap.parse_args()

    import pyarrow.parquet as pq

    from kcdata.schemas import compiled_validator, problems, validator

    data = args.data
    if data is None:
        from kcdata.config import BuildConfig
        from kcdata.pipeline import run_build

        data = Path(tempfile.mkdtemp(prefix="kcdata-bench-validate-")) / "sample"
        run_build(BuildConfig(), data)
    rows = [r for f in sorted(data.glob("*/*.parquet")) for r in pq.read_table(f).to_pylist()]
    ref, fast = validator("row"), compiled_validator("row")
    if fast is None:
        raise SystemExit("jsonschema-rs is not installed: nothing to compare")
    variants = {
        "jsonschema (reference)": lambda r: ref.is_valid(r),
        "jsonschema-rs (compiled)": lambda r: fast.is_valid(r),
        "problems() as the build calls it": lambda r: not problems(r, "row", "x"),
    }
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(args.rounds):
        for name, check in variants.items():
            t0 = time.perf_counter()
            for _ in range(args.repeat):
                assert all(check(r) for r in rows)
            best[name] = min(best[name], time.perf_counter() - t0)
    n = len(rows) * args.repeat
    base = best["jsonschema (reference)"]
    print(f"{len(rows)} rows x {args.repeat} passes, best of {args.rounds} interleaved rounds")
    for name, t in best.items():
        print(f"  {name:34s} {n / t:10.0f} rows/s  {1e6 * t / n:8.1f} us/row  speed-up {base / t:5.1f}x")


if __name__ == "__main__":
    main()
