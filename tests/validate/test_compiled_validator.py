"""The compiled row validator (jsonschema-rs) judges exactly as the reference one (jsonschema):
on the schema's valid and invalid examples, on every row of a full sample build, and on thousands of
rows broken one field at a time (issue 14: rows are checked with a compiled validator)."""

from __future__ import annotations

import copy
import json
import random

import pyarrow.parquet as pq
import pytest

from kcdata.resources import schemas_dir
from kcdata.schemas import compiled_validator, problems, validator

pytest.importorskip("jsonschema_rs")


def _agree(doc) -> bool:
    fast = compiled_validator("row").is_valid(doc)
    ref = validator("row").is_valid(doc)
    assert fast == ref, (fast, ref, json.dumps(doc, default=str)[:400])
    return ref


def test_examples():
    for sub, want in (("valid", True), ("invalid", False)):
        files = sorted((schemas_dir() / "examples" / "row" / sub).glob("*.json"))
        assert files
        for f in files:
            assert _agree(json.loads(f.read_text(encoding="utf-8"))) is want, f


def _rows(build):
    return [r for f in sorted(build.glob("*/*.parquet")) for r in pq.read_table(f).to_pylist()]


def test_every_row_of_a_build(sample_build):
    rows = _rows(sample_build)
    assert len(rows) > 200
    assert all(_agree(r) for r in rows)


BREAKS = [None, 0, -1, 1.5, "", "x", [], ["x"], {}, {"x": 1}, True, "1 January 2016", "2016-13-01", "Q", "P6"]


def test_rows_broken_one_field_at_a_time(sample_build):
    rng = random.Random(14)
    rows = _rows(sample_build)
    rejected = 0
    for _ in range(3000):
        row = copy.deepcopy(rng.choice(rows))
        # a random path into the row: a top-level field, or one level down
        key = rng.choice(sorted(row))
        target, name = row, key
        if isinstance(row[key], dict) and row[key] and rng.random() < 0.6:
            target, name = row[key], rng.choice(sorted(row[key]))
        if rng.random() < 0.15:
            del target[name]
        else:
            target[name] = copy.deepcopy(rng.choice(BREAKS))
        if rng.random() < 0.05:
            row["unexpected_field"] = 1
        rejected += not _agree(row)
    assert rejected > 1000  # the breaks do break rows: both validators saw invalid ones


def test_problems_still_give_the_reference_messages(sample_build):
    row = _rows(sample_build)[0]
    assert problems(row, "row", "r") == []
    bad = {**row, "kind": "sometimes"}
    (p,) = problems(bad, "row", "r")
    assert p.path == "$.kind" and "sometimes" in p.message
