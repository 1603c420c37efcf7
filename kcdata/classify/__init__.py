"""Judge a fact static, temporal or disputable as of a date (registry name ``rules_v1``).

Precedence: disputable, then temporal, then static. Each outcome names the rule that fired and
its evidence, so users can filter on evidence strength:

* ``disputable.qualifier`` — a statement true at ``as_of`` carries P1310 (statement disputed by), or
  P1480 / P5102 with a dispute marker from ``templates/rules/rules_v1.yaml``.
* ``disputable.concurrent_values`` — a single-valued relation has two or more different values true
  at ``as_of`` with the same best rank.
* ``temporal.end_time`` — some value has an end time (P582), so the value changed.
* ``temporal.start_times`` — values with different start times (P580).
* ``temporal.point_in_time`` — values at different points in time (P585), e.g. population by year.
* ``temporal.current_since`` — the current value has a start time: it replaced an earlier one.
* ``temporal.by_nature`` — no qualifier evidence, but the relation's value changes by nature
  (``changes_over_time`` in its relation.yaml). The weakest temporal evidence.
* ``static.no_change`` — none of the above.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import yaml

from kcdata.errors import ConfigError, SkipItem
from kcdata.relations import RelationSpec
from kcdata.resources import templates_dir
from kcdata.types import Classification, Fact, Statement, TimeValue

RULES = "rules_v1"


@dataclass(frozen=True)
class RuleConfig:
    """The dispute markers of a rules version."""

    name: str
    dispute_qualifiers: tuple[str, ...]
    marker_qualifiers: tuple[str, ...]
    dispute_markers: dict[str, str]

    @property
    def qualifiers(self) -> frozenset[str]:
        """Every qualifier property the rules read: the sources may drop the others."""
        return frozenset(("P580", "P582", "P585", *self.dispute_qualifiers, *self.marker_qualifiers))


@functools.lru_cache(maxsize=4)
def load_rules(name: str = RULES) -> RuleConfig:
    """Load ``templates/rules/<name>.yaml``."""
    path = templates_dir() / "rules" / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"unknown classification rules {name!r}", "available: rules_v1")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return RuleConfig(
        name=data["name"],
        dispute_qualifiers=tuple(data["dispute_qualifiers"]),
        marker_qualifiers=tuple(data["marker_qualifiers"]),
        dispute_markers=dict(data["dispute_markers"]),
    )


def _start(t: TimeValue | None) -> dt.date | None:
    b = t.bounds() if t else None
    return b[0] if b else None


def _end(t: TimeValue | None) -> dt.date | None:
    b = t.bounds() if t else None
    return b[1] if b else None


def valid_at(s: Statement, day: dt.date) -> bool:
    """Whether a statement's P580/P582 interval contains ``day`` (open ends are unbounded).

    A start stated at year precision counts from the year's first day, an end to its last day, so a
    coarse date never makes a value look valid or invalid on evidence finer than it gives.
    """
    if s.ended_without_date():
        return False
    start = s.start
    if start is not None:
        if start.year < 1:
            pass  # BCE start: began long before any as_of date datetime can hold
        else:
            b = _start(start)
            if b is not None and b > day:
                return False
    end = s.end
    if end is not None:
        if end.year < 1:
            return False
        b = _end(end)
        if b is not None and b < day:
            return False
    return True


def _dedupe(statements) -> tuple[Statement, ...]:
    seen: set[str] = set()
    out = []
    for s in statements:
        k = s.value.key()
        if k not in seen:
            seen.add(k)
            out.append(s)
    return tuple(out)


def _best(statements: list[Statement]) -> list[Statement]:
    preferred = [s for s in statements if s.rank == "preferred"]
    return preferred or statements


def _time_key(t: TimeValue | None) -> tuple:
    return (t.year, t.month, t.day) if t else (-10**9, 0, 0)


def classify(fact: Fact, relation: RelationSpec, as_of: dt.date, rules: RuleConfig | None = None) -> Classification:
    """Classify one fact as of a date.

    Args:
        fact: the statement group.
        relation: its relation spec (cardinality, changes_over_time).
        as_of: the date the fact is judged at.
        rules: dispute markers; default ``rules_v1``.

    Returns:
        The classification, with the statements true at ``as_of`` as ``current``.

    Raises:
        SkipItem: ``no_concrete_value`` (only somevalue/novalue/deprecated) or ``no_value_as_of``.
    """
    rules = rules or load_rules()
    stmts = [s for s in fact.statements if s.rank != "deprecated" and s.value.is_concrete]
    if not stmts:
        raise SkipItem("no_concrete_value", fact.id)
    day_text = as_of.isoformat()
    evidence: list[tuple[str, str]] = []

    timed = [s for s in stmts if s.point_in_time is not None]
    if timed:
        # A series of measurements: the latest one at or before as_of is the current value.
        past = [s for s in timed if (_start(s.point_in_time) or dt.date.max) <= as_of]
        if not past:
            raise SkipItem("no_value_as_of", fact.id)
        latest = max(_time_key(s.point_in_time) for s in past)
        at_latest = [s for s in past if _time_key(s.point_in_time) == latest]
        current = _dedupe(_best(at_latest))
        others = sorted(
            (s for s in past if s not in at_latest), key=lambda s: _time_key(s.point_in_time), reverse=True
        )
        former = tuple(s for s in _dedupe(others) if s.value.key() not in {c.value.key() for c in current})
    else:
        valid = [s for s in stmts if valid_at(s, as_of)]
        if not valid:
            raise SkipItem("no_value_as_of", fact.id)
        current = _dedupe(_best(valid))
        current_keys = {c.value.key() for c in current}
        ended = sorted(
            (s for s in stmts if s not in valid), key=lambda s: _time_key(s.end or s.start), reverse=True
        )
        former = tuple(s for s in _dedupe(ended) if s.value.key() not in current_keys)

    # --- disputable
    for s in current:
        for pid in rules.dispute_qualifiers:
            for v in s.qualifiers.get(pid, ()):
                evidence.append((pid, v.item or v.type))
        for pid in rules.marker_qualifiers:
            for v in s.qualifiers.get(pid, ()):
                if v.item in rules.dispute_markers:
                    evidence.append((pid, v.item))
    if evidence:
        rivals = tuple(c for c in current[1:]) if len(current) > 1 else ()
        return Classification("disputable", f"{rules.name}/disputable.qualifier", day_text, current,
                              tuple(evidence), rivals, former)
    if relation.cardinality == "single" and len(current) >= 2:
        ev = tuple(("concurrent_value", c.value.key().split(":", 1)[1]) for c in current)
        return Classification("disputable", f"{rules.name}/disputable.concurrent_values", day_text,
                              current, ev, current[1:], former)

    # --- temporal
    ends = [s for s in stmts if s.end is not None or s.ended_without_date()]
    if ends:
        ev = tuple(("P582", s.end.iso() if s.end else "somevalue") for s in ends[:5])
        return Classification("temporal", f"{rules.name}/temporal.end_time", day_text, current, ev, (), former)
    starts = {s.start.iso() for s in stmts if s.start is not None}
    if len(starts) >= 2 and len(_dedupe(stmts)) >= 2:
        ev = tuple(("P580", t) for t in sorted(starts)[:5])
        return Classification("temporal", f"{rules.name}/temporal.start_times", day_text, current, ev, (), former)
    points = {s.point_in_time.iso() for s in timed}
    if len(points) >= 2:
        ev = tuple(("P585", t) for t in sorted(points)[-5:])
        return Classification("temporal", f"{rules.name}/temporal.point_in_time", day_text, current, ev, (), former)
    since = [s for s in current if s.start is not None]
    if since:
        ev = tuple(("P580", s.start.iso()) for s in since[:5])
        return Classification("temporal", f"{rules.name}/temporal.current_since", day_text, current, ev, (), former)
    if relation.changes_over_time:
        return Classification("temporal", f"{rules.name}/temporal.by_nature", day_text, current,
                              (("relation", "changes_over_time"),), (), former)
    return Classification("static", f"{rules.name}/static.no_change", day_text, current, (), (), former)
