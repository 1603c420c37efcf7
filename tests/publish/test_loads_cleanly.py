"""`datasets.load_dataset` on a built folder prints no warning (issue 13 item 2: the card's
`dataset_info` splits need name, num_bytes and num_examples), for every config."""

from __future__ import annotations

import logging
import warnings

import pytest


def test_load_dataset_prints_no_warning(sample_build, tmp_path, caplog, monkeypatch):
    datasets = pytest.importorskip("datasets")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    configs = [p.name for p in sample_build.iterdir() if p.is_dir()]
    assert configs
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        for config in configs:
            ds = datasets.load_dataset(str(sample_build), config, split="test", cache_dir=str(tmp_path / "cache"))
            assert len(ds) > 0
    noisy = [r.getMessage() for r in caplog.records if r.name.startswith("datasets")]
    assert noisy == [], noisy
    assert [str(w.message) for w in caught if "datasets" in str(w.filename)] == []
