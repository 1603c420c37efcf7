"""The per-chunk work of the dump reader: pre-filter raw lines, parse them, make the results.

:func:`kcdata.sources.dump.iter_dump` cuts the decompressed dump into chunks of whole lines and
hands the bytes of each, with their offset in the stream, to :func:`_scan` (in this process) or
:func:`_scan_packed` (in a helper process, which got its :class:`_Job` once through
:func:`_init_worker`). A scan

1. pre-filters raw bytes: a line is looked at only if its claims contain the key of an asked
   property (``"P6":``, one regex for all) or, for the label pass, its id is an asked one;
2. parses only the parts the asked :class:`DumpOutput` needs, straight from the raw line
   (:func:`kcdata.facts.fast.entity_record`, :func:`kcdata.facts.fast.terms_entity`,
   :func:`kcdata.facts.slim.fast_slim`);
3. counts the chunk's lines from the gaps between the lines it parsed (no separate pass).

Errors are :class:`_LineError` objects, whose line numbers count from the chunk's first line: only
the process that sees every chunk's count, in order, can number them (``iter_dump`` does).

Helper processes find these functions by module path (the pool pickles them by qualified name),
so they stay top-level functions of this module.
"""

from __future__ import annotations

import enum
import functools
import gc
import pickle
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kcdata.errors import InputError
from kcdata.facts.checks import BadValue, json_problem
from kcdata.facts.fast import decode_results, encode_results, entity_record, terms_entity
from kcdata.facts.slim import _loads, fast_slim

_ID_RE = re.compile(rb'"id":"([A-Z]\d+)"')
_CLAIMS_KEY = b'"claims":'
_BLANKS = frozenset(b" \t\r\n")
_COMMA = ord(",")


class DumpOutput(enum.StrEnum):
    """What :func:`kcdata.sources.dump.iter_dump` yields for each entity it keeps."""

    RECORDS = "records"
    """An :class:`~kcdata.facts.fast.EntityRecord` per entity with a statement for the asked
    relations (its facts, entity info and referenced ids), made straight from the raw line: what
    a build keeps. Needs ``relations``."""
    LABELS = "labels"
    """An :class:`~kcdata.types.Entity` (labels, aliases and kind: classes, gender, years of
    birth and death) per asked id: the build's label pass. Needs ``ids``."""
    SLIM = "slim"
    """A slim entity dict (:func:`kcdata.facts.slim.slim_entity`: terms, the statement lists of
    the asked relations without their references, sitelinks), or every claim without
    ``relations``."""
    TERMS = "terms"
    """A :func:`kcdata.facts.slim.terms_only` dict (type, id, labels, aliases) per asked id.
    Needs ``ids``."""
    FULL = "full"
    """The whole entity dict, as the dump has it (filtered by ``ids`` only)."""


class _LineError(Exception):
    """A dump error whose line number is known only relative to a chunk or to the stream read
    so far: lines are counted by whoever scans a chunk, so the absolute number is filled in by
    the one process that sees every chunk's count, in order (``kcdata.sources.dump``).

    ``text`` holds a ``{line}`` field for that number, which is ``lines_after`` lines after the
    line it counts from.
    """

    def __init__(self, text: str, hint: str, lines_after: int = 0) -> None:
        super().__init__(text, hint, lines_after)
        self.text, self.hint, self.lines_after = text, hint, lines_after


class DumpError(InputError):
    """The dump is corrupt or truncated; the message names the line and byte offset."""


def _numbered(err: _LineError, line: int) -> DumpError:
    """The :class:`DumpError` of ``err``, ``line`` being the number of the line it counts from."""
    return DumpError(err.text.format(line=f"{line + err.lines_after:,}"), err.hint)


@functools.lru_cache(maxsize=8)
def _needle_regex(needles: tuple[bytes, ...]) -> re.Pattern[bytes]:
    """One alternation over all needles: a single scan instead of one per property."""
    return re.compile(b"|".join(re.escape(n) for n in needles))


def property_needles(relations: Iterable[str]) -> tuple[bytes, ...]:
    """Raw-byte keys that an entity with a claim for one of ``relations`` must contain."""
    return tuple(f'"{r}":'.encode() for r in sorted(set(relations)))


@dataclass(frozen=True)
class _Job:
    """What every chunk of one pass is scanned for (sent once to each helper process)."""

    needles: tuple[bytes, ...] | None
    """Property keys of the pre-filter (``None``: no property pre-filter)."""
    ids: frozenset[str] | None
    """Entity ids to keep (``None``: all)."""
    output: DumpOutput
    relations: frozenset[str] | None
    languages: frozenset[str] | None
    qualifiers: frozenset[str] | None = None
    quarantine: bool = False
    """Set aside what fails its checks (returned as :data:`Problem` tuples) instead of raising:
    an entity-level problem raises :class:`_LineError` without it, a statement is left out
    either way."""


Problem = tuple[int, int, str, str, bool, "str | None", bool]
"""A problem found in a chunk: (line within the chunk, 0-based; decompressed byte offset of the
line; reason; detail; entity level; fact id; fatal), numbered and recorded by ``iter_dump``."""

_JOB: _Job | None = None


def _init_worker(job: _Job) -> None:
    global _JOB
    _JOB = job


def _scan(data: bytes, offset: int, job: _Job | None = None) -> tuple[int, int, list[Any], int, list[Problem]]:
    """Pre-filter, parse and process one chunk; returns (entities, candidates, results, newlines,
    problems).

    ``data`` is a run of whole lines of the decompressed dump, starting at decompressed byte
    ``offset``; ``job`` defaults to the one :func:`_init_worker` set.

    The cyclic garbage collector is paused meanwhile: parsed entities are large acyclic trees
    whose allocation would otherwise trigger many useless full collections.

    Raises:
        _LineError: A line cannot be read; its line number counts from the chunk's first line.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _scan_chunk(data, offset, job)
    finally:
        if enabled:
            gc.enable()


def _scan_packed(data: bytes, offset: int) -> tuple[int, int, bytes, int, str, list[Problem]]:
    """:func:`_scan` in a worker, results packed into one blob (see :func:`_unpack`)."""
    job = _JOB
    assert job is not None
    n, cand, results, newlines, problems = _scan(data, offset)
    blob = encode_results(results) if job.output in (DumpOutput.RECORDS, DumpOutput.LABELS) else None
    if blob is not None:
        return n, cand, blob, newlines, "msgpack", problems
    return n, cand, pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL), newlines, "pickle", problems


def _unpack(
    packed: tuple[int, int, bytes, int, str, list[Problem]], records: bool = True
) -> tuple[int, int, list[Any], int, list[Problem]]:
    """Unpack a worker's results with the garbage collector paused.

    Results are many small acyclic objects (facts, entity dicts): letting the collector run
    while they are rebuilt costs more than the rebuilding, in the one process that also reads
    and decompresses the dump. Records and entities travel as msgpack (msgspec decodes them
    into the dataclasses in C, faster than unpickling), anything else as a pickle.
    """
    n, cand, blob, newlines, codec, problems = packed
    enabled = gc.isenabled()
    gc.disable()
    try:
        results = decode_results(blob, records) if codec == "msgpack" else pickle.loads(blob)
        return n, cand, results, newlines, problems
    finally:
        if enabled:
            gc.enable()


def _braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _chunk_error(data: bytes, at: int, text: str, hint: str) -> _LineError:
    """The error for the line at byte ``at`` of a chunk (``{line}`` in ``text`` is its number)."""
    return _LineError(text, hint, data.count(b"\n", 0, at))


def _newlines(data: bytes, spans: list[tuple[int, int]]) -> int:
    """``data.count(b"\\n")``, counting only the gaps between the (line start, line end) spans:
    each span is one line, so the bytes of the lines already found are not scanned again."""
    n = prev = 0
    size = len(data)
    for ls, le in spans:
        n += data.count(b"\n", prev, ls) + (le < size)
        prev = le + 1
    return n + data.count(b"\n", prev)


class _Problems(list):
    """The :data:`Problem` tuples of one chunk; lines are counted on from the last one added
    (spans come in order), so many problems in a chunk cost one pass over it, not one each."""

    def __init__(self, data: bytes, offset: int) -> None:
        super().__init__()
        self.data, self.offset, self.at, self.lines = data, offset, 0, 0

    def add(self, at: int, p: BadValue) -> None:
        self.lines += self.data.count(b"\n", self.at, at)
        self.at = at
        self.append((self.lines, self.offset + at, p.reason, p.detail, p.entity, p.fact_id, p.fatal))


def _scan_chunk(
    data: bytes, offset: int, job: _Job | None = None
) -> tuple[int, int, list[Any], int, list[Problem]]:
    job = job or _JOB
    assert job is not None
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
    if offset == 0 and data[:1] == b"[":
        entities -= 1
    tail = data[-8:].rstrip()
    if tail.endswith(b"]") and tail[-2:-1] in (b"\n", b""):
        entities -= 1
    results: list[Any] = []
    problems = _Problems(data, offset)
    candidates = 0
    output = job.output
    records = output is DumpOutput.RECORDS
    quarantine = job.quarantine
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
        line = view[a:b] if records else data[a:b]
        found: list[BadValue] = []
        try:
            if records:
                record = entity_record(
                    line, job.relations or frozenset(), job.languages, qualifiers=job.qualifiers, problems=found
                )
                if record is not None and (job.ids is None or record.entity.id in job.ids):
                    results.append(record)
                entity = None
            elif output is DumpOutput.LABELS:
                info = terms_entity(line, job.languages)
                if job.ids is None or info.id in job.ids:
                    results.append(info)
                entity = None
            elif output is DumpOutput.SLIM:
                entity = fast_slim(line, job.relations, job.languages, references=False)
            elif output is DumpOutput.TERMS:
                entity = fast_slim(line, None, job.languages, terms_only_=True)
            else:
                entity = _loads(line)
        except (ValueError, RecursionError) as err:
            if not quarantine:
                raise _chunk_error(
                    data,
                    ls,
                    f"dump line {{line}} (decompressed byte {offset + ls:,}) cannot be read: "
                    f"{_braces(str(err))}; starts {_braces(repr(bytes(line[:80])))}",
                    "the file is corrupt or truncated: download it again",
                ) from None
            problems.add(ls, json_problem(err))
            continue
        except (TypeError, AttributeError, KeyError, IndexError) as err:  # no check names it
            if not quarantine:
                raise
            problems.add(ls, BadValue("unreadable_entity", f"{type(err).__name__}: {str(err)[:200]}", entity=True))
            continue
        for p in found:
            if quarantine:
                problems.add(ls, p)
            elif p.entity and p.fatal:
                raise _chunk_error(data, ls, f"dump line {{line}} (decompressed byte {offset + ls:,}): "
                                             f"{_braces(p.detail)} ({p.reason})",
                                   "the entity is malformed: pass the dump to a build, which sets it aside")
        if entity is None:
            continue
        if not isinstance(entity, dict):
            if quarantine:
                problems.add(ls, BadValue("bad_entity_json", "not an entity object", entity=True))
                continue
            raise _chunk_error(
                data,
                ls,
                "dump line {line} is not an entity object",
                "pass a Wikidata JSON dump (latest-all.json[.gz|.bz2])",
            )
        if job.ids is not None and entity.get("id") not in job.ids:
            continue
        results.append(entity)
    return entities, candidates, results, newlines, list(problems)


def _scan_range(plan: Any, start: int, end: int, chunk_bytes: int) -> list[Any]:
    """In a worker: decode the dump's lines that start in ``[start, end)`` from the shared seek
    index (:mod:`kcdata.sources.ranges`) and scan them in chunks of about ``chunk_bytes``, as
    :func:`_scan_packed` does for a chunk the reader sends. Returns the packed chunks in order,
    ending at the first :class:`_LineError` (returned, not raised, so that the chunks before it
    are counted first); each packed chunk carries its byte length at the end."""
    from kcdata.sources.ranges import read_range

    out: list[Any] = []
    lines: list[bytes] = []
    size, first = 0, start

    def flush() -> bool:
        nonlocal lines, size
        if not lines:
            return True
        data = b"\n".join(lines) + b"\n"
        try:
            out.append((*_scan_packed(data, first), len(data)))
        except _LineError as err:
            out.append(err)
            return False
        lines, size = [], 0
        return True

    for off, line in read_range(plan, start, end):
        if not lines:
            first = off
        lines.append(line)
        size += len(line) + 1
        if size >= chunk_bytes and not flush():
            return out
    flush()
    return out


def record_scan(scanned: tuple[int, int, list[Any], int, list[Problem]], line: int, stats: Any,
                quarantine: Any, path: str) -> int:
    """Count one scanned chunk into ``stats`` and set its problems aside in ``quarantine``,
    ``line`` being the number of the chunk's first line; returns the chunk's newlines."""
    from kcdata.facts.checks import problem

    n, cand, res, newlines, problems = scanned
    for rel_line, at, reason, detail, entity, fact_id, fatal in problems:
        assert quarantine is not None
        quarantine.add(problem(reason, detail, entity, fact_id, fatal), file=path, line=line + rel_line, offset=at)
    stats.entities += n
    stats.candidates += cand
    stats.results += len(res)
    return newlines
