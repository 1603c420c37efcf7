"""Reading a build's or release's ``manifest.json``, shared by push, release and export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kcdata.errors import KcdataError

MANIFEST = "manifest.json"
MAX_ECHO = 200
"""Longest schema message quoted in an error (a tampered value is cut, never printed whole)."""


def read_manifest(folder: Path, error: type[KcdataError] = KcdataError) -> dict[str, Any]:
    """The manifest of a build or release folder as a dict, checked against
    ``schemas/manifest.schema.json`` (so every key a command reads is there, with its type) and
    with only relative paths inside the folder in ``files``.

    Args:
        folder: a folder written by ``kcdata build`` or ``kcdata release``.
        error: the error type the caller reports (PublishError, ReleaseError, ExportError).

    Raises:
        error: the manifest is missing, unreadable, not UTF-8 JSON, not a JSON object, or does not
            match the schema (the message names the file and the first problem).
    """
    from kcdata.validate import manifest_problems

    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise error(f"{folder} has no {MANIFEST}: it is not a kcdata build folder",
                    "run `kcdata build` first and pass the folder it wrote")
    rebuild = "rebuild the dataset with `kcdata build`"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise error(f"{path} is not valid JSON (byte {exc.start + 1} is not UTF-8 text)", rebuild) from None
    except (ValueError, RecursionError) as exc:
        raise error(f"{path} is not valid JSON ({exc})", rebuild) from None
    except OSError as exc:
        raise error(f"{path} cannot be read ({exc.strerror or exc})", "check the file's permissions") from None
    if not isinstance(data, dict):
        raise error(f"{path} must hold a JSON object", rebuild)
    found = manifest_problems(data, str(path))
    if found:
        first = found[0]
        message = first.message if len(first.message) <= MAX_ECHO else first.message[:MAX_ECHO] + "..."
        more = f" (and {len(found) - 1} more problem{'s' if len(found) > 2 else ''})" if len(found) > 1 else ""
        raise error(f"{path} is not a valid kcdata manifest: {first.path}: {message}{more}",
                    f"{rebuild}; `kcdata validate {folder}` lists every problem")
    return data
