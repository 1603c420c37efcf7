"""The dump's extraction kept as Parquet shards in the cache, so that a second build reads no dump.

Reading a dump is the slow part of a dump build (two passes: 40 minutes each over the 1.8 TB of
``latest-all.json`` on one gzip stream). What a build keeps of it, the subject records (entity,
facts, references) of the first pass and the entities of the second, is written while it streams
to ``<cache>/dump-shards/<entry>/``:

* ``records-NNNNN.parquet``: one row per subject record, ``id``, ``relations`` (of its facts) and
  ``blob`` (the record, msgpack or pickle as ``meta.json`` says), in dump order;
* ``labels-NNNNN.parquet``: one row per entity of the second pass, ``id`` and ``blob``;
* ``meta.json``: the dump's identity (path, size, modification time, sha256 of its first and last
  MiB), what was extracted (relations, label languages, qualifiers), the problems the reader set
  aside (replayed into the build's quarantine on reuse), the files and their row counts.

The entry is made in a temporary folder and renamed into place when both passes are done, so a
build that fails or is killed leaves no entry (and a later build reads the dump again); the
temporary folder of a killed build is deleted by the next build that writes an entry. Entries are
keyed by kcdata's version too: a new version reads the dump again.

A later build of the same dump reuses an entry whose relations and languages include its own and
whose qualifiers are the same (other sample sizes, seeds, counterfactual or rendering versions,
fewer relations or languages): :func:`read` gives exactly what the two passes would give for the
narrower request. The subject records are those with a fact of the asked relations, their facts
narrowed to them and their labels to the asked languages; the second pass's entities are the ids
those facts reference that are no subject, from the second pass's rows or, for an entity that was
a subject only of a relation not asked now, from its record in the form the second pass reads
(no sitelinks, revision or modification time). Entities of different ids may come in another
order than the dump's: the label store they go into is looked up by id only, and the lines of one
id come in dump order. Reuse with fewer relations also needs every problem the reader set aside to
name its relation (a statement's ``Q1:P6``), so that the build's quarantine is the same; otherwise
only an entry of exactly the asked set is reused. The same inputs therefore give the same bytes
whether the dump was read or its shards (tested).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kcdata import __version__
from kcdata.errors import SourceError
from kcdata.facts.checks import Quarantine, problem
from kcdata.facts.fast import EntityRecord, decode_results, encode_results, fact_references
from kcdata.fileio import _alive, write_atomic_text
from kcdata.types import Entity

log = logging.getLogger(__name__)

SHARDS_VERSION = 1
"""Bumped when what an entry holds, or how a record is extracted, changes: older entries are
then not reused."""
ROWS_PER_SHARD = 50_000
"""Rows per Parquet file."""
_EDGE = 1 << 20
"""Bytes hashed at the start and at the end of the dump for its identity."""
_STATEMENT_ID = re.compile(r"^[A-Z]\d+:(P\d+)$")


@dataclass(frozen=True)
class Request:
    """What a build extracts from a dump."""

    relations: frozenset[str]
    languages: frozenset[str] | None
    """Label languages (``mul`` included); ``None``: all."""
    qualifiers: frozenset[str] | None
    """Qualifier properties facts keep; ``None``: all."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "relations": sorted(self.relations),
            "languages": sorted(self.languages) if self.languages is not None else None,
            "qualifiers": sorted(self.qualifiers) if self.qualifiers is not None else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Request:
        return cls(frozenset(d["relations"]),
                   frozenset(d["languages"]) if d["languages"] is not None else None,
                   frozenset(d["qualifiers"]) if d["qualifiers"] is not None else None)


def dump_identity(path: str | os.PathLike[str]) -> dict[str, Any]:
    """What tells one dump file from another: resolved path, size, modification time and the
    sha256 of its first and last MiB (a file replaced in place by another download differs)."""
    p = Path(path).resolve()
    st = p.stat()
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        h.update(fh.read(_EDGE))
        if st.st_size > 2 * _EDGE:
            fh.seek(st.st_size - _EDGE)
        h.update(fh.read(_EDGE))
    return {"path": str(p), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "edges_sha256": h.hexdigest()}


def root(cache_dir: str | os.PathLike[str]) -> Path:
    """Where the entries live."""
    return Path(cache_dir) / "dump-shards"


def _covers(meta: dict[str, Any], want: Request) -> bool:
    have = Request.from_dict(meta["request"])
    if have.qualifiers != want.qualifiers or not want.relations <= have.relations:
        return False
    if have.languages is not None and (want.languages is None or not want.languages <= have.languages):
        return False
    if have == want:
        return True
    # narrower: the set-aside problems must say which relation each one is of
    return all(not p["entity"] and _STATEMENT_ID.match(p["fact_id"] or "") for p in meta["problems"])


def find(cache_dir: str | os.PathLike[str], path: str | os.PathLike[str], want: Request) -> Path | None:
    """An entry of this dump that serves ``want`` (the one of exactly ``want`` first, then the
    narrowest), or None. Entries of another version, another file or broken ones are passed over."""
    folder = root(cache_dir)
    if not folder.is_dir():
        return None
    ident = dump_identity(path)
    found: list[tuple[int, str, Path]] = []
    for meta_path in sorted(folder.glob("*/meta.json")):
        if ".tmp-" in meta_path.parent.name:  # an entry being written (or renamed) right now
            continue
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if (meta.get("version") != SHARDS_VERSION or meta.get("tool_version") != __version__
                    or meta.get("dump") != ident or not _covers(meta, want)):
                continue
            if any(not (meta_path.parent / f["name"]).is_file()
                   or (meta_path.parent / f["name"]).stat().st_size != f["bytes"] for f in meta["files"]):
                log.warning("shard cache entry %s is incomplete: passed over", meta_path.parent)
                continue
        except (OSError, ValueError, KeyError, TypeError):
            continue
        exact = Request.from_dict(meta["request"]) == want
        found.append((0 if exact else len(meta["request"]["relations"]), meta_path.parent.name, meta_path.parent))
    return min(found)[2] if found else None


DISK_SHARE = 0.25
"""Disk an entry may need, as a share of the dump file's size: a generated dump shaped like the real
one kept 18 % of its compressed size (its people and places carry mostly asked relations; the real
dump's entities carry many claims no build asks for)."""


def room(cache_dir: str | os.PathLike[str], path: str | os.PathLike[str]) -> tuple[int, int] | None:
    """``(bytes an entry of ``path`` may need, bytes free in the cache)`` when the second is less,
    else None (also where the free space cannot be told)."""
    from kcdata.fileio import free_bytes

    need = int(os.path.getsize(path) * DISK_SHARE)
    free = free_bytes(root(cache_dir))
    return (need, free) if free is not None and free < need else None


def entry_name(ident: dict[str, Any], want: Request) -> str:
    key = json.dumps({"v": SHARDS_VERSION, "tool": __version__, "dump": ident, "request": want.to_dict()},
                     sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:20]


class _Recorder:
    """A quarantine stand-in that keeps every problem the dump reader sets aside, for the entry."""

    def __init__(self, inner: Quarantine) -> None:
        self.inner = inner
        self.problems: list[dict[str, Any]] = []

    def add(self, bad: Any, file: str | None = None, line: int | None = None, offset: int | None = None,
            where: str | None = None) -> None:
        self.problems.append({"reason": bad.reason, "detail": bad.detail, "entity": bad.entity,
                              "fact_id": bad.fact_id, "fatal": bad.fatal, "line": line, "offset": offset})
        self.inner.add(bad, file=file, line=line, offset=offset, where=where)

    def extend(self, problems: list[Any], **where: Any) -> None:
        for p in problems:
            self.add(p, **where)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _remove_stale(folder: Path) -> None:
    """Delete the temporary folders of builds that were killed while writing an entry (their
    process is gone), which nothing would otherwise ever remove."""
    if not folder.is_dir():
        return
    for tmp in folder.glob("*.tmp-*"):
        pid = tmp.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True)


def _encode(item: Any) -> tuple[bytes, str]:
    blob = encode_results([item])
    if blob is not None:
        return blob, "msgpack"
    return pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL), "pickle"  # pragma: no cover - without msgspec


def _decode(blob: bytes, codec: str, records: bool) -> Any:
    if codec == "msgpack":
        return decode_results(blob, records)[0]
    return pickle.loads(blob)  # noqa: S301 - our own cache, written by this module


class Writer:
    """Writes an entry while the two passes stream (:meth:`tee`); :meth:`commit` puts it in place."""

    def __init__(self, cache_dir: str | os.PathLike[str], path: str | os.PathLike[str], want: Request,
                 quarantine: Quarantine) -> None:
        self.ident = dump_identity(path)
        self.want = want
        self.final = root(cache_dir) / entry_name(self.ident, want)
        self.tmp = self.final.with_name(f"{self.final.name}.tmp-{os.getpid()}")
        self.recorder = _Recorder(quarantine)
        self.files: list[dict[str, Any]] = []
        self._rows: dict[str, list[Any]] = {"records": [], "labels": []}
        self._counts = {"records": 0, "labels": 0}
        self.codec = "msgpack"
        self.failed: str | None = None
        """Why the entry could not be written (the disk is full, say): the build goes on without it."""
        try:
            _remove_stale(self.final.parent)
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp.mkdir(parents=True)
        except OSError as err:  # a read-only or full cache folder
            self._give_up(err)

    def tee(self, items: Iterable[EntityRecord | Entity]) -> Iterator[EntityRecord | Entity]:
        """``items`` as they come, each also added to the entry."""
        for item in items:
            if self.failed is None:
                try:
                    blob, self.codec = _encode(item)
                    if isinstance(item, EntityRecord):
                        rels = sorted({f.relation for f in item.facts})
                        self._add("records", (item.entity.id, rels, blob))
                    else:
                        self._add("labels", (item.id, blob))
                except Exception as err:  # noqa: BLE001 - the cache must never stop the build
                    self._give_up(err)
            yield item

    def _give_up(self, err: BaseException) -> None:
        """A cache that cannot be written is no reason to stop the build: drop the entry, go on."""
        self.failed = f"{type(err).__name__}: {err}"
        self._rows = {"records": [], "labels": []}
        shutil.rmtree(self.tmp, ignore_errors=True)
        log.warning("could not keep the dump's extraction in %s (%s): the build goes on without it",
                    self.final.parent, self.failed)

    def _add(self, kind: str, row: tuple[Any, ...]) -> None:
        rows = self._rows[kind]
        rows.append(row)
        if len(rows) >= ROWS_PER_SHARD:
            self._flush(kind)

    def _flush(self, kind: str) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = self._rows[kind]
        if not rows:
            return
        cols = list(zip(*rows, strict=True))
        if kind == "records":
            table = pa.table({"id": pa.array(cols[0], pa.string()),
                              "relations": pa.array(cols[1], pa.list_(pa.string())),
                              "blob": pa.array(cols[2], pa.binary())})
        else:
            table = pa.table({"id": pa.array(cols[0], pa.string()), "blob": pa.array(cols[1], pa.binary())})
        name = f"{kind}-{sum(f['kind'] == kind for f in self.files):05d}.parquet"
        pq.write_table(table, self.tmp / name, compression="zstd")
        self.files.append({"name": name, "kind": kind, "rows": len(rows), "bytes": (self.tmp / name).stat().st_size})
        self._counts[kind] += len(rows)
        self._rows[kind] = []

    def commit(self) -> Path | None:
        """Write the last shards and ``meta.json`` and rename the entry into place (None: it
        could not be written, see :attr:`failed`)."""
        if self.failed is not None:
            return None
        try:
            self._flush("records")
            self._flush("labels")
            meta = {"version": SHARDS_VERSION, "tool_version": __version__, "dump": self.ident,
                    "request": self.want.to_dict(),
                    "codec": self.codec, "rows": self._counts, "files": self.files,
                    "problems": self.recorder.problems}
            write_atomic_text(self.tmp / "meta.json", json.dumps(meta, ensure_ascii=False, sort_keys=True) + "\n")
            if (self.final / "meta.json").is_file():  # written meanwhile by another build: same content
                shutil.rmtree(self.tmp, ignore_errors=True)
            else:
                shutil.rmtree(self.final, ignore_errors=True)  # a half-removed leftover
                os.replace(self.tmp, self.final)
        except Exception as err:  # noqa: BLE001 - the cache must never stop the build
            self._give_up(err)
            return None
        size = sum(f["bytes"] for f in self.files)
        log.warning("kept the dump's extraction in %s (%d records, %d entities, %.1f MB): later builds of this "
                    "dump read it instead (--no-shard-cache: keep none)", self.final, self._counts["records"],
                    self._counts["labels"], size / 1e6)
        return self.final

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def _rows(entry: Path, meta: dict[str, Any], kind: str, columns: list[str]) -> Iterator[dict[str, list[Any]]]:
    import pyarrow.parquet as pq

    for f in meta["files"]:
        if f["kind"] != kind:
            continue
        try:
            pf = pq.ParquetFile(entry / f["name"])
            for batch in pf.iter_batches(batch_size=8192, columns=columns):
                yield batch.to_pydict()
        except (OSError, ValueError) as err:
            raise SourceError(f"shard cache entry {entry} is damaged ({f['name']}: {err})",
                              f"delete {entry} and build again (the dump is then read again)") from err


def _narrow(e: Entity, languages: frozenset[str] | None) -> Entity:
    if languages is None or (e.labels.keys() <= languages and e.aliases.keys() <= languages):
        return e
    return replace(e, labels={k: v for k, v in e.labels.items() if k in languages},
                   aliases={k: v for k, v in e.aliases.items() if k in languages})


def read(entry: Path, want: Request, quarantine: Quarantine, path: str | os.PathLike[str]) -> Iterator[EntityRecord | Entity]:
    """What :func:`kcdata.sources.dump.iter_records` gives for ``want``, from an entry that
    serves it (:func:`find`); the problems set aside are replayed into ``quarantine`` first."""
    try:
        meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise SourceError(f"shard cache entry {entry} cannot be read ({err})",
                          f"delete {entry} and build again (the dump is then read again)") from err
    try:
        yield from _read(entry, meta, want, quarantine, path)
    except SourceError:
        raise
    except (ValueError, TypeError, KeyError) as err:  # a blob that does not decode: msgspec's errors are ValueErrors
        raise SourceError(f"shard cache entry {entry} is damaged ({type(err).__name__}: {err})",
                          f"delete {entry} and build again (the dump is then read again)") from err


def _read(entry: Path, meta: dict[str, Any], want: Request, quarantine: Quarantine,
          path: str | os.PathLike[str]) -> Iterator[EntityRecord | Entity]:
    exact = Request.from_dict(meta["request"]) == want
    for p in meta["problems"]:
        m = _STATEMENT_ID.match(p["fact_id"] or "")
        if exact or (m and m.group(1) in want.relations):
            quarantine.add(problem(p["reason"], p["detail"], p["entity"], p["fact_id"], p["fatal"]),
                           file=str(path), line=p["line"], offset=p["offset"])
    codec, rels, langs = meta["codec"], want.relations, want.languages
    subjects: set[str] = set()
    wanted: set[str] = set()
    for batch in _rows(entry, meta, "records", ["id", "relations", "blob"]):
        for rel_list, blob in zip(batch["relations"], batch["blob"], strict=True):
            if exact:
                rec = _decode(blob, codec, True)
            elif rels.isdisjoint(rel_list):
                continue
            else:
                full = _decode(blob, codec, True)
                facts = tuple(f for f in full.facts if f.relation in rels)
                rec = EntityRecord(_narrow(full.entity, langs), facts, fact_references(facts))
            subjects.add(rec.entity.id)
            wanted.update(rec.references)
            yield rec
    wanted -= subjects
    if not wanted:
        return
    if not exact:  # subjects of relations not asked now, in the form the second pass reads them
        for batch in _rows(entry, meta, "records", ["id", "blob"]):
            for eid, blob in zip(batch["id"], batch["blob"], strict=True):
                if eid in wanted:
                    e = _decode(blob, codec, True).entity
                    yield _narrow(replace(e, sitelinks=None, lastrevid=None, modified=None), langs)
    for batch in _rows(entry, meta, "labels", ["id", "blob"]):
        for eid, blob in zip(batch["id"], batch["blob"], strict=True):
            if eid in wanted:
                yield _narrow(_decode(blob, codec, False), langs)


__all__ = ["ROWS_PER_SHARD", "SHARDS_VERSION", "Request", "Writer", "dump_identity", "entry_name", "find", "read", "root"]
