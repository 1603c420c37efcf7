"""``iter_dump(ranged=True)``: every worker decodes and scans its own ranges of the dump's
decompressed stream (:mod:`kcdata.sources.ranges`); this process numbers lines, records what was
set aside and yields the results in dump order, as the single-stream path of
:func:`kcdata.sources.dump.iter_dump` does."""

from __future__ import annotations

import functools
import os
import re
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from kcdata.errors import SourceError
from kcdata.facts.checks import Quarantine
from kcdata.sources.dump_scan import (
    DumpError,
    DumpOutput,
    _init_worker,
    _LineError,
    _numbered,
    _unpack,
    record_scan,
)


def ranged_plan(path: str | os.PathLike[str], workers: int, index_dir: str | os.PathLike[str]) -> Any:
    """The ranges of a dump and its first and last bytes, or None when rapidgzip cannot index it."""
    from kcdata.sources import ranges

    try:
        p = ranges.plan(path, max(4 * workers, -(-Path(path).stat().st_size * 8 // ranges.RANGE_BYTES)), index_dir)
        with ranges._open(p.path, p.codec, p.index) as fh:  # the checks the reader makes on the stream
            head = fh.read(64)
            fh.seek(max(0, p.size - 64))
            tail = fh.read(64).rstrip()
    except Exception:  # noqa: BLE001 - rapidgzip raises several types for a broken file
        return None
    return p, head, tail


def _scan_with(job: Any, p: Any, chunk_bytes: int, span: tuple[int, int]) -> list[Any]:
    """:func:`kcdata.sources.dump_scan._scan_range` in a Ray task (no pool initializer there)."""
    from kcdata.sources.dump_scan import _scan_range

    _init_worker(job)
    return _scan_range(p, span[0], span[1], chunk_bytes)


def _ranges_by_ray(job: Any, p: Any, chunk_bytes: int, workers: int, address: str | None) -> Iterator[list[Any]]:
    """Every range's packed chunks, in order, each range a Ray Data task (:mod:`kcdata.engine`)."""
    from kcdata import engine

    yield from engine.ordered_map(functools.partial(_scan_with, job, p, chunk_bytes), list(p.ranges),
                                  address=address, cpus=workers)


def _ranges_by_pool(job: Any, p: Any, chunk_bytes: int, workers: int) -> Iterator[list[Any]]:
    """Every range's packed chunks, in order, with at most ``2 * workers`` ranges in flight."""
    from kcdata.sources.dump_scan import _scan_range

    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(job,)) as pool:
        futures: deque[Any] = deque()
        jobs = iter(p.ranges)
        for s_e in jobs:
            futures.append(pool.submit(_scan_range, p, s_e[0], s_e[1], chunk_bytes))
            if len(futures) >= 2 * workers:
                break
        try:
            while futures:
                parts = futures.popleft().result()
                nxt = next(jobs, None)
                if nxt is not None:
                    futures.append(pool.submit(_scan_range, p, nxt[0], nxt[1], chunk_bytes))
                yield parts
        finally:
            for f in futures:
                f.cancel()


def _task_errors(ranges: Iterator[list[Any]], path: Any, executor: str) -> Iterator[list[Any]]:
    """A worker or Ray task that died or raised (a node without the dump at the same path, say)
    as one clear error, not a traceback of the task."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        yield from ranges
    except BrokenProcessPool as err:
        raise SourceError(f"a worker reading {Path(path).name} died ({err})",
                          "out of memory? try fewer --workers") from None
    except Exception as err:
        if executor != "ray" or type(err).__module__.split(".")[0] != "ray":
            raise
        # Ray wraps the task's own error (its remote traceback in the text): name the first one
        found = re.search(r"^(\w*(?:Error|Exception)): (.+)$", str(err), re.MULTILINE)
        what = f"{found.group(1)}: {found.group(2)}" if found else f"{type(err).__name__}: {err}".splitlines()[0]
        raise SourceError(f"a Ray task reading {path} failed: {what}",
                          "every Ray node needs the dump and the cache folder at the same path "
                          "(a shared file system), and kcdata installed") from None


def iter_ranged(path: str | os.PathLike[str], planned: Any, job: Any, workers: int, chunk_bytes: int,
                 stats: Any, require_end: bool, quarantine: Quarantine | None,
                 executor: str = "local", ray_address: str | None = None) -> Iterator[Any]:
    """:func:`iter_dump` with every worker decoding and scanning its own ranges
    (:func:`kcdata.sources.dump_scan._scan_range`), in local processes or Ray tasks
    (``executor``); results, problems and errors are numbered and yielded here in dump order, as
    the single-stream path does."""
    t0 = time.perf_counter()
    records = job.output is DumpOutput.RECORDS
    p, head, tail = planned
    first = head.lstrip()[:1]
    if first not in (b"[", b"{"):
        raise DumpError(f"{Path(path).name} is not a Wikidata JSON dump: "
                        + (f"it starts with {head[:40]!r}" if first else "it is empty"),
                        "pass latest-all.json[.gz|.bz2] (one JSON array, one entity per line) or JSON Lines of entities")
    line = 1
    ranges = (_ranges_by_ray(job, p, chunk_bytes, workers, ray_address) if executor == "ray"
              else _ranges_by_pool(job, p, chunk_bytes, workers))
    try:
        for parts in _task_errors(ranges, path, executor):
            for part in parts:
                if isinstance(part, _LineError):
                    raise _numbered(part, line) from None
                scanned = _unpack(part[:6], records)
                stats.bytes_in += part[6]
                line += record_scan(scanned, line, stats, quarantine, str(path))
                yield from scanned[2]
    finally:
        close = getattr(ranges, "close", None)
        if close is not None:
            close()
    if require_end and first == b"[" and not tail.endswith(b"]"):
        raise DumpError(f"dump is truncated: the JSON array is not closed with ']' (the stream ends at decompressed "
                        f"byte {p.size:,}, line {line - 1:,})",
                        "the download or decompression stopped early: download the file again")
    stats.seconds = time.perf_counter() - t0


__all__ = ["iter_ranged", "ranged_plan"]
