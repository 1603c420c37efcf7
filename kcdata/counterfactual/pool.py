"""Substitution candidates: every item seen as an object in the build, by relation object class."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from kcdata.relations import RelationSpec
from kcdata.types import Fact


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
