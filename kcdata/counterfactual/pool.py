"""Substitution candidates: every item seen as an object in the build, by relation and by class.

The pool also keeps the build's substitution state for ``substitute_v2``: how often each
candidate was used for a relation, so no substitute serves much more than a tenth of a relation's
substitutes when the pool allows. Facts are chosen for in a fixed (sorted) order, so this state, and the
choices, are the same for every run and any number of workers.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator

from kcdata.relations import RelationSpec
from kcdata.types import Fact, TimeValue

MAX_SHARE = 0.1
"""``substitute_v2``: the largest share of a relation's facts one substitute should serve."""


class Pool:
    """Candidate substitutes: every item seen as an object, by relation object class and by relation."""

    def __init__(self) -> None:
        self._by_class: dict[str, set[str]] = defaultdict(set)
        self._by_relation: dict[str, set[str]] = defaultdict(set)
        self._used: dict[str, Counter[str]] = defaultdict(Counter)
        self._spans: dict[tuple[str, str], list[tuple[dt.date | None, dt.date | None]]] = defaultdict(list)
        self._by_popularity: dict[str, tuple[list[tuple[float, int, str]], list[str]]] = {}

    def add(self, object_class: str, qid: str, relation: str | None = None) -> None:
        """Record that ``qid`` is an object of a relation of class ``object_class``."""
        self._by_class[object_class].add(qid)
        if relation is not None:
            self._by_relation[relation].add(qid)

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
                    pool.add(spec.object_class, s.value.item, fact.relation)
                    pool._spans[(fact.relation, s.value.item)].append((_first_day(s.start), _last_day(s.end)))
        return pool

    def candidates(self, object_class: str) -> list[str]:
        """Candidates of a class in a stable order (``substitute_v1``)."""
        return sorted(self._by_class.get(object_class, ()), key=lambda q: (len(q), q))

    def relation_candidates(self, relation: str) -> list[str]:
        """Objects of the same relation in a stable order (``substitute_v2``)."""
        return sorted(self._by_relation.get(relation, ()), key=lambda q: (len(q), q))

    def by_popularity_distance(self, relation: str, center: float,
                               sitelinks: Callable[[str], int | None]) -> Iterator[str]:
        """The objects of ``relation`` in the order :func:`~kcdata.counterfactual.strategies.draw_closest`
        ranks them: by ``abs(center - log1p(sitelinks))``, then id length, then id; those without
        sitelinks last (by length and id). The relation's index (sorted once, on first use) is
        walked out from ``center`` in both directions, so taking the first k costs O(log pool + k)."""
        if relation not in self._by_popularity:
            known, unknown = [], []
            for q in self._by_relation.get(relation, ()):
                links = sitelinks(q)
                if links is None:
                    unknown.append(q)
                else:
                    known.append((math.log1p(links), len(q), q))
            self._by_popularity[relation] = (sorted(known), sorted(unknown, key=lambda q: (len(q), q)))
        known, unknown = self._by_popularity[relation]
        right = bisect.bisect_left(known, (center, -1, ""))
        left = right - 1
        while left >= 0 or right < len(known):
            d = min(abs(center - known[left][0]) if left >= 0 else math.inf,
                    abs(center - known[right][0]) if right < len(known) else math.inf)
            group = []
            while left >= 0 and abs(center - known[left][0]) == d:
                group.append(known[left])
                left -= 1
            while right < len(known) and abs(center - known[right][0]) == d:
                group.append(known[right])
                right += 1
            group.sort(key=lambda t: (t[1], t[2]))
            yield from (t[2] for t in group)
        yield from unknown

    def held_between(self, relation: str, qid: str, first: dt.date, last: dt.date) -> bool:
        """Whether ``qid`` held ``relation`` for some subject at some time in ``[first, last]`` by
        the build's statements (an undated statement counts as holding it at any time; a candidate
        added without statements is not known to have ended)."""
        spans = self._spans.get((relation, qid))
        if spans is None:
            return True
        for start, end in spans:
            if (start is None or start <= last) and (end is None or end >= first):
                return True
        return False

    def cap(self, relation: str) -> int:
        """How many facts of ``relation`` one substitute may serve before others are preferred: a
        tenth of the substitutes chosen for the relation so far, counting the next (at least one),
        so the share stays near :data:`MAX_SHARE` at every step, whatever the final count."""
        return max(1, math.ceil(MAX_SHARE * (sum(self._used[relation].values()) + 1)))

    def uses(self, relation: str, qid: str) -> int:
        """How many facts of ``relation`` ``qid`` has served as substitute so far."""
        return self._used[relation][qid]

    def use(self, relation: str, qid: str) -> None:
        """Record that ``qid`` was chosen as a substitute for a fact of ``relation``."""
        self._used[relation][qid] += 1


def _first_day(t: TimeValue | None) -> dt.date | None:
    b = t.bounds() if t is not None else None
    return b[0] if b else (dt.date.min if t is not None and t.year < 1 else None)


def _last_day(t: TimeValue | None) -> dt.date | None:
    b = t.bounds() if t is not None else None
    return b[1] if b else (dt.date.min if t is not None and t.year < 1 else None)
