"""Where rows are written: Hugging Face-style parquet, atomically, with an Arrow schema derived from
the row schema (``schemas/row.schema.json``, the one description of a row)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from kcdata.fileio import atomic_path
from kcdata.schemas import load_schema


def arrow_type(schema: dict[str, Any], defs: dict[str, Any]) -> pa.DataType:
    """The Arrow type of a JSON Schema node of the row schema.

    Strings and string enums (``null`` allowed) are ``string``, integers ``int64``, arrays ``list``, objects
    ``struct`` with their properties in order; ``null`` in a type list or a ``oneOf`` branch only
    makes the (always nullable) column accept nulls. ``$ref`` resolves to ``$defs``.
    """
    if "$ref" in schema:
        return arrow_type(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "oneOf" in schema:
        branches = [b for b in schema["oneOf"] if b.get("type") != "null"]
        if len(branches) != 1:
            raise ValueError(f"cannot map a oneOf of {len(branches)} non-null branches to Arrow")
        return arrow_type(branches[0], defs)
    if "enum" in schema:
        if not all(isinstance(v, str) for v in schema["enum"] if v is not None):
            raise ValueError(f"cannot map a non-string enum to Arrow: {schema['enum']}")
        return pa.string()
    types = schema.get("type")
    types = [t for t in (types if isinstance(types, list) else [types]) if t != "null"]
    if len(types) != 1:
        raise ValueError(f"cannot map JSON Schema type {schema.get('type')!r} to Arrow")
    kind = types[0]
    if kind == "string":
        return pa.string()
    if kind == "integer":
        return pa.int64()
    if kind == "array":
        return pa.list_(arrow_type(schema["items"], defs))
    if kind == "object":
        return pa.struct([(name, arrow_type(sub, defs)) for name, sub in schema["properties"].items()])
    raise ValueError(f"cannot map JSON Schema type {kind!r} to Arrow")


def row_arrow_schema() -> pa.Schema:
    """The parquet schema of a row, derived from ``schemas/row.schema.json`` (column order kept)."""
    row = load_schema("row")
    defs = row.get("$defs", {})
    return pa.schema([(name, arrow_type(sub, defs)) for name, sub in row["properties"].items()])


ROW_SCHEMA = row_arrow_schema()
"""Arrow schema of the parquet files: fixed, so the bytes depend only on the rows."""


def write_rows(rows: list[dict[str, Any]], path: Path) -> None:
    """Write rows to one parquet file atomically (temp file in the same folder, then rename).

    The bytes depend only on the rows: fixed schema, no timestamps, one row group.
    """
    write_table(pa.Table.from_pylist(rows, schema=ROW_SCHEMA), path)


def write_table(table: pa.Table, path: Path) -> None:
    """Write an Arrow table of rows (:data:`ROW_SCHEMA`) as :func:`write_rows` does: the same bytes
    as the same rows given as dicts. Its chunks are combined first (the writer's pages follow the
    chunks)."""
    table = table.combine_chunks()
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd", row_group_size=max(1, table.num_rows),
                       write_statistics=True, use_dictionary=True)


def arrow_bytes(path: Path) -> int:
    """In-memory Arrow size of a parquet file: the ``num_bytes`` ``datasets`` expects per split.
    Read a column at a time (the same sum as the whole table's, without holding it)."""
    return sum(int(pq.read_table(path, columns=[name]).nbytes) for name in pq.read_schema(path).names)


def environment() -> dict[str, str]:
    """Library versions that decide the output bytes (parquet writer), recorded for rebuilds."""
    import platform

    return {"python": ".".join(platform.python_version_tuple()[:2]), "pyarrow": pa.__version__}
