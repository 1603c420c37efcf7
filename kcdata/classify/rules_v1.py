"""``rules_v1``: judge a fact static, temporal or disputable as of a date.

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

from kcdata.classify.base import RuleConfig, best, dedupe, dispute_evidence, series_state, time_key, valid_at
from kcdata.errors import SkipItem
from kcdata.relations import RelationSpec
from kcdata.types import Classification, Fact


def classify_v1(fact: Fact, relation: RelationSpec, as_of: dt.date, rules: RuleConfig) -> Classification:
    """Classify one fact as of a date.

    Args:
        fact: the statement group.
        relation: its relation spec (cardinality, changes_over_time).
        as_of: the date the fact is judged at.
        rules: the ``rules_v1`` settings (dispute markers).

    Returns:
        The classification, with the statements true at ``as_of`` as ``current``.

    Raises:
        SkipItem: ``no_concrete_value`` (only somevalue/novalue/deprecated) or ``no_value_as_of``.
    """
    stmts = [s for s in fact.statements if s.rank != "deprecated" and s.value.is_concrete]
    if not stmts:
        raise SkipItem("no_concrete_value", fact.id)
    day_text = as_of.isoformat()

    timed = [s for s in stmts if s.point_in_time is not None]
    if timed:
        # A series of measurements: the latest one at or before as_of is the current value.
        state = series_state(timed, as_of)
        if state is None:
            raise SkipItem("no_value_as_of", fact.id)
        _, at_latest, others = state
        current = dedupe(best(at_latest))
        former = tuple(s for s in dedupe(others) if s.value.key() not in {c.value.key() for c in current})
    else:
        valid = [s for s in stmts if valid_at(s, as_of)]
        if not valid:
            raise SkipItem("no_value_as_of", fact.id)
        current = dedupe(best(valid))
        current_keys = {c.value.key() for c in current}
        ended = sorted(
            (s for s in stmts if s not in valid), key=lambda s: time_key(s.end or s.start), reverse=True
        )
        former = tuple(s for s in dedupe(ended) if s.value.key() not in current_keys)

    # --- disputable
    evidence = dispute_evidence(current, rules)
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
    if len(starts) >= 2 and len(dedupe(stmts)) >= 2:
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
