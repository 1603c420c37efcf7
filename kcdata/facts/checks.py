"""The checks at the boundary: every value read from Wikidata entity JSON, and what a build sets
aside when one fails (the quarantine).

A value that fails its check raises :class:`BadValue`, which names a reason from
:data:`REASONS` and says whether the whole entity is lost (``entity=True``: a malformed line, a
bad id, terms or revision fields of the wrong type) or only one statement (a bad time, amount,
coordinate, text or item id; a qualifier of the wrong shape). The parsers in
:mod:`kcdata.facts` drop a failing statement and go on; a reader with a :class:`Quarantine`
drops a failing entity and goes on; both count the reason. :class:`Skipped` is the same for
input that is well-formed but not built from (a lexeme form or sense, a MediaInfo entity): it is
dropped with its reason but is never an error, not even with ``--strict``.

What is checked: JSON types (objects, lists, strings, integers where Wikibase has them), entity
ids (``Q``/``P``/``L`` and a number without a leading zero; value ids may also be lexeme forms
and senses, ``L1-F1``), time values (Wikidata's ``+YYYY-MM-DDThh:mm:ssZ`` form with at most 16
year digits, precision 0-14, the Gregorian ``Q1985727`` or Julian ``Q1985786`` calendar, a month
at month precision, a day that exists in its month at day precision), amounts (Wikibase's decimal
form: a sign, digits, an optional fraction, no exponent, at most 127 characters), units and globes
(``1`` or an item URI), coordinates (finite, latitude within ±90, longitude within ±360), and text
(no lone surrogate: it could not be written as UTF-8). Nesting is bounded by the JSON parsers
(about 1000 levels; a Wikidata entity is about 12 deep): a deeper line is ``json_too_deep``.

This module imports only :mod:`kcdata.types` and :mod:`kcdata.errors`.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from kcdata.errors import InputError
from kcdata.types import GREGORIAN, JULIAN, Quantity, TimeValue

REASONS: dict[str, str] = {
    # the whole entity (or a line that is none) is set aside
    "bad_entity_json": "a line (or file) that is not one JSON entity object: malformed JSON, NaN or "
                       "Infinity, a JSON value that is no object, a document that is no entity",
    "line_too_long": "a line (or one JSON document) longer than 64 MiB: skipped without being held whole",
    "json_too_deep": "JSON nested deeper than the parser's limit (about 1000 levels)",
    "bad_unicode": "bytes that are not UTF-8, or a lone surrogate (\\ud800-\\udfff) in a text",
    "bad_entity_id": "an id that is not Q/P/L and a number (foo, Q1:P2, Q01), or an item value id "
                     "that is none (statement level)",
    "bad_entity_shape": "a top-level field of the wrong type or form: labels, aliases, claims, "
                        "lastrevid, modified",
    "unsupported_entity": "an entity kcdata does not build from (lexeme form or sense, MediaInfo, "
                          "EntitySchema): skipped, never an error",
    # one statement (or a statement list) is set aside
    "bad_statement": "a statement of the wrong shape: not an object, no main snak, unknown rank or "
                     "snak type, qualifiers that are no lists of snaks, a property key that is no P id",
    "bad_time_value": "a time that is not Wikidata's form, precision outside 0-14 or null, an "
                      "unknown calendar, month 13, no month at month precision, a day its month lacks",
    "bad_quantity": "an amount or bound that is not a decimal string (NaN, Infinity, 1e5, text, a "
                    "number) or longer than 127 characters, or a unit that is no item",
    "bad_coordinate": "a latitude or longitude that is no finite number in range, or a globe that is no item",
    "bad_text": "a string or monolingual text value (or its language) that is not a string",
    "wrong_value_type": "a value of another type than its relation's (a string where a relation has items): "
                        "set aside by the build, which knows the relation",
    # the dump reader's safety net
    "unreadable_entity": "an entity the parser failed on in a way no check names (a bug: report it "
                         "with its rejects.jsonl record)",
}
"""Every quarantine reason, with what it means. ``bad_unicode`` and ``bad_entity_id`` happen at
both levels (in terms or ids of the entity: the entity; in a value: the statement)."""

ENTITY_URI = "http://www.wikidata.org/entity/"
CALENDARS = frozenset({GREGORIAN, JULIAN})
MAX_ECHO = 200
"""Characters of a bad value shown in a message."""
MAX_YEAR_DIGITS = 16
MAX_AMOUNT_CHARS = 127
"""Wikibase's own limit for a decimal value."""
MAX_ID_DIGITS = 15
RANKS = frozenset({"preferred", "normal", "deprecated"})
SNAKTYPES = frozenset({"value", "somevalue", "novalue"})

_ID = rf"[QPL][1-9]\d{{0,{MAX_ID_DIGITS - 1}}}"
ENTITY_ID_RE = re.compile(_ID)
"""Ids of the entities kcdata reads: items, properties, lexemes."""
PROPERTY_ID_RE = re.compile(rf"P[1-9]\d{{0,{MAX_ID_DIGITS - 1}}}")
VALUE_ID_RE = re.compile(rf"{_ID}|L[1-9]\d{{0,{MAX_ID_DIGITS - 1}}}-[FS][1-9]\d{{0,{MAX_ID_DIGITS - 1}}}")
"""Ids an item-type value may name: an entity id, or a lexeme's form or sense (``L7-F2``)."""
_OTHER_ID_RE = re.compile(r"(?:L[1-9]\d*-[FS]|[ME])[1-9]\d*")
_TIME_RE = re.compile(rf"([+-]?)(\d{{1,{MAX_YEAR_DIGITS}}})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z")
_AMOUNT_RE = re.compile(r"[+-]?\d+(?:\.\d+)?")
_UNIT_RE = re.compile(rf"{re.escape(ENTITY_URI)}Q[1-9]\d{{0,{MAX_ID_DIGITS - 1}}}")
_MODIFIED_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d)T\d\d:\d\d:\d\dZ")
_SURROGATE = re.compile("[\ud800-\udfff]")
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class BadValue(ValueError):
    """A value of entity JSON that fails its check: a named reason and what is wrong."""

    fatal = True
    """Whether ``--strict`` stops at it (a :class:`Skipped` entity does not)."""

    def __init__(self, reason: str, detail: str, *, entity: bool = False) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.entity = entity
        """True: the whole entity is set aside; False: one statement."""
        self.fact_id: str | None = None
        """``Q1:P6`` of the statement's fact, or the entity id, when known."""


def problem(reason: str, detail: str, entity: bool, fact_id: str | None = None, fatal: bool = True) -> BadValue:
    """A :class:`BadValue` (or :class:`Skipped`, when not ``fatal``) made again from its parts."""
    p = (BadValue if fatal else Skipped)(reason, detail, entity=entity)
    p.fact_id = fact_id
    return p


class Skipped(BadValue):
    """Well-formed input that kcdata does not build from: dropped with its reason, not an error."""

    fatal = False


def echo(value: Any, limit: int = MAX_ECHO) -> str:
    """``repr`` of a value for a message, cut to ``limit`` characters (a lone surrogate comes out
    escaped, so the message can always be printed)."""
    if isinstance(value, str) and len(value) > limit:
        value = value[: limit + 1]
    text = repr(value) if not isinstance(value, dict | list) else _short_json(value, limit)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short_json(value: Any, limit: int) -> str:
    try:
        text = json.dumps(value, ensure_ascii=True)
    except (TypeError, ValueError, RecursionError):
        text = f"<{type(value).__name__}>"
    return text[: limit + 1]


def has_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (UTF-8 cannot encode it)."""
    return not text.isascii() and _SURROGATE.search(text) is not None


def text(value: Any, what: str, *, entity: bool = False, none: bool = False) -> str | None:
    """``value`` when it is a string without lone surrogates (or None when ``none``)."""
    if isinstance(value, str):
        if has_surrogate(value):
            raise BadValue("bad_unicode", f"{what} holds a lone surrogate: {echo(value)}", entity=entity)
        return value
    if value is None and none:
        return None
    raise BadValue("bad_entity_shape" if entity else "bad_text", f"{what} is not a string: {echo(value)}",
                   entity=entity)


def entity_id(value: Any) -> str:
    """The id of an entity object: ``Q``, ``P`` or ``L`` and a number.

    Raises:
        Skipped: a lexeme form or sense, a MediaInfo or EntitySchema entity.
        BadValue: anything else (``bad_entity_id``).
    """
    if isinstance(value, str) and ENTITY_ID_RE.fullmatch(value):
        return value
    if isinstance(value, str) and _OTHER_ID_RE.fullmatch(value):
        raise Skipped("unsupported_entity", f"entity {value}: kcdata builds from items, properties and lexemes",
                      entity=True)
    raise BadValue("bad_entity_id", f"entity id {echo(value)} is not Q/P/L and a number", entity=True)


def value_id(value: Any) -> str:
    """An item-type value's id: an entity id or a lexeme form or sense."""
    if isinstance(value, str) and VALUE_ID_RE.fullmatch(value):
        return value
    raise BadValue("bad_entity_id", f"value id {echo(value)} is not an entity id")


def property_id(value: Any) -> str:
    """A property key of claims or qualifiers."""
    if isinstance(value, str) and PROPERTY_ID_RE.fullmatch(value):
        return value
    raise BadValue("bad_statement", f"property key {echo(value)} is not a P id")


def is_value_id(value: Any) -> bool:
    return isinstance(value, str) and VALUE_ID_RE.fullmatch(value) is not None


def item_ref(v: Any) -> str:
    """The id of a ``wikibase-entityid`` datavalue's value: its ``id``, else its ``numeric-id``
    with the prefix of its ``entity-type`` (item, property, lexeme)."""
    if not isinstance(v, dict):
        raise BadValue("bad_entity_id", f"an entity-id value must be an object, got {echo(v)}")
    eid = v.get("id")
    if eid:
        return value_id(eid)
    num = v.get("numeric-id")
    kind = v.get("entity-type", "item")
    prefix = _PREFIX.get(kind) if isinstance(kind, str) else None
    if prefix is None or type(num) is not int or num < 1 or num >= 10**MAX_ID_DIGITS:
        raise BadValue("bad_entity_id", f"entity-id value {echo(v)} names no entity")
    return f"{prefix}{num}"


_PREFIX = {"item": "Q", "property": "P", "lexeme": "L", "": "Q"}


def _leap(year: int, calendar: str) -> bool:
    if year <= 0:
        return True  # BCE: the numbering (astronomical or historical) decides; never reject a 29th
    if calendar == JULIAN:
        return year % 4 == 0
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def month_length(year: int, month: int, calendar: str = GREGORIAN) -> int:
    """Days of ``month`` (1-12) of ``year`` in the calendar."""
    return 29 if month == 2 and _leap(year, calendar) else _DAYS[month - 1]


def time_parts(time: Any, precision: Any, calendar: Any) -> tuple[int, int, int, int, str]:
    """``(year, month, day, precision, calendar)`` of a checked Wikidata time; month and day are
    0 where the precision does not reach them.

    Raises:
        BadValue: ``bad_time_value``, naming what is wrong.
    """
    if not isinstance(time, str):
        raise BadValue("bad_time_value", f"not a Wikidata time: {echo(time)}")
    m = _TIME_RE.fullmatch(time)
    if m is None:
        raise BadValue("bad_time_value", f"not a Wikidata time: {echo(time)}")
    if type(precision) is not int or not 0 <= precision <= 14:
        raise BadValue("bad_time_value", f"time {echo(time)}: precision {echo(precision)} is not 0-14")
    if not calendar and isinstance(calendar, str | None):
        calendar = GREGORIAN
    elif not isinstance(calendar, str) or calendar not in CALENDARS:
        raise BadValue("bad_time_value", f"time {echo(time)}: unknown calendar {echo(calendar)}")
    sign, year_s, month_s, day_s, hh, mm, ss = m.groups()
    year = -int(year_s) if sign == "-" else int(year_s)
    month, day = int(month_s), int(day_s)
    if month > 12 or day > 31 or int(hh) > 23 or int(mm) > 59 or int(ss) > 60:
        raise BadValue("bad_time_value", f"time {echo(time)} is out of range")
    if precision >= 10 and month == 0:
        raise BadValue("bad_time_value", f"time {echo(time)} has no month at precision {precision}")
    if precision >= 11 and (day == 0 or day > month_length(year, month, calendar)):
        raise BadValue("bad_time_value", f"time {echo(time)}: no such day at precision {precision}")
    return year, month if precision >= 10 else 0, day if precision >= 11 else 0, precision, calendar


def time_value(v: Any) -> TimeValue:
    """A checked ``time`` datavalue's value (precision 11 when it states none)."""
    if not isinstance(v, dict):
        raise BadValue("bad_time_value", f"a time value must be an object, got {echo(v)}")
    y, mo, d, p, cal = time_parts(v.get("time"), v.get("precision", 11), v.get("calendarmodel"))
    return TimeValue(year=y, month=mo, day=d, precision=p, calendar=cal)


def amount(value: Any, what: str = "amount") -> str:
    """A checked decimal string, without its leading ``+``."""
    if not isinstance(value, str) or len(value) > MAX_AMOUNT_CHARS or not _AMOUNT_RE.fullmatch(value):
        raise BadValue("bad_quantity", f"{what} {echo(value)} is not a decimal string of at most "
                                       f"{MAX_AMOUNT_CHARS} characters")
    return value[1:] if value[0] == "+" else value


def unit(value: Any, what: str = "unit") -> str | None:
    """``None`` for ``1`` (no unit), else the item id of a unit URI."""
    if value is None or value == "1":
        return None
    if isinstance(value, str) and _UNIT_RE.fullmatch(value):
        return value[len(ENTITY_URI):]
    raise BadValue("bad_quantity", f"{what} {echo(value)} is not 1 or an item URI")


def quantity(v: Any) -> Quantity:
    """A checked ``quantity`` datavalue's value."""
    if not isinstance(v, dict):
        raise BadValue("bad_quantity", f"a quantity must be an object, got {echo(v)}")
    lower, upper = v.get("lowerBound"), v.get("upperBound")
    return Quantity(
        amount=amount(v.get("amount", "0")),
        unit=unit(v.get("unit")),
        lower=amount(lower, "lowerBound") if lower is not None else None,
        upper=amount(upper, "upperBound") if upper is not None else None,
    )


def coordinate(lat: Any, lon: Any, globe: Any) -> tuple[float | int, float | int, str | None]:
    """Checked latitude, longitude and globe item id of a ``globecoordinate`` value."""
    for name, x, bound in (("latitude", lat, 90), ("longitude", lon, 360)):
        if type(x) not in (int, float) or not math.isfinite(x) or abs(x) > bound:
            raise BadValue("bad_coordinate", f"{name} {echo(x)} is not a number within ±{bound}")
    try:
        return lat, lon, unit(globe, "globe")
    except BadValue as e:
        raise BadValue("bad_coordinate", e.detail) from None


def modified(value: Any) -> str | None:
    """A checked ``modified`` timestamp (``2024-01-31T12:00:00Z``) or None."""
    if value is None:
        return None
    m = _MODIFIED_RE.fullmatch(value) if isinstance(value, str) else None
    if m is None or not 1 <= int(m[2]) <= 12 or not 1 <= int(m[3]) <= month_length(int(m[1]), int(m[2])):
        raise BadValue("bad_entity_shape", f"modified {echo(value)} is not a timestamp YYYY-MM-DDThh:mm:ssZ",
                       entity=True)
    return value


def revision(value: Any) -> int | None:
    """A checked ``lastrevid`` or None (below 2**63: what every reader, msgpack and Arrow hold)."""
    if value is None or (type(value) is int and 0 <= value < 1 << 63):
        return value
    raise BadValue("bad_entity_shape", f"lastrevid {echo(value)} is not a revision number", entity=True)


def terms(entity: dict[str, Any]) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """Checked labels and aliases of an entity: ``{lang: label}``, ``{lang: (alias, ...)}``; terms
    with an empty or missing value are left out."""
    raw_labels = entity.get("labels") or {}
    raw_aliases = entity.get("aliases") or {}
    if not isinstance(raw_labels, dict) or not isinstance(raw_aliases, dict):
        bad = "labels" if not isinstance(raw_labels, dict) else "aliases"
        raise BadValue("bad_entity_shape", f"{bad} is not an object: {echo(entity.get(bad))}", entity=True)
    labels: dict[str, str] = {}
    for lang, obj in raw_labels.items():
        value = _term(obj, f"label {echo(lang)}")
        if value:
            labels[lang] = value
    aliases: dict[str, tuple[str, ...]] = {}
    for lang, objs in raw_aliases.items():
        if objs is None:
            continue
        if not isinstance(objs, list):
            raise BadValue("bad_entity_shape", f"aliases {echo(lang)} is not a list: {echo(objs)}", entity=True)
        vals = tuple(v for o in objs if (v := _term(o, f"alias {echo(lang)}")))
        if vals:
            aliases[lang] = vals
    return labels, aliases


def _term(obj: Any, what: str) -> str | None:
    if obj is None:  # no term (as the dump's structs read a null)
        return None
    if not isinstance(obj, dict):
        raise BadValue("bad_entity_shape", f"{what} is not a term object: {echo(obj)}", entity=True)
    return text(obj.get("value"), what, entity=True, none=True)


def check_line_text(raw: bytes | str) -> str:
    """A line as text: bytes must be UTF-8 (``bad_unicode``)."""
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadValue("bad_unicode", f"not UTF-8 at byte {e.start} of the line", entity=True) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(text: str | bytes) -> Any:
    """Strict JSON (no ``NaN`` / ``Infinity``), bounded nesting.

    Raises:
        BadValue: ``bad_entity_json`` (with the parser's message and column), ``json_too_deep``.
    """
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise BadValue("bad_entity_json", f"malformed JSON ({e.msg} at column {e.colno})", entity=True) from None
    except RecursionError:
        raise BadValue("json_too_deep", "JSON nested deeper than the parser's limit", entity=True) from None
    except ValueError as e:  # NaN / Infinity, an integer of more than 4300 digits
        raise BadValue("bad_entity_json", f"malformed JSON ({echo(str(e))})", entity=True) from None


def json_problem(err: Exception) -> BadValue:
    """The :class:`BadValue` of a JSON parser's error (orjson, msgspec or :mod:`json`)."""
    if isinstance(err, BadValue):
        return err
    if isinstance(err, RecursionError):
        return BadValue("json_too_deep", "JSON nested deeper than the parser's limit", entity=True)
    msg = str(err)
    low = msg.lower()
    if "depth" in low or "recursion" in low:
        return BadValue("json_too_deep", f"JSON nested too deep ({echo(msg)})", entity=True)
    if "utf-8" in low or "surrogate" in low:
        return BadValue("bad_unicode", f"not valid Unicode ({echo(msg)})", entity=True)
    return BadValue("bad_entity_json", f"malformed JSON ({echo(msg)})", entity=True)


class Quarantine:
    """What a build (or ``kcdata classify``) set aside at the boundary: counts by reason and one
    record per entity or statement, with the file, line and byte offset where the reader knows them.

    With ``strict``, the first problem (not a :class:`Skipped` entity) raises
    :class:`~kcdata.errors.InputError` instead: one line naming where and what.
    ``warn`` (optional) gets one line per item set aside.
    """

    def __init__(self, strict: bool = False, warn: Callable[[str], None] | None = None) -> None:
        self.strict = strict
        self.warn = warn
        self.counts: Counter[str] = Counter()
        self.records: list[dict[str, Any]] = []
        self._seen: set[tuple[Any, ...]] = set()
        self.errors = 0
        """How many of them are malformed input (not :class:`Skipped`)."""

    def add(self, problem: BadValue, file: str | None = None, line: int | None = None,
            offset: int | None = None, where: str | None = None) -> None:
        """Count and record one problem (or raise it, with ``strict``); the same problem at the
        same place again (a dump's second pass reads a line again) is counted once."""
        if offset is not None:
            key = (file, offset, problem.reason, problem.fact_id, problem.detail)
            if key in self._seen:
                return
            self._seen.add(key)
        place = where or (f"{file}:{line}" if file and line is not None else file or "")
        why = problem.reason if offset is None else f"{problem.reason}, byte {offset:,}"
        message = f"{place}: {problem.detail} ({why})" if place else f"{problem.detail} ({why})"
        if self.strict and problem.fatal:
            raise InputError(message, "without --strict such input is set aside (counted, and listed in a "
                                      "build's rejects.jsonl) and the rest goes on")
        self.counts[problem.reason] += 1
        self.errors += problem.fatal
        self.records.append({
            "fact_id": problem.fact_id or "", "language": None, "reason": problem.reason,
            "detail": problem.detail, "level": "entity" if problem.entity else "statement",
            "file": file, "line": line, "offset": offset,
        })
        if self.warn is not None:
            self.warn(f"{message}: skipped")

    def extend(self, problems: list[BadValue], **where: Any) -> None:
        for p in problems:
            self.add(p, **where)


MAX_NUMBER_DIGITS = 28
"""Significant digits of an amount the number counterfactual computes exactly (Python's decimal
context); a larger amount, or one of 10^27 or more, is dropped as ``amount_too_long``."""


def check_number_digits(fact_id: str, quantity: Quantity | None) -> None:
    """A quantity answer the number counterfactual can compute with (a valid amount of up to 127
    characters, such as pi to 100 places, may exceed its decimal precision).

    Raises:
        SkipItem: ``amount_too_long``.
    """
    from decimal import Decimal

    from kcdata.errors import SkipItem

    if quantity is None:
        return
    d = Decimal(quantity.amount)
    if len(d.as_tuple().digits) > MAX_NUMBER_DIGITS or d.adjusted() >= MAX_NUMBER_DIGITS - 1:
        raise SkipItem("amount_too_long", f"{fact_id}: {echo(quantity.amount)} has more digits than the "
                                          f"number counterfactual computes ({MAX_NUMBER_DIGITS})")
