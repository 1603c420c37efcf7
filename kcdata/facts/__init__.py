"""Parse Wikibase entity JSON into :class:`~kcdata.types.Fact` and :class:`~kcdata.types.Entity`.

Reads the three real forms: dump lines (one entity per line inside ``[`` ... ``]``, each line ending
in ``,``), ``Special:EntityData`` / ``wbgetentities`` responses (``{"entities": {...}}``) and bare
entity objects; also JSON Lines with one entity per line.

Every value read is checked at this boundary (:mod:`kcdata.facts.checks`): a statement that fails
is left out of its fact, an entity that fails is lost, each with a named reason; a reader given a
:class:`~kcdata.facts.checks.Quarantine` sets them aside with their file, line and byte offset and
goes on.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from kcdata.errors import InputError
from kcdata.facts import checks
from kcdata.facts.checks import BadValue, Quarantine
from kcdata.fileio import not_a_file
from kcdata.types import PRECISION_YEAR, Entity, Fact, Statement, TimeValue, Value

_PREFIX = {"item": "Q", "property": "P", "lexeme": "L"}

INFO_PROPERTIES = frozenset({"P21", "P31", "P569", "P570"})
"""The claims :func:`parse_entity_info` reads for an entity's kind: ``P31`` instance of (its
classes), ``P21`` sex or gender, ``P569`` / ``P570`` dates of birth and death (its lifetime)."""


def parse_time(value: dict[str, Any]) -> TimeValue:
    """Parse a Wikidata ``time`` datavalue, keeping precision, sign and calendar.

    Args:
        value: the ``datavalue.value`` object, e.g. ``{"time": "+1850-03-00T00:00:00Z",
            "precision": 10, "calendarmodel": ".../Q1985727"}``.

    Returns:
        A TimeValue whose month / day are 0 where the precision does not reach them.

    Raises:
        BadValue: ``bad_time_value`` (a ValueError): the time is not Wikidata's form, its precision
            is not 0-14, its calendar is unknown, or its month or day is impossible at its precision
            (see :func:`kcdata.facts.checks.time_parts`).
    """
    return checks.time_value(value)


def parse_snak(snak: dict[str, Any]) -> Value:
    """Parse one snak (main snak or qualifier) into a :class:`Value` of any datavalue type.

    Raises:
        BadValue: the snak or its value fails its check (:mod:`kcdata.facts.checks`).
    """
    if not isinstance(snak, dict):
        raise BadValue("bad_statement", f"a snak must be an object, got {checks.echo(snak)}")
    snaktype = snak.get("snaktype", "value")
    if snaktype in ("somevalue", "novalue"):
        return Value(type=snaktype)
    if snaktype != "value":
        raise BadValue("bad_statement", f"unknown snaktype {checks.echo(snaktype)}")
    dv = snak.get("datavalue")
    if not isinstance(dv, dict):
        raise BadValue("bad_statement", f"a value snak needs a datavalue object, got {checks.echo(dv)}")
    vtype = dv.get("type")
    v = dv.get("value")
    if vtype == "wikibase-entityid":
        return Value(type="item", item=checks.item_ref(v))
    if vtype == "time":
        return Value(type="time", time=checks.time_value(v))
    if vtype == "quantity":
        return Value(type="quantity", quantity=checks.quantity(v))
    if vtype == "monolingualtext":
        if not isinstance(v, dict):
            raise BadValue("bad_text", f"a monolingual text must be an object, got {checks.echo(v)}")
        return Value(type="monolingualtext", text=checks.text(v.get("text"), "text"),
                     language=checks.text(v.get("language"), "language"))
    if vtype == "string":
        return Value(type="string", text=checks.text(v, "string value"))
    if vtype == "globecoordinate":
        if not isinstance(v, dict):
            raise BadValue("bad_coordinate", f"a coordinate must be an object, got {checks.echo(v)}")
        lat, lon, globe = checks.coordinate(v.get("latitude"), v.get("longitude"), v.get("globe"))
        return Value(type="globecoordinate", latitude=lat, longitude=lon, globe=globe)
    if not isinstance(vtype, str):
        raise BadValue("bad_statement", f"datavalue type {checks.echo(vtype)} is not a string")
    try:
        raw = json.dumps(v, sort_keys=True, ensure_ascii=False)
    except RecursionError:
        raise BadValue("json_too_deep", f"a {checks.echo(vtype)} value nested too deep") from None
    except (TypeError, ValueError) as e:
        raise BadValue("bad_statement", f"a {checks.echo(vtype)} value cannot be kept: {e}") from None
    return Value(type="other", text=checks.text(raw, f"a {checks.echo(vtype)} value"))


def parse_statement(claim: dict[str, Any], qualifiers_wanted: frozenset[str] | None = None) -> Statement:
    """Parse one claim object (with ``mainsnak``, ``rank``, ``qualifiers``, ``id``).

    ``qualifiers_wanted``: keep only these qualifier properties (``None``: all); only those are
    read and checked.

    Raises:
        BadValue: the statement, its main snak or a kept qualifier fails its check.
    """
    if not isinstance(claim, dict):
        raise BadValue("bad_statement", f"a statement must be an object, got {checks.echo(claim)}")
    rank = claim.get("rank", "normal")
    if not isinstance(rank, str) or rank not in checks.RANKS:
        raise BadValue("bad_statement", f"unknown rank {checks.echo(rank)}")
    sid = checks.text(claim.get("id", ""), "statement id")
    if not isinstance(claim.get("mainsnak"), dict):
        raise BadValue("bad_statement", f"statement {checks.echo(sid)} has no main snak object")
    quals = claim.get("qualifiers")
    order = claim.get("qualifiers-order")
    if quals == []:  # PHP's empty object
        quals = None
    if not (quals is None or isinstance(quals, dict)) or not (order is None or isinstance(order, list)):
        raise BadValue("bad_statement", f"statement {checks.echo(sid)}: qualifiers are not an object of lists")
    qualifiers: dict[str, tuple[Value, ...]] = {}
    for pid in (list(quals) if order is None else order) if quals is not None else ():
        if not isinstance(pid, str):
            raise BadValue("bad_statement", f"statement {checks.echo(sid)}: qualifier key {checks.echo(pid)}")
        if qualifiers_wanted is None or pid in qualifiers_wanted:
            snaks = quals.get(checks.property_id(pid)) or []
            if not isinstance(snaks, list):
                raise BadValue("bad_statement", f"statement {checks.echo(sid)}: qualifier {pid} is not a list")
            qualifiers[pid] = tuple(parse_snak(s) for s in snaks)
    return Statement(id=sid, rank=rank, value=parse_snak(claim["mainsnak"]), qualifiers=qualifiers)


def _claims(entity: dict[str, Any]) -> dict[str, Any]:
    """The entity's claims (or MediaInfo-style ``statements``); an empty list is PHP's empty object."""
    claims = entity.get("claims") or entity.get("statements") or {}
    if not isinstance(claims, dict):
        raise BadValue("bad_entity_shape", f"claims is not an object: {checks.echo(claims)}", entity=True)
    return claims


def check_entity(entity: Any) -> str:
    """The entity-level checks (an object; its id; labels and aliases; ``lastrevid``, ``modified``;
    claims an object); returns the id.

    Raises:
        Skipped: an entity kcdata does not build from (``unsupported_entity``).
        BadValue: an entity-level problem (``entity`` is True).
    """
    if not isinstance(entity, dict):
        raise BadValue("bad_entity_json", f"an entity must be an object, got {checks.echo(entity)}", entity=True)
    eid = checks.entity_id(entity.get("id"))
    checks.terms(entity)
    checks.revision(entity.get("lastrevid"))
    checks.modified(entity.get("modified"))
    _claims(entity)
    return eid


def clean_entity(entity: Any, problems: list[BadValue]) -> dict[str, Any] | None:
    """``entity`` with every statement that fails its checks left out: the entity itself when
    nothing fails, else a shallow copy; ``None`` when an entity-level problem loses it (see
    :func:`check_entity`). Each problem is added to ``problems``, its ``fact_id`` set."""
    try:
        eid = check_entity(entity)
    except BadValue as p:
        eid = entity.get("id") if isinstance(entity, dict) else None
        p.fact_id = eid if checks.is_value_id(eid) else None
        problems.append(p)
        return None
    key = "claims" if entity.get("claims") or not entity.get("statements") else "statements"
    kept: dict[str, Any] = {}
    changed = False
    for pid, group in _claims(entity).items():
        good = _parse_group(eid, pid, group, None, problems)
        if good is None or not isinstance(group, list) or len(good) != len(group):
            changed = True
            if good:
                kept[pid] = [claim for claim, _ in good]
        else:
            kept[pid] = group
    return {**entity, key: kept} if changed else entity


def _parse_group(eid: str, pid: Any, group: Any, qualifiers: frozenset[str] | None,
                 problems: list[BadValue] | None) -> list[tuple[Any, Statement]] | None:
    """``(claim, statement)`` of the statements of one claims entry that pass their checks (None:
    the entry is no list of statements under a property id); the failing ones go to ``problems``."""
    if group is None:  # no statements (the dump's structs read a null list so)
        return []
    try:
        checks.property_id(pid)
        if not isinstance(group, list):
            raise BadValue("bad_statement", f"claims {pid} is not a list: {checks.echo(group)}")
    except BadValue as p:
        p.fact_id = f"{eid}:{pid}" if isinstance(pid, str) and not checks.has_surrogate(pid) else eid
        if problems is not None:
            problems.append(p)
        return None
    good = []
    for claim in group:
        try:
            good.append((claim, parse_statement(claim, qualifiers)))
        except BadValue as p:
            p.fact_id = f"{eid}:{pid}"
            if problems is not None:
                problems.append(p)
    return good


def best_ranked(candidates: Iterable[tuple[bool, Any]]) -> Any:
    """The first value of the preferred-rank ``(preferred, value)`` pairs, else the first one.

    ``candidates`` are the usable values of the non-deprecated statements, in statement order;
    ``None`` when there is none.
    """
    first = None
    for preferred, value in candidates:
        if preferred:
            return value
        if first is None:
            first = value
    return first


def _ranked_datavalues(group: Any) -> Iterator[tuple[bool, dict[str, Any]]]:
    """(preferred, datavalue) of a statement list's non-deprecated value snaks, in order."""
    if not isinstance(group, list):
        return
    for st in group:
        if not isinstance(st, dict):
            continue
        rank = st.get("rank", "normal")
        if rank == "deprecated":
            continue
        snak = st.get("mainsnak")
        if not isinstance(snak, dict) or snak.get("snaktype", "value") != "value":
            continue
        dv = snak.get("datavalue")
        if isinstance(dv, dict):
            yield rank == "preferred", dv


def _item_ids(group: Any) -> Iterator[tuple[bool, str]]:
    for preferred, dv in _ranked_datavalues(group):
        v = dv.get("value")
        if dv.get("type") != "wikibase-entityid" or not isinstance(v, dict):
            continue
        eid = v.get("id")
        if isinstance(eid, str) and eid:
            if checks.ENTITY_ID_RE.fullmatch(eid):
                yield preferred, eid
            continue
        num = v.get("numeric-id")
        if isinstance(num, int) and not isinstance(num, bool) and num > 0:
            kind = v.get("entity-type", "")
            eid = f"{_PREFIX.get(kind, 'Q') if isinstance(kind, str) else 'Q'}{num}"
            if checks.ENTITY_ID_RE.fullmatch(eid):
                yield preferred, eid


def time_year(time: str, precision: int, calendar: str | None = None) -> int | None:
    """The signed year of a checked Wikidata time at year precision or finer, else None (also
    for a time that fails its check: see :func:`kcdata.facts.checks.time_parts`)."""
    try:
        year, _, _, p, _ = checks.time_parts(time, precision, calendar)
    except BadValue:
        return None
    return year if p >= PRECISION_YEAR else None


def _years(group: Any) -> Iterator[tuple[bool, int]]:
    for preferred, dv in _ranked_datavalues(group):
        v = dv.get("value")
        if dv.get("type") != "time" or not isinstance(v, dict):
            continue
        year = time_year(v.get("time"), v.get("precision", 11), v.get("calendarmodel"))
        if year is not None:
            yield preferred, year


def claims_info(claims: Any) -> tuple[tuple[str, ...], str | None, int | None, int | None]:
    """``(classes, gender, born, died)`` from an entity's ``claims`` dict (see
    :class:`~kcdata.types.Entity`); odd or missing values give ``((), None, None, None)`` parts,
    never an error."""
    if not isinstance(claims, dict) or not claims:
        return (), None, None, None
    classes = tuple(dict.fromkeys(eid for _, eid in _item_ids(claims.get("P31"))))
    return (
        classes,
        best_ranked(_item_ids(claims.get("P21"))),
        best_ranked(_years(claims.get("P569"))),
        best_ranked(_years(claims.get("P570"))),
    )


def parse_entity_info(entity: dict[str, Any]) -> Entity:
    """Labels, aliases, sitelink count and revision of an entity, and its kind: classes
    (``P31``), gender (``P21``) and years of birth and death (``P569``, ``P570``), read from its
    ``claims`` (or ``statements``) as :func:`claims_info` reads them (odd kind claims give no
    kind, never an error).

    The id is taken as it is (the readers check it: :func:`clean_entity`).

    Raises:
        BadValue: the labels, aliases, ``lastrevid`` or ``modified`` fail their checks (an
            entity-level problem).
    """
    if not isinstance(entity, dict):
        raise BadValue("bad_entity_json", f"an entity must be an object, got {checks.echo(entity)}", entity=True)
    eid = entity.get("id")
    labels, aliases = checks.terms(entity)
    sitelinks = entity.get("sitelinks")
    classes, gender, born, died = claims_info(entity.get("claims") or entity.get("statements"))
    return Entity(
        id=eid,
        labels=labels,
        aliases=aliases,
        sitelinks=len(sitelinks) if isinstance(sitelinks, dict) else None,
        lastrevid=checks.revision(entity.get("lastrevid")),
        modified=checks.modified(entity.get("modified")),
        classes=classes,
        gender=gender,
        born=born,
        died=died,
    )


def parse_entity(
    entity: dict[str, Any],
    source: str = "",
    relations: Iterable[str] | None = None,
    qualifiers: frozenset[str] | None = None,
    problems: list[BadValue] | None = None,
) -> list[Fact]:
    """Turn one entity's claims into facts, one per (subject, property) statement group.

    Every statement read is checked (:mod:`kcdata.facts.checks`): one that fails is left out of
    its fact and, with ``problems``, added to it (its ``fact_id`` set); the others stay.

    Args:
        entity: a Wikibase entity object (any of the three real forms, already decoded).
        source: where it came from, kept in each fact's provenance.
        relations: keep only these property ids; all when None.
        qualifiers: keep only these qualifier properties (e.g. the rules' ``qualifiers``);
            all when None.
        problems: gets the statements left out (None: they are left out silently).

    Returns:
        Facts in the entity's property order. Properties or lexemes without claims give none,
        and so does an entity that fails an entity-level check (see :func:`check_entity`; added
        to ``problems``, as is an entity kcdata does not build from: ``unsupported_entity``).
        Never raises for what the entity holds.
    """
    try:
        eid = check_entity(entity)
    except BadValue as p:
        if problems is not None:
            eid = entity.get("id") if isinstance(entity, dict) else None
            p.fact_id = eid if checks.is_value_id(eid) else None
            problems.append(p)
        return []
    wanted = set(relations) if relations is not None else None
    facts = []
    revision, modified = entity.get("lastrevid"), entity.get("modified")
    for pid, group in _claims(entity).items():
        if wanted is not None and pid not in wanted:
            continue
        statements = tuple(st for _, st in _parse_group(eid, pid, group, qualifiers, problems) or ())
        if not statements:
            continue
        facts.append(
            Fact(subject=eid, relation=pid, statements=statements, revision=revision, modified=modified,
                 source=source)
        )
    return facts


MAX_LINE_BYTES = 64 << 20
"""The longest line (or single JSON document) a reader takes: 64 MiB, ten times the largest
Wikidata entity. A longer one is set aside (``line_too_long``) without being held whole."""

_NOT_ENTITY = "not a Wikibase entity (expected an object with 'id', or {\"entities\": ...})"
_REMEDY = "each line must be one entity object, as in a Wikidata dump or JSON Lines"
_ENTITY_HINT = "pass dump lines, Special:EntityData JSON or a wbgetentities response"


def _open_binary(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return open(path, "rb")


def iter_entities(
    stream: IO[str] | IO[bytes], name: str = "<stdin>", quarantine: Quarantine | None = None
) -> Iterator[dict[str, Any]]:
    """Yield entity objects from a text or byte stream in any of the real forms.

    Reads one line at a time (a JSON document that spans lines, as ``Special:EntityData`` writes
    it, is read whole), each at most :data:`MAX_LINE_BYTES`.

    Args:
        stream: the input; bytes must be UTF-8.
        name: the file name, for messages and records.
        quarantine: where problems go: each line that is no entity, and each entity that fails
            :func:`clean_entity` (entity-level, or the statements it leaves out), is added with
            the file, line and byte offset, and the stream goes on; the entities are yielded
            cleaned. ``None``: the first line that is no entity raises (entities are not checked).

    Raises:
        InputError: without ``quarantine``, malformed JSON (or not UTF-8, too deep, too long, no
            entity), naming the file and line; with a strict quarantine, the first problem.
    """
    lines = _lines(stream)
    first = next(lines, None)
    if first is None:
        return
    lineno, offset, raw = first
    if raw.lstrip()[:1] in (b"{", "{"):
        one = _parse_line(raw)
        if isinstance(one, BadValue) and one.reason == "bad_entity_json":
            # a JSON document over several lines (Special:EntityData): read it whole
            rest = stream.read(MAX_LINE_BYTES + 1)
            text = raw + rest
            if len(rest) <= MAX_LINE_BYTES:
                doc = _parse_line(text, strip=False)
                if not isinstance(doc, BadValue):
                    yield from _emit(doc, name, None, None, quarantine)
                    return
            lines = _lines(_Joined(text, stream), lineno, offset)
            if quarantine is not None and len(rest) <= MAX_LINE_BYTES and _broken_document(text):
                # no line of it is an entity: one problem for the document, not one per line
                quarantine.add(_document_problem(text), file=name, line=lineno, offset=offset)
                return
            lineno, offset, raw = next(lines)
            one = _parse_line(raw)
        yield from _emit(one, name, lineno, offset, quarantine)
    else:
        lines = _chain(first, lines)
    for lineno, offset, raw in lines:
        s = raw.strip()
        if not s or s in (b"[", b"]", "[", "]"):
            continue
        yield from _emit(_parse_line(raw), name, lineno, offset, quarantine)


def _broken_document(text: Any) -> bool:
    """Whether a text that is no JSON document is no JSON Lines either: none of its lines is an
    object by itself (a pretty-printed document, cut or broken)."""
    for line in text.splitlines():
        s = line.strip()
        if s[:1] in ("{", b"{") and s[-1:] in ("}", ",", b"}", b",") and isinstance(_parse_line(line), dict):
            return False
    return True


def _document_problem(text: Any) -> BadValue:
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        return BadValue("bad_entity_json", f"malformed JSON document ({e.msg} at line {e.lineno} column "
                                           f"{e.colno})", entity=True)
    except (ValueError, RecursionError) as e:
        return checks.json_problem(e)
    return BadValue("bad_entity_json", "malformed JSON document", entity=True)


class _Joined:
    """``head`` (text already read) then the rest of ``tail``, read by lines: a line cut between
    the two is joined."""

    def __init__(self, head: Any, tail: IO[Any]) -> None:
        self.head = io.BytesIO(head) if isinstance(head, bytes) else io.StringIO(head)
        self.tail = tail

    def readline(self, limit: int) -> Any:
        part = self.head.readline(limit)
        if part[-1:] in (b"\n", "\n") or len(part) >= limit:
            return part
        return part + self.tail.readline(limit - len(part))


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


def _lines(stream: IO[Any], lineno: int = 1, offset: int = 0) -> Iterator[tuple[int, int, Any]]:
    """``(line number, byte offset, line)`` of the non-blank lines, each cut at
    :data:`MAX_LINE_BYTES` (the rest of a longer one is skipped, not held)."""
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "surrogatepass"))
        if len(raw) > MAX_LINE_BYTES and raw[-1:] not in (b"\n", "\n"):
            while (more := stream.readline(MAX_LINE_BYTES)) and more[-1:] not in (b"\n", "\n"):
                size += len(more)
            size += len(more)
            raw = _TOO_LONG
        if raw is _TOO_LONG or raw.strip():
            yield lineno, offset, raw
        lineno += 1
        offset += size


_TOO_LONG = b"<line too long>"


def _parse_line(raw: Any, strip: bool = True) -> Any:
    """The JSON value of one line (its trailing comma cut), or the :class:`BadValue` it raises."""
    if raw is _TOO_LONG:
        return BadValue("line_too_long", f"a line longer than {MAX_LINE_BYTES >> 20} MiB", entity=True)
    try:
        text = checks.check_line_text(raw)
        if strip:
            text = text.strip()
            if text.endswith(","):
                text = text[:-1]
        return checks.loads(text)
    except BadValue as p:
        return p


def _emit(obj: Any, name: str, lineno: int | None, offset: int | None,
          quarantine: Quarantine | None) -> Iterator[dict[str, Any]]:
    """The entities of one parsed line (or document), checked and cleaned with a quarantine."""
    where = {"file": name, "line": lineno, "offset": offset}
    if isinstance(obj, BadValue):
        entities: list[Any] = [obj]
    else:
        entities = list(_entities_of(obj))
    for ent in entities:
        if isinstance(ent, BadValue):
            if quarantine is None:
                place = f"{name}:{lineno}" if lineno is not None else name
                raise InputError(f"{place}: {ent.detail}", _ENTITY_HINT if ent.detail == _NOT_ENTITY else _REMEDY)
            quarantine.add(ent, **where)
            continue
        if quarantine is None:
            yield ent
            continue
        problems: list[BadValue] = []
        clean = clean_entity(ent, problems)
        quarantine.extend(problems, **where)
        if clean is not None:
            yield clean


def _entities_of(obj: Any) -> Iterator[Any]:
    """Entity objects of a decoded line or document, or a :class:`BadValue` for each part that is none."""
    if isinstance(obj, dict) and isinstance(obj.get("entities"), dict):
        for ent in obj["entities"].values():
            if isinstance(ent, dict) and "missing" not in ent and "id" in ent:
                yield ent
        return
    for item in obj if isinstance(obj, list) else [obj]:
        if isinstance(item, dict) and "id" in item:
            yield item
        else:
            yield BadValue("bad_entity_json", _NOT_ENTITY, entity=True)


def read_entities(path: str | Path, quarantine: Quarantine | None = None,
                  name: str | None = None) -> Iterator[dict[str, Any]]:
    """Read entities from a file path (``.json``, ``.jsonl``, ``.gz``) or ``-`` for stdin.

    ``quarantine``: see :func:`iter_entities`; ``name``: the file's name in messages and records
    (default: the path).

    Raises:
        InputError: the file is missing or unreadable, or (without ``quarantine``) malformed.
    """
    import sys

    if str(path) == "-":
        yield from iter_entities(getattr(sys.stdin, "buffer", sys.stdin), name or "<stdin>", quarantine)
        return
    p = Path(path)
    if (why := not_a_file(p)) is not None:
        raise InputError(f"{p}: {why}", "pass entity JSON files (or JSONL, gzip too); use '-' to read from stdin")
    try:
        with _open_binary(p) as fh:
            yield from iter_entities(fh, name or str(p), quarantine)
    except (OSError, EOFError, zlib.error) as e:
        raise InputError(f"{p}: cannot read ({e})", "the file must be UTF-8 JSON, optionally gzip") from None
