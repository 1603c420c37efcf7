"""``rules_v1`` on real statements, as of dates, including real dispute qualifiers (``rules_v2``:
test_rules_v2.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from kcdata.classify import classify, load_rules, valid_at
from kcdata.errors import SkipItem
from kcdata.facts import parse_entity, read_entities
from kcdata.relations import RelationSpec, load_relations

V1 = load_rules("rules_v1")
FIRST50 = "wikidata_dump_sample/wikibase-dump-filter_latest-all_first50.json"


def _entity(fixtures, rel, qid):
    return next(e for e in read_entities(fixtures / rel) if e["id"] == qid)


def _fact(fixtures, rel, qid, pid):
    return next(f for f in parse_entity(_entity(fixtures, rel, qid)) if f.relation == pid)


def _spec(pid, cardinality="multi", changes=False):
    return RelationSpec(pid, pid, pid, 1, cardinality, changes, "item", "thing", {})


def test_france_heads_of_government_are_temporal(fixtures):
    specs = load_relations()
    fact = _fact(fixtures, FIRST50, "Q142", "P6")
    c = classify(fact, specs["P6"], dt.date(2017, 1, 1), V1)
    assert c.fact_type == "temporal"
    assert c.rule.startswith("rules_v1/temporal.")
    assert c.as_of == "2017-01-01"
    assert len(c.current) == 1


def test_denmark_head_of_government_changes_with_as_of(fixtures):
    specs = load_relations()
    fact = _fact(fixtures, FIRST50, "Q35", "P6")
    c2012 = classify(fact, specs["P6"], dt.date(2012, 6, 1), V1)
    c2016 = classify(fact, specs["P6"], dt.date(2016, 6, 1), V1)
    assert c2012.rule == c2016.rule == "rules_v1/temporal.end_time"
    assert c2012.current[0].value.item == "Q57652"  # Helle Thorning-Schmidt (2011-2015)
    assert c2016.current[0].value.item == "Q182397"  # Lars Løkke Rasmussen (from 2015)
    # The previous office holder is the most recent former value.
    assert c2016.former[0].value.item == "Q57652"
    assert c2016.former[0].end.iso() == "2015-06-28"


def test_population_series_takes_latest_point_in_time(fixtures):
    specs = load_relations()
    fact = _fact(fixtures, "wikidata_entities/we-framework/Q30.json", "Q30", "P1082")
    c = classify(fact, specs["P1082"], dt.date(2000, 6, 1), V1)
    assert c.rule == "rules_v1/temporal.point_in_time"
    assert c.current[0].point_in_time.year <= 2000
    later = classify(fact, specs["P1082"], dt.date(2018, 6, 1), V1)
    assert later.current[0].point_in_time.year > c.current[0].point_in_time.year


def test_single_unchanging_value_is_static(fixtures):
    specs = load_relations()
    fact = _fact(fixtures, FIRST50, "Q255", "P19")  # Beethoven, place of birth: Bonn
    c = classify(fact, specs["P19"], dt.date(2020, 1, 1), V1)
    assert (c.fact_type, c.rule) == ("static", "rules_v1/static.no_change")
    assert c.current[0].value.item == "Q586"
    assert c.evidence == ()


def test_relation_that_changes_by_nature_without_qualifiers(fixtures):
    specs = load_relations()
    fact = _fact(fixtures, FIRST50, "Q23", "P102")  # George Washington, party: no qualifiers
    c = classify(fact, specs["P102"], dt.date(2020, 1, 1), V1)
    assert c.rule == "rules_v1/temporal.by_nature"
    assert c.evidence == (("relation", "changes_over_time"),)


def test_real_disputed_qualifier(fixtures):
    # Constantine's notable work carries P1480 = Q18912752 (disputed) on Wikidata.
    fact = _fact(fixtures, "wikidata_entities/entitybase-backend/Q8413.json", "Q8413", "P800")
    c = classify(fact, _spec("P800"), dt.date(2020, 1, 1), V1)
    assert c.fact_type == "disputable"
    assert c.rule == "rules_v1/disputable.qualifier"
    assert ("P1480", "Q18912752") in c.evidence


def test_real_presumably_marker(fixtures):
    # Beethoven's medical conditions: several carry P1480 = Q18122778 (presumably).
    fact = _fact(fixtures, FIRST50, "Q255", "P1050")
    c = classify(fact, _spec("P1050"), dt.date(2020, 1, 1), V1)
    assert c.rule == "rules_v1/disputable.qualifier"
    assert ("P1480", "Q18122778") in c.evidence


def test_circa_is_not_a_dispute(fixtures):
    # London's inception has P1480 = Q5727902 (circa): uncertain, not disputed.
    fact = _fact(fixtures, FIRST50, "Q84", "P571")
    c = classify(fact, load_relations()["P571"], dt.date(2020, 1, 1), V1)
    assert c.fact_type == "static"


def test_concurrent_values_of_single_valued_relation(fixtures):
    # Estonia has two inception dates with the same rank: 1918 and the 1991 restoration.
    specs = load_relations()
    fact = _fact(fixtures, FIRST50, "Q191", "P571")
    c = classify(fact, specs["P571"], dt.date(2020, 1, 1), V1)
    assert c.rule == "rules_v1/disputable.concurrent_values"
    assert {s.value.time.year for s in c.current} == {1918, 1991}
    assert len(c.rivals) == 1
    # The same statements under a multi-valued relation are not a dispute.
    assert classify(fact, _spec("P571", "multi"), dt.date(2020, 1, 1), V1).fact_type == "static"


def test_nothing_valid_as_of_is_skipped(fixtures):
    specs = load_relations()
    fact = _fact(fixtures, FIRST50, "Q35", "P6")
    with pytest.raises(SkipItem) as e:
        classify(fact, specs["P6"], dt.date(1500, 1, 1), V1)
    assert e.value.reason == "no_value_as_of"


def test_valid_at_respects_precision(fixtures):
    from kcdata.types import Statement, TimeValue, Value

    year_end = Statement("x", "normal", Value("item", item="Q1"),
                         {"P582": (Value("time", time=TimeValue(2015, 0, 0, 9)),)})
    assert valid_at(year_end, dt.date(2015, 12, 31))  # the year's last day is still inside
    assert not valid_at(year_end, dt.date(2016, 1, 1))
    start_month = Statement("y", "normal", Value("item", item="Q1"),
                            {"P580": (Value("time", time=TimeValue(2015, 6, 0, 10)),)})
    assert valid_at(start_month, dt.date(2015, 6, 1)) and not valid_at(start_month, dt.date(2015, 5, 31))


def test_cli_classify_prints_facts(fixtures):
    import json

    from click.testing import CliRunner

    from kcdata.cli import main

    path = str(fixtures / "wikidata_entities/openrefine/Q16.json")
    res = CliRunner().invoke(main, ["classify", path, "--as-of", "2020-01-01", "--relations", "P6,P36"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.output.splitlines()]
    assert {r["relation"] for r in rows} == {"P6", "P36"}
    p6 = next(r for r in rows if r["relation"] == "P6")
    assert p6["subject_id"] == "Q16" and p6["fact_type"] == "temporal" and p6["as_of"] == "2020-01-01"
    current = [v for v in p6["values"] if v["current"]]
    assert [v["label"] for v in current] == ["Justin Trudeau"]
    assert {"id", "literal", "label", "start", "end", "rank"} <= set(current[0])
