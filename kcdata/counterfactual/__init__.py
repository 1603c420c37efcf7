"""What conflicts: choose the counter-memory answer for a fact.

Strategies (versioned registry names; changing behaviour means a new name):

* ``rival_v1`` (disputable facts): the value claimed by another party, true at the same time.
* ``outdated_v1`` (temporal facts): a value true at another time, the most recent one first
  (e.g. the previous head of government, or an earlier census figure).
* ``number_v1`` (quantities): a plausible different number with the original's significant digits.
* ``date_shift_v1`` (time values): the same date moved by 3-30 years, at the same precision.
* ``substitute_v1`` (items): another entity of the same object class from the pool of objects seen
  in the build, popularity-matched by sitelink count where known. Never the original, one of its
  aliases, or any value the subject has for this relation at any time.

Every choice uses ``random.Random(f"{seed}:{fact_id}")``, so the same inputs and seed give the same
counterfactuals, and changing the seed changes only these choices.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal

from kcdata.errors import SkipItem
from kcdata.labels import LabelStore
from kcdata.normalise import collision_key_v1
from kcdata.relations import RelationSpec
from kcdata.types import Classification, Counterfactual, Fact, TimeValue, Value

STRATEGIES = ("substitute_v1", "outdated_v1", "rival_v1", "number_v1", "date_shift_v1")
POPULARITY_NEIGHBOURS = 8
MIN_NUMBER_GAP = 0.02


def rng_for(seed: int, fact_id: str) -> random.Random:
    """The per-fact generator: ``Random(f"{seed}:{fact_id}")`` (str seeds hash with SHA-512)."""
    return random.Random(f"{seed}:{fact_id}")


class Pool:
    """Candidate substitutes: every item seen as an object, grouped by relation object class."""

    def __init__(self) -> None:
        self._by_class: dict[str, set[str]] = defaultdict(set)

    def add(self, object_class: str, qid: str) -> None:
        """Record that ``qid`` is an object of a relation of class ``object_class``."""
        self._by_class[object_class].add(qid)

    @classmethod
    def from_facts(cls, facts: Iterable[Fact], relations: dict[str, RelationSpec]) -> Pool:
        """Build the pool from all item values of the build's facts."""
        pool = cls()
        for fact in facts:
            spec = relations.get(fact.relation)
            if spec is None or spec.object_type != "item":
                continue
            for s in fact.statements:
                if s.value.type == "item" and s.value.item and s.rank != "deprecated":
                    pool.add(spec.object_class, s.value.item)
        return pool

    def candidates(self, object_class: str) -> list[str]:
        """Candidates of a class in a stable order."""
        return sorted(self._by_class.get(object_class, ()), key=lambda q: (len(q), q))


def _coverage(store: LabelStore, qid: str | None, languages: Iterable[str]) -> int:
    return sum(1 for lang in languages if store.label(qid, lang))


def choose(
    fact: Fact,
    cls: Classification,
    spec: RelationSpec,
    pool: Pool,
    store: LabelStore,
    languages: list[str],
    seed: int,
) -> Counterfactual:
    """Pick the counterfactual for one fact (the same for every language of the fact).

    Args:
        fact: the fact.
        cls: its classification (current, former and rival statements).
        spec: the relation spec (object type and class).
        pool: substitution candidates.
        store: labels, for alias collisions and language coverage.
        languages: languages the rows will be rendered in; a candidate covering all of them wins.
        seed: the build seed.

    Raises:
        SkipItem: ``no_counterfactual`` when no strategy can produce a valid alternative.
    """
    rng = rng_for(seed, fact.id)
    original = cls.current[0].value
    true_keys = {s.value.key() for s in fact.statements}
    current_keys = {s.value.key() for s in cls.current}
    wanted = [lang for lang in languages if store.label(fact.subject, lang)] or languages

    if cls.fact_type == "disputable":
        rivals = [s.value for s in cls.rivals if s.value.key() not in {original.key()}]
        if rivals:
            pick = rivals[rng.randrange(len(rivals))]
            return Counterfactual("rival_v1", pick, original, "value claimed by another party")
    if cls.fact_type == "temporal" and cls.former:
        former = [s for s in cls.former if s.value.key() not in current_keys]
        if original.type == "quantity":
            # A former figure within 2% of today's is no conflict anyone can notice.
            former = [s for s in former if _relative_gap(s.value, original) >= MIN_NUMBER_GAP]
        if original.type == "item":
            former.sort(key=lambda s: -_coverage(store, s.value.item, wanted))  # stable: recency kept
        if former:
            s = former[0]
            when = s.end or s.point_in_time or s.start
            note = f"value true at another time ({when.iso()})" if when else "value true at another time"
            return Counterfactual("outdated_v1", s.value, original, note)
    if original.type == "quantity" and original.quantity is not None:
        return Counterfactual("number_v1", _other_number(original, rng), original, "different number")
    if original.type == "time" and original.time is not None:
        limit = int(cls.as_of[:4])
        return Counterfactual("date_shift_v1", _shift_date(original.time, rng, limit), original, "shifted date")
    if original.type == "item":
        return _substitute(fact, original, spec, pool, store, wanted, rng, true_keys)
    raise SkipItem("no_counterfactual", f"{fact.id}: no strategy for value type {original.type}")


def _substitute(fact, original, spec, pool, store, languages, rng, true_keys) -> Counterfactual:
    banned_forms = set()
    for lang in languages:
        banned_forms |= {collision_key_v1(f) for f in store.forms(original.item, lang)}
    for s in fact.statements:
        for lang in languages:
            banned_forms |= {collision_key_v1(f) for f in store.forms(s.value.item, lang)}
    cands = []
    for qid in pool.candidates(spec.object_class):
        if f"item:{qid}" in true_keys or qid == fact.subject:
            continue
        forms = {collision_key_v1(f) for lang in languages for f in store.forms(qid, lang)}
        if not forms or forms & banned_forms:
            continue
        cands.append(qid)
    if not cands:
        raise SkipItem("no_counterfactual", f"{fact.id}: empty substitution pool for {spec.object_class}")
    best_cov = max(_coverage(store, q, languages) for q in cands)
    cands = [q for q in cands if _coverage(store, q, languages) == best_cov]
    pop = store.sitelinks(original.item)
    if pop is not None:
        def distance(q: str) -> float:
            other = store.sitelinks(q)
            return abs(math.log1p(pop) - math.log1p(other)) if other is not None else 99.0
        cands.sort(key=lambda q: (distance(q), len(q), q))
        cands = cands[:POPULARITY_NEIGHBOURS]
    pick = cands[rng.randrange(len(cands))]
    return Counterfactual("substitute_v1", Value(type="item", item=pick), original, "same-class substitute")


def _relative_gap(a: Value, b: Value) -> float:
    x, y = Decimal(a.quantity.amount), Decimal(b.quantity.amount)
    if not y:
        return float("inf") if x else 0.0
    return float(abs(x - y) / abs(y))


def _other_number(original: Value, rng: random.Random) -> Value:
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


def _shift_date(t: TimeValue, rng: random.Random, max_year: int) -> Value:
    years = rng.randint(3, 30) * (1 if rng.random() < 0.5 else -1)
    if t.year <= max_year < t.year + years:
        years = -years  # a past date never moves past the as_of date
    y = t.year + years
    if t.year > 0 >= y:
        y -= 1  # there is no year 0
    return Value(type="time", time=TimeValue(y, t.month, t.day, t.precision, t.calendar))
