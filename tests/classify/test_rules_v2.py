"""``rules_v2`` on the real facts of the embedded sample, each judged at its own snapshot date."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from kcdata.classify import classify, load_rules
from kcdata.errors import SkipItem
from kcdata.facts import parse_entity
from kcdata.relations import load_relations
from kcdata.sources.snapshot import load_sample, recording_dates
from kcdata.types import Fact, Statement, TimeValue, Value

V2 = load_rules("rules_v2")


@pytest.fixture(scope="module")
def sample():
    snap = load_sample()
    facts = {f.id: f for e in snap.entities for f in parse_entity(e, "sample")}
    return snap, facts, recording_dates(snap)


def _judge(sample, fact_id, as_of=None):
    snap, facts, dates = sample
    fact = facts[fact_id]
    day = as_of or dt.date.fromisoformat(dates[fact.subject][0])
    return classify(fact, load_relations()[fact.relation], day, V2), snap.labels


def test_heads_of_government_at_their_own_snapshot_dates(sample):
    _, _, dates = sample
    assert dates["Q142"][1] == "newest_evidence" and dates["Q16"][1] == "newest_evidence"
    france, labels = _judge(sample, "Q142:P6")
    assert france.fact_type == "temporal" and france.rule == "rules_v2/temporal.end_time"
    assert [labels.label(s.value.item, "en") for s in france.current] == ["Manuel Valls"]
    assert labels.label(france.former[0].value.item, "en") == "Jean-Marc Ayrault"
    assert france.last_change.iso() == "2014-03-31"
    canada, labels = _judge(sample, "Q16:P6")
    assert [labels.label(s.value.item, "en") for s in canada.current] == ["Justin Trudeau"]
    assert canada.fact_type == "temporal" and canada.last_change.iso().startswith("2015-11")
    assert labels.label(canada.former[0].value.item, "en") == "Stephen Harper"


def test_as_of_2016_never_gives_a_later_office_holder(sample):
    _, facts, _ = sample
    day = dt.date(2016, 1, 1)
    judged = 0
    for fid, fact in facts.items():
        if fact.relation not in ("P6", "P35"):
            continue
        try:
            c = classify(fact, load_relations()[fact.relation], day, V2)
        except SkipItem:
            continue
        judged += 1
        for s in c.current:
            assert s.start is None or s.start.bounds()[0] <= day, (fid, s)
        for s in c.former:  # former values ended before 2016, never start after it
            assert s.end is not None and s.end.bounds()[1] <= day, (fid, s)
    assert judged >= 8
    canada, labels = _judge(sample, "Q16:P35", day)
    assert labels.label(canada.current[0].value.item, "en") == "Elizabeth II"
    assert "Charles III of the United Kingdom" not in {labels.label(s.value.item, "en") for s in canada.former}


def test_paris_capital_is_settled_not_temporal(sample):
    c, _ = _judge(sample, "Q142:P36")
    assert (c.fact_type, c.rule) == ("static", "rules_v2/static.settled")
    assert c.last_change.iso() == "0508" and c.evidence == (("last_change", "0508"),)
    ottawa, _ = _judge(sample, "Q16:P36")
    assert ottawa.rule == "rules_v2/static.settled"


@pytest.mark.parametrize("fact_id", ["Q191:P571", "Q8413:P26"])
def test_undated_concurrent_values_are_no_dispute(sample, fact_id):
    # Estonia's two inceptions (1918 independence, 1991 restoration); Constantine's two wives
    with pytest.raises(SkipItem) as err:
        _judge(sample, fact_id)
    assert err.value.reason == "ambiguous_concurrent_values"
    v1 = classify(sample[1][fact_id], load_relations()[fact_id.split(":")[1]], dt.date(2020, 1, 1),
                  load_rules("rules_v1"))
    assert v1.fact_type == "disputable"  # what rules_v1 said


def _stmt(qid, start=None, end=None):
    q = {}
    if start:
        q["P580"] = (Value("time", time=start),)
    if end:
        q["P582"] = (Value("time", time=end),)
    return Statement(f"S{qid}", "normal", Value("item", item=qid), q)


def test_overlapping_dated_values_are_a_dispute():
    spec = load_relations()["P36"]
    fact = Fact("Q1", "P36", (_stmt("Q10", TimeValue(2001, 0, 0, 9)), _stmt("Q11", TimeValue(2005, 3, 1, 11))))
    c = classify(fact, spec, dt.date(2020, 1, 1), V2)
    assert (c.fact_type, c.rule) == ("disputable", "rules_v2/disputable.overlapping_values")
    assert [s.value.item for s in c.rivals] == ["Q11"]
    # one value dated only to the as_of year: it may not have begun yet, so no certain overlap
    fact = Fact("Q1", "P36", (_stmt("Q10", TimeValue(2001, 0, 0, 9)), _stmt("Q11", TimeValue(2020, 0, 0, 9))))
    with pytest.raises(SkipItem):
        classify(fact, spec, dt.date(2020, 6, 1), V2)


def test_the_temporal_window_decides_temporal_or_settled():
    spec = load_relations()["P6"]
    fact = Fact("Q1", "P6", (_stmt("Q11", TimeValue(1980, 0, 0, 9), TimeValue(2000, 5, 1, 11)),
                             _stmt("Q10", TimeValue(2000, 5, 1, 11))))
    assert classify(fact, spec, dt.date(2020, 1, 1), V2).rule == "rules_v2/temporal.end_time"
    settled = classify(fact, spec, dt.date(2040, 1, 1), V2)
    assert settled.rule == "rules_v2/static.settled" and settled.former[0].value.item == "Q11"
    narrow = dataclasses.replace(V2, temporal_window_years=5)
    assert classify(fact, spec, dt.date(2020, 1, 1), narrow).rule == "rules_v2/static.settled"
    assert V2.temporal_window_years == 30


def test_by_nature_only_for_relations_that_change_within_years():
    specs = load_relations()
    undated = Fact("Q1", "P530", (_stmt("Q10"),))
    assert not specs["P530"].changes_within_years and specs["P530"].changes_over_time
    assert classify(undated, specs["P530"], dt.date(2020, 1, 1), V2).rule == "rules_v2/static.no_change"
    assert classify(undated, specs["P530"], dt.date(2020, 1, 1), load_rules("rules_v1")).rule == "rules_v1/temporal.by_nature"
    head = Fact("Q1", "P6", (_stmt("Q10"),))
    assert classify(head, specs["P6"], dt.date(2020, 1, 1), V2).rule == "rules_v2/temporal.by_nature"
    flagged = {p for p, s in specs.items() if s.changes_within_years}
    assert flagged == {"P6", "P35", "P1082", "P108", "P39"}


def test_a_future_value_is_neither_current_nor_former():
    spec = load_relations()["P6"]
    fact = Fact("Q1", "P6", (_stmt("Q9", TimeValue(1990, 0, 0, 9), TimeValue(2010, 1, 1, 11)),
                             _stmt("Q10", TimeValue(2010, 1, 1, 11), TimeValue(2020, 1, 1, 11)),
                             _stmt("Q11", TimeValue(2020, 1, 1, 11))))
    c = classify(fact, spec, dt.date(2015, 1, 1), V2)
    assert [s.value.item for s in c.current] == ["Q10"]
    assert [s.value.item for s in c.former] == ["Q9"]  # Q11 (from 2020) is the future
    v1 = classify(fact, spec, dt.date(2015, 1, 1), load_rules("rules_v1"))
    assert "Q11" in [s.value.item for s in v1.former]  # the rules_v1 behaviour the audit found


def test_unknown_rules_name_says_what_exists():
    from kcdata.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        load_rules("rules_v3")
    assert "rules_v2" in str(err.value)
