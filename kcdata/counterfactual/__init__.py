"""What conflicts: choose the counter-memory answer for a fact.

Strategies are a registry of versioned names (:mod:`kcdata.counterfactual.base`), one class each
(:mod:`kcdata.counterfactual.strategies`); changing behaviour means a new name:

* ``rival_v1`` (disputable facts): the value claimed by another party, true at the same time.
* ``outdated_v1`` (temporal facts): a value true at another time, the most recent one first
  (e.g. the previous head of government, or an earlier census figure).
* ``number_v1`` (quantities): a plausible different number with the original's significant digits.
* ``date_shift_v1`` (time values): the same date moved by 3-30 years, at the same precision.
* ``substitute_v1`` (items): another entity of the same object class from the pool of objects seen
  in the build, popularity-matched by sitelink count where known. Never the original, one of its
  aliases, or any value the subject has for this relation at any time.

Which strategies a fact meets is a table, not code: first the one for its kind
(:data:`BY_KIND`), then the one for its value type (:data:`BY_VALUE_TYPE`); the first that
applies wins. Every choice uses ``random.Random(f"{seed}:{fact_id}")``, so the same inputs and
seed give the same counterfactuals, and changing the seed changes only these choices.
"""

from __future__ import annotations

from collections.abc import Sequence

from kcdata.counterfactual import strategies as _strategies  # noqa: F401 - registers the strategies
from kcdata.counterfactual.base import STRATEGIES, Request, Strategy, get_strategy, rng_for
from kcdata.counterfactual.pool import Pool
from kcdata.errors import SkipItem
from kcdata.labels import LabelStore
from kcdata.relations import RelationSpec
from kcdata.types import Classification, Counterfactual, Fact

BY_KIND: dict[str, str] = {"disputable": "rival_v1", "temporal": "outdated_v1"}
"""The strategy tried first for a fact of each kind (it declines when the fact has no rival or no
former value)."""

BY_VALUE_TYPE: dict[str, str] = {"quantity": "number_v1", "time": "date_shift_v1", "item": "substitute_v1"}
"""The strategy for the original's value type, tried next."""

__all__ = [
    "BY_KIND",
    "BY_VALUE_TYPE",
    "STRATEGIES",
    "Pool",
    "Request",
    "Strategy",
    "choose",
    "get_strategy",
    "plan",
    "rng_for",
]


def plan(kind: str, value_type: str) -> tuple[str, ...]:
    """The strategy names a fact of ``kind`` whose original has ``value_type`` meets, in order."""
    return tuple(name for name in (BY_KIND.get(kind), BY_VALUE_TYPE.get(value_type)) if name)


def choose(
    fact: Fact,
    cls: Classification,
    spec: RelationSpec,
    pool: Pool,
    store: LabelStore,
    languages: Sequence[str],
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
    original = cls.current[0].value
    wanted = tuple(lang for lang in languages if store.label(fact.subject, lang)) or tuple(languages)
    request = Request(fact, cls, spec, pool, store, wanted, rng_for(seed, fact.id))
    for name in plan(cls.fact_type, original.type):
        found = get_strategy(name).propose(request)
        if found is not None:
            return found
    raise SkipItem("no_counterfactual", f"{fact.id}: no strategy for value type {original.type}")
