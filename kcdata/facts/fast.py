"""Raw entity JSON straight to facts, for the dump's hot loop.

:func:`entity_record` turns one dump line into what a build keeps of a subject entity — its
:class:`~kcdata.types.Entity` (labels, aliases, sitelink count, revision) and its
:class:`~kcdata.types.Fact` objects for the asked relations — plus the ids it references, without
ever building the entity as Python dicts. With ``msgspec`` installed (the ``fast`` extra) the line
is decoded against typed structs that name only the fields facts read: references, hashes,
descriptions, unasked claims and unasked languages are skipped inside the C decoder instead of
becoming Python objects, and unasked statement lists stay raw bytes. Without msgspec (or for any
line whose shape the structs do not describe) it falls back to the dict path,
:func:`kcdata.sources.dump.fast_slim` plus :func:`~kcdata.facts.parse_entity`, so the result is
always the same; a test checks that on every fixture entity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, Union

from kcdata.facts import _TIME_RE, parse_entity, parse_entity_info
from kcdata.types import GREGORIAN, Entity, Fact, Quantity, Statement, TimeValue, Value, fast_constructor

try:  # optional (extra "fast")
    import msgspec
except ImportError:  # pragma: no cover - depends on the environment
    msgspec = None

BACKEND = "msgspec" if msgspec is not None else "dict"
"""Which decoder :func:`entity_record` uses: ``msgspec`` or the ``dict`` fallback."""

_ENTITY_URI = "http://www.wikidata.org/entity/"
_INTERN_MAX = 1 << 16
"""Item and time values are interned per process: they repeat (countries, occupations and
languages; years of populations and offices; birth dates). Each table is cleared when it reaches
this many entries, so memory stays bounded."""
_ITEMS: dict[str, Value] = {}
_TIMES: dict[tuple[str, int, str | None], Value] = {}
_new_value = fast_constructor(Value)
_new_time = fast_constructor(TimeValue)
_new_quantity = fast_constructor(Quantity)
_new_statement = fast_constructor(Statement)
_new_fact = fast_constructor(Fact)


@dataclass(frozen=True)
class EntityRecord:
    """What a build keeps of one subject entity read from the dump."""

    entity: Entity
    """Labels and aliases (asked languages), sitelink count, ``lastrevid``, ``modified``."""
    facts: tuple[Fact, ...]
    """Facts of the asked relations, in the entity's claim order."""
    references: frozenset[str]
    """Ids the facts reference: relations, qualifier properties, item values, units."""


def fact_references(facts: Iterable[Fact]) -> frozenset[str]:
    """Ids of properties and items referenced by facts (the entities whose labels a build needs)."""
    found: set[str] = set()
    add = found.add
    subjects = set()
    for fact in facts:
        subjects.add(fact.subject)
        add(fact.relation)
        for st in fact.statements:
            v = st.value
            if v.item:
                add(v.item)
            elif v.quantity is not None and v.quantity.unit:
                add(_unit_id(v.quantity.unit))
            if st.qualifiers:
                for pid, vals in st.qualifiers.items():
                    add(pid)
                    for v in vals:
                        if v.item:
                            add(v.item)
                        elif v.quantity is not None and v.quantity.unit:
                            add(_unit_id(v.quantity.unit))
    return frozenset(found - subjects)


def _unit_id(unit: str) -> str:
    return unit.rsplit("/", 1)[-1] if "/" in unit else unit


def dict_record(
    entity: dict[str, Any], source: str = "dump", qualifiers: frozenset[str] | None = None
) -> EntityRecord | None:
    """The record of a slim entity dict (see :func:`kcdata.sources.dump.slim_entity`)."""
    facts = tuple(parse_entity(entity, source, qualifiers=qualifiers))
    if not facts:
        return None
    return EntityRecord(parse_entity_info(entity), facts, fact_references(facts))


# -- the msgspec structs: Wikibase entity JSON, only the fields facts read --------------------

if msgspec is not None:
    from msgspec import Raw, Struct, field

    class _Term(Struct):
        value: str = ""

    class _ItemValue(Struct):
        id: str | None = None
        numeric_id: int | None = field(default=None, name="numeric-id")
        entity_type: str = field(default="", name="entity-type")

    class _TimeValue(Struct):
        time: str
        precision: int = 11
        calendarmodel: str | None = None

    class _QuantityValue(Struct):
        amount: str = "0"
        unit: str | None = None
        lowerBound: str | None = None  # noqa: N815 - Wikibase's own field names
        upperBound: str | None = None  # noqa: N815

    class _TextValue(Struct):
        text: str | None = None
        language: str | None = None

    class _CoordValue(Struct):
        latitude: Any = None  # int or float, kept as written (a value's key shows it)
        longitude: Any = None
        globe: str | None = None

    class _ItemDV(Struct, tag_field="type", tag="wikibase-entityid"):
        value: _ItemValue

    class _TimeDV(Struct, tag_field="type", tag="time"):
        value: _TimeValue

    class _QuantityDV(Struct, tag_field="type", tag="quantity"):
        value: _QuantityValue

    class _TextDV(Struct, tag_field="type", tag="monolingualtext"):
        value: _TextValue

    class _StringDV(Struct, tag_field="type", tag="string"):
        value: str

    class _CoordDV(Struct, tag_field="type", tag="globecoordinate"):
        value: _CoordValue

    _DataValue = Union[_ItemDV, _TimeDV, _QuantityDV, _TextDV, _StringDV, _CoordDV]  # noqa: UP007

    class _Snak(Struct):
        # Literal: msgspec hands back one shared string instead of a new one per snak
        snaktype: Literal["value", "somevalue", "novalue"] = "value"
        datavalue: _DataValue | None = None

    class _Statement(Struct):
        mainsnak: _Snak | None = None
        rank: Literal["preferred", "normal", "deprecated"] = "normal"
        id: str = ""
        qualifiers: dict[str, Raw] | list[Any] = {}
        qualifiers_order: list[str] | None = field(default=None, name="qualifiers-order")

    class _Entity(Struct):
        id: str
        labels: dict[str, Raw] | list[Any] = {}
        aliases: dict[str, Raw] | list[Any] = {}
        claims: dict[str, Raw] | list[Any] = {}
        sitelinks: dict[str, Raw] | list[Any] = {}
        lastrevid: int | None = None
        modified: str | None = None

    class _Terms(Struct):
        id: str
        labels: dict[str, Raw] | list[Any] = {}
        aliases: dict[str, Raw] | list[Any] = {}

    _ENTITY = msgspec.json.Decoder(_Entity)
    _TERMS = msgspec.json.Decoder(_Terms)
    _STATEMENTS = msgspec.json.Decoder(list[_Statement])
    _TERM = msgspec.json.Decoder(_Term)
    _TERM_LIST = msgspec.json.Decoder(list[_Term])
    _SNAKS = msgspec.json.Decoder(list[_Snak])
    _ERRORS: tuple[type[Exception], ...] = (msgspec.MsgspecError, ValueError, TypeError)
else:  # pragma: no cover - depends on the environment
    _ERRORS = (ValueError, TypeError)


def _item(qid: str) -> Value:
    v = _ITEMS.get(qid)
    if v is None:
        if len(_ITEMS) >= _INTERN_MAX:
            _ITEMS.clear()
        v = _ITEMS[qid] = _new_value(type="item", item=qid)
    return v


_SOMEVALUE = Value(type="somevalue")
_NOVALUE = Value(type="novalue")
_NULL = Value(type="other", text="null")
_PREFIX = {"item": "Q", "property": "P", "lexeme": "L"}


def _time(v: Any) -> Value:
    m = _TIME_RE.match(v.time)
    if not m:
        raise ValueError(f"not a Wikidata time: {v.time!r}")
    sign, year, month, day = m.groups()
    p = v.precision
    t = _new_time(
        year=-int(year) if sign == "-" else int(year),
        month=int(month) if p >= 10 else 0,
        day=int(day) if p >= 11 else 0,
        precision=p,
        calendar=v.calendarmodel or GREGORIAN,
    )
    return _new_value(type="time", time=t)


def _value(snak: Any) -> Value:
    """:func:`kcdata.facts.parse_snak` on a decoded struct (same result, no dicts)."""
    st = snak.snaktype
    if st == "somevalue":
        return _SOMEVALUE
    if st == "novalue":
        return _NOVALUE
    dv = snak.datavalue
    if dv is None:
        return _NULL
    v = dv.value
    cls = type(dv)
    if cls is _ItemDV:
        return _item(v.id or f"{_PREFIX.get(v.entity_type, 'Q')}{v.numeric_id}")
    if cls is _TimeDV:
        key = (v.time, v.precision, v.calendarmodel)
        tv = _TIMES.get(key)
        if tv is None:
            if len(_TIMES) >= _INTERN_MAX:
                _TIMES.clear()
            tv = _TIMES[key] = _time(v)
        return tv
    if cls is _QuantityDV:
        unit = v.unit
        low, up = v.lowerBound, v.upperBound
        q = _new_quantity(
            amount=v.amount[1:] if v.amount.startswith("+") else v.amount,
            unit=None if not unit or unit == "1" else unit.removeprefix(_ENTITY_URI),
            lower=(low[1:] if low.startswith("+") else low) if low is not None else None,
            upper=(up[1:] if up.startswith("+") else up) if up is not None else None,
        )
        return _new_value(type="quantity", quantity=q)
    if cls is _TextDV:
        return Value(type="monolingualtext", text=v.text, language=v.language)
    if cls is _StringDV:
        return Value(type="string", text=v)
    return Value(
        type="globecoordinate",
        latitude=v.latitude,
        longitude=v.longitude,
        globe=None if not v.globe or v.globe == "1" else v.globe.removeprefix(_ENTITY_URI),
    )


def _statement(s: Any, wanted: frozenset[str] | None, add: Callable[[str], None]) -> Statement:
    """The :class:`Statement` of a decoded statement; ``add`` gets every id it references."""
    quals = s.qualifiers or {}
    if not isinstance(quals, dict):
        raise TypeError("qualifiers must be an object")
    qualifiers: dict[str, tuple[Value, ...]] = {}
    for pid in s.qualifiers_order or list(quals):
        if wanted is None or pid in wanted:
            raw = quals.get(pid)
            vals = tuple([_value(q) for q in _SNAKS.decode(raw)]) if raw is not None else ()
            qualifiers[pid] = vals
            add(pid)
            for v in vals:
                if v.item:
                    add(v.item)
                elif v.quantity is not None and v.quantity.unit:
                    add(_unit_id(v.quantity.unit))
    mainsnak = s.mainsnak
    value = _value(mainsnak) if mainsnak is not None else _NULL
    if value.item:
        add(value.item)
    elif value.quantity is not None and value.quantity.unit:
        add(_unit_id(value.quantity.unit))
    return _new_statement(id=s.id, rank=s.rank, value=value, qualifiers=qualifiers)


def _terms(
    labels: Any, aliases: Any, languages: frozenset[str] | None
) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    out_labels: dict[str, str] = {}
    out_aliases: dict[str, tuple[str, ...]] = {}
    if isinstance(labels, dict):
        for lang, raw in labels.items():
            if languages is None or lang in languages:
                text = _TERM.decode(raw).value
                if text:
                    out_labels[lang] = text
    if isinstance(aliases, dict):
        for lang, raw in aliases.items():
            if languages is None or lang in languages:
                vals = tuple(t.value for t in _TERM_LIST.decode(raw) if t.value)
                if vals:
                    out_aliases[lang] = vals
    return out_labels, out_aliases


def _msgspec_record(
    line: bytes,
    relations: frozenset[str],
    languages: frozenset[str] | None,
    source: str,
    qualifiers: frozenset[str] | None = None,
) -> EntityRecord | None:
    ent = _ENTITY.decode(line)
    claims = ent.claims
    if not isinstance(claims, dict):
        return None
    eid, rev, mod = ent.id, ent.lastrevid, ent.modified
    facts = []
    refs: set[str] = set()
    add = refs.add
    for pid, raw in claims.items():
        if pid not in relations:
            continue
        add(pid)
        statements = tuple([_statement(s, qualifiers, add) for s in _STATEMENTS.decode(raw)])
        if statements:
            facts.append(
                _new_fact(
                    subject=eid,
                    relation=pid,
                    statements=statements,
                    revision=rev,
                    modified=mod,
                    source=source,
                )
            )
    if not facts:
        return None
    labels, aliases = _terms(ent.labels, ent.aliases, languages)
    sitelinks = ent.sitelinks
    info = Entity(
        id=eid,
        labels=labels,
        aliases=aliases,
        sitelinks=len(sitelinks) if isinstance(sitelinks, dict) else 0,
        lastrevid=rev,
        modified=mod,
    )
    refs.discard(eid)
    return EntityRecord(info, tuple(facts), frozenset(refs))


def entity_record(
    line: bytes,
    relations: frozenset[str],
    languages: frozenset[str] | None = None,
    source: str = "dump",
    qualifiers: frozenset[str] | None = None,
) -> EntityRecord | None:
    """The record of one raw entity line, or ``None`` when it has no statement for ``relations``.

    Equal to ``dict_record(fast_slim(line, relations, languages, references=False), source,
    qualifiers)``. ``qualifiers``: the qualifier properties to keep (``None``: all); a build
    keeps those its rules read, which skips most qualifier snaks (determination methods,
    female and male populations, ...) and the labels of their values.

    Raises:
        ValueError: The line is not valid JSON (from the fallback parser, which names the error).
    """
    if msgspec is not None:
        try:
            return _msgspec_record(line, relations, languages, source, qualifiers)
        except _ERRORS:
            pass  # a shape the structs do not describe, or bad JSON: the dict path decides
    from kcdata.sources.dump import fast_slim

    slim = fast_slim(line, relations, languages, references=False)
    return dict_record(slim, source, qualifiers) if slim is not None else None


def terms_entity(line: bytes, languages: frozenset[str] | None = None) -> Entity:
    """Labels and aliases of one raw entity line as an :class:`Entity` (the label pass).

    Equal to ``parse_entity_info(fast_slim(line, None, languages, terms_only_=True))``.

    Raises:
        ValueError: The line is not valid JSON.
    """
    if msgspec is not None:
        try:
            ent = _TERMS.decode(line)
            labels, aliases = _terms(ent.labels, ent.aliases, languages)
            return Entity(id=ent.id, labels=labels, aliases=aliases)
        except _ERRORS:
            pass
    from kcdata.sources.dump import fast_slim

    return parse_entity_info(fast_slim(line, None, languages, terms_only_=True))

