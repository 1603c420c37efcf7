"""Rows rendered in forked workers (:mod:`kcdata.workers`) are the same bytes as rows rendered in the
build's process, whatever the number of workers and the chunking."""

from __future__ import annotations

import json

from kcdata import workers
from kcdata.config import BuildConfig
from kcdata.pipeline import run_build


def test_rendering_in_workers_gives_the_same_build(tmp_path, monkeypatch):
    one = run_build(BuildConfig(workers=1), tmp_path / "w1")
    monkeypatch.setattr(workers, "PARALLEL_MIN", 0)
    monkeypatch.setattr(workers, "CHUNK", 7)
    forked = []
    real = workers.multiprocessing.get_context
    monkeypatch.setattr(workers.multiprocessing, "get_context", lambda m: forked.append(m) or real(m))
    three = run_build(BuildConfig(workers=3), tmp_path / "w3")
    assert forked == ["fork"]  # the rows were rendered by workers
    assert one.files == three.files and sum(one.rows.values()) > 250  # parquet, card, rejects
    m1, m3 = (json.loads((tmp_path / w / "manifest.json").read_text(encoding="utf-8")) for w in ("w1", "w3"))
    assert m1["created_from"].pop("workers") == 1 and m3["created_from"].pop("workers") == 3
    assert m1 == m3


def test_render_all_keeps_input_order(monkeypatch):
    monkeypatch.setattr(workers, "PARALLEL_MIN", 0)
    monkeypatch.setattr(workers, "CHUNK", 3)
    items = list(range(50))
    assert workers.render_all(lambda x: (x, x * x), items, 4) == [(x, x * x) for x in items]
    assert workers.render_all(str, items, 1) == [str(x) for x in items]
    assert workers._JOB is None
