"""Judge a fact static, temporal or disputable as of a date: a registry of versioned rules.

* ``rules_v2`` (default, :mod:`kcdata.classify.rules_v2`): disputes need dispute evidence or
  overlapping dated values; temporal facts need a change within a window before ``as_of``; older
  changes are ``static.settled``; former values are values that ended on or before ``as_of``.
* ``rules_v1`` (:mod:`kcdata.classify.rules_v1`): the first rules, kept selectable.

Precedence in both: disputable, then temporal, then static. Each outcome names the rule that fired
(``rules_v2/temporal.end_time``) and its evidence, so users can filter on evidence strength.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from kcdata.classify.base import AVAILABLE, RULES, RuleConfig, load_rules, valid_at
from kcdata.classify.rules_v1 import classify_v1
from kcdata.classify.rules_v2 import classify_v2
from kcdata.relations import RelationSpec
from kcdata.types import Classification, Fact

CLASSIFIERS: dict[str, Callable[[Fact, RelationSpec, dt.date, RuleConfig], Classification]] = {
    "rules_v1": classify_v1,
    "rules_v2": classify_v2,
}
"""Rules version name -> the function that applies it."""

__all__ = ["AVAILABLE", "CLASSIFIERS", "RULES", "RuleConfig", "classify", "load_rules", "valid_at"]


def classify(fact: Fact, relation: RelationSpec, as_of: dt.date, rules: RuleConfig | None = None) -> Classification:
    """Classify one fact as of a date with ``rules`` (default: :data:`RULES`, ``rules_v2``).

    Returns:
        The classification, with the statements true at ``as_of`` as ``current``.

    Raises:
        SkipItem: the fact cannot be judged (a counted reason: ``no_concrete_value``,
            ``no_value_as_of``, ``ambiguous_concurrent_values``).
    """
    rules = rules or load_rules()
    return CLASSIFIERS[rules.name](fact, relation, as_of, rules)
