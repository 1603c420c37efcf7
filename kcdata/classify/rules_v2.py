"""``rules_v2``: judge a fact static, temporal or disputable as of a date, on stricter evidence.

What changed from ``rules_v1`` (which stays selectable):

* A value is *current* when its P580/P582 interval certainly contains ``as_of`` at the precision
  of its dates; when none does, the values that possibly do (a start or end stated only to the
  year of ``as_of``). For a single-valued relation, another value that possibly holds beside a
  certain one makes the fact ambiguous (dropped), not a change or a dispute.
* *Former* values are values that **ended on or before** ``as_of``, most recent end first, or, in a
  P585 series, earlier points in time. A value that starts after ``as_of`` is neither current nor
  former: it is the future.
* **disputable** needs dispute evidence: a qualifier (``disputable.qualifier``: P1310, or P1480 /
  P5102 with a marker of ``templates/rules/rules_v2.yaml``), or two or more values of a
  single-valued relation with the same best rank that are all dated and all certainly valid at
  ``as_of`` (``disputable.overlapping_values``). Undated or only possibly overlapping values of a
  single-valued relation are no evidence of a dispute: the fact is dropped as
  ``ambiguous_concurrent_values``.
* **temporal** needs a recorded change within ``temporal_window_years`` before ``as_of``: a former
  value's end (``temporal.end_time``), the latest point of a series (``temporal.point_in_time``) or
  the current value's start (``temporal.current_since``). A value whose last recorded change is
  older is ``static.settled``. With no dated change at all, ``temporal.by_nature`` only for
  relations whose value really changes within years (``changes_within_years``), else
  ``static.no_change``.
* A time value (a birth, a death, an inception) after ``as_of`` is an event that had not happened:
  the fact is dropped (``event_after_as_of``).
* Every classification records ``last_change``: the date of the most recent recorded change.
"""

from __future__ import annotations

import datetime as dt

from kcdata.classify.base import (
    RuleConfig,
    best,
    dedupe,
    dispute_evidence,
    end_day,
    ended_by,
    series_state,
    start_day,
    time_key,
    valid_at,
    years_before,
)
from kcdata.errors import SkipItem
from kcdata.relations import RelationSpec
from kcdata.types import Classification, Fact, Statement, TimeValue

DEFAULT_WINDOW_YEARS = 30


def certainly_valid(s: Statement, day: dt.date) -> bool:
    """Whether ``day`` lies inside the statement's interval at every reading of its precision: a
    start known only to the year counts from the year's last day, an end to its first day."""
    if s.ended_without_date():
        return False
    start, end = s.start, s.end
    if start is not None and start.year >= 1:
        b = end_day(start)
        if b is None or b > day:
            return False
    if end is not None:
        if end.year < 1:
            return False
        b = start_day(end)
        if b is None or b < day:
            return False
    return True


def _latest(times: list[TimeValue]) -> TimeValue | None:
    return max(times, key=time_key) if times else None


def classify_v2(fact: Fact, relation: RelationSpec, as_of: dt.date, rules: RuleConfig) -> Classification:
    """Classify one fact as of a date (see the module docstring).

    Args:
        fact: the statement group.
        relation: its relation spec (cardinality, changes_within_years).
        as_of: the date the fact is judged at.
        rules: the ``rules_v2`` settings (dispute markers, temporal window).

    Raises:
        SkipItem: ``no_concrete_value``, ``no_value_as_of``, ``ambiguous_concurrent_values`` or
            ``event_after_as_of``.
    """
    stmts = [s for s in fact.statements if s.rank != "deprecated" and s.value.is_concrete]
    if not stmts:
        raise SkipItem("no_concrete_value", fact.id)
    day_text = as_of.isoformat()
    name = rules.name

    timed = [s for s in stmts if s.point_in_time is not None]
    if timed:
        state = series_state(timed, as_of)
        if state is None:
            raise SkipItem("no_value_as_of", fact.id)
        _, at_latest, earlier = state
        current = dedupe(best(at_latest))
        if len(current) > 1 and relation.cardinality == "single":
            # two figures for the same date: sources differ, no party disputes anything
            raise SkipItem("ambiguous_concurrent_values", f"{fact.id}: {len(current)} values at {current[0].point_in_time.iso()}")
        current_keys = {c.value.key() for c in current}
        former = tuple(s for s in dedupe(earlier) if s.value.key() not in current_keys)
        last_change = current[0].point_in_time
        change_rule = "temporal.point_in_time" if former else None
        evidence_change = [("P585", s.point_in_time.iso()) for s in (*current[:1], *former[:4])]
    else:
        certain = [s for s in stmts if certainly_valid(s, as_of)]
        possible = [s for s in stmts if valid_at(s, as_of)]
        valid = certain or possible
        if not valid:
            raise SkipItem("no_value_as_of", fact.id)
        current = dedupe(best(valid))
        current_keys = {c.value.key() for c in current}
        if relation.cardinality == "single" and certain:
            maybe = {c.value.key() for c in dedupe(best(possible))} - current_keys
            if maybe:
                # another value may already (or still) hold at as_of at the precision of its dates
                raise SkipItem("ambiguous_concurrent_values",
                               f"{fact.id}: {sorted(maybe)[0]} may also hold at {day_text}")
        ended = sorted((s for s in stmts if ended_by(s, as_of) and s not in valid),
                       key=lambda s: time_key(s.end), reverse=True)
        former = tuple(s for s in dedupe(ended) if s.value.key() not in current_keys)
        last_end = _latest([s.end for s in former if s.end is not None and s.end.year >= 1])
        last_start = _latest([s.start for s in current if s.start is not None])
        last_change = _latest([t for t in (last_end, last_start) if t is not None])
        if last_end is not None and last_change is last_end:
            change_rule = "temporal.end_time"
            evidence_change = [("P582", s.end.iso()) for s in former[:5]]
        elif last_start is not None:
            change_rule = "temporal.current_since"
            evidence_change = [("P580", s.start.iso()) for s in current if s.start is not None][:5]
        else:
            change_rule, evidence_change = None, []

        # --- disputable
        evidence = dispute_evidence(current, rules)
        if evidence:
            rivals = tuple(current[1:]) if len(current) > 1 else ()
            return Classification("disputable", f"{name}/disputable.qualifier", day_text, current,
                                  tuple(evidence), rivals, former, last_change)
        if relation.cardinality == "single" and len(current) >= 2:
            dated = all(s.start is not None or s.end is not None for s in current)
            if dated and len(certain) >= 2 and all(s in certain for s in current):
                ev = tuple(("overlapping_value", c.value.key().split(":", 1)[1]) for c in current)
                return Classification("disputable", f"{name}/disputable.overlapping_values", day_text,
                                      current, ev, current[1:], former, last_change)
            raise SkipItem("ambiguous_concurrent_values",
                           f"{fact.id}: {len(current)} values at {day_text} without overlapping dates")

    # an event stated by its date (a birth, a death, an inception) that lies after as_of had not
    # happened yet: there is nothing to ask about on as_of
    for c in current:
        when = start_day(c.value.time) if c.value.type == "time" and c.value.time is not None else None
        if when is not None and when > as_of:
            raise SkipItem("event_after_as_of", f"{fact.id}: {c.value.time.iso()} is after {day_text}")

    # dispute qualifiers on a series value
    if timed:
        evidence = dispute_evidence(current, rules)
        if evidence:
            return Classification("disputable", f"{name}/disputable.qualifier", day_text, current,
                                  tuple(evidence), (), former, last_change)

    # --- temporal / settled
    window = rules.temporal_window_years or DEFAULT_WINDOW_YEARS
    if last_change is not None and change_rule is not None:
        changed = start_day(last_change) if last_change.year >= 1 else None
        if changed is not None and changed >= years_before(as_of, window):
            return Classification("temporal", f"{name}/{change_rule}", day_text, current,
                                  tuple(evidence_change), (), former, last_change)
        return Classification("static", f"{name}/static.settled", day_text, current,
                              (("last_change", last_change.iso()),), (), former, last_change)
    if relation.changes_within_years:
        return Classification("temporal", f"{name}/temporal.by_nature", day_text, current,
                              (("relation", "changes_within_years"),), (), former, last_change)
    return Classification("static", f"{name}/static.no_change", day_text, current, (), (), former, last_change)
