"""Frozen data types of the flow, with no I/O.

Rows are plain dicts whose contract is ``schemas/row.schema.json`` (see :func:`kcdata.schemas.row_fields`);
:class:`Provenance` is the row's ``provenance`` field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any


def fast_constructor(cls: type) -> Any:
    """A constructor for the frozen dataclass ``cls`` that skips the frozen ``__setattr__`` check.

    Takes the same arguments as ``cls(...)`` and gives an equal instance (same hash, same pickle)
    faster, for parsers in hot loops: slots are filled through their descriptors, a ``__dict__``
    in one assignment. Built the way :mod:`dataclasses` builds ``__init__``: generated source,
    compiled once. Fields with a default factory are not supported (pass them).
    """
    from dataclasses import MISSING, fields

    env: dict[str, Any] = {"_new": object.__new__, "_set": object.__setattr__, "_cls": cls}
    params, items, body = [], [], []
    slotted = "__slots__" in cls.__dict__
    for f in fields(cls):
        if f.default is not MISSING:
            env[f"_d_{f.name}"] = f.default
            params.append(f"{f.name}=_d_{f.name}")
        else:
            params.append(f.name)
        if slotted:
            env[f"_s_{f.name}"] = cls.__dict__[f.name].__set__
            body.append(f"    _s_{f.name}(obj, {f.name})\n")
        items.append(f"{f.name!r}: {f.name}")
    if not slotted:
        body.append(f"    _set(obj, '__dict__', {{{', '.join(items)}}})\n")
    src = f"def make({', '.join(params)}):\n    obj = _new(_cls)\n{''.join(body)}    return obj\n"
    exec(src, env)  # noqa: S102 - generated from the dataclass's own field names
    make = env["make"]
    make.__qualname__ = f"{cls.__qualname__}.fast"
    return make


GREGORIAN = "http://www.wikidata.org/entity/Q1985727"
JULIAN = "http://www.wikidata.org/entity/Q1985786"

# Wikidata time precisions (https://www.wikidata.org/wiki/Help:Dates#Precision).
PRECISION_DAY = 11
PRECISION_MONTH = 10
PRECISION_YEAR = 9
PRECISION_DECADE = 8
PRECISION_CENTURY = 7
PRECISION_MILLENNIUM = 6


@dataclass(frozen=True, slots=True)
class TimeValue:
    """A Wikidata time value, kept at its precision (never an invented day or month)."""

    year: int
    """Astronomical-style signed year as written by Wikidata: -44 is 44 BCE (Wikidata has no year 0)."""
    month: int
    """1-12, or 0 when unknown / finer than the precision."""
    day: int
    """1-31, or 0 when unknown / finer than the precision."""
    precision: int
    """Wikidata precision: 11 day, 10 month, 9 year, 8 decade, 7 century, 6 millennium, <6 coarser."""
    calendar: str = GREGORIAN
    """Calendar model URI (Gregorian Q1985727 or Julian Q1985786)."""

    @property
    def is_julian(self) -> bool:
        """Whether the value is stated in the proleptic Julian calendar."""
        return self.calendar == JULIAN

    def iso(self) -> str:
        """ISO-like text at the value's precision: ``1850``, ``1850-03``, ``1850-03-07``, ``-0044``."""
        sign = "-" if self.year < 0 else ""
        year = f"{sign}{abs(self.year):04d}"
        if self.precision >= PRECISION_DAY and self.month and self.day:
            return f"{year}-{self.month:02d}-{self.day:02d}"
        if self.precision >= PRECISION_MONTH and self.month:
            return f"{year}-{self.month:02d}"
        return year

    def bounds(self) -> tuple[dt.date, dt.date] | None:
        """First and last Gregorian-labelled day covered by the value, or None outside 1..9999.

        Comparison only: a Julian date is compared by its labels (the error is < 2 weeks, far below
        the precision of the facts judged here), BCE years fall outside ``datetime`` and give None.
        """
        if self.year < 1 or self.year > 9999:
            return None
        if self.precision >= PRECISION_DAY and self.month and self.day:
            try:
                d = dt.date(self.year, self.month, self.day)
            except ValueError:
                return None
            return d, d
        if self.precision >= PRECISION_MONTH and self.month:
            if not 1 <= self.month <= 12:
                return None
            first = dt.date(self.year, self.month, 1)
            if self.month == 12:  # 9999-12 has no next month in datetime
                return first, dt.date(self.year, 12, 31)
            return first, dt.date(self.year, self.month + 1, 1) - dt.timedelta(days=1)
        if self.precision >= PRECISION_YEAR:
            return dt.date(self.year, 1, 1), dt.date(self.year, 12, 31)
        if self.precision == PRECISION_DECADE:
            start = (self.year // 10) * 10
            end = start + 9
        else:
            # Wikibase convention: year 300 at century precision is the 3rd century (201-300).
            span = {PRECISION_CENTURY: 100, PRECISION_MILLENNIUM: 1000}.get(self.precision, 10 ** max(2, 9 - self.precision))
            n = (self.year - 1) // span + 1
            start, end = (n - 1) * span + 1, n * span
        start, end = max(1, start), min(9999, end)
        return dt.date(start, 1, 1), dt.date(end, 12, 31)


@dataclass(frozen=True, slots=True)
class Quantity:
    """A quantity with its unit, as decimal strings to keep Wikidata's exact digits."""

    amount: str
    """Signed decimal string without the leading '+', e.g. '38005238' or '-1.5'."""
    unit: str | None = None
    """Unit item id (e.g. 'Q11573' for metre), None for a dimensionless number."""
    lower: str | None = None
    upper: str | None = None


@dataclass(frozen=True, slots=True)
class Value:
    """One snak value of any datavalue type, or a ``somevalue`` / ``novalue`` marker."""

    type: str
    """item, time, quantity, monolingualtext, string, globecoordinate, somevalue, novalue, other."""
    item: str | None = None
    time: TimeValue | None = None
    quantity: Quantity | None = None
    text: str | None = None
    """string and monolingualtext values, or the raw JSON of an unknown datavalue type."""
    language: str | None = None
    """language of a monolingualtext value."""
    latitude: float | int | None = None
    """As written in the source (an int stays an int: the value's key shows it)."""
    longitude: float | int | None = None
    globe: str | None = None

    def key(self) -> str:
        """A canonical identity string: two values are the same answer iff their keys are equal."""
        if self.type == "item":
            return f"item:{self.item}"
        if self.type == "time" and self.time is not None:
            return f"time:{self.time.iso()}"
        if self.type == "quantity" and self.quantity is not None:
            return f"quantity:{self.quantity.amount}:{self.quantity.unit or ''}"
        if self.type == "monolingualtext":
            return f"text:{self.language}:{self.text}"
        if self.type == "globecoordinate":
            return f"coord:{self.latitude}:{self.longitude}"
        return f"{self.type}:{self.text or ''}"

    @property
    def is_concrete(self) -> bool:
        """False for ``somevalue`` / ``novalue`` snaks, which name no answer."""
        return self.type not in ("somevalue", "novalue")


@dataclass(frozen=True, slots=True)
class Statement:
    """One Wikidata statement (claim) of a fact, with rank and qualifiers."""

    id: str
    """Wikidata statement GUID."""
    rank: str
    """preferred, normal or deprecated."""
    value: Value
    qualifiers: dict[str, tuple[Value, ...]] = field(default_factory=dict)
    """Qualifier values by property id, in Wikidata's order."""

    def qualifier_time(self, pid: str) -> TimeValue | None:
        """The first time value of qualifier ``pid`` (P580 start, P582 end, P585 point in time)."""
        for v in self.qualifiers.get(pid, ()):
            if v.type == "time" and v.time is not None:
                return v.time
        return None

    @property
    def start(self) -> TimeValue | None:
        """P580 start time."""
        return self.qualifier_time("P580")

    @property
    def end(self) -> TimeValue | None:
        """P582 end time."""
        return self.qualifier_time("P582")

    @property
    def point_in_time(self) -> TimeValue | None:
        """P585 point in time."""
        return self.qualifier_time("P585")

    def ended_without_date(self) -> bool:
        """True when P582 is ``somevalue`` (ended, date unknown)."""
        return any(v.type == "somevalue" for v in self.qualifiers.get("P582", ()))


@dataclass(frozen=True, slots=True)
class Entity:
    """Labels and aliases of an entity, per language, plus what popularity and provenance need, and
    its kind (classes, gender, lifetime) for counterfactual substitutes of the same kind."""

    id: str
    labels: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sitelinks: int | None = None
    """Number of sitelinks, a popularity proxy."""
    lastrevid: int | None = None
    modified: str | None = None
    classes: tuple[str, ...] = ()
    """``P31`` (instance of) item ids in statement order, deprecated statements skipped,
    duplicates removed: what kind of thing the entity is (``('Q5',)`` a human)."""
    gender: str | None = None
    """``P21`` (sex or gender) item id: the first non-deprecated one, preferred rank first."""
    born: int | None = None
    """Year of ``P569`` (date of birth), signed as :attr:`TimeValue.year` (-44 is 44 BCE): the
    first preferred-rank value at year precision or finer, else the first normal-rank one; None
    when unknown or coarser than a year."""
    died: int | None = None
    """Year of ``P570`` (date of death), chosen as :attr:`born` is."""


@dataclass(frozen=True, slots=True)
class Fact:
    """One statement group: (subject, relation) with all its statements."""

    subject: str
    relation: str
    statements: tuple[Statement, ...]
    revision: int | None = None
    """The subject entity's ``lastrevid`` when the fact was read."""
    modified: str | None = None
    """The subject entity's ``modified`` timestamp when known."""
    source: str = ""
    """Where the entity JSON came from (file path, API, dump)."""

    @property
    def id(self) -> str:
        """Stable fact id ``Q142:P6``."""
        return f"{self.subject}:{self.relation}"


@dataclass(frozen=True)
class Classification:
    """What kind of fact this is as of a date, and why."""

    fact_type: str
    """static, temporal or disputable."""
    rule: str
    """Registry name and rule, e.g. ``rules_v1/temporal.end_time``."""
    as_of: str
    """YYYY-MM-DD the fact was judged at."""
    current: tuple[Statement, ...]
    """Statements true as of ``as_of`` (the original answers), best rank first."""
    evidence: tuple[tuple[str, str], ...] = ()
    """(property, value) pairs that fired the rule; ('relation', 'changes_over_time') for by-nature."""
    rivals: tuple[Statement, ...] = ()
    """Disputable facts: the statements of the other parties."""
    former: tuple[Statement, ...] = ()
    """Statements true at another time, most recent first."""
    last_change: TimeValue | None = None
    """``rules_v2``: when the value last changed on or before ``as_of`` (a start, an end or a point
    in time, at its precision), None when the data dates no change."""


@dataclass(frozen=True)
class Counterfactual:
    """The answer a counter-memory context asserts instead of the original."""

    strategy: str
    """Registry name: substitute_v1, outdated_v1, rival_v1, number_v1, date_shift_v1, and the v2 names."""
    value: Value
    original: Value
    note: str = ""
    """What changed, for humans (e.g. 'previous value, ended 2015-11-04')."""


@dataclass(frozen=True)
class Provenance:
    """Where a row came from, enough to rebuild it (the row's ``provenance`` field)."""

    source: str
    """``{source kind}:{file or endpoint}`` the subject entity was read from."""
    entity_revision: int | None
    """The subject entity's ``lastrevid`` when known."""
    dump_date: str | None
    """YYYY-MM-DD of the dump (dump source only)."""
    retrieved: str | None
    """YYYY-MM-DD the entity was recorded (its ``modified`` or retrieval date) when known."""
    snapshot_basis: str | None
    """What the row's ``snapshot_date`` rests on: ``modified`` (the entity's last edit),
    ``retrieved`` (when the API returned it), ``dump_date`` (the dump's date) or
    ``newest_evidence`` (the newest date stated in the entity, for data that carries no date)."""
    template_id: str
    """The original context's template: ``{relation slug}/{lang}.yaml#{pool}[{index}]``."""
    counter_template_id: str
    """The counter context's template (``contexts_v2`` may date it differently)."""
    template_version: str
    """``P6@1/en@1``: the relation and language template versions."""
    tool_version: str
    """kcdata version that built the row."""

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for the row, fields in their declared order (all scalars: no deep copy)."""
        return {name: getattr(self, name) for name in _PROVENANCE_FIELDS}


_PROVENANCE_FIELDS = tuple(f.name for f in dataclasses.fields(Provenance))
