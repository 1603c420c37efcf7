"""The fault suite: real entities with one subtree replaced (a wrong JSON type, a bad time or amount,
a bad id, a lone surrogate) pushed through the parser, the dump's fast path, the classifier, the
counterfactual choice and the row rendering.

Each property holds for every mutation: no exception but the documented quarantine
(:class:`~kcdata.facts.checks.BadValue`, with a reason from ``REASONS``); every statement or entity
dropped is counted with its reason; and what the mutation did not touch comes out as before.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from pathlib import Path
from unittest import mock

from fault_helpers import (
    LANGUAGES,
    RULES_QUALIFIERS,
    apply,
    line_of,
    mutations,
    relations,
    sample_entities,
    statement_of,
)
from hypothesis import HealthCheck, given, settings

from kcdata.config import BuildConfig
from kcdata.counterfactual import Pool
from kcdata.facts import INFO_PROPERTIES, clean_entity, fast, parse_entity, parse_entity_info
from kcdata.facts.checks import REASONS, BadValue, json_problem
from kcdata.facts.slim import fast_slim
from kcdata.labels import LabelStore
from kcdata.pipeline import Rejects, build_rows
from kcdata.publish.parquet import write_rows
from kcdata.relations import load_relations
from kcdata.sources.snapshot import Snapshot, load_sample, recording_dates

# KCDATA_FAULT_EXAMPLES=5000 runs a longer, randomised search (the default run is derandomised:
# the same 300 + 300 + 200 mutations every time, well under a minute)
_LONG = int(os.environ.get("KCDATA_FAULT_EXAMPLES", "0"))
FAST = settings(max_examples=_LONG or 300, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                derandomize=not _LONG, database=None)
ROWS = settings(max_examples=_LONG // 3 or 200, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                derandomize=not _LONG, database=None)
FINGERPRINT = json.dumps(sample_entities(), sort_keys=True, ensure_ascii=True)


@functools.cache
def original_facts(index: int) -> dict[str, object]:
    return {f.relation: f for f in parse_entity(sample_entities()[index], "fault")}


def _touched(path: tuple) -> str:
    """The relation a mutation lies under ("*": the whole claims, or the entity's id, terms or
    revision, which every fact or row carries)."""
    if len(path) >= 2 and path[0] == "claims":
        return path[1]
    return "*"


def _check_problems(problems: list) -> None:
    for p in problems:
        assert isinstance(p, BadValue) and p.reason in REASONS and p.reason != "unreadable_entity", p
        assert len(p.detail) < 700, p.detail  # values are echoed cut to ~200 characters


@FAST
@given(mutations())
def test_the_parser_drops_only_what_fails_and_names_why(m):
    index, path, value, _ = m
    original = sample_entities()[index]
    mutated = apply(original, path, value)
    problems: list[BadValue] = []
    facts = parse_entity(mutated, "fault", problems=problems)  # never raises
    _check_problems(problems)
    cleaned: list[BadValue] = []
    clean = clean_entity(mutated, cleaned)
    _check_problems(cleaned)
    lost = [p for p in cleaned if p.entity]
    assert (clean is None) == bool(lost)
    assert [p.reason for p in problems if p.entity] == [p.reason for p in lost]
    if clean is None:
        assert facts == []
        return
    parse_entity_info(clean)  # the terms of a cleaned entity are fine
    again: list[BadValue] = []
    assert clean_entity(clean, again) is clean and not again  # nothing left to set aside
    assert parse_entity(clean, "fault") == facts
    # a statement-level problem drops only that statement, and each drop is counted
    got = {f.relation: f for f in facts}
    touched = _touched(path)
    where = statement_of(path)
    eid = original["id"]
    dropped = {p.fact_id for p in problems}
    for rel, fact in original_facts(index).items():
        if touched in ("*", rel) and where is None:
            continue
        if rel != touched:
            assert got.get(rel) == fact, (rel, path)
            continue
        kept = [s for i, s in enumerate(fact.statements) if i != where[1]]
        now = list(got[rel].statements) if rel in got else []
        if len(now) == len(fact.statements):
            assert now[: where[1]] + now[where[1] + 1:] == kept
        else:
            assert now == kept and f"{eid}:{rel}" in dropped, (rel, path, problems)


@FAST
@given(mutations())
def test_the_dump_paths_agree_on_mutated_lines(m):
    """The msgspec structs and the dict fallback set aside the same statements for the same reasons."""
    index, path, value, _ = m
    line = line_of(apply(sample_entities()[index], path, value))
    rels = relations() | INFO_PROPERTIES
    got_problems: list[BadValue] = []
    try:
        got = fast.entity_record(line, rels, LANGUAGES, qualifiers=RULES_QUALIFIERS, problems=got_problems)
    except ValueError as err:  # a line that is no JSON (NaN, Infinity) or no object
        assert json_problem(err).reason in REASONS
        return
    want_problems: list[BadValue] = []
    slim = fast_slim(line, rels, LANGUAGES, references=False, keep_claims=INFO_PROPERTIES)
    want = fast.dict_record(slim, "dump", RULES_QUALIFIERS, rels, want_problems) if slim is not None else None
    _check_problems(got_problems)
    assert got == want and (got is None or repr(got.facts) == repr(want.facts))
    assert sorted(p.reason for p in got_problems) == sorted(p.reason for p in want_problems)
    assert sorted(p.fact_id or "" for p in got_problems) == sorted(p.fact_id or "" for p in want_problems)


# -- classification, counterfactuals and rows --------------------------------------------------------

CONFIG = BuildConfig(wikipedia=False)
OUT = Path(tempfile.mkdtemp(prefix="kcdata-fault-"))


@functools.cache
def _sample() -> Snapshot:
    return load_sample()


@functools.cache
def _relations():
    return load_relations()


def _rows(entity: dict, index: int) -> tuple[list[dict], Rejects]:
    """The rows of one entity as a build makes them, among the sample's labels, provenance and
    counterfactual pool (the pool of the entity's unmutated facts, so that the rows of facts the
    mutation did not touch can be compared)."""
    sample = _sample()
    store = LabelStore(entities=dict(sample.labels.entities))
    store.entities[entity["id"]] = parse_entity_info(entity)
    snapshot = Snapshot(name="fault", date=sample.date, entities=[entity], labels=store,
                        provenance=sample.provenance, kind="sample", path=sample.path)
    pool_facts = list(original_facts(index).values())
    rejects = Rejects()
    with mock.patch.object(Pool, "from_facts", lambda facts, specs: _real_from_facts(pool_facts, specs)):
        rows = build_rows(parse_entity(entity, "sample"), snapshot, CONFIG, None, rejects)
    return rows, rejects


_real_from_facts = Pool.from_facts


@functools.cache
def _original_rows(index: int) -> dict[str, list[dict]]:
    rows, _ = _rows(sample_entities()[index], index)
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r["relation"], []).append(r)
    return out


@functools.cache
def _recorded(index: int) -> tuple:
    e = sample_entities()[index]
    return recording_dates(Snapshot("f", _sample().date, [e], LabelStore(), _sample().provenance)).get(e["id"])


@ROWS
@given(mutations(kinds=("claim", "time", "quantity", "item", "id", "text"), sample_only=True))
def test_rows_of_mutated_entities_are_valid_and_the_untouched_facts_unchanged(m):
    index, path, value, _ = m
    problems: list[BadValue] = []
    clean = clean_entity(apply(sample_entities()[index], path, value), problems)
    _check_problems(problems)
    if clean is None:
        return
    rows, rejects = _rows(clean, index)  # classify, choose, render: no exception but SkipItem drops
    assert "invalid_row" not in rejects.counts, [r for r in rejects.records if r["reason"] == "invalid_row"]
    if rows:
        write_rows(rows, OUT / "rows.parquet")  # every text can be written (no lone surrogate)
    touched = _touched(path)
    same_date = recording_dates(Snapshot("f", _sample().date, [clean], LabelStore(),
                                         _sample().provenance)).get(clean["id"]) == _recorded(index)
    if touched == "*" or touched in INFO_PROPERTIES or not same_date:
        return
    by_rel: dict[str, list[dict]] = {}
    for r in rows:
        by_rel.setdefault(r["relation"], []).append(r)
    for rel, want in _original_rows(index).items():
        if rel != touched:
            assert by_rel.get(rel) == want, (rel, path)


def test_the_real_entities_were_not_changed_by_any_parser():
    assert json.dumps(sample_entities(), sort_keys=True, ensure_ascii=True) == FINGERPRINT


def test_the_suite_mutates_every_kind_of_value():
    """The strategies reach times, amounts, items, coordinates and strings of real entities."""
    from fault_helpers import targets

    kinds = {k for i in range(len(sample_entities())) for k, paths in targets(i).items() if paths}
    assert kinds == {"any", "claim", "time", "quantity", "item", "string", "id", "coordinate", "text"}
