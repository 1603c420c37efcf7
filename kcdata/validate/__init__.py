"""Where rows are checked: each row against ``schemas/row.schema.json`` plus semantic checks, and
built folders (every row, duplicate ids, the manifest and its file hashes).

The schemas and their local registry are in :mod:`kcdata.schemas`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kcdata.errors import InputError
from kcdata.schemas import Problem, problems


def row_problems(row: dict[str, Any], where: str | None = None) -> list[Problem]:
    """Schema errors plus semantic checks of one dataset row."""
    where = where or str(row.get("id", "?"))
    found = problems(row, "row", where)
    if found:
        return found
    extra = []
    if row["counterfactual"]["label"] in row["answers"]:
        extra.append(Problem(where, "$.counterfactual.label", "counterfactual equals an accepted answer"))
    for field in ("question", "context_original", "context_counter"):
        text = row[field]
        if "{{" in text or "}}" in text or "{%" in text:
            extra.append(Problem(where, f"$.{field}", "leftover template braces"))
    if row["context_original"] == row["context_counter"]:
        extra.append(Problem(where, "$.context_counter", "counter context equals the original context"))
    if row.get("snapshot_date") and row["as_of"] > row["snapshot_date"]:
        extra.append(Problem(where, "$.as_of", f"as_of {row['as_of']} is after the data's snapshot_date {row['snapshot_date']}"))
    if row["id"] != f"{row['fact_id']}:{row['language']}":
        extra.append(Problem(where, "$.id", "id must be '{fact_id}:{language}'"))
    return extra


def iter_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Rows of a built dataset folder (parquet per config) or a JSONL file, with a location each."""
    if path.is_dir():
        files = sorted(path.glob("*/*.parquet"))
        if not files:
            raise InputError(f"{path}: no parquet files found", "pass a folder written by 'kcdata build'")
        import pyarrow.parquet as pq

        for f in files:
            try:
                table = pq.read_table(f)
            except Exception as e:  # pyarrow raises several types for corrupt files
                raise InputError(f"{f}: not a readable parquet file ({e})") from None
            for i, row in enumerate(table.to_pylist()):
                yield f"{f.relative_to(path)}#{i}", row
        return
    if not path.is_file():
        raise InputError(f"{path}: no such file or folder")
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                yield f"{path}:{lineno}", {"__error__": f"malformed JSON ({e.msg} at column {e.colno})"}
                continue
            yield f"{path}:{lineno}", row


def validate_path(path: Path) -> tuple[int, list[Problem]]:
    """Validate every row of a dataset folder or JSONL file. Returns (rows seen, problems)."""
    n = 0
    found: list[Problem] = []
    seen_ids: dict[str, str] = {}
    for loc, row in iter_rows(path):
        n += 1
        if "__error__" in row:
            found.append(Problem(loc, "$", row["__error__"]))
            continue
        rid = str(row.get("id", loc))
        where = f"{rid} ({loc})"
        found.extend(row_problems(row, where))
        if rid in seen_ids:
            found.append(Problem(where, "$.id", f"duplicate id, first seen at {seen_ids[rid]}"))
        seen_ids.setdefault(rid, loc)
    if path.is_dir():
        found.extend(_check_manifest(path))
    return n, found


def _check_manifest(folder: Path) -> list[Problem]:
    from kcdata.fileio import sha256_file

    mpath = folder / "manifest.json"
    if not mpath.is_file():
        return [Problem("manifest.json", "$", "missing")]
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        return [Problem("manifest.json", "$", f"malformed JSON ({e.msg})")]
    found = problems(manifest, "manifest", "manifest.json")
    for rel, digest in (manifest.get("files") or {}).items():
        f = folder / rel
        if not f.is_file():
            found.append(Problem("manifest.json", f"$.files.{rel}", "file listed but missing"))
        elif sha256_file(f) != digest:
            found.append(Problem("manifest.json", f"$.files.{rel}", "sha256 does not match the file"))
    return found
