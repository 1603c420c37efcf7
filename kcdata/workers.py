"""Row rendering in worker processes: the build's slowest stage after extraction, spread over
``--workers`` processes.

Counterfactuals are chosen in the build's process, fact after fact in a fixed order (a choice
depends on how often each substitute was used before it). Rendering a chosen fact into its rows,
one per language, depends on nothing but the fact, its choice and the read-only labels, so
:func:`render_all` hands the chosen facts to forked workers in chunks and collects each fact's rows
and set-aside reasons in input order: the output is the same bytes whatever the number of workers.
Where ``fork`` is not available (macOS and Windows start processes by ``spawn``, which would copy
the whole label store to every worker) or the batch is small, it renders in this process.
"""

from __future__ import annotations

import functools
import multiprocessing
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_MIN = 512
"""Fewest facts worth starting workers for (forking costs tens of milliseconds per worker; a
build renders in batches of ``pipeline.BATCH_FACTS`` facts per worker)."""
CHUNK = 256
"""Facts a worker renders per task."""

RAY_CHUNK_MAX = 8192
"""Most facts per Ray render task: its pickled rows travel as one value (a few hundred MB at most)."""

_JOB: tuple[Callable[[Any], Any], Sequence[Any]] | None = None
"""What forked workers read: the function and the items (inherited, never pickled)."""


def _run(span: tuple[int, int]) -> list[Any]:
    assert _JOB is not None
    fn, items = _JOB
    return [fn(items[i]) for i in range(*span)]


def _chunk(fn: Callable[[T], R], chunk: Sequence[T]) -> list[R]:
    return [fn(x) for x in chunk]


def render_all(fn: Callable[[T], R], items: Sequence[T], workers: int, executor: str = "local",
               ray_address: str | None = None) -> list[R]:
    """``[fn(x) for x in items]``, in ``workers`` forked processes when that pays, or as Ray Data
    tasks of at least :data:`CHUNK` items, four per worker (``executor="ray"``,
    :func:`kcdata.engine.ordered_map`).

    ``fn`` must be pure (its result only depends on its item and on state read-only during the
    call); results come back pickled, in input order.
    """
    global _JOB
    if executor == "ray":
        from kcdata import engine

        # a Ray task unpickles the render function (labels, templates) again: few large tasks
        size = min(max(CHUNK, -(-len(items) // (4 * max(workers, 1)))), RAY_CHUNK_MAX)
        chunks = [items[i:i + size] for i in range(0, len(items), size)]
        out_: list[R] = []
        for part in engine.ordered_map(functools.partial(_chunk, fn), chunks, address=ray_address, cpus=workers):
            out_.extend(part)
        return out_
    if workers <= 1 or len(items) < PARALLEL_MIN or "fork" not in multiprocessing.get_all_start_methods():
        return [fn(x) for x in items]
    spans = [(i, min(i + CHUNK, len(items))) for i in range(0, len(items), CHUNK)]
    _JOB = (fn, items)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            out: list[R] = []
            for part in pool.imap(_run, spans):
                out.extend(part)
            return out
    finally:
        _JOB = None


__all__ = ["CHUNK", "PARALLEL_MIN", "render_all"]
