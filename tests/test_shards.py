"""A config larger than SHARD_ROWS is written as several parquet shards
(``test-00000-of-000NN.parquet``) that ``load_dataset``, ``kcdata validate`` and the card read as
one split, in row order; a smaller one stays one file (issue 14 item 4, the output side)."""

from __future__ import annotations

import json

import datasets
import pyarrow.parquet as pq

from kcdata import pipeline
from kcdata.config import BuildConfig
from kcdata.validate import validate_path


def test_a_config_over_the_shard_size_is_split_and_loads_as_one(tmp_path, monkeypatch, sample_build):
    monkeypatch.setattr(pipeline, "SHARD_ROWS", 60)
    out = tmp_path / "b"
    result = pipeline.run_build(BuildConfig(), out)
    static = sorted(p.name for p in (out / "static").iterdir())
    n = -(-result.rows["static"] // 60)
    assert n >= 3 and static == [f"test-{k:05d}-of-{n:05d}.parquet" for k in range(n)]
    sharded = [r for f in sorted((out / "static").glob("*.parquet")) for r in pq.read_table(f).to_pylist()]
    whole = pq.read_table(sample_build / "static" / "test-00000-of-00001.parquet").to_pylist()
    assert sharded == whole  # the same rows in the same order
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert all(f"static/{name}" in manifest["files"] for name in static)
    ds = datasets.load_dataset(str(out), "static", split="test")
    assert ds.num_rows == len(whole) and ds[0]["id"] == whole[0]["id"]
    rows, problems = validate_path(out)
    assert problems == [] and rows == sum(result.rows.values())
