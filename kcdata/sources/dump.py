"""Stream the Wikidata JSON dump (``latest-all.json`` — ``.gz``, ``.bz2`` or plain) at speed.

The dump is one JSON array with one entity per line (``[``, then ``{...},`` lines, then ``]``);
the full file is ~140 GB gzipped and ~1.8 TB of JSON, so everything here is streaming:

1. One reader decompresses (python-isal's ``igzip`` in a helper thread where installed, else the
   stdlib) and cuts the stream into multi-megabyte chunks at line boundaries (:func:`open_dump`,
   :func:`iter_chunks`).
2. Each chunk goes whole to a worker (``workers = N >= 2``: this process and ``N - 1`` helper
   processes take turns, with a bounded number of chunks in flight, so memory stays constant;
   ``workers = 1``: all in the calling process).
3. The worker (:mod:`kcdata.sources.dump_scan`) pre-filters raw bytes — a line is looked at only
   if it contains the key of an asked property (``"P6":``, one regex for all) or, for the label
   pass, an asked entity id — then makes what the asked :class:`DumpOutput` names straight from
   the raw line: :class:`~kcdata.facts.fast.EntityRecord` objects (what a build keeps),
   :class:`~kcdata.types.Entity` labels and kind, or entity dicts (:func:`kcdata.facts.slim.fast_slim`:
   labels, aliases, the statement lists of the asked relations, sitelinks).
4. Results come back in input order.

:func:`iter_records` makes the build's two passes: subject records, then the labels of the
entities they reference.

Corrupt or truncated input raises :class:`DumpError` naming the line and byte offset; nothing is
written by this module, and callers write their outputs atomically after the stream ends, so a
failure leaves no half-written file.
"""

from __future__ import annotations

import bz2
import gzip
import logging
import os
import re
import sys
import time
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from kcdata.errors import ConfigError
from kcdata.facts import MAX_LINE_BYTES
from kcdata.facts.checks import Quarantine
from kcdata.facts.fast import BACKEND as RECORD_BACKEND
from kcdata.facts.fast import EntityRecord
from kcdata.facts.slim import JSON_BACKEND
from kcdata.sources.dump_scan import (
    DumpError,
    DumpOutput,
    _braces,
    _init_worker,
    _Job,
    _LineError,
    _numbered,
    _scan,
    _scan_packed,
    _unpack,
    property_needles,
    record_scan,
)
from kcdata.types import Entity

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "GZIP_BACKEND",
    "Chunk",
    "DumpError",
    "DumpOutput",
    "DumpStats",
    "dump_date",
    "iter_chunks",
    "iter_dump",
    "iter_records",
    "open_dump",
]

log = logging.getLogger(__name__)

DEFAULT_CHUNK_BYTES = 8 << 20
"""Bytes of decompressed JSON handed to a worker at once (cut at a line end)."""

try:  # optional fast gzip (extra "fast")
    from isal import igzip as _igzip
    from isal import igzip_threaded as _igzip_threaded

    GZIP_BACKEND = "isal"
except ImportError:  # pragma: no cover - depends on the environment
    _igzip = None
    _igzip_threaded = None
    GZIP_BACKEND = "gzip"

_DATE_RE = re.compile(r"(?<!\d)(20\d{6})(?!\d)")


@dataclass
class DumpStats:
    """Counters of one pass over a dump (updated as the stream goes)."""

    bytes_in: int = 0
    """Decompressed bytes read."""
    entities: int = 0
    """Entity lines seen."""
    candidates: int = 0
    """Lines that passed the raw-byte pre-filter and were parsed."""
    results: int = 0
    """Non-``None`` results of the per-entity function."""
    seconds: float = 0.0
    """Wall time of the pass."""
    backends: dict[str, str] = field(default_factory=dict)
    """Decompressor and JSON parser used."""


# -- opening -----------------------------------------------------------------------------------


def open_dump(path: str | os.PathLike[str], *, threaded: bool = True, parallel: int = 0,
              index_dir: str | os.PathLike[str] | None = None) -> tuple[BinaryIO, BinaryIO]:
    """Open a dump for reading decompressed bytes, choosing the codec by magic bytes.

    Args:
        path: ``.json``, ``.json.gz`` or ``.json.bz2`` (the extension is not trusted).
        threaded: Decompress gzip in a helper thread when python-isal is installed.
        parallel: With ``parallel >= 2``, ``index_dir`` and rapidgzip installed (extra
            ``parallel``), a ``.gz`` or ``.bz2`` dump is decoded by that many threads, each its
            own chunks of the file, with a seek index cached in ``index_dir``
            (:class:`kcdata.sources.ranges.ParallelStream`); the bytes are the same.

    Returns:
        ``(decompressed stream, raw file)``; the raw file's ``tell()`` gives the compressed
        position for error messages. Close the first one when done.

    Raises:
        ConfigError: The path does not exist.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(
            f"dump file not found: {p}",
            "download latest-all.json.gz from https://dumps.wikimedia.org/wikidatawiki/"
            "entities/ and pass its path",
        )
    raw = open(p, "rb")  # noqa: SIM115 - closed with the stream
    magic = raw.read(3)
    raw.seek(0)
    if parallel >= 2 and index_dir is not None and (magic[:2] == b"\x1f\x8b" or magic == b"BZh"):
        from kcdata.sources import ranges

        if ranges.available():
            raw.close()
            stream = ranges.ParallelStream(p, parallel, index_dir)
            return stream, _CompressedTell(stream)  # type: ignore[return-value]
    if magic[:2] == b"\x1f\x8b":
        if _igzip_threaded is not None and threaded:
            raw.close()
            stream = _igzip_threaded.open(p, "rb", threads=1)
            return stream, _TellProxy(stream)
        if _igzip is not None:
            return _igzip.IGzipFile(fileobj=raw, mode="rb"), raw
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw
    if magic == b"BZh":
        return bz2.BZ2File(raw, "rb"), raw
    return raw, raw


class _CompressedTell:
    """The raw-file stand-in for a :class:`~kcdata.sources.ranges.ParallelStream`."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def tell(self) -> int:
        try:
            return self._stream.tell_compressed()
        except (OSError, ValueError, AttributeError):
            return -1

    def close(self) -> None:
        pass


class _TellProxy:
    """Stand-in for the raw file when the threaded reader owns it (position unknown)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def tell(self) -> int:
        """The compressed file's position (the reader thread reads a block or two ahead), -1 unknown."""
        reader = getattr(self._stream, "raw", None)  # isal's _ThreadedGzipReader
        compressed = getattr(reader, "raw", None) or getattr(reader, "fileobj", None)
        try:
            return int(compressed.tell()) if compressed is not None else -1
        except (OSError, ValueError, AttributeError):
            return -1


def dump_date(path: str | os.PathLike[str]) -> str | None:
    """The dump date from a file name such as ``wikidata-20240101-all.json.gz``, as YYYY-MM-DD."""
    m = _DATE_RE.search(Path(path).name)
    if not m:
        return None
    s = m.group(1)
    return f"{s[:4]}-{s[4:6]}-{s[6:]}"


@dataclass(frozen=True)
class Chunk:
    """A run of whole lines of the decompressed dump."""

    data: bytes
    """The bytes, ending with a newline (except possibly the very last chunk)."""
    offset: int
    """Decompressed byte offset of ``data[0]``. Chunks carry no line number: lines are counted by
    whoever scans a chunk, and only the one process that sees every chunk in order can number
    them (see :func:`iter_dump`)."""
    last: bool
    """Whether this is the end of the stream."""


def iter_chunks(
    stream: BinaryIO,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    raw: Any = None,
) -> Iterator[Chunk]:
    """Cut a decompressed stream into chunks of whole lines.

    Args:
        stream: Decompressed byte stream.
        chunk_bytes: Target chunk size.
        raw: Raw (compressed) file, for the compressed position in error messages.

    Yields:
        Chunks in order (lines are not counted here: that would be a pass over every byte).

    Raises:
        _LineError: Decompression failed (corrupt or truncated file); its line number counts
            from the start of the next chunk.
    """
    offset = 0
    rest = b""
    while True:
        try:
            block = stream.read(chunk_bytes)
        except (EOFError, OSError, zlib.error, ValueError) as err:
            pos = raw.tell() if raw is not None else -1
            where = f" near compressed byte {pos:,}" if pos and pos > 0 else ""
            raise _LineError(
                f"dump is corrupt or truncated: decompression failed after decompressed byte "
                f"{offset + len(rest):,} (line {{line}}){where}: {_braces(str(err))}",
                "download the file again (compare its sha1 with the one on dumps.wikimedia.org)",
                rest.count(b"\n"),
            ) from err
        if not block:
            yield Chunk(rest, offset, True)
            return
        cut = block.rfind(b"\n")
        if cut == -1:
            rest += block
            if len(rest) > MAX_LINE_BYTES:
                raise _LineError(
                    f"dump line {{line}} (decompressed byte {offset:,}) is longer than "
                    f"{MAX_LINE_BYTES >> 20} MiB: no Wikidata entity is",
                    "pass a Wikidata JSON dump (one entity per line)",
                )
            continue
        # one copy of the block at most: large copies are a real share of the reader's time
        if not rest and cut == len(block) - 1:
            data = block
        else:
            data = b"".join((rest, memoryview(block)[: cut + 1]))
        rest = block[cut + 1 :]
        yield Chunk(data, offset, False)
        offset += len(data)


# -- the stream --------------------------------------------------------------------------------


class _Progress:
    """A tqdm bar over the dump file's bytes (rate, ETA), with entities/s and kept in its postfix."""

    def __init__(self, enabled: bool, label: str, path: str | os.PathLike[str]) -> None:
        from tqdm.auto import tqdm

        self.t0 = time.perf_counter()
        self.raw: Any = None
        try:
            total = os.path.getsize(path)
        except OSError:
            total = None
        self.bar = tqdm(total=total, desc=label, unit="B", unit_scale=True, disable=not enabled,
                        mininterval=2.0, delay=2.0, file=sys.stderr, dynamic_ncols=True, leave=True)

    def update(self, stats: DumpStats, final: bool = False) -> None:
        if self.bar.disable:
            return
        try:
            pos = self.raw.tell() if self.raw is not None else None
        except (OSError, ValueError, AttributeError):
            pos = None
        if pos is None or pos < 0 or (self.bar.total and pos > self.bar.total):
            pos = self.bar.n  # position unknown: the bar stands, the postfix moves
        if final and self.bar.total:
            pos = self.bar.total
        if pos > self.bar.n:
            self.bar.update(pos - self.bar.n)
        rate = stats.entities / max(time.perf_counter() - self.t0, 1e-9)
        self.bar.set_postfix_str(f"{stats.entities:,} entities ({rate:,.0f} entities/s), {stats.results:,} kept",
                                 refresh=False)
        if final:  # a pass shorter than the bar's delay still ends with its line (a failed one does not)
            self.bar.refresh()
            early = self.bar.last_print_t < self.bar.start_t + self.bar.delay  # then close() ends no line
            self.bar.close()
            if early:
                self.bar.fp.write("\n")
                self.bar.fp.flush()


_NOTICED: set[str] = set()


def _notice_slow_backends(backends: dict[str, str], gz: bool) -> None:
    """Say once per process when the fast dump path is missing (its wheels are default
    dependencies, but a platform without them falls back to the standard library's reader)."""
    missing = [m for m, gone in (("isal", gz and backends["gzip"] != "isal"),
                                 ("msgspec", backends["json"] == "dict"),
                                 ("orjson", backends["json"] == "json")) if gone]
    if missing and ", ".join(missing) not in _NOTICED:
        _NOTICED.add(", ".join(missing))
        log.warning("the fast dump path is not installed (%s missing): reading with the standard library, "
                    "about 3x slower; pip install %s", ", ".join(missing), " ".join(missing))


def iter_dump(
    path: str | os.PathLike[str],
    *,
    output: DumpOutput = DumpOutput.RECORDS,
    relations: Iterable[str] | None = None,
    ids: Iterable[str] | None = None,
    languages: Iterable[str] | None = None,
    qualifiers: Iterable[str] | None = None,
    workers: int = 1,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    progress: bool = False,
    stats: DumpStats | None = None,
    max_in_flight: int | None = None,
    require_end: bool = True,
    quarantine: Quarantine | None = None,
    decompress_workers: int = 0,
    index_dir: str | os.PathLike[str] | None = None,
    ranged: bool = False,
    executor: str = "local",
    ray_address: str | None = None,
) -> Iterator[Any]:
    """Stream a dump and yield what ``output`` names for each entity kept, in dump order.

    Args:
        path: The dump (``.json``, ``.json.gz``, ``.json.bz2``).
        output: What to yield (see :class:`DumpOutput`), made in the workers straight from the
            raw line:

            * ``RECORDS`` (default; what a build keeps): an
              :class:`~kcdata.facts.fast.EntityRecord` (entity info, facts of ``relations``,
              referenced ids) per entity with a statement for ``relations`` (needed), msgspec
              with the ``fast`` extra: the fastest way from a dump to facts;
            * ``LABELS``: an :class:`~kcdata.types.Entity` (labels, aliases and kind) per id
              of ``ids`` (needed);
            * ``SLIM``: slim entity dicts (:func:`kcdata.facts.slim.slim_entity`, built by
              :func:`kcdata.facts.slim.fast_slim`: terms, the statement lists of ``relations``
              without their references, sitelinks; every claim without ``relations``);
            * ``TERMS``: :func:`kcdata.facts.slim.terms_only` dicts of ``ids`` (needed);
            * ``FULL``: whole entity dicts (no ``relations``, ``languages`` or ``qualifiers``).
        relations: Property ids (``RECORDS``, ``SLIM``); only entities whose raw line contains
            one of their keys are parsed, and only those with a statement for one are kept.
        ids: Entity ids to keep (``None``: all). With ``relations`` too, both must match.
        languages: Languages of the labels and aliases kept (``None``: all; Wikidata's ``mul``
            is always kept too).
        qualifiers: With ``RECORDS``, the qualifier properties facts keep (``None``: all).
        workers: ``1`` runs in this process; ``N >= 2`` runs ``N`` helper processes while this
            one decompresses, dispatches and unpacks, or, on a machine without a core to spare,
            ``N - 1`` helpers and this process scans a chunk itself whenever every helper
            already has one running and one queued.
        chunk_bytes: Decompressed bytes per chunk.
        progress: Write a progress line with entities/s to stderr.
        stats: Filled with counters as the stream goes.
        max_in_flight: Chunks in flight at once (default ``2 * helpers + 2``); bounds memory.
        require_end: A stream that opens the JSON array with ``[`` must close it with ``]``;
            otherwise it is reported as truncated. Pass ``False`` for excerpts (``head -n``).
        quarantine: Where a line that cannot be read, or an entity or statement that fails its
            checks (:mod:`kcdata.facts.checks`), is set aside with its line and byte offset, in
            dump order, and the stream goes on (a strict quarantine raises at the first). Without
            it such a line raises :class:`DumpError` and a failing statement is left out.
        decompress_workers: Decode a ``.gz``/``.bz2`` dump with that many threads (rapidgzip,
            extra ``parallel``; see :func:`open_dump`), its seek index cached in ``index_dir``.
        ranged: With ``workers >= 2``, ``index_dir`` and rapidgzip: each worker decodes its own
            ranges of the decompressed stream from the cached seek index and scans them
            (:func:`_iter_ranged`); this process only numbers and collects. Same results.
        executor: ``ray``: the ranges are read by Ray Data tasks (:mod:`kcdata.engine`, extra
            ``ray``; ``workers`` CPUs of a local Ray, or the cluster at ``ray_address``), which
            needs ``index_dir`` and, for a compressed dump, rapidgzip. Same results.

    Yields:
        Per-entity results.

    Raises:
        DumpError: Corrupt or truncated input (line and byte offset named).
        ConfigError: Missing file, or arguments ``output`` does not take or lacks.
        InputError: With a strict ``quarantine``, the first line or statement that fails.
    """
    if workers < 1:
        raise ConfigError(f"workers must be >= 1, got {workers}", "pass --workers 1 or more")
    output = _output(output, relations, ids, languages, qualifiers)
    rel = frozenset(relations) if relations is not None else None
    idset = frozenset(ids) if ids is not None else None
    # "mul" (default for all languages) labels count for every language
    langs = frozenset(languages) | {"mul"} if languages is not None else None
    # no relations asked (an empty set): every line is filtered out
    needles = property_needles(rel) if rel is not None else None
    quals = frozenset(qualifiers) if qualifiers is not None else None
    job = _Job(needles, idset, output, rel, langs, quals, quarantine is not None)
    records = output is DumpOutput.RECORDS
    stats = stats if stats is not None else DumpStats()
    stats.backends = {
        "gzip": GZIP_BACKEND,
        "json": RECORD_BACKEND if output in (DumpOutput.RECORDS, DumpOutput.LABELS) else JSON_BACKEND,
    }
    _notice_slow_backends(stats.backends, str(path).endswith(".gz"))
    if executor == "ray":
        _ray_ready(path, index_dir)
    if (ranged and workers >= 2 or executor == "ray") and index_dir is not None:
        from kcdata.sources import ranges
        from kcdata.sources.dump_ranged import iter_ranged, ranged_plan

        planned = ranged_plan(path, workers, index_dir) if ranges.available() else None
        if planned is not None:  # else (a corrupt or truncated file) the stream path says what is wrong
            yield from iter_ranged(path, planned, job, workers, chunk_bytes, stats, require_end, quarantine,
                                   executor, ray_address)
            return
    prog = _Progress(progress, f"dump {Path(path).name}", path)
    t0 = time.perf_counter()
    stream, raw = open_dump(path, parallel=decompress_workers, index_dir=index_dir)
    prog.raw = raw
    try:
        # Lines are counted by whoever scans a chunk (skipping the bytes of the lines it
        # parses), not by the reader; `line` is the first line of the next chunk to be taken,
        # and errors raised as _LineError get their absolute line number here, in order.
        line = 1
        chunks = iter_chunks(stream, chunk_bytes, raw)
        state = {"open": False, "closed": False}

        def counted(chunks_: Iterator[Chunk]) -> Iterator[Chunk]:
            for c in chunks_:
                stats.bytes_in += len(c.data)
                if c.offset == 0:
                    first = c.data[:64].lstrip()[:1]
                    if first not in (b"[", b"{"):
                        raise DumpError(
                            f"{Path(path).name} is not a Wikidata JSON dump: "
                            + (f"it starts with {c.data[:40]!r}" if first else "it is empty"),
                            "pass latest-all.json[.gz|.bz2] (one JSON array, one entity per line) "
                            "or JSON Lines of entities",
                        )
                    state["open"] = first == b"["
                tail = c.data[-64:].rstrip() or c.data.rstrip()  # rarely copies the chunk
                if tail:
                    state["closed"] = tail.endswith(b"]")
                if c.last and require_end and state["open"] and not state["closed"]:
                    raise _LineError(
                        "dump is truncated: the JSON array is not closed with ']' (the stream "
                        f"ends at decompressed byte {c.offset + len(c.data):,}, line {{line}})",
                        "the download or decompression stopped early: download the file again",
                        c.data.count(b"\n"),
                    )
                yield c

        def tally(*scanned: Any) -> list[Any]:
            nonlocal line
            line += record_scan(scanned, line, stats, quarantine, str(path))
            return scanned[2]

        if workers <= 1:
            try:
                for chunk in counted(chunks):
                    yield from tally(*_scan(chunk.data, chunk.offset, job))
                    prog.update(stats)
            except _LineError as err:
                raise _numbered(err, line) from None
        else:
            # With a core to spare, `workers` helper processes scan every chunk and this process
            # only decompresses, dispatches and unpacks. Without one (workers >= cores),
            # `workers - 1` helpers scan, and this process scans a chunk itself whenever every
            # helper has one running and one queued: its own share needs no pickling.
            main_scans = (os.cpu_count() or 1) <= workers
            helpers = workers - 1 if main_scans else workers
            limit = max(max_in_flight or 2 * helpers + 2, 2)
            with ProcessPoolExecutor(
                max_workers=helpers, initializer=_init_worker, initargs=(job,)
            ) as pool:
                # in input order: a helper's future, results made here, or an error made here
                pending: deque[Any] = deque()

                def take(item: Any) -> list[Any]:
                    try:
                        if isinstance(item, _LineError):
                            raise item
                        if isinstance(item, Future):
                            scanned = _unpack(item.result(), records)
                        else:
                            scanned = item
                    except _LineError as err:
                        raise _numbered(err, line) from None
                    return tally(*scanned)

                try:
                    try:
                        for chunk in counted(chunks):
                            busy = sum(1 for f in pending if isinstance(f, Future) and not f.done())
                            if main_scans and busy >= 2 * helpers:
                                try:
                                    pending.append(_scan(chunk.data, chunk.offset, job))
                                except _LineError as err:
                                    pending.append(err)
                            else:
                                pending.append(pool.submit(_scan_packed, chunk.data, chunk.offset))
                            while len(pending) >= limit or (
                                pending and (not isinstance(pending[0], Future) or pending[0].done())
                            ):
                                yield from take(pending.popleft())
                                prog.update(stats)
                    except _LineError as err:  # the reader's: the chunks before it come first
                        pending.append(err)
                    while pending:
                        yield from take(pending.popleft())
                        prog.update(stats)
                finally:
                    for item in pending:
                        if isinstance(item, Future):
                            item.cancel()
    finally:
        stream.close()
        if raw is not stream and hasattr(raw, "close"):
            raw.close()
        stats.seconds = time.perf_counter() - t0
    prog.update(stats, final=True)


def _ray_ready(path: str | os.PathLike[str], index_dir: Any) -> None:
    """What ``executor="ray"`` needs: Ray, a cache folder for the seek index, and rapidgzip."""
    from kcdata import engine
    from kcdata.sources import ranges

    engine.require()
    if index_dir is None:
        raise ConfigError("executor ray reads a dump in ranges: it needs index_dir", "pass index_dir (a cache folder)")
    if not ranges.available():
        raise ConfigError("--executor ray reads a dump in ranges of its decompressed stream, which needs rapidgzip",
                          "pip install 'kcdata[ray]' (it includes rapidgzip), or use --executor local")


def _output(
    output: DumpOutput | str,
    relations: Iterable[str] | None,
    ids: Iterable[str] | None,
    languages: Iterable[str] | None,
    qualifiers: Iterable[str] | None,
) -> DumpOutput:
    """``output`` as a :class:`DumpOutput`, checked against the arguments it needs and takes.

    Raises:
        ConfigError: An unknown output, or arguments it lacks or does not take.
    """
    try:
        out = DumpOutput(output)
    except ValueError:
        names = ", ".join(f"DumpOutput.{m}" for m in DumpOutput.__members__)
        raise ConfigError(f"unknown dump output {output!r}", f"pass one of {names}") from None
    name = f"DumpOutput.{out.name}"
    if out is DumpOutput.RECORDS and relations is None:
        raise ConfigError(f"{name} needs relations", "pass the relations whose facts are wanted")
    if out in (DumpOutput.LABELS, DumpOutput.TERMS):
        if ids is None:
            raise ConfigError(f"{name} needs ids", "pass the ids whose labels are wanted")
        if relations is not None:
            raise ConfigError(
                f"{name} reads the labels of ids, not relations",
                "pass ids only (DumpOutput.RECORDS or DumpOutput.SLIM read the claims of relations)",
            )
    if out is DumpOutput.FULL and (relations is not None or languages is not None):
        raise ConfigError(
            f"{name} yields whole entities: it takes no relations or languages",
            "pass DumpOutput.SLIM to keep only the claims of relations and the terms of languages",
        )
    if qualifiers is not None and out is not DumpOutput.RECORDS:
        raise ConfigError(
            f"qualifiers apply to DumpOutput.RECORDS only, not {name}",
            "pass no qualifiers, or output=DumpOutput.RECORDS",
        )
    return out


def iter_records(
    path: str | os.PathLike[str],
    relations: Iterable[str],
    languages: Iterable[str] | None = None,
    *,
    workers: int = 1,
    referenced_labels: bool = True,
    progress: bool = False,
    stats: DumpStats | None = None,
    require_end: bool = True,
    qualifiers: Iterable[str] | None = None,
    quarantine: Quarantine | None = None,
    decompress_workers: int = 0,
    index_dir: str | os.PathLike[str] | None = None,
    ranged: bool = False,
    executor: str = "local",
    ray_address: str | None = None,
) -> Iterator[EntityRecord | Entity]:
    """What a build keeps of the dump: subject records, then the terms of referenced entities.

    Two passes over the dump. The first yields an :class:`~kcdata.facts.fast.EntityRecord` per
    entity with a statement for ``relations`` (its facts, labels, aliases, sitelink count,
    revision and kind, made in the workers: :attr:`DumpOutput.RECORDS`) and collects the ids its
    facts reference; the second yields an :class:`~kcdata.types.Entity` (labels, aliases and
    kind: :attr:`DumpOutput.LABELS`) for every one of those ids that is not a subject. The kind
    is the entity's classes, gender and years of birth and death, read from its
    :data:`kcdata.facts.INFO_PROPERTIES` claims. Same content as
    :func:`kcdata.facts.parse_entity` (the relations) and :func:`kcdata.facts.parse_entity_info`
    on slim dicts that keep those claims too (``slim_entity(..., keep_claims=INFO_PROPERTIES)``),
    then :func:`kcdata.facts.parse_entity_info` on ``terms_only(entity, languages,
    INFO_PROPERTIES)``.

    Args:
        path: The dump.
        relations: Property ids of the facts wanted.
        languages: Languages of labels/aliases to keep (``None``: all).
        workers: Worker processes (see :func:`iter_dump`).
        referenced_labels: Run the second pass.
        progress: Progress on stderr.
        stats: Counters of the first pass.
        require_end: See :func:`iter_dump`.
        qualifiers: The qualifier properties facts keep (``None``: all; a build passes those
            its rules read).
        quarantine: Sets aside what fails its checks, in both passes (see :func:`iter_dump`).
        decompress_workers, index_dir, ranged, executor, ray_address: Parallel decompression
            and the executor (see :func:`iter_dump`); the seek index is built once and read by
            both passes.

    Yields:
        Records, then entities.
    """
    rel = frozenset(relations)
    langs = frozenset(languages) if languages is not None else None
    wanted: set[str] = set()
    seen: set[str] = set()
    for record in iter_dump(
        path,
        output=DumpOutput.RECORDS,
        relations=rel,
        languages=langs,
        qualifiers=qualifiers,
        workers=workers,
        progress=progress,
        stats=stats,
        require_end=require_end,
        quarantine=quarantine,
        decompress_workers=decompress_workers,
        index_dir=index_dir,
        ranged=ranged,
        executor=executor,
        ray_address=ray_address,
    ):
        seen.add(record.entity.id)
        wanted.update(record.references)
        yield record
    wanted -= seen
    if referenced_labels and wanted:
        log.info("second pass over %s for the labels of %d referenced entities", path, len(wanted))
        yield from iter_dump(
            path,
            output=DumpOutput.LABELS,
            ids=wanted,
            languages=langs,
            workers=workers,
            progress=progress,
            require_end=require_end,
            quarantine=quarantine,
            decompress_workers=decompress_workers,
            index_dir=index_dir,
            ranged=ranged,
            executor=executor,
            ray_address=ray_address,
        )
