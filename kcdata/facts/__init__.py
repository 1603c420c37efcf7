"""Parse Wikibase entity JSON into :class:`~kcdata.types.Fact` and :class:`~kcdata.types.Entity`.

Reads the three real forms: dump lines (one entity per line inside ``[`` ... ``]``, each line ending
in ``,``), ``Special:EntityData`` / ``wbgetentities`` responses (``{"entities": {...}}``) and bare
entity objects; also JSON Lines with one entity per line.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from kcdata.errors import InputError
from kcdata.types import GREGORIAN, PRECISION_YEAR, Entity, Fact, Quantity, Statement, TimeValue, Value

_TIME_RE = re.compile(r"^([+-]?)(\d+)-(\d{2})-(\d{2})T")
_ENTITY_URI = "http://www.wikidata.org/entity/"
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
        ValueError: the time string is not Wikidata's format.
    """
    text = value.get("time", "")
    m = _TIME_RE.match(text)
    if not m:
        raise ValueError(f"not a Wikidata time: {text!r}")
    sign, year, month, day = m.groups()
    y = int(year) * (-1 if sign == "-" else 1)
    precision = int(value.get("precision", 11))
    mo = int(month) if precision >= 10 else 0
    d = int(day) if precision >= 11 else 0
    return TimeValue(
        year=y,
        month=mo,
        day=d,
        precision=precision,
        calendar=value.get("calendarmodel") or GREGORIAN,
    )


def _strip_plus(amount: str) -> str:
    return amount[1:] if amount.startswith("+") else amount


def _unit(unit: str | None) -> str | None:
    if not unit or unit == "1":
        return None
    return unit.removeprefix(_ENTITY_URI)


def parse_snak(snak: dict[str, Any]) -> Value:
    """Parse one snak (main snak or qualifier) into a :class:`Value` of any datavalue type."""
    snaktype = snak.get("snaktype", "value")
    if snaktype in ("somevalue", "novalue"):
        return Value(type=snaktype)
    dv = snak.get("datavalue") or {}
    vtype = dv.get("type")
    v = dv.get("value")
    if vtype == "wikibase-entityid" and isinstance(v, dict):
        eid = v.get("id")
        if not eid:
            prefix = {"item": "Q", "property": "P", "lexeme": "L"}.get(v.get("entity-type", ""), "Q")
            eid = f"{prefix}{v.get('numeric-id')}"
        return Value(type="item", item=eid)
    if vtype == "time" and isinstance(v, dict):
        return Value(type="time", time=parse_time(v))
    if vtype == "quantity" and isinstance(v, dict):
        lower = v.get("lowerBound")
        upper = v.get("upperBound")
        return Value(
            type="quantity",
            quantity=Quantity(
                amount=_strip_plus(str(v.get("amount", "0"))),
                unit=_unit(v.get("unit")),
                lower=_strip_plus(str(lower)) if lower is not None else None,
                upper=_strip_plus(str(upper)) if upper is not None else None,
            ),
        )
    if vtype == "monolingualtext" and isinstance(v, dict):
        return Value(type="monolingualtext", text=v.get("text"), language=v.get("language"))
    if vtype == "string":
        return Value(type="string", text=str(v))
    if vtype == "globecoordinate" and isinstance(v, dict):
        return Value(
            type="globecoordinate",
            latitude=v.get("latitude"),
            longitude=v.get("longitude"),
            globe=_unit(v.get("globe")),
        )
    return Value(type="other", text=json.dumps(v, sort_keys=True, ensure_ascii=False))


def parse_statement(claim: dict[str, Any], qualifiers_wanted: frozenset[str] | None = None) -> Statement:
    """Parse one claim object (with ``mainsnak``, ``rank``, ``qualifiers``, ``id``).

    ``qualifiers_wanted``: keep only these qualifier properties (``None``: all).
    """
    qualifiers: dict[str, tuple[Value, ...]] = {}
    order = claim.get("qualifiers-order") or list((claim.get("qualifiers") or {}).keys())
    quals = claim.get("qualifiers") or {}
    for pid in order:
        if qualifiers_wanted is None or pid in qualifiers_wanted:
            qualifiers[pid] = tuple(parse_snak(s) for s in quals.get(pid, ()))
    return Statement(
        id=claim.get("id", ""),
        rank=claim.get("rank", "normal"),
        value=parse_snak(claim.get("mainsnak") or {}),
        qualifiers=qualifiers,
    )


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
            yield preferred, eid
            continue
        num = v.get("numeric-id")
        if isinstance(num, int) and not isinstance(num, bool):
            kind = v.get("entity-type", "")
            yield preferred, f"{_PREFIX.get(kind, 'Q') if isinstance(kind, str) else 'Q'}{num}"


def time_year(time: str, precision: int) -> int | None:
    """The signed year of a Wikidata time string at year precision or finer, else None."""
    if precision < PRECISION_YEAR:
        return None
    m = _TIME_RE.match(time)
    if m is None:
        return None
    try:
        year = int(m.group(2))
    except ValueError:  # more digits than Python converts
        return None
    return -year if m.group(1) == "-" else year


def _years(group: Any) -> Iterator[tuple[bool, int]]:
    for preferred, dv in _ranked_datavalues(group):
        v = dv.get("value")
        if dv.get("type") != "time" or not isinstance(v, dict):
            continue
        time, precision = v.get("time"), v.get("precision", 11)
        if isinstance(time, str) and isinstance(precision, int) and not isinstance(precision, bool):
            year = time_year(time, precision)
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
    ``claims`` (or ``statements``) as :func:`claims_info` reads them."""
    labels = {
        lang: obj["value"]
        for lang, obj in (entity.get("labels") or {}).items()
        if isinstance(obj, dict) and obj.get("value")
    }
    aliases: dict[str, tuple[str, ...]] = {}
    raw_aliases = entity.get("aliases") or {}
    if isinstance(raw_aliases, dict):
        for lang, objs in raw_aliases.items():
            vals = tuple(o["value"] for o in objs if isinstance(o, dict) and o.get("value"))
            if vals:
                aliases[lang] = vals
    sitelinks = entity.get("sitelinks")
    classes, gender, born, died = claims_info(entity.get("claims") or entity.get("statements"))
    return Entity(
        id=entity["id"],
        labels=labels,
        aliases=aliases,
        sitelinks=len(sitelinks) if isinstance(sitelinks, dict) else None,
        lastrevid=entity.get("lastrevid"),
        modified=entity.get("modified"),
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
) -> list[Fact]:
    """Turn one entity's claims into facts, one per (subject, property) statement group.

    Args:
        entity: a Wikibase entity object (any of the three real forms, already decoded).
        source: where it came from, kept in each fact's provenance.
        relations: keep only these property ids; all when None.
        qualifiers: keep only these qualifier properties (e.g. the rules' ``qualifiers``);
            all when None.

    Returns:
        Facts in the entity's property order. Properties or lexemes without claims give none.
    """
    claims = entity.get("claims") or entity.get("statements") or {}
    if not isinstance(claims, dict) or "id" not in entity:
        return []
    wanted = set(relations) if relations is not None else None
    facts = []
    for pid, group in claims.items():
        if wanted is not None and pid not in wanted:
            continue
        statements = tuple(parse_statement(c, qualifiers) for c in group if isinstance(c, dict))
        if not statements:
            continue
        facts.append(
            Fact(
                subject=entity["id"],
                relation=pid,
                statements=statements,
                revision=entity.get("lastrevid"),
                modified=entity.get("modified"),
                source=source,
            )
        )
    return facts


def _open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")


def iter_entities(stream: IO[str], name: str = "<stdin>") -> Iterator[dict[str, Any]]:
    """Yield entity objects from a text stream in any of the real forms.

    Raises:
        InputError: malformed JSON, naming the file and line.
    """
    head = stream.read(1)
    while head and head.isspace():
        head = stream.read(1)
    if not head:
        return
    rest = stream.read()
    text = head + rest
    if head == "{":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError:
            obj = None
        if obj is not None:
            yield from _entities_of(obj, name)
            return
    # Dump form or JSON Lines: one entity per line, lines may end with ','.
    for lineno, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s in ("[", "]"):
            continue
        if s.endswith(","):
            s = s[:-1]
        try:
            obj = json.loads(s)
        except json.JSONDecodeError as e:
            raise InputError(
                f"{name}:{lineno}: malformed JSON ({e.msg} at column {e.colno})",
                "each line must be one entity object, as in a Wikidata dump or JSON Lines",
            ) from None
        yield from _entities_of(obj, f"{name}:{lineno}")


def _entities_of(obj: Any, name: str) -> Iterator[dict[str, Any]]:
    if isinstance(obj, dict) and isinstance(obj.get("entities"), dict):
        for ent in obj["entities"].values():
            if isinstance(ent, dict) and "missing" not in ent and "id" in ent:
                yield ent
        return
    if isinstance(obj, dict) and "id" in obj:
        yield obj
        return
    if isinstance(obj, list):
        for item in obj:
            yield from _entities_of(item, name)
        return
    raise InputError(
        f"{name}: not a Wikibase entity (expected an object with 'id', or {{\"entities\": ...}})",
        "pass dump lines, Special:EntityData JSON or a wbgetentities response",
    )


def read_entities(path: str | Path) -> Iterator[dict[str, Any]]:
    """Read entities from a file path (``.json``, ``.jsonl``, ``.gz``) or ``-`` for stdin.

    Raises:
        InputError: the file is missing or malformed.
    """
    import sys

    if str(path) == "-":
        yield from iter_entities(sys.stdin, "<stdin>")
        return
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file", "check the path; use '-' to read from stdin")
    try:
        with _open_text(p) as fh:
            yield from iter_entities(fh, str(p))
    except (UnicodeDecodeError, OSError, EOFError) as e:
        raise InputError(f"{p}: cannot read ({e})", "the file must be UTF-8 JSON, optionally gzip") from None
