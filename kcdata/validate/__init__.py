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
from kcdata.fileio import not_a_file
from kcdata.schemas import Problem, problems


def row_problems(row: dict[str, Any], where: str | None = None) -> list[Problem]:
    """Schema errors plus semantic checks of one dataset row."""
    if not isinstance(row, dict):
        return [Problem(where or "?", "$", f"expected a JSON object (one row), got {_json_kind(row)}")]
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


PARQUET_MAGIC = b"PAR1"


def iter_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Rows of a built dataset folder (parquet per config), one parquet file, or a JSONL file, with
    a location each. A line that is not JSON, or not a JSON object, is yielded as
    ``{"__error__": why}`` for the caller to report with its line number.

    Raises:
        InputError: the path is missing or unreadable, a parquet file is corrupt, or the file is
            neither parquet nor UTF-8 text (one message naming the file; no traceback).
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*/*.parquet"))
        if not files:
            raise InputError(f"{path}: no parquet files found", "pass a folder written by 'kcdata build'")
        for f in files:
            for i, row in enumerate(_parquet_rows(f)):
                yield f"{f.relative_to(path)}#{i}", row
        return
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if (why := not_a_file(path)) is not None:
        raise InputError(f"{path}: {why}", "pass a built folder, one of its parquet files, or a rows .jsonl file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(PARQUET_MAGIC))
            if head == PARQUET_MAGIC:
                fh.close()
                for i, row in enumerate(_parquet_rows(path)):
                    yield f"{path}#{i}", row
                return
            fh.seek(0)
            yield from _jsonl_rows(path, fh)
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror or e})") from None


def _parquet_rows(f: Path) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(f)
    except Exception as e:  # noqa: BLE001 - pyarrow raises several types for corrupt files
        raise InputError(f"{f}: not a readable parquet file ({_first_line(e)})",
                         "rebuild it with `kcdata build`") from None
    yield from table.to_pylist()


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _jsonl_rows(path: Path, fh) -> Iterator[tuple[str, dict[str, Any]]]:
    text_seen = False
    for lineno, raw in enumerate(fh, 1):
        loc = f"{path}:{lineno}"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            if not text_seen:  # a binary file (gzip, an image...), not JSONL with a bad line
                raise InputError(
                    f"{loc}: not a JSONL file of rows (byte {e.start + 1} is not UTF-8 text)",
                    "pass a folder written by `kcdata build`, one of its parquet files, or UTF-8 JSONL",
                ) from None
            yield loc, {"__error__": f"not UTF-8 text (byte {e.start + 1} of the line)"}
            continue
        if not line.strip():
            continue
        text_seen = True
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            yield loc, {"__error__": f"malformed JSON ({e.msg} at column {e.colno})"}
            continue
        except RecursionError:
            yield loc, {"__error__": "malformed JSON (nested too deeply)"}
            continue
        if not isinstance(row, dict):
            yield loc, {"__error__": f"expected a JSON object (one row), got {_json_kind(row)}"}
            continue
        yield loc, row


def _json_kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")


def validate_path(path: Path) -> tuple[int, list[Problem]]:
    """Validate every row of a dataset folder, parquet file or JSONL file. Returns (rows seen,
    problems)."""
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
        config = loc.split("/")[0] if "/" in loc else None
        if config in ("static", "temporal", "disputable") and row.get("kind") != config:
            found.append(Problem(where, "$.kind", f"a {row.get('kind')!r} row in the {config} config's folder"))
        if rid in seen_ids:
            found.append(Problem(where, "$.id", f"duplicate id, first seen at {seen_ids[rid]}"))
        seen_ids.setdefault(rid, loc)
    if Path(path).is_dir():
        found.extend(_check_manifest(Path(path)))
    return n, found


def manifest_problems(manifest: Any, where: str = "manifest.json") -> list[Problem]:
    """Schema errors of a build manifest (``schemas/manifest.schema.json``), plus file names in
    ``files`` that are not plain relative paths inside the folder."""
    found = problems(manifest, "manifest", where)
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if isinstance(files, dict):
        for rel in files:
            parts = rel.replace("\\", "/").split("/")
            if rel.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
                found.append(Problem(where, f"$.files.{rel}", "not a relative path inside the folder"))
    return found


def _check_manifest(folder: Path) -> list[Problem]:
    from kcdata.fileio import sha256_file

    mpath = folder / "manifest.json"
    if not mpath.is_file():
        return [Problem("manifest.json", "$", "missing")]
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        return [Problem("manifest.json", "$", f"not UTF-8 text (byte {e.start + 1})")]
    except json.JSONDecodeError as e:
        return [Problem("manifest.json", "$", f"malformed JSON ({e.msg})")]
    except (OSError, RecursionError) as e:
        return [Problem("manifest.json", "$", f"cannot be read ({e})")]
    found = manifest_problems(manifest, "manifest.json")
    made = manifest.get("created_from") if isinstance(manifest, dict) else None
    if isinstance(made, dict):  # the manifest says the same as the config it records
        for key in ("name", "seed"):
            if key in manifest and key in made and manifest[key] != made[key]:
                found.append(Problem("manifest.json", f"$.{key}",
                                     f"{manifest[key]!r} differs from created_from.{key} {made[key]!r}: edited after the build"))
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict):
        return found
    bad = {p.path for p in found}
    for rel, digest in files.items():
        if f"$.files.{rel}" in bad:
            continue
        f = folder / rel
        if not f.is_file():
            found.append(Problem("manifest.json", f"$.files.{rel}", "file listed but missing"))
        elif sha256_file(f) != digest:
            found.append(Problem("manifest.json", f"$.files.{rel}", "sha256 does not match the file"))
    for f in sorted(folder.glob("*/*.parquet")):  # read as rows above, but no push or release carries it
        rel = f.relative_to(folder).as_posix()
        if rel not in files:
            found.append(Problem("manifest.json", "$.files", f"{rel} is not listed: a file the build did not write"))
    return found
