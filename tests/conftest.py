"""Shared test setup: the real fixtures beside the repository, one thread, no network."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
# A private datasets cache per test session: datasets keys the cache of a local folder by its
# name and config, so a folder rebuilt under the same name could be served from an old cache.
os.environ["HF_DATASETS_CACHE"] = tempfile.mkdtemp(prefix="kcdata-hf-datasets-")
# A private kcdata cache too (HTTP responses, dump seek indexes, dump shards): no test reads what
# another run, or the user, left in ~/.cache/kcdata.
os.environ["KCDATA_CACHE_DIR"] = os.path.join(tempfile.mkdtemp(prefix="kcdata-cache-"), "http")

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """The real recorded Wikidata / Wikipedia data in ../shared/fixtures."""
    assert FIXTURES.is_dir(), f"fixtures not found at {FIXTURES}"
    return FIXTURES


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> Path:
    """One default build of the embedded sample, shared by tests that only read it."""
    from kcdata.config import BuildConfig
    from kcdata.pipeline import run_build

    out = tmp_path_factory.mktemp("build") / "sample"
    run_build(BuildConfig(), out)
    return out
