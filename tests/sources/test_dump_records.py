"""The dump's fast path (msgspec structs -> facts) against the reference dict path, on real entities."""

from __future__ import annotations

import dataclasses
import json
import pickle

import pytest

from kcdata.classify import load_rules
from kcdata.facts import fast, parse_entity, parse_entity_info
from kcdata.facts.slim import fast_slim, referenced_ids, slim_entity
from kcdata.sources.dump import DumpError, DumpOutput, DumpStats, iter_dump, iter_records
from kcdata.types import Entity, Fact, Quantity, Statement, TimeValue, Value, fast_constructor

from .test_dump import FIRST50, all_fixture_lines, closed_dump  # noqa: F401 - fixture

RULES_QUALIFIERS = load_rules().qualifiers
RELATION_SETS = [
    frozenset({"P6", "P17", "P35", "P36", "P1082", "P31", "P47"}),
    frozenset({"P1082", "P530", "P569", "P571"}),
    frozenset(f"P{i}" for i in range(1, 4000)),  # every claim of most entities
]


def reference(line: bytes, relations, languages, qualifiers) -> fast.EntityRecord | None:
    slim = fast_slim(line, relations, languages, references=False)
    return fast.dict_record(slim, "dump", qualifiers) if slim is not None else None


def same(a: fast.EntityRecord | None, b: fast.EntityRecord | None) -> bool:
    if a is None or b is None:
        return a is b
    # equal, and the facts equal as written (an int latitude stays an int, order kept); labels
    # are compared as mappings (the fast path lists them in language order)
    return a == b and repr(a.facts) == repr(b.facts)


@pytest.mark.skipif(fast.msgspec is None, reason="the msgspec path needs the fast extra")
@pytest.mark.parametrize("relations", RELATION_SETS)
@pytest.mark.parametrize("languages", [None, frozenset({"en", "de", "mul"})])
@pytest.mark.parametrize("qualifiers", [None, RULES_QUALIFIERS])
def test_msgspec_records_equal_the_dict_path_on_every_fixture_entity(relations, languages, qualifiers):
    n = 0
    for line in all_fixture_lines():
        if not json.loads(line).get("id"):
            continue
        want = reference(line, relations, languages, qualifiers)
        got = fast._msgspec_record(line, relations, languages, "dump", qualifiers)  # no fallback
        assert same(got, want), json.loads(line).get("id")
        n += got is not None
    assert n > 30


@pytest.mark.parametrize("qualifiers", [None, RULES_QUALIFIERS])
def test_entity_record_without_msgspec_is_the_dict_path(monkeypatch, qualifiers):
    relations = RELATION_SETS[0]
    lines = all_fixture_lines()[:80]
    with_fast = [fast.entity_record(ln, relations, None, qualifiers=qualifiers) for ln in lines]
    monkeypatch.setattr(fast, "msgspec", None)
    without = [fast.entity_record(ln, relations, None, qualifiers=qualifiers) for ln in lines]
    assert all(same(a, b) for a, b in zip(with_fast, without, strict=True))
    assert sum(r is not None for r in without) > 20


def test_references_are_the_ids_the_claims_point_to():
    relations = RELATION_SETS[2]
    checked = 0
    for line in all_fixture_lines():
        slim = fast_slim(line, relations, None, references=False)
        if slim is None:
            continue
        rec = fast.entity_record(line, relations)
        assert rec is not None and rec.references == referenced_ids(slim), slim["id"]
        assert rec.references == fast.fact_references(rec.facts)
        checked += 1
    assert checked > 100


def test_rules_qualifiers_keep_only_what_the_classifier_reads():
    assert RULES_QUALIFIERS == {"P580", "P582", "P585", "P1310", "P1480", "P5102"}
    line = next(ln for ln in all_fixture_lines() if b'"id":"Q30"' in ln[:300])  # United States
    full = fast.entity_record(line, frozenset({"P1082"}))
    kept = fast.entity_record(line, frozenset({"P1082"}), qualifiers=RULES_QUALIFIERS)
    quals_full = {p for st in full.facts[0].statements for p in st.qualifiers}
    quals_kept = {p for st in kept.facts[0].statements for p in st.qualifiers}
    assert quals_kept == {"P585"} and len(quals_full) > len(quals_kept)
    # the values the rules read are untouched
    assert [s.point_in_time for s in kept.facts[0].statements] == [
        s.point_in_time for s in full.facts[0].statements
    ]
    assert kept.references < full.references


def test_bad_json_raises_value_error_and_odd_shapes_fall_back():
    with pytest.raises(ValueError):
        fast.entity_record(b'{"type":"item","id":"Q1","claims":{"P6":[{"mainsnak"', frozenset({"P6"}))
    # an unknown datavalue type is not in the structs: the dict path keeps it as "other"
    odd = {
        "type": "item",
        "id": "Q9",
        "claims": {
            "P6": [
                {
                    "mainsnak": {"snaktype": "value", "property": "P6",
                                 "datavalue": {"type": "musical-notation", "value": {"x": 1}}},
                    "rank": "normal",
                    "id": "Q9$1",
                }
            ]
        },
    }
    rec = fast.entity_record(json.dumps(odd).encode(), frozenset({"P6"}))
    assert rec.facts[0].statements[0].value == Value(type="other", text='{"x": 1}')
    assert rec.facts == tuple(parse_entity(slim_entity(odd, frozenset({"P6"})), "dump"))


def test_terms_entity_equals_the_dict_path():
    langs = frozenset({"en", "fr", "mul"})
    for line in all_fixture_lines()[:150]:
        if not json.loads(line).get("id"):
            continue
        want = parse_entity_info(fast_slim(line, None, langs, terms_only_=True))
        assert fast.terms_entity(line, langs) == want


def test_interning_is_bounded(monkeypatch):
    monkeypatch.setattr(fast, "_INTERN_MAX", 8)
    monkeypatch.setattr(fast, "_ITEMS", {})
    monkeypatch.setattr(fast, "_TIMES", {})
    for line in all_fixture_lines()[:60]:
        fast.entity_record(line, RELATION_SETS[2])
        assert len(fast._ITEMS) <= 8 and len(fast._TIMES) <= 8


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (Value, {"type": "item", "item": "Q5"}),
        (TimeValue, {"year": -44, "month": 3, "day": 15, "precision": 11}),
        (Quantity, {"amount": "12", "unit": "Q11573"}),
        (Statement, {"id": "Q1$x", "rank": "normal", "value": Value(type="novalue"), "qualifiers": {}}),
        (Fact, {"subject": "Q1", "relation": "P6", "statements": ()}),
        (Entity, {"id": "Q1", "labels": {"en": "x"}, "aliases": {}, "sitelinks": 3}),
    ],
)
def test_fast_constructor_makes_equal_frozen_instances(cls, kwargs):
    a, b = cls(**kwargs), fast_constructor(cls)(**kwargs)
    fields = [f.name for f in dataclasses.fields(cls)]
    assert a == b and [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields]
    assert repr(a) == repr(b)
    assert pickle.loads(pickle.dumps(b)) == a
    assert dataclasses.replace(b) == a
    if cls not in (Statement, Entity):  # a dict field makes them unhashable
        assert hash(a) == hash(b)
    with pytest.raises(dataclasses.FrozenInstanceError):
        b.__setattr__(next(iter(kwargs)), None)


def test_iter_records_two_passes_match_the_dict_entities(closed_dump):  # noqa: F811
    relations, langs = ["P36"], ["en", "fr"]
    got = list(iter_records(closed_dump, relations, langs, workers=2, qualifiers=RULES_QUALIFIERS))
    records = [r for r in got if isinstance(r, fast.EntityRecord)]
    terms = [r for r in got if isinstance(r, Entity)]
    assert records and terms and len(records) + len(terms) == len(got)
    want = {}
    for e in iter_dump(closed_dump, output=DumpOutput.SLIM, relations=relations, languages=langs):
        want[e["id"]] = (parse_entity_info(e), tuple(parse_entity(e, "dump", qualifiers=RULES_QUALIFIERS)))
    assert {r.entity.id: (r.entity, r.facts) for r in records} == want
    refs = set().union(*(r.references for r in records))
    assert {t.id for t in terms} == refs - set(want) - {t for t in refs if not _in_dump(t)}
    london = next(t for t in terms if t.id == "Q84")
    assert london.labels == {"en": "London", "fr": "Londres"}


def _in_dump(qid: str) -> bool:
    return any(f'"id":"{qid}"'.encode() in ln[:200] for ln in FIRST50.read_bytes().splitlines())


def test_corrupt_line_in_records_mode_names_the_line(closed_dump, tmp_path):  # noqa: F811
    lines = closed_dump.read_bytes().split(b"\n")
    cut = lines[5].index(b'"P31":') + 40  # past the pre-filter's key, inside the statement
    lines[5] = lines[5][:cut]
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\n".join(lines))
    with pytest.raises(DumpError, match=r"line 6 \(decompressed byte [\d,]+\) cannot be read"):
        list(iter_records(bad, ["P31"], ["en"], workers=2))


def test_newlines_counted_from_gaps_equal_a_full_count():
    import random

    from kcdata.sources.dump_scan import _newlines

    rng = random.Random(7)
    for _ in range(2000):
        lines = [b"x" * rng.randint(0, 4) for _ in range(rng.randint(0, 8))]
        data = b"\n".join(lines) + (b"\n" if rng.random() < 0.5 else b"")
        spans, pos = [], 0
        while pos < len(data):
            end = data.find(b"\n", pos)
            end = len(data) if end == -1 else end
            if rng.random() < 0.5:
                spans.append((pos, end))
            pos = end + 1
        assert _newlines(data, spans) == data.count(b"\n")


@pytest.mark.parametrize("workers", [1, 2])
def test_line_numbers_stay_exact_across_small_chunks(closed_dump, tmp_path, workers):  # noqa: F811
    """One process counts lines while scanning, two count them while reading: same numbers."""
    lines = closed_dump.read_bytes().split(b"\n")
    cut = lines[40].index(b'"P31":') + 40
    lines[40] = lines[40][:cut]  # line 41 of the file
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\n".join(lines))
    with pytest.raises(DumpError, match=r"line 41 \("):
        list(iter_dump(bad, relations={"P31"}, output=DumpOutput.RECORDS, chunk_bytes=4096, workers=workers))
    stats = DumpStats()
    got = list(iter_dump(closed_dump, relations={"P31"}, output=DumpOutput.RECORDS, chunk_bytes=4096, stats=stats))
    assert stats.entities == 49 and len(got) == stats.results > 0


@pytest.mark.parametrize("fault", ["truncated gzip", "unclosed array"])
def test_stream_errors_name_the_same_line_with_any_number_of_workers(closed_dump, tmp_path, fault):  # noqa: F811
    import gzip

    if fault == "truncated gzip":
        data = gzip.compress(closed_dump.read_bytes())
        bad = tmp_path / "cut.json.gz"
        bad.write_bytes(data[: len(data) * 2 // 3])
    else:
        bad = tmp_path / "open.json"
        bad.write_bytes(closed_dump.read_bytes().rsplit(b"]", 1)[0])
    messages = []
    for workers in (1, 2, 3):
        with pytest.raises(DumpError) as err:
            list(iter_dump(bad, relations={"P31"}, output=DumpOutput.RECORDS, chunk_bytes=8192, workers=workers))
        messages.append(str(err.value))
    assert messages[0] == messages[1] == messages[2]
    assert "line" in messages[0] and "byte" in messages[0]
    if fault == "unclosed array":
        assert "line 51)" in messages[0]  # "[", 49 entities, then the empty line after the last


@pytest.mark.skipif(fast.msgspec is None, reason="msgpack transport needs the fast extra")
def test_records_survive_the_trip_from_a_worker_unchanged():
    """Workers send records as msgpack: every fixture record comes back equal, as written."""
    relations = RELATION_SETS[2]
    records = [r for ln in all_fixture_lines() if (r := fast.entity_record(ln, relations))]
    assert len(records) > 100
    back = fast.decode_results(fast.encode_results(records), True)
    assert back == records
    assert [repr(r.facts) for r in back] == [repr(r.facts) for r in records]
    assert [r.entity.labels for r in back] == [r.entity.labels for r in records]
    coords = [s.value for r in back for f in r.facts for s in f.statements if s.value.type == "globecoordinate"]
    assert coords  # P625 and kin: latitude and longitude keep their int or float type
    odd = Value(type="globecoordinate", latitude=52, longitude=-1.5, globe="Q2")
    fact = Fact("Q1", "P625", (Statement("Q1$x", "normal", odd, {}),))
    rec = fast.EntityRecord(Entity("Q1"), (fact,), frozenset({"Q2"}))
    (again,) = fast.decode_results(fast.encode_results([rec]), True)
    assert again == rec and type(again.facts[0].statements[0].value.latitude) is int
    entities = [fast.terms_entity(ln, frozenset({"en", "de"})) for ln in all_fixture_lines()[:40]]
    assert fast.decode_results(fast.encode_results(entities), False) == entities


def test_fast_constructor_fills_a_dict_class_too():
    @dataclasses.dataclass(frozen=True)
    class Plain:
        a: int
        b: str = "x"

    p = fast_constructor(Plain)(1)
    assert p == Plain(1) and vars(p) == {"a": 1, "b": "x"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.a = 2


@pytest.mark.parametrize("content", [b"root:x:0:0:root:/root:/bin/bash\n", b"", b"  \n"])
def test_a_file_that_is_no_dump_is_refused(tmp_path, content):
    bad = tmp_path / "passwd"
    bad.write_bytes(content)
    with pytest.raises(DumpError, match="is not a Wikidata JSON dump"):
        list(iter_records(bad, ["P31"], ["en"]))
