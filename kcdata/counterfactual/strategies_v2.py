"""The second counterfactual strategies: same-kind, false, and never overlapping the original.

What changed from the ``_v1`` strategies (which stay registered and selectable):

* Every form comparison uses the scorer's normaliser (:func:`kcdata.normalise.overlaps`): a
  counterfactual whose normalised form equals, contains or is contained in a form of a true value
  ("United Kingdom" / "United Kingdom of Great Britain and Ireland") is never chosen.
* ``outdated_v2``: only a value that ended on or before ``as_of`` (or an earlier point of a
  series), always the most recent one; a language without its label drops that row instead of
  falling back to an older value.
* ``substitute_v2``: candidates are the objects of the same relation (not of any relation sharing
  a class); where classes (P31) are known they must share one with the original; people keep the
  relation's or the original's gender (P21) and must be plausible contemporaries; no substitute
  serves more than about a tenth of a relation's facts while others are left.
* ``date_shift_v2``: the ``date_shift_v1`` shift (3-30 years either way, same draws, same
  precision) made calendar-safe: the day is clamped to its month's length in the new year (29
  February moved to a common year becomes 28 February), a shift over the era boundary counts real
  years and never gives year 0, and "never past ``as_of``" compares whole dates, not years.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable

from kcdata.classify.base import ended_by, start_day, years_before
from kcdata.counterfactual.base import Request, Strategy, register
from kcdata.counterfactual.strategies import MIN_NUMBER_GAP, POPULARITY_NEIGHBOURS, draw_closest, relative_gap
from kcdata.errors import SkipItem
from kcdata.normalise import any_overlap, names, overlap_padded, padded_forms
from kcdata.types import (
    JULIAN,
    PRECISION_CENTURY,
    PRECISION_DAY,
    PRECISION_DECADE,
    PRECISION_MILLENNIUM,
    PRECISION_MONTH,
    PRECISION_YEAR,
    Counterfactual,
    Statement,
    TimeValue,
    Value,
)

CONTEMPORARY_YEARS = 60
"""``substitute_v2``: a person substitute is born at most this many years from the original."""
RECENT_YEARS = 10
"""``substitute_v2``: a substitute must have been a value of the relation, for some subject,
within this many years up to ``as_of`` by the build's own statements (an undated statement counts
at any time): no Roman Empire for a distillery's country, no office holder from another century
or from the future."""


def true_forms(request: Request, lang: str, current_only: bool = False) -> list[str]:
    """Every form, in ``lang``, of every item value the subject has for the relation (at any
    time, or only now)."""
    out: list[str] = []
    for s in request.cls.current if current_only else request.fact.statements:
        if s.value.item:
            out.extend(request.store.forms(s.value.item, lang))
    return out


def overlaps_truth(request: Request, qid: str | None, current_only: bool = False) -> bool:
    """Whether an item's forms overlap a true value's forms (at any time, or only the current
    values) in any row language."""
    if qid is None:
        return False
    memo = request.memo
    for lang in request.languages:
        key = ("truth", lang, current_only)
        truth = memo.get(key)
        if truth is None:
            truth = memo[key] = padded_forms(true_forms(request, lang, current_only), lang)
        if truth and overlap_padded(padded_forms(request.store.forms(qid, lang), lang), truth):
            return True
    return False


@register
class RivalV2(Strategy):
    """Disputable facts: another party's value (at random), never one overlapping the original."""

    name = "rival_v2"

    def propose(self, request: Request) -> Counterfactual | None:
        original = request.original
        originals = [request.store.forms(original.item, lang) for lang in request.languages]
        rivals = []
        for s in request.cls.rivals:
            if s.value.key() == original.key():
                continue
            if s.value.item and any(any_overlap(request.store.forms(s.value.item, lang), forms, lang)
                                    for lang, forms in zip(request.languages, originals, strict=True)):
                continue
            rivals.append(s.value)
        if not rivals:
            return None
        pick = rivals[request.rng.randrange(len(rivals))]
        return Counterfactual(self.name, pick, original, "value claimed by another party")


OUTDATED_YEARS = 30
"""``outdated_v2``: a former value ended (or a series point lies) at most this many years before
``as_of``: a stale document from the last decades is plausible, a census of 1851 is not."""


def _ended_before(s: Statement, as_of: str) -> bool:
    """A former value: it ended on or before ``as_of`` and within :data:`OUTDATED_YEARS` of it, or
    is an earlier point of a series in that span."""
    day = dt.date.fromisoformat(as_of)
    earliest = years_before(day, OUTDATED_YEARS)
    when = s.point_in_time if s.point_in_time is not None else s.end
    if when is None:
        return False
    if s.point_in_time is None and not ended_by(s, day):
        return False
    b = start_day(when) if when.year >= 1 else None
    return b is not None and earliest <= b <= day


@register
class OutdatedV2(Strategy):
    """Temporal facts: the most recent value that ended on or before ``as_of``, at most
    :data:`OUTDATED_YEARS` before it (or the previous point of a series); quantities at least
    :data:`MIN_NUMBER_GAP` away; never one overlapping a current value."""

    name = "outdated_v2"

    def propose(self, request: Request) -> Counterfactual | None:
        original = request.original
        current_keys = {s.value.key() for s in request.cls.current}
        for s in request.cls.former:
            if s.value.key() in current_keys or not _ended_before(s, request.cls.as_of):
                continue
            if original.type == "quantity" and relative_gap(s.value, original) < MIN_NUMBER_GAP:
                continue
            if overlaps_truth(request, s.value.item, current_only=True):
                continue
            when = s.end or s.point_in_time or s.start
            note = f"value true until {when.iso()}" if when else "value true at another time"
            return Counterfactual(self.name, s.value, original, note)
        return None


@register
class SubstituteV2(Strategy):
    """Items: another object of the same relation, of the same kind (see the module docstring)."""

    name = "substitute_v2"

    def propose(self, request: Request) -> Counterfactual | None:
        fact, store, original, spec = request.fact, request.store, request.original, request.spec
        if original.type != "item":
            return None
        true_items = {s.value.item for s in fact.statements if s.value.item}
        kinds = set(store.classes(original.item))
        if spec.substitute_kind == "class" and not kinds:
            raise SkipItem("kind_unknown", f"{fact.id}: {fact.relation}'s objects are of mixed kinds and "
                                           f"{original.item} has no known class (P31)")
        gender = store.gender(original.item) if spec.object_gender == "same" else (
            spec.object_gender or store.gender(original.item))
        if spec.object_gender == "same" and gender is None:
            raise SkipItem("kind_unknown", f"{fact.id}: the original's gender (P21) is unknown")
        born, _ = store.lifetime(original.item)
        as_of = dt.date.fromisoformat(request.cls.as_of)
        alive = _alive(store.lifetime(original.item), as_of.year)
        # A substitute is a value the relation had in recent years: not a state that ended
        # centuries ago, not an office holder from another century (George Washington) or one who
        # took office after as_of (the future).
        recent = years_before(as_of, RECENT_YEARS)
        if alive is None and spec.changes_within_years and spec.object_class == "human":
            alive = True  # the holder of an office held now

        def passes(qid: str) -> bool:
            if qid in true_items or qid == fact.subject:
                return False
            if not any(store.forms(qid, lang) for lang in request.languages):
                return False
            theirs = set(store.classes(qid))
            if spec.substitute_kind == "class" and not kinds & theirs:
                return False  # mixed kinds: only a shared known class says it is the same kind
            if kinds and theirs and not kinds & theirs:
                return False  # another kind of thing: a country for a city
            their_gender = store.gender(qid)
            if gender and their_gender != gender and (their_gender is not None or spec.object_gender == "same"):
                return False
            their_life = store.lifetime(qid)
            if born is not None and their_life[0] is not None and abs(their_life[0] - born) > CONTEMPORARY_YEARS:
                return False
            if alive and _alive(their_life, as_of.year) is False:
                return False  # the original was alive then: so must a substitute be
            if not request.pool.held_between(fact.relation, qid, recent, as_of):
                return False
            if overlaps_truth(request, qid):
                return False
            # the passage chosen for a row names it already
            return not any(names(text, form, lang) for lang, text in request.avoid for form in store.forms(qid, lang))

        memo: dict[str, bool] = {}

        def tested(qid: str) -> bool:  # a fall-back after a walk does not test a candidate twice
            if qid not in memo:
                memo[qid] = passes(qid)
            return memo[qid]

        near = _nearest_fresh(request, tested)
        if near is not None:  # the same draw as below, found without testing the whole pool
            pick = near[request.rng.randrange(len(near))]
            request.pool.use(fact.relation, pick)
            return Counterfactual(self.name, Value(type="item", item=pick), original, "same-relation substitute")
        cands = [qid for qid in request.pool.relation_candidates(fact.relation) if tested(qid)]
        if not cands:
            raise SkipItem("no_counterfactual", f"{fact.id}: no same-kind substitute among the objects of {fact.relation}")
        cap = request.pool.cap(fact.relation)
        fresh = [q for q in cands if request.pool.uses(fact.relation, q) < cap]
        cands = fresh or sorted(cands, key=lambda q: request.pool.uses(fact.relation, q))[:POPULARITY_NEIGHBOURS]
        pick = draw_closest(request, cands)
        request.pool.use(fact.relation, pick)
        return Counterfactual(self.name, Value(type="item", item=pick), original, "same-relation substitute")


def _nearest_fresh(request: Request, passes: Callable[[str], bool]) -> list[str] | None:
    """The candidates :func:`draw_closest` would draw among, found by walking out from the original's
    popularity instead of testing every object of the relation (issue 14: a dump-sized pool made the
    build quadratic).

    ``draw_closest`` over the fresh passing candidates (used fewer times than the cap) keeps those
    labelled in the most row languages, then the :data:`POPULARITY_NEIGHBOURS` first by (distance
    in log sitelinks, id length, id). Walking the relation's objects in exactly that order, the
    first ``POPULARITY_NEIGHBOURS`` fresh passing ones labelled in *every* row language are that
    set. None when the walk does not find them (a small pool, an original without sitelinks, or
    too few fresh candidates): the caller then tests the whole pool as before.
    """
    pop = request.store.sitelinks(request.original.item)
    if pop is None:
        return None
    pool, relation = request.pool, request.fact.relation
    cap = pool.cap(relation)
    full = len(request.languages)
    found: list[str] = []
    for qid in pool.by_popularity_distance(relation, math.log1p(pop), request.store.sitelinks):
        if request.coverage(qid) == full and pool.uses(relation, qid) < cap and passes(qid):
            found.append(qid)
            if len(found) == POPULARITY_NEIGHBOURS:
                return found
    return None


def _alive(lifetime: tuple[int | None, int | None], year: int) -> bool | None:
    """Whether a person was alive in ``year`` by their birth and death years (None: unknown)."""
    born, died = lifetime
    if born is None and died is None:
        return None
    if born is not None and born > year:
        return False
    if died is not None and died < year:
        return False
    return True


@register
class DateShiftV2(Strategy):
    """Time values: the same date moved by 3-30 years either way, at the same precision, always a
    real calendar day (see :func:`shift_date_v2`)."""

    name = "date_shift_v2"

    def propose(self, request: Request) -> Counterfactual | None:
        original = request.original
        if original.type != "time" or original.time is None:
            return None
        as_of = dt.date.fromisoformat(request.cls.as_of)
        return Counterfactual(self.name, shift_date_v2(original.time, request.rng, as_of), original, "shifted date")


def shift_date_v2(t: TimeValue, rng: random.Random, as_of: dt.date) -> Value:
    """The date moved by 3-30 years (two draws, in ``date_shift_v1``'s order: ``randint(3, 30)``
    years, then ``random() < 0.5`` for later), keeping month, day, precision and calendar.

    * Years are Wikidata's: no year 0, -1 is 1 BC. A shift counts real years across the era
      boundary (3 - 5 years is 3 BC, -2 + 5 years is AD 4), so it never gives year 0.
    * The day is clamped to the length of its month in the new year, by the value's own calendar
      (proleptic Gregorian or Julian): 29 February moved to a common year is 28 February. No
      redraw, so the result depends on the same two draws only.
    * A value whose span starts on or before ``as_of`` never moves to one starting after it: the
      earliest day of the shifted span (the day itself at day precision, the 1st of the month at
      month precision, 1 January at year precision, the first year of the decade or century) is
      compared with ``as_of`` as a date; a forward shift that passes it goes backward instead.
    """
    years = rng.randint(3, 30) * (1 if rng.random() < 0.5 else -1)
    moved = _moved(t, years)
    if _earliest(t) <= as_of.timetuple()[:3] < _earliest(moved):
        moved = _moved(t, -years)  # a past date never moves past as_of; backward always lands before it
    return Value(type="time", time=moved)


def _astronomical(year: int) -> int:
    """Wikidata's year (no 0, -1 is 1 BC) as an astronomical one (0 is 1 BC)."""
    return year if year > 0 else year + 1


def _wikidata_year(astronomical: int) -> int:
    return astronomical if astronomical > 0 else astronomical - 1


def _moved(t: TimeValue, years: int) -> TimeValue:
    """``t`` moved by ``years`` real years, its day clamped to the new month's length."""
    year = _wikidata_year(_astronomical(t.year) + years)
    day = t.day
    if 1 <= t.month <= 12 and day:
        day = min(day, _month_length(year, t.month, t.calendar))
    return TimeValue(year, t.month, day, t.precision, t.calendar)


def _month_length(year: int, month: int, calendar: str) -> int:
    if month != 2:
        return 30 if month in (4, 6, 9, 11) else 31
    y = _astronomical(year)
    leap = y % 4 == 0 if calendar == JULIAN else (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0))
    return 29 if leap else 28


def _earliest(t: TimeValue) -> tuple[int, int, int]:
    """The first day of the value's span as (astronomical year, month, day), ordered like dates."""
    y = _astronomical(t.year)
    if t.precision >= PRECISION_DAY and 1 <= t.month <= 12 and t.day:
        return y, t.month, t.day
    if t.precision >= PRECISION_MONTH and 1 <= t.month <= 12:
        return y, t.month, 1
    if t.precision >= PRECISION_YEAR:
        return y, 1, 1
    if t.precision == PRECISION_DECADE:
        return (t.year // 10) * 10 if t.year > 0 else y, 1, 1
    # Wikibase convention, as TimeValue.bounds: year 300 at century precision is 201-300.
    span = {PRECISION_CENTURY: 100, PRECISION_MILLENNIUM: 1000}.get(t.precision, 10 ** max(2, 9 - t.precision))
    if t.year <= 0:
        return y, 1, 1
    return ((t.year - 1) // span) * span + 1, 1, 1
