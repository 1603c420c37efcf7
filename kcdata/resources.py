"""Locate the data folders shipped with kcdata (templates/, schemas/, the embedded sample).

In a source checkout they sit at the repository root; in an installed wheel they are mapped into the
package as ``kcdata._templates`` and ``kcdata._schemas`` (see pyproject.toml).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def _resource(name: str) -> Path:
    checkout = _ROOT / name
    if checkout.is_dir() and (_ROOT / "pyproject.toml").is_file():
        return checkout
    spec = importlib.util.find_spec(f"kcdata._{name}")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    raise FileNotFoundError(f"kcdata resource folder {name!r} not found; reinstall kcdata")


def templates_dir() -> Path:
    """The ``templates/`` folder (relations/, cards/, rules/)."""
    return _resource("templates")


def schemas_dir() -> Path:
    """The ``schemas/`` folder of JSON Schemas."""
    return _resource("schemas")


def sample_dir() -> Path:
    """The embedded real Wikidata sample bundled inside the package."""
    return Path(__file__).resolve().parent / "data" / "sample"
