"""What conflicts: choose the counter-memory answer for a fact.

Strategies are a registry of versioned names (:mod:`kcdata.counterfactual.base`), one class each
(:mod:`kcdata.counterfactual.strategies`); changing behaviour means a new name:

* ``rival_v1`` (disputable facts): the value claimed by another party, true at the same time.
* ``outdated_v1`` (temporal facts): a value true at another time, the most recent one first
  (e.g. the previous head of government, or an earlier census figure).
* ``number_v1`` (quantities): a plausible different number with the original's significant digits.
* ``date_shift_v1`` (time values): the same date moved by 3-30 years, at the same precision
  (kept as it was for reproducible names: it can write 29 February of a common year and compares
  with ``as_of`` by year only; ``date_shift_v2`` fixes both).
* ``substitute_v1`` (items): another entity of the same object class from the pool of objects seen
  in the build, popularity-matched by sitelink count where known. Never the original, one of its
  aliases, or any value the subject has for this relation at any time.

Version 2 (:mod:`kcdata.counterfactual.strategies_v2`, the default set ``v2``) adds ``rival_v2``,
``outdated_v2``, ``substitute_v2`` and ``date_shift_v2``: same-kind substitutes from the same
relation, only values that ended before ``as_of`` as outdated, and never a counterfactual
overlapping a true value under the scorer's normaliser. Under ``v2`` a multi-valued relation
whose list is not complete (``closed_world: false``) gives no counterfactual at all
(``open_world_relation``): asserting one more value would contradict nothing.

* ``date_shift_v2`` (time values, set ``v2``): the ``date_shift_v1`` shift, always a real calendar
  day (the day is clamped to its month in the new year: 29 February moved to a common year is 28
  February), counting real years across the era boundary (never year 0), and never past ``as_of``
  compared as whole dates (the earliest day of the shifted value's span), not as years.

Which strategies a fact meets is a table, not code: for the set's plan, first the one for its kind
(``by_kind``), then the one for its value type (``by_value_type``); the first that applies wins. Every choice uses ``random.Random(f"{seed}:{fact_id}")``, so the same inputs and
seed give the same counterfactuals, and changing the seed changes only these choices.
"""

from __future__ import annotations

from collections.abc import Sequence

from kcdata.counterfactual import strategies as _strategies  # noqa: F401 - registers the v1 strategies
from kcdata.counterfactual import strategies_v2 as _strategies_v2  # noqa: F401 - registers the v2 strategies
from kcdata.counterfactual.base import STRATEGIES, Request, Strategy, get_strategy, rng_for
from kcdata.counterfactual.pool import Pool
from kcdata.errors import ConfigError, SkipItem
from kcdata.labels import LabelStore
from kcdata.relations import RelationSpec
from kcdata.types import Classification, Counterfactual, Fact

PLANS: dict[str, dict[str, dict[str, str]]] = {
    "v1": {
        "by_kind": {"disputable": "rival_v1", "temporal": "outdated_v1"},
        "by_value_type": {"quantity": "number_v1", "time": "date_shift_v1", "item": "substitute_v1"},
    },
    "v2": {
        "by_kind": {"disputable": "rival_v2", "temporal": "outdated_v2"},
        "by_value_type": {"quantity": "number_v1", "time": "date_shift_v2", "item": "substitute_v2"},
    },
}
"""Strategy set -> the strategy tried first for a fact of each kind (it declines when the fact has
no rival or no former value), then the one for the original's value type."""

BY_KIND = PLANS["v1"]["by_kind"]
BY_VALUE_TYPE = PLANS["v1"]["by_value_type"]

__all__ = [
    "BY_KIND",
    "BY_VALUE_TYPE",
    "PLANS",
    "STRATEGIES",
    "Pool",
    "Request",
    "Strategy",
    "choose",
    "get_strategy",
    "plan",
    "rng_for",
]


def plan(kind: str, value_type: str, version: str = "v1") -> tuple[str, ...]:
    """The strategy names a fact of ``kind`` whose original has ``value_type`` meets, in order.

    Raises:
        ConfigError: Unknown strategy set.
    """
    try:
        table = PLANS[version]
    except KeyError:
        raise ConfigError(f"unknown counterfactual strategy set {version!r}", f"choose one of {', '.join(PLANS)}") from None
    return tuple(name for name in (table["by_kind"].get(kind), table["by_value_type"].get(value_type)) if name)


def choose(
    fact: Fact,
    cls: Classification,
    spec: RelationSpec,
    pool: Pool,
    store: LabelStore,
    languages: Sequence[str],
    seed: int,
    version: str = "v1",
    avoid: Sequence[tuple[str, str]] = (),
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
        version: the strategy set (``v1`` or ``v2``, see :data:`PLANS`).
        avoid: (language, text) of passages chosen for the fact's rows (``substitute_v2`` avoids
            candidates they name).

    Raises:
        SkipItem: ``no_counterfactual`` when no strategy can produce a valid alternative;
            ``open_world_relation`` (set ``v2``) for a multi-valued relation whose list is not
            complete.
    """
    names = plan(cls.fact_type, cls.current[0].value.type, version)
    if version != "v1" and spec.cardinality == "multi" and not spec.closed_world:
        raise SkipItem("open_world_relation", f"{fact.id}: {spec.closed_world_reason}")
    original = cls.current[0].value
    wanted = tuple(lang for lang in languages if store.label(fact.subject, lang)) or tuple(languages)
    request = Request(fact, cls, spec, pool, store, wanted, rng_for(seed, fact.id), tuple(avoid))
    for name in names:
        found = get_strategy(name).propose(request)
        if found is not None:
            return found
    raise SkipItem("no_counterfactual", f"{fact.id}: no strategy for value type {original.type}")
