"""Where rows are written: Hugging Face-style parquet with a fixed Arrow schema, atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from kcdata.fileio import atomic_path

_STR = pa.string()
_STRS = pa.list_(pa.string())
_ENTITY = pa.struct([("id", _STR), ("label", _STR), ("aliases", _STRS)])

ROW_SCHEMA = pa.schema([
    ("id", _STR),
    ("fact_id", _STR),
    ("language", _STR),
    ("kind", _STR),
    ("relation", _STR),
    ("relation_label", _STR),
    ("subject", _ENTITY),
    ("object", pa.struct([("id", _STR), ("label", _STR), ("aliases", _STRS), ("value_type", _STR)])),
    ("answers", _STRS),
    ("question", _STR),
    ("paraphrases", _STRS),
    ("context_original", _STR),
    ("context_counter", _STR),
    ("wiki_context_original", _STR),
    ("wiki_context_counter", _STR),
    ("wiki_source", pa.struct([("title", _STR), ("language", _STR), ("revision_id", pa.int64()),
                               ("url", _STR), ("license", _STR)])),
    ("counterfactual", pa.struct([("id", _STR), ("label", _STR), ("aliases", _STRS), ("strategy", _STR)])),
    ("counter_answers", _STRS),
    ("rival_answers", _STRS),
    ("valid_from", _STR),
    ("valid_until", _STR),
    ("as_of", _STR),
    ("rule", _STR),
    ("evidence", pa.list_(pa.struct([("property", _STR), ("value", _STR)]))),
    ("popularity", pa.int64()),
    ("provenance", pa.struct([("source", _STR), ("entity_revision", pa.int64()), ("dump_date", _STR),
                              ("retrieved", _STR), ("template_id", _STR), ("template_version", _STR),
                              ("tool_version", _STR)])),
])


def write_rows(rows: list[dict[str, Any]], path: Path) -> None:
    """Write rows to one parquet file atomically (temp file in the same folder, then rename).

    The bytes depend only on the rows: fixed schema, no timestamps, one row group.
    """
    table = pa.Table.from_pylist(rows, schema=ROW_SCHEMA)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd", row_group_size=max(1, len(rows)),
                       write_statistics=True, use_dictionary=True)


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Read rows back as dicts."""
    return pq.read_table(path).to_pylist()


def environment() -> dict[str, str]:
    """Library versions that decide the output bytes (parquet writer), recorded for rebuilds."""
    import platform

    return {"python": ".".join(platform.python_version_tuple()[:2]), "pyarrow": pa.__version__}
