"""The boundary checks (kcdata.facts.checks) on each known crash input of issue 12."""

from __future__ import annotations

import io
import json

import pytest

from kcdata.errors import InputError
from kcdata.facts import clean_entity, iter_entities, parse_entity, parse_snak, parse_time
from kcdata.facts.checks import REASONS, BadValue, Quarantine, Skipped, echo
from kcdata.types import GREGORIAN, JULIAN, TimeValue


def _reason(fn, *args) -> str:
    with pytest.raises(BadValue) as err:
        fn(*args)
    assert err.value.reason in REASONS
    return err.value.reason


@pytest.mark.parametrize(
    "value",
    [
        {"time": "+1999-13-01T00:00:00Z", "precision": 9},  # month 13, whatever the precision
        {"time": "+1999-02-30T00:00:00Z", "precision": 11},  # no such day
        {"time": "+1900-02-29T00:00:00Z", "precision": 11, "calendarmodel": GREGORIAN},
        {"time": "+1999-00-00T00:00:00Z", "precision": 10},  # no month at month precision
        {"time": "+1999-01-00T00:00:00Z", "precision": 11},
        {"time": "+1999-01-01T00:00:00Z", "precision": None},
        {"time": "+1999-01-01T00:00:00Z", "precision": 15},
        {"time": "+1999-01-01T00:00:00Z", "precision": True},
        {"time": "+1999-01-01T00:00:00Z", "precision": "11"},
        {"time": "+1999-01-01T00:00:00Z", "calendarmodel": "http://www.wikidata.org/entity/Q12138"},
        {"time": "+" + "9" * 17 + "-00-00T00:00:00Z", "precision": 9},
        {"time": "+1999-01-01T24:00:00Z"},
        {"time": "+1999-01-01"},
        {"time": 1999},
        "+1999",
    ],
)
def test_bad_times_are_named(value):
    assert _reason(parse_time, value) == "bad_time_value"


def test_good_edge_times_parse_and_have_bounds():
    t = parse_time({"time": "+9999-12-00T00:00:00Z", "precision": 10})
    assert (t.year, t.month, t.day) == (9999, 12, 0) and t.bounds()[1].isoformat() == "9999-12-31"
    assert parse_time({"time": "+1900-02-29T00:00:00Z", "precision": 11, "calendarmodel": JULIAN}).day == 29
    assert parse_time({"time": "+1999-02-30T00:00:00Z", "precision": 10}).iso() == "1999-02"  # day unread
    assert parse_time({"time": "+" + "9" * 16 + "-00-00T00:00:00Z", "precision": 3}).year == 10**16 - 1
    assert parse_time({"time": "-0044-03-15T00:00:00Z", "precision": 14}).iso() == "-0044-03-15"
    assert TimeValue(9999, 12, 0, 10).bounds() is not None and TimeValue(1, 13, 0, 10).bounds() is None


def _quantity(amount, unit="1"):
    return {"snaktype": "value", "datavalue": {"type": "quantity", "value": {"amount": amount, "unit": unit}}}


@pytest.mark.parametrize("amount", ["NaN", "+Infinity", "1e5", "+1E+999999", "abc", "", "+5.", 5, 5.0, None,
                                    "+" + "1" * 127])
def test_bad_amounts_are_named(amount):
    assert _reason(parse_snak, _quantity(amount)) == "bad_quantity"


def test_long_real_amounts_parse_and_units_are_items():
    pi = "+3.1415926535897932384626433832795028841971693993751058209749445923078164062862089986280348253421170679"
    assert parse_snak(_quantity(pi)).quantity.amount == pi[1:]
    assert parse_snak(_quantity("+5", "http://www.wikidata.org/entity/Q11573")).quantity.unit == "Q11573"
    assert _reason(parse_snak, _quantity("+5", "Q11573")) == "bad_quantity"


@pytest.mark.parametrize(("eid", "reason"), [("foo", "bad_entity_id"), ("Q1:P2", "bad_entity_id"),
                                             ("Q01", "bad_entity_id"), (5, "bad_entity_id"),
                                             ("L1-F1", "unsupported_entity"), ("M89", "unsupported_entity")])
def test_entity_ids(eid, reason):
    problems: list[BadValue] = []
    assert clean_entity({"id": eid, "claims": {}}, problems) is None
    (p,) = problems
    assert p.reason == reason and p.entity and isinstance(p, Skipped) == (reason == "unsupported_entity")


def test_value_ids_may_be_forms_and_senses_but_not_garbage():
    item = {"snaktype": "value", "datavalue": {"type": "wikibase-entityid", "value": {"id": "L7-F2"}}}
    assert parse_snak(item).item == "L7-F2"
    item["datavalue"]["value"] = {"id": "Q1:P2"}
    assert _reason(parse_snak, item) == "bad_entity_id"


def test_wrong_types_and_surrogates_drop_the_entity_or_the_statement():
    good = {"mainsnak": {"snaktype": "value", "datavalue": {"type": "string", "value": "x"}}, "id": "Q1$a"}
    bad = {"mainsnak": {"snaktype": "value", "datavalue": {"type": "string", "value": "x\ud800"}}, "id": "Q1$b"}
    problems: list[BadValue] = []
    facts = parse_entity({"id": "Q1", "claims": {"P373": [good, bad, "no statement", {"mainsnak": []}]}},
                         problems=problems)
    assert [s.id for s in facts[0].statements] == ["Q1$a"]
    assert [p.reason for p in problems] == ["bad_unicode", "bad_statement", "bad_statement"]
    assert {p.fact_id for p in problems} == {"Q1:P373"} and not any(p.entity for p in problems)
    for entity in ({"id": "Q1", "labels": ["x"]}, {"id": "Q1", "aliases": {"en": "x"}},
                   {"id": "Q1", "modified": 20240101}, {"id": "Q1", "modified": "2024-02-30T00:00:00Z"},
                   {"id": "Q1", "lastrevid": "5"}, {"id": "Q1", "claims": "x"},
                   {"id": "Q1", "labels": {"en": {"value": "\udfff"}}}):
        problems = []
        assert clean_entity(entity, problems) is None and problems[0].entity, entity


def test_messages_echo_at_most_200_characters():
    assert len(echo("x" * 10_000)) <= 200 and len(echo({"a": ["y" * 10_000]})) <= 200
    with pytest.raises(BadValue) as err:
        parse_time({"time": "+" + "9" * 100_000})
    assert len(str(err.value)) < 300


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'{"id": "Q1", "claims": ', "bad_entity_json"),
        (b'{"id": "Q1", "lastrevid": NaN}', "bad_entity_json"),
        (b'{"id": "Q1", "lastrevid": Infinity}', "bad_entity_json"),
        (b"[" * 100_000 + b"]" * 100_000, "json_too_deep"),
        (b'{"id": "Q1", "labels": {"en": {"value": "\xff"}}}', "bad_unicode"),
        (b"5", "bad_entity_json"),
        (b'{"id": "foo"}', "bad_entity_id"),
        (b'{"id": "Q1", "labels": {"en": {"value": "\\ud800"}}}', "bad_unicode"),
    ],
)
def test_reader_sets_aside_bad_lines_with_file_line_and_offset(line, reason):
    good = b'{"id": "Q2", "claims": {}}'
    data = good + b"\n" + line + b"\n" + good.replace(b"Q2", b"Q3") + b"\n"
    q = Quarantine()
    assert [e["id"] for e in iter_entities(io.BytesIO(data), "in.jsonl", q)] == ["Q2", "Q3"]
    assert q.counts == {reason: 1}
    (r,) = q.records
    assert (r["file"], r["line"], r["offset"], r["reason"]) == ("in.jsonl", 2, len(good) + 1, reason)
    with pytest.raises(InputError, match=r"^in\.jsonl:2: .*\(" + reason):
        list(iter_entities(io.BytesIO(data), "in.jsonl", Quarantine(strict=True)))


def test_a_broken_pretty_document_is_one_problem():
    doc = json.dumps({"entities": {"Q1": {"id": "Q1", "claims": {}}}}, indent=2)
    q = Quarantine()
    assert list(iter_entities(io.BytesIO(doc[:-5].encode()), "doc.json", q)) == []
    assert q.counts == {"bad_entity_json": 1} and "at line 7" in q.records[0]["detail"]
    assert [e["id"] for e in iter_entities(io.StringIO(doc), "doc.json", Quarantine())] == ["Q1"]


def test_every_reason_is_documented():
    import re
    from pathlib import Path

    import kcdata

    root = Path(kcdata.__file__).parent
    used = set()
    for path in [*root.glob("facts/*.py"), *root.glob("sources/*.py")]:
        used |= set(re.findall(r'(?:BadValue|Skipped)\(\s*"(\w+)"', path.read_text(encoding="utf-8")))
    assert used and used <= set(REASONS), used - set(REASONS)
