"""One row contract: ``schemas/row.schema.json``. The parquet columns are derived from it; the row
builder, the scorer's required fields and the README's schema table are held to it here."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kcdata.config import BuildConfig
from kcdata.facts import parse_entity
from kcdata.pipeline import Rejects, build_rows, load_source
from kcdata.publish.parquet import ROW_SCHEMA, arrow_type
from kcdata.schemas import load_schema, row_fields
from kcdata.score.data import REQUIRED_FIELDS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sample_rows():
    snap = load_source(BuildConfig())
    facts = [f for e in snap.entities for f in parse_entity(e, snap.kind)]
    return build_rows(facts, snap, BuildConfig(), None, Rejects())


def test_row_fields_are_the_schema_properties_in_order():
    schema = load_schema("row")
    assert row_fields() == tuple(schema["properties"]) == tuple(schema["required"])
    assert all(p.get("description") for p in schema["properties"].values())


def test_built_rows_have_exactly_the_contract_fields_in_order(sample_rows):
    assert len(sample_rows) > 100
    for row in sample_rows:
        assert tuple(row) == row_fields()
        assert tuple(row["provenance"]) == tuple(load_schema("row")["properties"]["provenance"]["properties"])


def test_parquet_columns_follow_the_schema(sample_build):
    assert tuple(ROW_SCHEMA.names) == row_fields()
    assert ROW_SCHEMA.field("popularity").type == pa.int64()
    assert ROW_SCHEMA.field("kind").type == pa.string()  # an enum
    assert ROW_SCHEMA.field("subject").type == pa.struct(  # a $ref
        [("id", pa.string()), ("label", pa.string()), ("aliases", pa.list_(pa.string()))])
    assert ROW_SCHEMA.field("wiki_source").type.field("revision_id").type == pa.int64()  # oneOf null|object
    assert ROW_SCHEMA.field("evidence").type == pa.list_(
        pa.struct([("property", pa.string()), ("value", pa.string())]))
    files = sorted(sample_build.glob("*/test-00000-of-00001.parquet"))
    assert len(files) >= 2
    for f in files:
        assert pq.read_schema(f).equals(ROW_SCHEMA)


def test_arrow_type_refuses_what_it_cannot_map():
    with pytest.raises(ValueError):
        arrow_type({"type": ["string", "integer"]}, {})
    with pytest.raises(ValueError):
        arrow_type({"enum": [1, 2]}, {})
    with pytest.raises(ValueError):
        arrow_type({"oneOf": [{"type": "string"}, {"type": "integer"}]}, {})


def test_scorer_needs_only_contract_fields():
    assert set(REQUIRED_FIELDS) <= set(row_fields())


def _table_fields(markdown: str, heading: str) -> list[str]:
    section = markdown.split(heading, 1)[1].split("\n## ", 1)[0]
    names: list[str] = []
    for line in section.splitlines():
        if line.startswith("| `"):
            names.extend(re.findall(r"`([a-z_]+)`", line.split("|")[1]))
    return names


def test_readme_schema_table_lists_every_field_in_order():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert tuple(_table_fields(readme, "## Dataset schema")) == row_fields()
