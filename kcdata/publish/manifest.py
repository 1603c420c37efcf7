"""Reading a build's or release's ``manifest.json``, shared by push, release and export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kcdata.errors import KcdataError

MANIFEST = "manifest.json"


def read_manifest(folder: Path, error: type[KcdataError] = KcdataError) -> dict[str, Any]:
    """The manifest of a build or release folder as a dict.

    Args:
        folder: a folder written by ``kcdata build`` or ``kcdata release``.
        error: the error type the caller reports (PublishError, ReleaseError, ExportError).

    Raises:
        error: the manifest is missing, not JSON, or not a JSON object.
    """
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise error(f"{folder} has no {MANIFEST}: it is not a kcdata build folder",
                    "run `kcdata build` first and pass the folder it wrote")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise error(f"{path} is not valid JSON ({exc})", "rebuild the dataset with `kcdata build`") from None
    if not isinstance(data, dict):
        raise error(f"{path} must hold a JSON object", "rebuild the dataset with `kcdata build`")
    return data
