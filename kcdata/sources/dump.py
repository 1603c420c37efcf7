"""Stream the Wikidata JSON dump (``latest-all.json`` — ``.gz``, ``.bz2`` or plain) at speed.

The dump is one JSON array with one entity per line (``[``, then ``{...},`` lines, then ``]``);
the full file is ~140 GB gzipped and ~1.8 TB of JSON, so everything here is streaming:

1. One reader decompresses (python-isal's ``igzip`` in a helper thread where installed, else the
   stdlib) and cuts the stream into multi-megabyte chunks at line boundaries.
2. Each chunk goes whole to a worker (``workers = N >= 2``: this process and ``N - 1`` helper
   processes take turns, with a bounded number of chunks in flight, so memory stays constant;
   ``workers = 1``: all in the calling process).
3. The worker pre-filters raw bytes — a line is looked at only if it contains the key of an
   asked property (``"P6":``, one regex for all) or, for the label pass, an asked entity id —
   then parses only the parts facts need (:func:`fast_slim`: labels, aliases, the statement
   lists of the asked relations, sitelinks; ``orjson`` where installed, else :mod:`json`) and
   runs an optional per-entity function (any picklable top-level function, e.g.
   ``functools.partial(kcdata.facts.parse_entity, source="dump")``).
4. Results come back in input order.

Corrupt or truncated input raises :class:`DumpError` naming the line and byte offset; nothing is
written by this module, and callers write their outputs atomically after the stream ends, so a
failure leaves no half-written file.
"""

from __future__ import annotations

import bz2
import dataclasses
import functools
import gc
import gzip
import json
import logging
import os
import pickle
import re
import sys
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from kcdata.errors import ConfigError, InputError
from kcdata.facts.fast import BACKEND as RECORD_BACKEND
from kcdata.facts.fast import EntityRecord, decode_results, encode_results, entity_record, terms_entity
from kcdata.fileio import atomic_path
from kcdata.types import Entity

log = logging.getLogger(__name__)

DEFAULT_CHUNK_BYTES = 8 << 20
"""Bytes of decompressed JSON handed to a worker at once (cut at a line end)."""

try:  # optional fast JSON parser (extra "fast")
    import orjson as _orjson

    _loads: Callable[[bytes], Any] = _orjson.loads
    JSON_BACKEND = "orjson"
except ImportError:  # pragma: no cover - depends on the environment
    _loads = json.loads
    JSON_BACKEND = "json"

try:  # optional fast gzip (extra "fast")
    from isal import igzip as _igzip
    from isal import igzip_threaded as _igzip_threaded

    GZIP_BACKEND = "isal"
except ImportError:  # pragma: no cover - depends on the environment
    _igzip = None
    _igzip_threaded = None
    GZIP_BACKEND = "gzip"

_ID_RE = re.compile(rb'"id":"([A-Z]\d+)"')
_CLAIMS_KEY = b'"claims":'
_BLANKS = frozenset(b" \t\r\n")
_COMMA = ord(",")

_DATE_RE = re.compile(r"(?<!\d)(20\d{6})(?!\d)")


class DumpError(InputError):
    """The dump is corrupt or truncated; the message names the line and byte offset."""


class _LineError(Exception):
    """A :class:`DumpError` whose line number is known only relative to a chunk or to the
    stream read so far: lines are counted by whoever scans a chunk, so the absolute number is
    filled in by the one process that sees every chunk's count, in order (:meth:`error`)."""

    def __init__(self, text: str, hint: str, lines_after: int = 0) -> None:
        super().__init__(text, hint, lines_after)
        self.text, self.hint, self.lines_after = text, hint, lines_after

    def error(self, line: int) -> DumpError:
        """The error, ``line`` being the number of the first line it counts from."""
        return DumpError(self.text.format(line=f"{line + self.lines_after:,}"), self.hint)


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


def open_dump(path: str | os.PathLike[str], *, threaded: bool = True) -> tuple[BinaryIO, BinaryIO]:
    """Open a dump for reading decompressed bytes, choosing the codec by magic bytes.

    Args:
        path: ``.json``, ``.json.gz`` or ``.json.bz2`` (the extension is not trusted).
        threaded: Decompress gzip in a helper thread when python-isal is installed.

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


class _TellProxy:
    """Stand-in for the raw file when the threaded reader owns it (position unknown)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def tell(self) -> int:
        try:
            return int(self._stream.raw.tell()) if hasattr(self._stream, "raw") else -1
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
    """Decompressed byte offset of ``data[0]``."""
    line: int
    """1-based line number of the first line, ``0`` where not known yet: lines are counted by
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
        Chunks in order, with ``line`` 0 (not counted here: that would be a pass over every byte).

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
            yield Chunk(rest, offset, 0, True)
            return
        cut = block.rfind(b"\n")
        if cut == -1:
            rest += block
            continue
        # one copy of the block at most: large copies are a real share of the reader's time
        if not rest and cut == len(block) - 1:
            data = block
        else:
            data = b"".join((rest, memoryview(block)[: cut + 1]))
        rest = block[cut + 1 :]
        yield Chunk(data, offset, 0, False)
        offset += len(data)


# -- per-entity work ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _needle_regex(needles: tuple[bytes, ...]) -> re.Pattern[bytes]:
    """One alternation over all needles: a single scan instead of one per property."""
    return re.compile(b"|".join(re.escape(n) for n in needles))


def property_needles(relations: Iterable[str]) -> tuple[bytes, ...]:
    """Raw-byte keys that an entity with a claim for one of ``relations`` must contain."""
    return tuple(f'"{r}":'.encode() for r in sorted(set(relations)))


def slim_entity(
    entity: dict[str, Any],
    relations: frozenset[str] | None = None,
    languages: frozenset[str] | None = None,
    references: bool = True,
) -> dict[str, Any] | None:
    """Keep what a fact needs: claims of ``relations``, labels and aliases, sitelinks.

    Descriptions are dropped (no fact reads them).

    Args:
        entity: A full Wikibase entity.
        relations: Property ids to keep (``None``: all claims).
        languages: Language codes of labels/aliases to keep (``None``: all).
        references: Keep the statements' ``references`` (the fact layer does not read them).

    Returns:
        A smaller entity dict of the same shape, or ``None`` when it has no claim for
        ``relations``.
    """
    claims = entity.get("claims") or {}
    if relations is not None:
        claims = {p: v for p, v in claims.items() if p in relations}
        if not claims:
            return None
    out: dict[str, Any] = {k: entity[k] for k in ("type", "id", "lastrevid", "modified") if k in entity}
    for terms in ("labels", "aliases"):
        val = entity.get(terms) or {}
        if languages is not None and isinstance(val, dict):
            val = {lang: v for lang, v in val.items() if lang in languages}
        out[terms] = val
    if not references:
        claims = {
            p: [
                {k: v for k, v in st.items() if k != "references"} if isinstance(st, dict) else st
                for st in group
            ]
            for p, group in claims.items()
        }
    out["claims"] = claims
    sitelinks = entity.get("sitelinks") or {}
    out["sitelinks"] = sitelinks if isinstance(sitelinks, dict) else {}
    return out


def terms_only(entity: dict[str, Any], languages: frozenset[str] | None = None) -> dict[str, Any]:
    """Labels and aliases (and id, type) of an entity, for the label table of referenced ids."""
    out: dict[str, Any] = {"type": entity.get("type"), "id": entity.get("id")}
    for terms in ("labels", "aliases"):
        val = entity.get(terms) or {}
        if languages is not None and isinstance(val, dict):
            val = {lang: v for lang, v in val.items() if lang in languages}
        out[terms] = val
    return out


def referenced_ids(entity: dict[str, Any]) -> set[str]:
    """Ids of items/properties referenced by the entity's claims (values and qualifiers)."""
    found: set[str] = set()

    def snak(s: dict[str, Any]) -> None:
        prop = s.get("property")
        if prop:
            found.add(prop)
        dv = s.get("datavalue") or {}
        if dv.get("type") == "wikibase-entityid":
            v = dv.get("value") or {}
            vid = v.get("id")
            if not vid and "numeric-id" in v:
                prefix = {"item": "Q", "property": "P", "lexeme": "L"}.get(v.get("entity-type"), "Q")
                vid = f"{prefix}{v['numeric-id']}"
            if vid:
                found.add(vid)
        elif dv.get("type") == "quantity":
            unit = (dv.get("value") or {}).get("unit", "")
            if "/entity/" in unit:
                found.add(unit.rsplit("/", 1)[-1])

    for statements in (entity.get("claims") or {}).values():
        for st in statements:
            snak(st.get("mainsnak") or {})
            for quals in (st.get("qualifiers") or {}).values():
                for q in quals:
                    snak(q)
    found.discard(entity.get("id"))
    return found


_TOP_KEYS = (
    b'"labels":',
    b'"descriptions":',
    b'"aliases":',
    b'"claims":',
    b'"sitelinks":',
    b'"lastrevid":',
    b'"modified":',
)
_FEW_RELATIONS = 6
"""Up to this many relations, statement lists are found by direct search, else by one regex."""
_LATE_KEYS = frozenset({b'"sitelinks":', b'"lastrevid":', b'"modified":'})
_PKEY_RE = re.compile(rb'"P\d+":\[')
_STMT_RE = re.compile(rb'"(P\d+)":\[\{"mainsnak"')


class _Fallback(Exception):
    """The raw line does not have the layout the fast path expects: parse it whole."""


def _statement_level(line: bytes, pos: int, end: int) -> bool:
    """Whether the ``"Pn":[`` key at ``pos`` opens a statement list (not qualifier/reference snaks).

    A statement object carries ``"mainsnak"`` before any ``"snaktype"`` (its mainsnak's); a
    snak list shows ``"snaktype"`` first.
    """
    m = line.find(b'"mainsnak"', pos, end)
    if m == -1:
        return False
    s = line.find(b'"snaktype"', pos, end)
    return s == -1 or m < s


def fast_slim(
    line: bytes,
    relations: frozenset[str] | None,
    languages: frozenset[str] | None = None,
    *,
    references: bool = True,
    terms_only_: bool = False,
) -> dict[str, Any] | None:
    """:func:`slim_entity` (or :func:`terms_only`) straight from a raw dump line.

    Parses only the top-level parts needed (terms, the statement lists of ``relations``,
    sitelinks) instead of the whole entity; the skipped parts (other claims, their references)
    are most of a large entity's bytes. Falls back to a full parse whenever the line's layout is
    not the one expected, so the result always equals ``slim_entity(json.loads(line), ...)``.

    Args:
        line: One entity's JSON (no trailing comma).
        relations: Property ids (``None``: all claims, i.e. a full parse).
        languages: Languages of the terms to keep (``None``: all).
        references: Keep statement references (dropping them skips their bytes too).
        terms_only_: Return :func:`terms_only` instead.

    Returns:
        The slim entity, or ``None`` when it has no statement for ``relations``.
    """
    if relations is None and not terms_only_:
        return slim_entity(_loads(line), None, languages, references)
    try:
        return _fast_slim(line, relations or frozenset(), languages, terms_only_, references)
    except (_Fallback, ValueError, TypeError, KeyError, AttributeError):
        entity = _loads(line)
        if terms_only_:
            return terms_only(entity, languages)
        return slim_entity(entity, relations, languages, references)


def _strip_references(arr: bytes) -> bytes:
    """Cut each statement's ``"references":[...]`` from a dump statement list, in bytes.

    In the dump's layout ``references`` is a statement's last key, after ``rank``; a statement
    that does not look like that keeps its references (they are removed after parsing).
    """
    if b'"references":[' not in arr:
        return arr
    sep = b',{"mainsnak"'
    parts = arr.split(sep)
    for i, part in enumerate(parts):
        r = part.find(b',"references":[')
        if r == -1 or b'"rank":' not in part[:r]:
            continue
        last = i == len(parts) - 1
        if not part.endswith(b"]}]" if last else b"]}"):
            continue
        parts[i] = part[:r] + (b"}]" if last else b"}")
    return sep.join(parts)


def _fast_slim(
    line: bytes,
    relations: frozenset[str],
    languages: frozenset[str] | None,
    terms_only_: bool,
    references: bool = True,
) -> dict[str, Any] | None:
    if not line.startswith(b"{") or not line.endswith(b"}"):
        raise _Fallback
    found = []
    for key in _TOP_KEYS:
        # each key occurs once; the late ones are found faster from the end
        p = line.rfind(key) if key in _LATE_KEYS else line.find(key)
        if p != -1:
            found.append((p, key))
    claims_at = next((p for p, k in found if k == b'"claims":'), -1)
    # top-level "type"/"id" come before the claims in every known layout; a first "id" after
    # the claims would be a statement id: let the full parser handle such a layout
    head_end = claims_at if claims_at != -1 else len(line)
    head: dict[str, Any] = {}
    for key in (b'"type":', b'"id":'):
        p = line.find(key, 0, head_end)
        if p == -1:
            raise _Fallback
        found.append((p, key))
    found.sort()
    close = len(line) - 1  # the entity's closing brace
    seg: dict[bytes, tuple[int, int]] = {}
    for i, (p, key) in enumerate(found):
        start = p + len(key)
        end = found[i + 1][0] - 1 if i + 1 < len(found) else close
        if line[end : end + 1] not in (b",", b"}"):
            raise _Fallback
        seg[key] = (start, end)

    def value(key: bytes) -> Any:
        a, b = seg[key]
        return _loads(line[a:b])

    for key, name in ((b'"type":', "type"), (b'"id":', "id")):
        head[name] = value(key)
    if not isinstance(head["id"], str):
        raise _Fallback
    out: dict[str, Any] = {}
    if terms_only_:
        out = {"type": head["type"], "id": head["id"]}
        for key, name in ((b'"labels":', "labels"), (b'"aliases":', "aliases")):
            val = (value(key) if key in seg else {}) or {}
            if languages is not None and isinstance(val, dict):
                val = {lang: v for lang, v in val.items() if lang in languages}
            out[name] = val
        return out
    claims: dict[str, Any] = {}
    positions: dict[str, int] = {}
    if claims_at != -1:
        ca, cb = seg[b'"claims":']
        first = line.find(b"[", ca, cb)
        if first == -1:
            pass  # no statements at all ({} or [])
        elif line.startswith(b'[{"mainsnak"', first):
            # the dump's layout: every statement list opens with '[{"mainsnak"', which no
            # qualifier or reference snak list does — one regex pass finds them all
            spans: list[tuple[int, str, int, int]] = []
            if len(relations) <= _FEW_RELATIONS:
                # a few relations: a direct search for each is faster than listing all keys
                for rel in relations:
                    pos = line.find(f'"{rel}":[{{"mainsnak"'.encode(), ca, cb)
                    if pos == -1:
                        continue
                    astart = pos + len(rel) + 3
                    nxt = line.find(b'":[{"mainsnak"', astart + 1, cb)
                    aend = line.rfind(b',"', astart, nxt) if nxt != -1 else cb - 1
                    spans.append((pos, rel, astart, aend))
            else:
                keys = [(m.start(), m.group(1).decode()) for m in _STMT_RE.finditer(line, ca, cb)]
                for i, (pos, rel) in enumerate(keys):
                    if rel in relations:
                        aend = keys[i + 1][0] - 1 if i + 1 < len(keys) else cb - 1
                        spans.append((pos, rel, pos + len(rel) + 3, aend))
            for pos, rel, astart, aend in spans:
                raw_arr = line[astart:aend]
                arr = _loads(raw_arr if references else _strip_references(raw_arr))
                # wrong boundaries would show in the first or last statement
                if (
                    not isinstance(arr, list)
                    or not arr
                    or any(
                        not isinstance(st, dict) or (st.get("mainsnak") or {}).get("property", rel) != rel
                        for st in (arr[0], arr[-1])
                    )
                ):
                    raise _Fallback
                claims[rel] = arr
                positions[rel] = pos
        else:
            if not _statement_level(line, first, cb):
                raise _Fallback  # statements whose keys come in another order
            for rel in relations:
                needle = f'"{rel}":['.encode()
                pos = line.find(needle, ca, cb)
                while pos != -1 and not _statement_level(line, pos + len(needle) - 1, cb):
                    pos = line.find(needle, pos + len(needle), cb)
                if pos == -1:
                    continue
                astart = pos + len(needle) - 1
                aend = cb - 1  # before the claims object's closing brace
                for m in _PKEY_RE.finditer(line, astart + 1, cb):
                    if _statement_level(line, m.end() - 1, cb):
                        aend = m.start() - 1
                        break
                arr = _loads(line[astart:aend])
                if not isinstance(arr, list) or any(
                    (st.get("mainsnak") or {}).get("property", rel) != rel for st in arr
                ):
                    raise _Fallback
                claims[rel] = arr
                positions[rel] = pos
    if not claims:
        return None
    if not references:
        for group in claims.values():
            for st in group:
                if isinstance(st, dict):
                    st.pop("references", None)
    out = {"type": head["type"], "id": head["id"]}
    for key, name in ((b'"lastrevid":', "lastrevid"), (b'"modified":', "modified")):
        if key in seg:
            out[name] = value(key)
    for key, name in ((b'"labels":', "labels"), (b'"aliases":', "aliases")):
        val = (value(key) if key in seg else {}) or {}
        if languages is not None and isinstance(val, dict):
            val = {lang: v for lang, v in val.items() if lang in languages}
        out[name] = val
    # keep the claims in the entity's own order, as slim_entity does
    out["claims"] = {rel: claims[rel] for rel in sorted(claims, key=lambda r: positions[r])}
    sitelinks = (value(b'"sitelinks":') if b'"sitelinks":' in seg else {}) or {}
    out["sitelinks"] = sitelinks if isinstance(sitelinks, dict) else {}
    return out


@dataclass(frozen=True)
class _Job:
    needles: tuple[bytes, ...] | None
    ids: frozenset[str] | None
    mode: str  # "slim" | "terms" | "full" | "records" | "labels"
    relations: frozenset[str] | None
    languages: frozenset[str] | None
    fn: Callable[[dict[str, Any]], Any] | None
    references: bool = False
    qualifiers: frozenset[str] | None = None


_JOB: _Job | None = None


def _init_worker(job: _Job) -> None:
    global _JOB
    _JOB = job


def _scan(chunk: Chunk, job: _Job | None = None) -> tuple[int, int, list[Any], int]:
    """Pre-filter, parse and process one chunk; returns (entities, candidates, results, newlines).

    The cyclic garbage collector is paused meanwhile: parsed entities are large acyclic trees
    whose allocation would otherwise trigger many useless full collections.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _scan_chunk(chunk, job)
    finally:
        if enabled:
            gc.enable()


def _scan_packed(chunk: Chunk) -> tuple[int, int, bytes, int, str]:
    """:func:`_scan` in a worker, results packed into one blob (see :func:`_unpack`)."""
    job = _JOB
    assert job is not None
    n, cand, results, newlines = _scan(chunk)
    blob = encode_results(results) if job.mode in ("records", "labels") else None
    if blob is not None:
        return n, cand, blob, newlines, "msgpack"
    return n, cand, pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL), newlines, "pickle"


def _unpack(packed: tuple[int, int, bytes, int, str], records: bool = True) -> tuple[int, int, list[Any], int]:
    """Unpack a worker's results with the garbage collector paused.

    Results are many small acyclic objects (facts, entity dicts): letting the collector run
    while they are rebuilt costs more than the rebuilding, in the one process that also reads
    and decompresses the dump. Records and entities travel as msgpack (msgspec decodes them
    into the dataclasses in C, faster than unpickling), anything else as a pickle.
    """
    n, cand, blob, newlines, codec = packed
    enabled = gc.isenabled()
    gc.disable()
    try:
        results = decode_results(blob, records) if codec == "msgpack" else pickle.loads(blob)
        return n, cand, results, newlines
    finally:
        if enabled:
            gc.enable()


def _braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _chunk_error(chunk: Chunk, at: int, text: str, hint: str) -> DumpError | _LineError:
    """The error for the line at byte ``at`` of a chunk (``{line}`` in ``text`` is its number)."""
    err = _LineError(text, hint, chunk.data.count(b"\n", 0, at))
    return err.error(chunk.line) if chunk.line else err


def _newlines(data: bytes, spans: list[tuple[int, int]]) -> int:
    """``data.count(b"\\n")``, counting only the gaps between the (line start, line end) spans:
    each span is one line, so the bytes of the lines already found are not scanned again."""
    n = prev = 0
    size = len(data)
    for ls, le in spans:
        n += data.count(b"\n", prev, ls) + (le < size)
        prev = le + 1
    return n + data.count(b"\n", prev)


def _scan_chunk(chunk: Chunk, job: _Job | None = None) -> tuple[int, int, list[Any], int]:
    job = job or _JOB
    assert job is not None
    data = chunk.data
    spans: list[tuple[int, int]]
    if job.needles is None and job.ids is None:
        spans = []
        pos = 0
        while pos < len(data):
            end = data.find(b"\n", pos)
            end = len(data) if end == -1 else end
            spans.append((pos, end))
            pos = end + 1
    else:
        starts: dict[int, int] = {}
        if job.needles:
            # Property keys occur only inside an entity's "claims": the regex (a few hundred
            # MB/s) scans from there to the line's end, and the terms before the claims
            # (labels, descriptions, aliases: a large share of most lines) are skipped by
            # bytes.find, several times faster.
            search = _needle_regex(job.needles).search
            find = data.find
            c = find(_CLAIMS_KEY)
            while c != -1:
                le = find(b"\n", c)
                le = len(data) if le == -1 else le
                if search(data, c, le) is not None:
                    starts[data.rfind(b"\n", 0, c) + 1] = le
                c = find(_CLAIMS_KEY, le)
        if job.ids is not None and job.needles is None:
            # lines of the asked ids: the entity id is the first "id" key on the line
            pos = 0
            while pos < len(data):
                end = data.find(b"\n", pos)
                end = len(data) if end == -1 else end
                if pos not in starts:
                    m = _ID_RE.search(data, pos, min(end, pos + 4096))
                    if m is None or b"$" in m.group(0):
                        m = _ID_RE.search(data, pos, end)
                    if m is not None and data.find(b'"claims"', pos, m.start()) != -1:
                        # Keys not in dump order (e.g. sorted): the first "id" may be a value's.
                        try:
                            eid = _loads(data[pos:end].strip().rstrip(b",")).get("id", "")
                        except Exception:  # a malformed line is reported by the parse below
                            eid = None
                        if eid is None or eid in job.ids:
                            starts[pos] = end
                    elif m is not None and m.group(1).decode() in job.ids:
                        starts[pos] = end
                pos = end + 1
        spans = sorted(starts.items())
    newlines = _newlines(data, spans)
    entities = newlines + (0 if data.endswith(b"\n") or not data else 1)
    # bracket lines of the array are not entities
    if chunk.offset == 0 and data[:1] == b"[":
        entities -= 1
    tail = data[-8:].rstrip()
    if tail.endswith(b"]") and tail[-2:-1] in (b"\n", b""):
        entities -= 1
    results: list[Any] = []
    candidates = 0
    view = memoryview(data)
    for ls, le in spans:
        # the line without surrounding blanks and its trailing comma, as a view: the msgspec
        # path decodes it in place; the other paths get a copy
        a, b = ls, le
        while a < b and data[a] in _BLANKS:
            a += 1
        while b > a and data[b - 1] in _BLANKS:
            b -= 1
        if b > a and data[b - 1] == _COMMA:
            b -= 1
        if b - a <= 1 and data[a:b] in (b"", b"[", b"]"):
            continue
        candidates += 1
        line = view[a:b] if job.mode == "records" else data[a:b]
        try:
            if job.mode == "records":
                record = entity_record(
                    line, job.relations or frozenset(), job.languages, qualifiers=job.qualifiers
                )
                if record is not None and (job.ids is None or record.entity.id in job.ids):
                    results.append(record)
                continue
            if job.mode == "labels":
                info = terms_entity(line, job.languages)
                if job.ids is None or info.id in job.ids:
                    results.append(info)
                continue
            if job.mode == "slim":
                entity = fast_slim(line, job.relations, job.languages, references=job.references)
            elif job.mode == "terms":
                entity = fast_slim(line, None, job.languages, terms_only_=True)
            else:
                entity = _loads(line)
        except ValueError as err:
            raise _chunk_error(
                chunk,
                ls,
                f"dump line {{line}} (decompressed byte {chunk.offset + ls:,}) cannot be read: "
                f"{_braces(str(err))}; starts {_braces(repr(bytes(line[:80])))}",
                "the file is corrupt or truncated: download it again",
            ) from None
        if entity is None:
            continue
        if not isinstance(entity, dict):
            raise _chunk_error(
                chunk,
                ls,
                "dump line {line} is not an entity object",
                "pass a Wikidata JSON dump (latest-all.json[.gz|.bz2])",
            )
        if job.ids is not None and entity.get("id") not in job.ids:
            continue
        out = job.fn(entity) if job.fn is not None else entity
        if out is not None:
            results.append(out)
    return entities, candidates, results, newlines


# -- the stream --------------------------------------------------------------------------------


class _Progress:
    def __init__(self, enabled: bool, label: str, every: float = 2.0) -> None:
        self.enabled = enabled
        self.label = label
        self.every = every
        self.t0 = time.perf_counter()
        self.next = self.t0 + every

    def update(self, stats: DumpStats, final: bool = False) -> None:
        now = time.perf_counter()
        if not self.enabled or (now < self.next and not final):
            return
        self.next = now + self.every
        dt = max(now - self.t0, 1e-9)
        sys.stderr.write(
            f"\r{self.label}: {stats.bytes_in / 1e6:,.0f} MB, {stats.entities:,} entities "
            f"({stats.entities / dt:,.0f} entities/s, {stats.bytes_in / 1e6 / dt:,.0f} MB/s), "
            f"{stats.results:,} kept" + ("\n" if final else "")
        )
        sys.stderr.flush()


def iter_dump(
    path: str | os.PathLike[str],
    *,
    relations: Iterable[str] | None = None,
    ids: Iterable[str] | None = None,
    languages: Iterable[str] | None = None,
    terms: bool = False,
    references: bool = False,
    records: bool = False,
    qualifiers: Iterable[str] | None = None,
    fn: Callable[[dict[str, Any]], Any] | None = None,
    workers: int = 1,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    progress: bool = False,
    stats: DumpStats | None = None,
    max_in_flight: int | None = None,
    require_end: bool = True,
) -> Iterator[Any]:
    """Stream a dump and yield the per-entity results, in dump order.

    Args:
        path: The dump (``.json``, ``.json.gz``, ``.json.bz2``).
        relations: Property ids; only entities whose raw line contains one of their keys are
            parsed (``None``: no property pre-filter).
        ids: Entity ids to keep (``None``: all). With ``relations`` too, both must match.
        languages: Languages of the terms kept in slim / terms entities (``None``: all).
        terms: Yield :func:`terms_only` entities of ``ids`` (labels and aliases only).
        references: Keep statement references in slim entities (default: dropped, unread by
            the fact layer and about half of a statement list's bytes).
        records: Yield what a build keeps instead of entity dicts: an
            :class:`~kcdata.facts.fast.EntityRecord` (entity info, facts of ``relations``,
            referenced ids) per subject, or with ``terms`` an :class:`~kcdata.types.Entity`
            (labels and aliases). Made in the workers straight from the raw line (msgspec with
            the ``fast`` extra), the fastest way from a dump to facts; ``fn`` is not used.
        qualifiers: With ``records``, the qualifier properties facts keep (``None``: all).
        fn: Picklable top-level function run in the workers on each entity — the slim entity
            (see :func:`slim_entity`, built by :func:`fast_slim`) when ``relations`` is given,
            else the full entity; ``None`` results are dropped. Default: yield the entity.
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

    Yields:
        Per-entity results.

    Raises:
        DumpError: Corrupt or truncated input (line and byte offset named).
        ConfigError: Missing file or bad arguments.
    """
    if workers < 1:
        raise ConfigError(f"workers must be >= 1, got {workers}", "pass --workers 1 or more")
    rel = frozenset(relations) if relations is not None else None
    idset = frozenset(ids) if ids is not None else None
    # "mul" (default for all languages) labels count for every language
    langs = frozenset(languages) | {"mul"} if languages is not None else None
    mode = "terms" if terms else ("slim" if rel is not None else "full")
    if records:
        if not terms and rel is None:
            raise ConfigError("records=True needs relations", "pass the relations whose facts are wanted")
        mode, fn = ("labels" if terms else "records"), None
    if terms and idset is None:
        raise ConfigError("terms=True needs ids", "pass the ids whose labels are wanted")
    needles = property_needles(rel) if rel is not None and not terms else None
    if rel is not None and not rel and idset is None:
        needles = ()  # nothing asked: every line is filtered out
    quals = frozenset(qualifiers) if qualifiers is not None else None
    job = _Job(needles, idset, mode, rel, langs, fn, references, quals)
    stats = stats if stats is not None else DumpStats()
    stats.backends = {"gzip": GZIP_BACKEND, "json": RECORD_BACKEND if records else JSON_BACKEND}
    prog = _Progress(progress, f"dump {Path(path).name}")
    t0 = time.perf_counter()
    stream, raw = open_dump(path)
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

        def tally(n: int, cand: int, res: list[Any], newlines: int) -> list[Any]:
            nonlocal line
            line += newlines
            stats.entities += n
            stats.candidates += cand
            stats.results += len(res)
            return res

        if workers <= 1:
            try:
                for chunk in counted(chunks):
                    yield from tally(*_scan(dataclasses.replace(chunk, line=line), job))
                    prog.update(stats)
            except _LineError as err:
                raise err.error(line) from None
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
                            scanned = _unpack(item.result(), job.mode == "records")
                        else:
                            scanned = item
                    except _LineError as err:
                        raise err.error(line) from None
                    return tally(*scanned)

                try:
                    try:
                        for chunk in counted(chunks):
                            busy = sum(1 for f in pending if isinstance(f, Future) and not f.done())
                            if main_scans and busy >= 2 * helpers:
                                try:
                                    pending.append(_scan(chunk, job))
                                except _LineError as err:
                                    pending.append(err)
                            else:
                                pending.append(pool.submit(_scan_packed, chunk))
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


def iter_entities(
    path: str | os.PathLike[str],
    relations: Iterable[str],
    languages: Iterable[str] | None = None,
    *,
    workers: int = 1,
    referenced_labels: bool = True,
    progress: bool = False,
    stats: DumpStats | None = None,
    require_end: bool = True,
) -> Iterator[dict[str, Any]]:
    """Entities with claims for ``relations``, then the terms of every entity they reference.

    Two passes over the dump: the first yields slim subject entities (see :func:`slim_entity`)
    and collects the ids their claims and qualifiers reference; the second yields
    :func:`terms_only` entities (labels and aliases) for those ids. Both are standard Wikibase
    entity dicts, as the API source yields. :func:`iter_records` gives the same content as
    facts and :class:`~kcdata.types.Entity` objects, faster.

    Args:
        path: The dump.
        relations: Property ids of the facts wanted.
        languages: Languages of labels/aliases to keep (``None``: all).
        workers: Worker processes (see :func:`iter_dump`).
        referenced_labels: Run the second pass.
        progress: Progress on stderr.
        stats: Counters of the first pass.
        require_end: See :func:`iter_dump`.

    Yields:
        Entity dicts.
    """
    yield from _two_passes(
        path, relations, languages, False, lambda e: (e["id"], referenced_ids(e)),
        workers=workers, referenced_labels=referenced_labels, progress=progress, stats=stats,
        require_end=require_end,
    )


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
) -> Iterator[EntityRecord | Entity]:
    """What a build keeps of the dump: subject records, then the terms of referenced entities.

    The first pass yields an :class:`~kcdata.facts.fast.EntityRecord` per entity with a
    statement for ``relations`` (its facts, labels, aliases, sitelink count and revision, made
    in the workers); the second yields an :class:`~kcdata.types.Entity` (labels and aliases)
    for every id those facts reference. Same content as :func:`iter_entities` run through
    :func:`kcdata.facts.parse_entity` and :func:`kcdata.facts.parse_entity_info`.

    Args: as :func:`iter_entities`, and ``qualifiers``: the qualifier properties facts keep
    (``None``: all; a build passes those its rules read).

    Yields:
        Records, then entities.
    """
    yield from _two_passes(
        path, relations, languages, True, lambda r: (r.entity.id, r.references),
        workers=workers, referenced_labels=referenced_labels, progress=progress, stats=stats,
        require_end=require_end, qualifiers=qualifiers,
    )


def _two_passes(
    path: str | os.PathLike[str],
    relations: Iterable[str],
    languages: Iterable[str] | None,
    records: bool,
    refs_of: Callable[[Any], tuple[str, Iterable[str]]],
    *,
    workers: int,
    referenced_labels: bool,
    progress: bool,
    stats: DumpStats | None,
    require_end: bool,
    qualifiers: Iterable[str] | None = None,
) -> Iterator[Any]:
    rel = frozenset(relations)
    langs = frozenset(languages) if languages is not None else None
    wanted: set[str] = set()
    seen: set[str] = set()
    for item in iter_dump(
        path,
        relations=rel,
        languages=langs,
        records=records,
        qualifiers=qualifiers,
        workers=workers,
        progress=progress,
        stats=stats,
        require_end=require_end,
    ):
        eid, refs = refs_of(item)
        seen.add(eid)
        wanted.update(refs)
        yield item
    wanted -= seen
    if referenced_labels and wanted:
        log.info("second pass over %s for the labels of %d referenced entities", path, len(wanted))
        yield from iter_dump(
            path,
            ids=wanted,
            languages=langs,
            terms=True,
            records=records,
            workers=workers,
            progress=progress,
            require_end=require_end,
        )


def write_jsonl_atomic(items: Iterable[Any], out: str | os.PathLike[str]) -> int:
    """Write items as JSON lines to ``out`` via a temporary file renamed at the end.

    If the input raises (e.g. a :class:`DumpError`), the temporary file is removed and ``out``
    is untouched.

    Returns:
        Number of lines written.
    """
    n = 0
    with atomic_path(out) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        for item in items:
            fh.write(json.dumps(item, ensure_ascii=False, sort_keys=True))
            fh.write("\n")
            n += 1
    return n
