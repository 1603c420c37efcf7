"""Reading a dump in byte ranges of its decompressed stream, each range by its own process.

One gzip stream decompresses on one core (about 0.8 GB/s here: 40 minutes a pass over the 1.8 TB
of ``latest-all.json``, whatever the number of cores). ``rapidgzip`` (and its bzip2 reader) builds
a seek index of the compressed file once; with it any process can start decoding at any
decompressed offset. :func:`plan` cuts the decompressed stream into ranges and keeps the index in
the cache; :func:`read_range` gives the lines of one range; :func:`iter_lines` reads the ranges in
``workers`` processes and yields every line once, in file order. A plain ``.json`` file is cut by
byte offset the same way, with no index.

Range edges: a line belongs to the range in which it *starts*. A range that does not start at
offset 0 first skips to just past the first newline at or after ``start - 1``, so a line starting
exactly at ``start`` is its own; it then reads whole lines while their start is below ``end``
(reading past ``end`` to finish the last one). So every line is read by exactly one range, with
its exact decompressed offset (tested with 1, 2, 3 and 7 ranges against a single-stream read).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BLOCK = 4 << 20
"""Bytes read at once (``readline`` on a rapidgzip file is slow per call)."""


@dataclass(frozen=True)
class Plan:
    """How a dump is cut: its codec, decompressed size, seek index and ranges."""

    path: str
    codec: str
    """``gzip``, ``bzip2`` or ``plain``."""
    size: int
    """Decompressed bytes."""
    index: str | None
    """The rapidgzip seek index file (None for plain)."""
    ranges: tuple[tuple[int, int], ...]
    """``[start, end)`` decompressed offsets, covering ``[0, size)``."""


def available() -> bool:
    """Whether the parallel decompressor (``rapidgzip``, extra ``parallel``) is installed."""
    try:
        import rapidgzip  # noqa: F401
    except ImportError:
        return False
    return True


def _codec(path: Path) -> str:
    with open(path, "rb") as fh:
        magic = fh.read(3)
    return "gzip" if magic[:2] == b"\x1f\x8b" else "bzip2" if magic == b"BZh" else "plain"


def _open(path: str, codec: str, index: str | None):
    if codec == "plain":
        return open(path, "rb")  # noqa: SIM115 - the caller closes it
    import rapidgzip

    fh = rapidgzip.open(path, parallelization=1)
    if index is not None and os.path.exists(index):
        fh.import_index(index)
    return fh


def index_path(path: str | os.PathLike[str], cache_dir: str | os.PathLike[str], codec: str) -> Path:
    """Where the seek index of a compressed dump is kept: keyed by its path, size and mtime."""
    p = Path(path)
    st = p.stat()
    key = hashlib.sha256(f"{p.resolve()}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:24]
    return Path(cache_dir) / "dump-index" / f"{key}.{codec}idx"


class ParallelStream:
    """A compressed dump decoded by rapidgzip with ``parallel`` threads, each decoding its own
    chunks of the file: the seek index comes from the cache when a pass made it before, and is
    saved there when this pass reaches the end (a build reads the dump twice)."""

    def __init__(self, path: str | os.PathLike[str], parallel: int, cache_dir: str | os.PathLike[str]) -> None:
        import rapidgzip

        self.codec = _codec(Path(path))
        self.index = index_path(path, cache_dir, self.codec)
        self.fh = rapidgzip.open(str(path), parallelization=parallel)
        self.had_index = self.index.exists()
        if self.had_index:
            self.fh.import_index(str(self.index))
        self.at_end = False

    def read(self, n: int = -1) -> bytes:
        try:
            data = self.fh.read(n)
        except RuntimeError as err:  # rapidgzip's word for a corrupt or truncated file
            raise OSError(str(err)) from err
        if not data:
            self.at_end = True
        return data

    def tell(self) -> int:
        return self.fh.tell()

    def tell_compressed(self) -> int:
        return int(self.fh.tell_compressed())

    def close(self) -> None:
        try:
            if self.at_end and not self.had_index:
                self.index.parent.mkdir(parents=True, exist_ok=True)
                tmp = f"{self.index}.tmp-{os.getpid()}"
                self.fh.export_index(tmp)
                os.replace(tmp, self.index)
        except OSError:
            pass  # a cache that cannot be written only costs the next pass its index
        finally:
            self.fh.close()


def plan(path: str | os.PathLike[str], n: int, cache_dir: str | os.PathLike[str]) -> Plan:
    """Cut ``path`` into ``n`` ranges of about equal decompressed size. The seek index of a
    compressed file is built on the first call (one pass) and kept in ``cache_dir`` under a key of
    the file's path, size and modification time; later calls reuse it."""
    p = Path(path)
    codec = _codec(p)
    index = None
    if codec == "plain":
        size = p.stat().st_size
    else:
        index = str(index_path(p, cache_dir, codec))
        with _open(str(p), codec, index) as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            if not os.path.exists(index):
                Path(index).parent.mkdir(parents=True, exist_ok=True)
                tmp = f"{index}.tmp-{os.getpid()}"
                fh.export_index(tmp)
                os.replace(tmp, index)
    n = max(1, min(n, size or 1))
    cuts = [size * i // n for i in range(n + 1)]
    return Plan(str(p), codec, size, index, tuple((cuts[i], cuts[i + 1]) for i in range(n)))


def read_range(p: Plan, start: int, end: int) -> Iterator[tuple[int, bytes]]:
    """``(offset, line)`` of every line that starts in ``[start, end)``, the line without its
    newline, read in :data:`BLOCK` blocks."""
    with _open(p.path, p.codec, p.index) as fh:
        pos = start
        if start > 0:
            fh.seek(start - 1)
            pos = start - 1
            buf = b""
            while True:  # skip the tail of the line that began before the range
                block = fh.read(BLOCK)
                if not block:
                    return
                buf = block
                nl = buf.find(b"\n")
                if nl != -1:
                    pos += nl + 1
                    buf = buf[nl + 1:]
                    break
                pos += len(buf)
        else:
            fh.seek(0)
            buf = b""
        at, i = pos, 0  # at: decompressed offset of buf[i], the start of a line
        while at < end:
            nl = buf.find(b"\n", i)
            if nl == -1:
                block = fh.read(BLOCK)
                if not block:
                    if i < len(buf):
                        yield at, buf[i:]
                    return
                buf, i = buf[i:] + block, 0
                continue
            yield at, buf[i:nl]
            at += nl + 1 - i
            i = nl + 1


RANGE_BYTES = 64 << 20
"""Decompressed bytes per range at most (a range's results travel back to the reader at once)."""


def _map_range(args: tuple[Plan, int, int, Callable[[int, bytes], Any] | None]) -> list[Any]:
    p, start, end, fn = args
    if fn is None:
        return list(read_range(p, start, end))
    return [r for off, line in read_range(p, start, end) if (r := fn(off, line)) is not None]


def map_ranges(path: str | os.PathLike[str], workers: int, cache_dir: str | os.PathLike[str],
               fn: Callable[[int, bytes], Any] | None = None, ranges: int | None = None) -> Iterator[Any]:
    """``fn(offset, line)`` for every line of the dump, run where the range is decompressed, the
    non-None results yielded in file order (``fn`` None: the ``(offset, line)`` pairs). Ranges:
    ``ranges``, else at least ``4 * workers`` and at most :data:`RANGE_BYTES` each; ``workers``
    processes, each decoding its own ranges from the shared seek index. ``fn`` must be a
    module-level function (it is sent to the workers)."""
    p = plan(path, ranges or max(4 * workers, 1), cache_dir)
    if ranges is None and p.size > RANGE_BYTES * len(p.ranges):
        p = plan(path, -(-p.size // RANGE_BYTES), cache_dir)
    jobs = [(p, s, e, fn) for s, e in p.ranges]
    if workers <= 1:
        for job in jobs:
            yield from _map_range(job)
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with multiprocessing.get_context(method).Pool(workers) as pool:
        for part in pool.imap(_map_range, jobs):
            yield from part


def iter_lines(path: str | os.PathLike[str], workers: int, cache_dir: str | os.PathLike[str],
               ranges: int | None = None) -> Iterator[tuple[int, bytes]]:
    """Every line of the dump once, in file order, as ``(decompressed offset, line)``."""
    return map_ranges(path, workers, cache_dir, None, ranges)


__all__ = ["BLOCK", "RANGE_BYTES", "ParallelStream", "Plan", "index_path", "available", "iter_lines", "map_ranges", "plan", "read_range"]
