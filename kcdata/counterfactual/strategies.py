"""The counterfactual strategies, one class per versioned name (see :mod:`kcdata.counterfactual`).

Each draws from the fact's own generator (``Request.rng``) only, in a fixed order, so a choice
depends on the seed and the fact alone.
"""

from __future__ import annotations

import math
import random
from decimal import ROUND_HALF_EVEN, Decimal

from kcdata.counterfactual.base import Request, Strategy, register
from kcdata.errors import SkipItem
from kcdata.normalise import collision_key_v1
from kcdata.types import Counterfactual, TimeValue, Value

POPULARITY_NEIGHBOURS = 8
"""``substitute_v1`` draws among this many candidates closest in popularity to the original."""
MIN_NUMBER_GAP = 0.02
"""``outdated_v1`` skips a former figure within this relative gap of today's (no visible conflict)."""


@register
class RivalV1(Strategy):
    """Disputable facts: the value claimed by another party, true at the same time (drawn at random
    among the rivals)."""

    name = "rival_v1"

    def propose(self, request: Request) -> Counterfactual | None:
        original = request.original
        rivals = [s.value for s in request.cls.rivals if s.value.key() != original.key()]
        if not rivals:
            return None
        pick = rivals[request.rng.randrange(len(rivals))]
        return Counterfactual(self.name, pick, original, "value claimed by another party")


@register
class OutdatedV1(Strategy):
    """Temporal facts: a value true at another time, the most recent one first; for items, among
    equally recent ones the one labelled in the most row languages (a stable sort keeps recency);
    for quantities, never one within :data:`MIN_NUMBER_GAP` of today's figure."""

    name = "outdated_v1"

    def propose(self, request: Request) -> Counterfactual | None:
        original = request.original
        current_keys = {s.value.key() for s in request.cls.current}
        former = [s for s in request.cls.former if s.value.key() not in current_keys]
        if original.type == "quantity":
            former = [s for s in former if relative_gap(s.value, original) >= MIN_NUMBER_GAP]
        if original.type == "item":
            former.sort(key=lambda s: -request.coverage(s.value.item))
        if not former:
            return None
        s = former[0]
        when = s.end or s.point_in_time or s.start
        note = f"value true at another time ({when.iso()})" if when else "value true at another time"
        return Counterfactual(self.name, s.value, original, note)


@register
class NumberV1(Strategy):
    """Quantities: the original times a factor in [0.5, 0.8] or [1.25, 2.0], rounded to the
    original's significant digits (at least 2); an integer stays an integer; never equal to it."""

    name = "number_v1"

    def propose(self, request: Request) -> Counterfactual | None:
        original = request.original
        if original.type != "quantity" or original.quantity is None:
            return None
        return Counterfactual(self.name, other_number(original, request.rng), original, "different number")


@register
class DateShiftV1(Strategy):
    """Time values: the same date moved by 3-30 years either way, at the same precision; a date
    at or before the ``as_of`` year never moves past it, and there is no year 0.

    Kept unchanged so that old builds stay reproducible, with known faults: the day is never
    clamped (29 February can land in a common year), the ``as_of`` guard compares years only (a
    shift can land after ``as_of`` within its year), and a shift from BCE to CE does not skip year
    0. ``date_shift_v2`` (:mod:`kcdata.counterfactual.strategies_v2`) fixes them."""

    name = "date_shift_v1"

    def propose(self, request: Request) -> Counterfactual | None:
        original = request.original
        if original.type != "time" or original.time is None:
            return None
        limit = int(request.cls.as_of[:4])
        return Counterfactual(self.name, shift_date(original.time, request.rng, limit), original, "shifted date")


@register
class SubstituteV1(Strategy):
    """Items: another item of the relation's object class from the build's pool.

    Never the original, the subject, any value the subject has for this relation at any time, or
    an item sharing a surface form (:func:`~kcdata.normalise.collision_key_v1`) with one of them.
    Among the rest: those labelled in the most row languages, then the
    :data:`POPULARITY_NEIGHBOURS` closest in log sitelinks when the original's are known; one is
    drawn at random.
    """

    name = "substitute_v1"

    def propose(self, request: Request) -> Counterfactual | None:
        fact, store, original = request.fact, request.store, request.original
        if original.type != "item":
            return None
        languages = request.languages
        true_keys = {s.value.key() for s in fact.statements}
        banned_forms = set()
        for lang in languages:
            banned_forms |= {collision_key_v1(f) for f in store.forms(original.item, lang)}
        for s in fact.statements:
            for lang in languages:
                banned_forms |= {collision_key_v1(f) for f in store.forms(s.value.item, lang)}
        object_class = request.spec.object_class
        cands = []
        for qid in request.pool.candidates(object_class):
            if f"item:{qid}" in true_keys or qid == fact.subject:
                continue
            forms = {collision_key_v1(f) for lang in languages for f in store.forms(qid, lang)}
            if not forms or forms & banned_forms:
                continue
            cands.append(qid)
        if not cands:
            raise SkipItem("no_counterfactual", f"{fact.id}: empty substitution pool for {object_class}")
        pick = draw_closest(request, cands)
        return Counterfactual(self.name, Value(type="item", item=pick), original, "same-class substitute")


def draw_closest(request: Request, cands: list[str]) -> str:
    """Draw a substitute among the candidates labelled in the most row languages, then among the
    :data:`POPULARITY_NEIGHBOURS` closest to the original in log sitelinks (when known)."""
    store = request.store
    best_cov = max(request.coverage(q) for q in cands)
    cands = [q for q in cands if request.coverage(q) == best_cov]
    pop = store.sitelinks(request.original.item)
    if pop is not None:

        def distance(q: str) -> float:
            other = store.sitelinks(q)
            return abs(math.log1p(pop) - math.log1p(other)) if other is not None else 99.0

        cands.sort(key=lambda q: (distance(q), len(q), q))
        cands = cands[:POPULARITY_NEIGHBOURS]
    return cands[request.rng.randrange(len(cands))]


def relative_gap(a: Value, b: Value) -> float:
    """``|a - b| / |b|`` of two quantities (``inf`` when only ``b`` is zero)."""
    x, y = Decimal(a.quantity.amount), Decimal(b.quantity.amount)
    if not y:
        return float("inf") if x else 0.0
    return float(abs(x - y) / abs(y))


def other_number(original: Value, rng: random.Random) -> Value:
    """A plausible different quantity (see :class:`NumberV1`)."""
    q = original.quantity
    amount = Decimal(q.amount)
    digits = max(2, len(amount.normalize().as_tuple().digits) if amount else 2)
    for _ in range(20):
        low = rng.random() < 0.5
        factor = Decimal(str(round(rng.uniform(0.5, 0.8) if low else rng.uniform(1.25, 2.0), 4)))
        new = amount * factor if amount else Decimal(rng.randint(1, 100))
        if new:
            exp = new.adjusted() - digits + 1
            new = new.scaleb(-exp).quantize(Decimal(1), rounding=ROUND_HALF_EVEN).scaleb(exp)
        if "." not in q.amount:
            new = new.quantize(Decimal(1))
        if new != amount:
            break
    text = format(new, "f")
    return Value(type="quantity", quantity=type(q)(amount=text, unit=q.unit))


def shift_date(t: TimeValue, rng: random.Random, max_year: int) -> Value:
    """The date moved by 3-30 years, never from at-or-before ``max_year`` to after it (see
    :class:`DateShiftV1`)."""
    years = rng.randint(3, 30) * (1 if rng.random() < 0.5 else -1)
    if t.year <= max_year < t.year + years:
        years = -years  # a past date never moves past the as_of date
    y = t.year + years
    if t.year > 0 >= y:
        y -= 1  # there is no year 0
    return Value(type="time", time=TimeValue(y, t.month, t.day, t.precision, t.calendar))
