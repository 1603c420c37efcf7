"""Choosing what to build: a seeded sample of facts per relation x kind, stratified by popularity.

A dump holds tens of millions of candidate facts; a benchmark wants a chosen set of a given size.
``--sample N`` keeps, for every (relation, kind) stratum, ``N`` facts drawn from its classified
candidates, spread evenly over :data:`BUCKETS` popularity buckets: the candidates sorted by their
subject's sitelink count (the popularity proxy of PopQA, Mallen et al. 2023, which used page views)
and cut into quartiles, so head and long-tail entities are both asked about. Each chosen fact is
rendered in every build language, so the languages stay aligned fact by fact.

Determinism: candidates are sorted by (sitelinks, fact id) before the cut, and each bucket is
shuffled by a generator seeded from ``(seed, relation, kind, bucket)``, so the choice depends on
the candidate set and the seed only, never on input order or the number of workers. The order of
a bucket is also its reserve: a chosen fact that then fails (no counterfactual, say) is replaced by
the bucket's next one (:meth:`Sample.refill`), so a stratum yields ``N`` rows per language where
its candidates allow.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

BUCKETS = 4
"""Popularity buckets per stratum (quartiles of subject sitelinks)."""


def _rng(seed: int, *parts: str) -> random.Random:
    digest = hashlib.sha256(":".join([str(seed), *parts]).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


@dataclass
class _Stratum:
    per_bucket: list[list[str]]
    """Each bucket's fact ids in draw order."""
    taken: list[int]
    """How many of each bucket's ids have been handed out."""
    quota: list[int]
    """How many each bucket should yield."""
    candidates: int
    ok: int = 0


@dataclass
class Sample:
    """The draw of every stratum: :meth:`first` gives the facts to try, :meth:`refill` replacements."""

    n: int
    seed: int
    strata: dict[tuple[str, str], _Stratum] = field(default_factory=dict)
    stratum_of: dict[str, tuple[str, str]] = field(default_factory=dict)
    bucket_of: dict[str, int] = field(default_factory=dict)

    @classmethod
    def draw(cls, items: Iterable[tuple[str, str, str, int]], n: int, seed: int) -> Sample:
        """``items``: ``(fact id, relation, kind, subject sitelinks)`` of every classified candidate."""
        by: dict[tuple[str, str], list[tuple[int, str]]] = {}
        sample = cls(n, seed)
        for fid, relation, kind, links in items:
            by.setdefault((relation, kind), []).append((links, fid))
            sample.stratum_of[fid] = (relation, kind)
        for key in sorted(by):
            cands = sorted(by[key])
            size = len(cands)
            cuts = [round(i * size / BUCKETS) for i in range(BUCKETS + 1)]
            buckets = [[fid for _, fid in cands[cuts[b]:cuts[b + 1]]] for b in range(BUCKETS)]
            for b, ids in enumerate(buckets):
                _rng(seed, key[0], key[1], str(b)).shuffle(ids)
                sample.bucket_of.update(dict.fromkeys(ids, b))
            quota = [n // BUCKETS + (1 if b < n % BUCKETS else 0) for b in range(BUCKETS)]
            sample.strata[key] = _Stratum(buckets, [0] * BUCKETS, quota, size)
        return sample

    def _hand_out(self, key: tuple[str, str], b: int, k: int) -> list[str]:
        st = self.strata[key]
        got = st.per_bucket[b][st.taken[b]:st.taken[b] + k]
        st.taken[b] += len(got)
        return got

    def first(self) -> set[str]:
        """The facts to try first: each bucket's quota; a bucket short of candidates passes its
        remainder to the next more popular one (then to the less popular ones)."""
        out: set[str] = set()
        for key, st in self.strata.items():
            need = 0
            for b in range(BUCKETS):  # a short bucket passes its remainder to the next more popular
                want = st.quota[b] + need
                got = self._hand_out(key, b, want)
                need = want - len(got)
                out.update(got)
            for b in range(BUCKETS - 1, -1, -1):
                if need <= 0:
                    break
                got = self._hand_out(key, b, need)
                need -= len(got)
                out.update(got)
        return out

    def refill(self, succeeded: Callable[[str], bool], tried: Iterable[str]) -> set[str]:
        """Replacements for the tried facts that made no row: each from its own bucket's reserve,
        else from the stratum's other buckets, most popular first; never more than a stratum is
        short of ``n``."""
        failed_in: dict[tuple[str, str], list[int]] = {}
        for fid in sorted(tried):
            key = self.stratum_of[fid]
            if succeeded(fid):
                self.strata[key].ok += 1
            else:
                failed_in.setdefault(key, []).append(self.bucket_of[fid])
        out: set[str] = set()
        for key in sorted(failed_in):
            st = self.strata[key]
            missing = min(len(failed_in[key]), self.n - st.ok)
            for b in sorted(failed_in[key])[:missing]:
                got = self._hand_out(key, b, 1)
                for other in range(BUCKETS - 1, -1, -1):
                    if got:
                        break
                    got = self._hand_out(key, other, 1)
                out.update(got)
        return out

    def report(self) -> dict[str, object]:
        """What the manifest and card record: the settings and, per stratum, its candidates (judged
        facts), how many were tried and how many were chosen (made rows)."""
        return {
            "per_stratum": self.n,
            "seed": self.seed,
            "strata_by": ["relation", "kind"],
            "popularity": f"subject sitelinks, {BUCKETS} quantile buckets",
            "strata": {f"{rel}/{kind}": {"candidates": st.candidates, "tried": sum(st.taken), "chosen": st.ok}
                       for (rel, kind), st in sorted(self.strata.items())},
        }


__all__ = ["BUCKETS", "Sample"]
