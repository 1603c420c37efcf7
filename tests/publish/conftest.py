"""Fixtures for the publishing tests: a small built folder and a loopback Hub.

Helpers live in ``publish_helpers.py`` (a unique module name: other test folders have their own
``conftest.py``, so test modules must not ``import conftest``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hubserver import HubServer  # noqa: E402
from publish_helpers import OTHER_TOKEN, TOKEN, USER, make_built_folder  # noqa: E402


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A small built dataset folder (Wikidata-only text)."""
    return make_built_folder(tmp_path / "out" / "kc-test")


@pytest.fixture
def hub() -> Iterator[HubServer]:
    """A fresh loopback Hub with two users: alice (TOKEN) and mallory (OTHER_TOKEN)."""
    with HubServer(tokens={TOKEN: USER, OTHER_TOKEN: "mallory"}) as server:
        yield server


def pytest_configure(config: pytest.Config) -> None:
    """Register this folder's marker (pyproject.toml is not ours to edit)."""
    config.addinivalue_line(
        "markers", "real_pipeline: uses kcdata.pipeline.run_build on the bundled sample (no stand-in)"
    )
