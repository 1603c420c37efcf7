"""Small hand-made facts for the counterfactual strategies (real types, classified for real)."""

from __future__ import annotations

import datetime as dt

from kcdata.classify import classify, load_rules
from kcdata.labels import LabelStore
from kcdata.relations import load_relations
from kcdata.types import Entity, Fact, Quantity, Statement, TimeValue, Value

AS_OF = dt.date(2020, 1, 1)
LANGS = ("en", "de")


def item(qid: str, rank: str = "normal", **quals: TimeValue) -> Statement:
    """A statement with an item value and optional time qualifiers (P580=..., P582=...)."""
    q = {pid: (Value("time", time=t),) for pid, t in quals.items()}
    return Statement(f"S-{qid}-{len(q)}", rank, Value("item", item=qid), q)


def year(y: int) -> TimeValue:
    return TimeValue(y, 0, 0, 9)


def fact(subject: str, relation: str, *statements: Statement) -> Fact:
    return Fact(subject, relation, tuple(statements))


def judged(f: Fact, as_of: dt.date = AS_OF, rules: str = "rules_v1"):
    """The fact's relation spec and its classification as of ``as_of``."""
    spec = load_relations()[f.relation]
    return spec, classify(f, spec, as_of, load_rules(rules))


def store(*entities: tuple[str, dict[str, str], dict[str, tuple[str, ...]], int | None]) -> LabelStore:
    """A label store from (id, labels, aliases, sitelinks) tuples."""
    s = LabelStore()
    for qid, labels, aliases, sitelinks in entities:
        s.add(Entity(qid, dict(labels), dict(aliases), sitelinks))
    return s


def quantity(amount: str, **quals: TimeValue) -> Statement:
    q = {pid: (Value("time", time=t),) for pid, t in quals.items()}
    return Statement(f"S-{amount}", "normal", Value("quantity", quantity=Quantity(amount)), q)


def time_statement(t: TimeValue) -> Statement:
    return Statement("S-time", "normal", Value("time", time=t), {})
