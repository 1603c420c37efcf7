"""A build's rows on their way to the parquet shards, kept out of memory.

A dump build renders far more rows than fit in memory as Python dicts (a few KB each). The build
hands its rows to a :class:`RowSpool` a batch at a time: each config's rows are spilled to Arrow
IPC files (lz4) in the build's private folder, and the statistics the manifest and card need are
gathered as they pass (:class:`RowStats`, with the audit's :class:`~kcdata.validate.audit.Auditor`).
At the end, :meth:`RowSpool.write` streams each config into its ``test-NNNNN-of-NNNNN.parquet``
shards in the order the build sorts rows, holding one shard (as Arrow columns) at a time.

Rows arrive in *runs*: within a run, in sort order (the build judges facts in order; a sample's
refill of replaced facts is a new run). One run is copied through; several are merged (a k-way
merge on the sort key, ties in run order, as a stable sort of all rows would give). The shards are
the same bytes as writing the sorted rows from memory (:func:`kcdata.publish.parquet.write_rows`).
"""

from __future__ import annotations

import heapq
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from kcdata.errors import DiskFullError
from kcdata.fileio import free_bytes, size_text
from kcdata.publish.parquet import ROW_SCHEMA, write_table
from kcdata.validate.audit import Auditor

SPILL_ROWS = 2048
"""Rows of a config held as dicts before they are spilled as one Arrow record batch."""
MAX_RUNS = 32
"""Spill files of a config (runs) merged into one before another run begins: files open at once."""

_IPC = pa.ipc.IpcWriteOptions(compression="lz4")
_FACT_ID, _LANGUAGE = ROW_SCHEMA.get_field_index("fact_id"), ROW_SCHEMA.get_field_index("language")


class RowSpool:
    """Rows by config, spilled to ``folder`` (created; removed by :meth:`close`).

    Args:
        folder: A private, empty folder on the output's file system.
        key: ``(fact_id, language) -> sort key`` of the written order.
    """

    def __init__(self, folder: Path, key: Callable[[str, str], Any]) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.key = key
        self.run = -1
        self.counts: Counter[str] = Counter()
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._writers: dict[str, Any] = {}  # the current run's open spill file per config
        self._files: dict[str, list[Path]] = {}  # each config's spill files, one per run, in run order
        self._sizes: dict[Path, list[int]] = {}  # each spill file's record batch sizes
        self._last: dict[str, Any] = {}
        self._made = 0

    def add(self, rows: list[dict[str, Any]], new_run: bool = False) -> None:
        """Take rows (their order among themselves is free); with ``new_run`` they begin a new run.
        Within a run, every row must sort after the rows added before it (checked)."""
        if new_run or self.run < 0:
            self._end_run()
            self.run += 1
            self._last.clear()
        for k, row in sorted(((self.key(r["fact_id"], r["language"]), r) for r in rows), key=lambda kr: kr[0]):
            config = row["kind"]
            if config in self._last and k < self._last[config]:
                raise RuntimeError(f"row {row['id']} added out of order within run {self.run}")
            self._last[config] = k
            pending = self._pending.setdefault(config, [])
            pending.append(row)
            self.counts[config] += 1
            if len(pending) >= SPILL_ROWS:
                self._spill(config)

    def _end_run(self) -> None:
        """Spill what is pending and close the run's files; a config with :data:`MAX_RUNS` spill
        files has them merged into one (the earliest runs, first), so that few files are ever open."""
        for config in list(self._pending):
            self._spill(config)
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        for config, files in self._files.items():
            if len(files) >= MAX_RUNS:
                merged = self._new_file(config)
                with pa.ipc.new_file(str(merged), ROW_SCHEMA, options=_IPC) as writer:
                    for part in _cut(self._segments(files), SPILL_ROWS):
                        self._write_batches(writer, merged, _assemble(part))
                for f in files:
                    f.unlink()
                    del self._sizes[f]
                self._files[config] = [merged]

    def _new_file(self, config: str) -> Path:
        self._made += 1
        return self.folder / f"{config}.{self._made}.arrow"

    def _spill(self, config: str) -> None:
        rows = self._pending.pop(config, None)
        if not rows:
            return
        writer = self._writers.get(config)
        if writer is None:
            path = self._new_file(config)
            self._files.setdefault(config, []).append(path)
            writer = self._writers[config] = pa.ipc.new_file(str(path), ROW_SCHEMA, options=_IPC)
        self._write_batches(writer, self._files[config][-1], pa.Table.from_pylist(rows, schema=ROW_SCHEMA))

    def _write_batches(self, writer: Any, path: Path, table: pa.Table) -> None:
        """Append a table to ``path``'s open writer, keeping its batch sizes (``path`` is also what a
        full disk's error names)."""
        for batch in table.to_batches():
            writer.write_batch(batch)
            self._sizes.setdefault(path, []).append(batch.num_rows)

    def write(self, out: Path, shard_rows: int, data_file: str) -> dict[str, list[str]]:
        """Write each config with rows as ``ceil(rows / shard_rows)`` parquet files under ``out``,
        named by ``data_file`` (``{config}``, ``{shard}``, ``{shards}``); the relative paths per
        config, in order."""
        self._end_run()
        written: dict[str, list[str]] = {}
        for config in sorted(self.counts):
            n = -(-self.counts[config] // shard_rows)
            names = [data_file.format(config=config, shard=k, shards=n) for k in range(n)]
            shard = 0
            for shard, part in enumerate(_cut(self._segments(self._files[config]), shard_rows), 1):
                write_table(_assemble(part), out / names[shard - 1])
                pa.default_memory_pool().release_unused()  # the shard's buffers go back to the system
            if shard != n:
                raise RuntimeError(f"spooled {self.counts[config]} {config} rows, wrote {shard} of {n} shards")
            written[config] = names
        return written

    def _segments(self, runs: list[Path]) -> Iterator[tuple[Path, int, int, int]]:
        """The rows of spill files (runs, in order) in written order, as ``(spill file, record
        batch, first row, rows)``."""
        if len(runs) == 1:
            for i, size in enumerate(self._sizes.get(runs[0], ())):
                yield runs[0], i, 0, size
            return
        # k-way merge on the key columns only: heapq.merge breaks ties by run order, as a stable
        # sort of all rows would
        merged = heapq.merge(*(self._keys(p) for p in runs), key=lambda e: e[0])
        grown: tuple[Path, int, int, int] | None = None  # the segment being grown
        for _, path, batch, i in merged:
            if grown is not None and grown[:2] == (path, batch) and grown[2] + grown[3] == i:
                grown = (path, batch, grown[2], grown[3] + 1)
                continue
            if grown is not None:
                yield grown
            grown = (path, batch, i, 1)
        if grown is not None:
            yield grown

    def _keys(self, path: Path) -> Iterator[tuple[Any, Path, int, int]]:
        with pa.memory_map(str(path)) as source:
            reader = pa.ipc.open_file(source, options=pa.ipc.IpcReadOptions(included_fields=[_FACT_ID, _LANGUAGE]))
            for b in range(reader.num_record_batches):
                batch = reader.get_batch(b)
                ids = batch.column("fact_id").to_pylist()
                langs = batch.column("language").to_pylist()
                for i, (f, lang) in enumerate(zip(ids, langs, strict=True)):
                    yield self.key(f, lang), path, b, i

    def close(self) -> None:
        """Close what is open and remove the spill folder."""
        for writer in self._writers.values():
            try:
                writer.close()
            except (OSError, pa.ArrowException):
                pass
        self._writers.clear()
        shutil.rmtree(self.folder, ignore_errors=True)


def _cut(segments: Iterator[tuple[Path, int, int, int]], size: int) -> Iterator[list[tuple[Path, int, int, int]]]:
    """The segments regrouped into parts of ``size`` rows (the last may be shorter)."""
    part: list[tuple[Path, int, int, int]] = []
    have = 0
    for path, batch, first, rows in segments:
        while rows:
            take = min(size - have, rows)
            part.append((path, batch, first, take))
            first, rows, have = first + take, rows - take, have + take
            if have == size:
                yield part
                part, have = [], 0
    if part:
        yield part


def _assemble(part: list[tuple[Path, int, int, int]]) -> pa.Table:
    """A single-chunk table of the rows of ``part``, assembled a column at a time (only that
    column of each record batch is read, each batch once), so the rows are held once, as Arrow."""
    columns = []
    sources = {p: pa.memory_map(str(p)) for p in dict.fromkeys(p for p, _, _, _ in part)}
    try:
        for c in range(len(ROW_SCHEMA)):
            only = pa.ipc.IpcReadOptions(included_fields=[c])
            readers = {p: pa.ipc.open_file(source, options=only) for p, source in sources.items()}
            last: dict[Path, tuple[int, pa.Array]] = {}  # per file: its batch being read (runs are read in order)
            pieces = []
            for p, b, first, size in part:
                if p not in last or last[p][0] != b:
                    last[p] = (b, readers[p].get_batch(b).column(0))
                pieces.append(last[p][1].slice(first, size))
            columns.append(pa.concat_arrays(pieces))
    finally:
        for source in sources.values():
            source.close()
    return pa.Table.from_arrays(columns, schema=ROW_SCHEMA)


class RowStats:
    """What the manifest and the card say about a build's rows, gathered one row at a time in the
    order the build made them (the audit's examples follow that order)."""

    def __init__(self, classes: Any = None) -> None:
        self.auditor = Auditor(classes)
        self.rows = 0
        self.as_of: list[str] = []
        self.snapshot: list[str] = []
        self.basis: Counter[str] = Counter()
        self.years: Counter[str] = Counter()
        self.with_passage = 0
        self.unpinned = 0
        self.articles: set[tuple[str, str, int]] = set()

    def add(self, r: dict[str, Any]) -> None:
        self.rows += 1
        self.auditor.add(r)
        _extend(self.as_of, r["as_of"])
        _extend(self.snapshot, r["snapshot_date"])
        self.basis[r["provenance"]["snapshot_basis"]] += 1
        self.years[r["as_of"][:4]] += 1
        if r["wiki_context_original"]:
            self.with_passage += 1
        source = r["wiki_source"]
        if source:
            self.unpinned += not source["revision_id"]
            self.articles.add((source["language"], source["title"], source["revision_id"] or 0))

    @property
    def has_wikipedia(self) -> bool:
        return self.with_passage > 0


def _extend(bounds: list[str], value: str | None) -> None:
    """Widen ``[min, max]`` of ISO dates by ``value`` (empty values are left out)."""
    if not value:
        return
    if not bounds:
        bounds.extend((value, value))
    elif value < bounds[0]:
        bounds[0] = value
    elif value > bounds[1]:
        bounds[1] = value


ROW_DISK_BYTES = 512
"""Disk a row may need while a build runs, its spill and its share of the shards together, counted
for every fact in every language (drops make fewer rows). Measured: 0.30 kB spilled and 0.08 kB
of parquet a row on a generated dump; 0.36 kB of parquet a row on the sample, whose 362 facts in
4 languages make 298 rows."""


class RowSink:
    """Where ``build_rows`` hands its rows (``plan``, then ``add`` a batch at a time): the disk is
    checked for the facts about to be rendered before any is, a progress bar shows facts/s, rows/s
    and an ETA (tqdm, on a terminal), each row is tallied (:class:`RowStats`) and spooled.

    Args:
        spool: The build's :class:`RowSpool`.
        stats: The build's :class:`RowStats`.
        languages: The row languages (rows per fact, at most).
        transform: Applied to each batch before it is tallied (``passages_v1`` attaches passages).
        progress: Show the bar (``None``: only on a terminal, tqdm's rule).
    """

    def __init__(self, spool: RowSpool, stats: RowStats, languages: int,
                 transform: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
                 progress: bool | None = None) -> None:
        import sys

        from tqdm.auto import tqdm

        self.spool, self.stats, self.languages, self.transform = spool, stats, languages, transform
        self.bar = tqdm(total=0, desc="rows", unit=" facts", disable=None if progress is None else not progress,
                        mininterval=2.0, delay=2.0, file=sys.stderr, dynamic_ncols=True, leave=True)

    def plan(self, facts: int) -> None:
        """``facts`` more are about to be rendered: refuse (:class:`~kcdata.errors.DiskFullError`)
        when the spool's file system has less free than :data:`ROW_DISK_BYTES` per fact and
        language."""
        need = facts * self.languages * ROW_DISK_BYTES
        free = free_bytes(self.spool.folder)
        if free is not None and free < need:
            raise DiskFullError(
                f"not enough space in {self.spool.folder.parent} for the rows: {facts:,} facts in "
                f"{self.languages} language(s) need about {size_text(need)}, {size_text(free)} free",
                "free some space there, write the build elsewhere (--out), or build fewer rows (--sample N)")
        self.bar.total += facts
        self.bar.refresh()

    def add(self, rows: list[dict[str, Any]], new_run: bool, facts: int) -> None:
        """Take the rows ``facts`` facts made (in the order they were made)."""
        if self.transform is not None:
            rows = self.transform(rows)
        for r in rows:
            self.stats.add(r)
        self.spool.add(rows, new_run)
        self.bar.update(facts)
        if not self.bar.disable:
            rate = self.stats.rows / max(self.bar.format_dict["elapsed"], 1e-9)
            self.bar.set_postfix_str(f"{self.stats.rows:,} rows ({rate:,.0f} rows/s)", refresh=False)

    def close(self) -> None:
        """Close the bar and the transform (which may say what it did once, for the whole build)."""
        self.bar.close()
        done = getattr(self.transform, "close", None)
        if done is not None:
            done()


def date_range(bounds: list[str]) -> dict[str, str] | None:
    """``{"min", "max"}`` of :class:`RowStats` date bounds (None when there is none)."""
    return {"min": bounds[0], "max": bounds[1]} if bounds else None


__all__ = ["ROW_DISK_BYTES", "RowSink", "RowSpool", "RowStats", "SPILL_ROWS", "date_range"]
