"""The dump's fast path (msgspec structs -> facts) against the reference dict path, on real entities."""

from __future__ import annotations

import dataclasses
import json
import pickle

import pytest

from kcdata.classify import load_rules
from kcdata.facts import INFO_PROPERTIES, clean_entity, fast, parse_entity, parse_entity_info
from kcdata.facts.slim import fast_slim, referenced_ids, slim_entity, terms_only
from kcdata.sources.dump import DumpError, DumpOutput, DumpStats, iter_dump, iter_records
from kcdata.types import Entity, Fact, Quantity, Statement, TimeValue, Value, fast_constructor

from .test_dump import FIRST50, all_fixture_lines, closed_dump  # noqa: F401 - fixture

RULES_QUALIFIERS = load_rules().qualifiers
RELATION_SETS = [
    frozenset({"P6", "P17", "P35", "P36", "P1082", "P31", "P47"}),
    frozenset({"P1082", "P530", "P569", "P571"}),
    frozenset(f"P{i}" for i in range(1, 4000)),  # every claim of most entities
]


KIND = ("classes", "gender", "born", "died")
"""The entity's kind, read from its INFO_PROPERTIES claims."""


def reference(line: bytes, relations, languages, qualifiers) -> fast.EntityRecord | None:
    slim = fast_slim(line, relations, languages, references=False, keep_claims=INFO_PROPERTIES)
    return fast.dict_record(slim, "dump", qualifiers, relations) if slim is not None else None


def kind(entity: Entity) -> tuple:
    return tuple(getattr(entity, k) for k in KIND)


def same(a: fast.EntityRecord | None, b: fast.EntityRecord | None) -> bool:
    if a is None or b is None:
        return a is b
    # equal (the entity with its kind too), and the facts equal as written (an int latitude
    # stays an int, order kept); labels are compared as mappings (the fast path lists them in
    # language order)
    return a == b and repr(a.facts) == repr(b.facts) and kind(a.entity) == kind(b.entity)


@pytest.mark.skipif(fast.msgspec is None, reason="the msgspec path needs the fast extra")
@pytest.mark.parametrize("relations", RELATION_SETS)
@pytest.mark.parametrize("languages", [None, frozenset({"en", "de", "mul"})])
@pytest.mark.parametrize("qualifiers", [None, RULES_QUALIFIERS])
def test_msgspec_records_equal_the_dict_path_on_every_fixture_entity(relations, languages, qualifiers):
    n = 0
    kinds: dict[str, int] = dict.fromkeys(KIND, 0)
    for line in all_fixture_lines():
        if not json.loads(line).get("id"):
            continue
        want = reference(line, relations, languages, qualifiers)
        got = fast._msgspec_record(line, relations, languages, "dump", qualifiers)  # no fallback
        assert same(got, want), json.loads(line).get("id")
        n += got is not None
        if got is not None:
            # the kind is the whole entity's, whatever the relations asked (the dict path reads
            # the full entity)
            assert kind(got.entity) == kind(parse_entity_info(json.loads(line))), got.entity.id
            for k in KIND:
                kinds[k] += getattr(got.entity, k) not in (None, ())
    assert n > 30
    # every field is filled somewhere (humans: gender and lifetime; most entities: classes)
    assert kinds["classes"] > 25 and min(kinds.values()) >= 1, kinds


@pytest.mark.parametrize("qualifiers", [None, RULES_QUALIFIERS])
def test_entity_record_without_msgspec_is_the_dict_path(monkeypatch, qualifiers):
    relations = RELATION_SETS[0]
    lines = all_fixture_lines()[:80]
    with_fast = [fast.entity_record(ln, relations, None, qualifiers=qualifiers) for ln in lines]
    monkeypatch.setattr(fast, "msgspec", None)
    without = [fast.entity_record(ln, relations, None, qualifiers=qualifiers) for ln in lines]
    assert all(same(a, b) for a, b in zip(with_fast, without, strict=True))
    assert sum(r is not None for r in without) > 20
    assert sum(bool(r.entity.classes) for r in without if r) > 20


def test_the_kind_claims_alone_make_no_record():
    """An entity with P31 (or P569, ...) but no statement of the asked relations is no subject,
    on either path; and the facts of a record are those of the asked relations only."""
    relations = frozenset({"P1082"})
    checked = 0
    for line in all_fixture_lines():
        entity = json.loads(line)
        claims = entity.get("claims") or {}
        if not isinstance(claims, dict) or "P31" not in claims:
            continue
        problems = []
        rec = fast.entity_record(line, relations, problems=problems)
        # a statement that fails its checks is left out (Q279's one, dated 2016-06-31)
        assert (rec is None) == ("P1082" not in claims or len(problems) == len(claims["P1082"])), entity["id"]
        assert reference(line, relations, None, None) == rec
        if rec is not None:
            assert {f.relation for f in rec.facts} == {"P1082"} and rec.entity.classes
            assert "P31" not in rec.references  # kind claims are no facts: their ids are not asked
        checked += rec is None
    assert checked > 20


def test_references_are_the_ids_the_claims_point_to():
    relations = RELATION_SETS[2]
    checked = 0
    for line in all_fixture_lines():
        slim = fast_slim(line, relations, None, references=False)
        if slim is None:
            continue
        rec = fast.entity_record(line, relations)
        # of the statements that pass their checks (Q279's population dated 2016-06-31 does not)
        assert rec is not None and rec.references == referenced_ids(clean_entity(slim, [])), slim["id"]
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


@pytest.mark.parametrize("languages", [None, frozenset({"en", "fr", "mul"})])
def test_terms_entity_equals_the_dict_path(languages):
    """The label pass: terms and kind by the structs (no fallback), by the raw-line dict path
    and by the whole entity's dict, alike on every fixture entity."""
    kinds = 0
    for line in all_fixture_lines():
        entity = json.loads(line)
        if not entity.get("id"):
            continue
        want = parse_entity_info(fast_slim(line, None, languages, terms_only_=True, keep_claims=INFO_PROPERTIES))
        assert want == parse_entity_info(terms_only(entity, languages, INFO_PROPERTIES)), entity["id"]
        if fast.msgspec is not None:
            got = fast._msgspec_terms(line, languages)  # no fallback
            assert got == want and kind(got) == kind(want), entity["id"]
        assert fast.terms_entity(line, languages) == want
        assert kind(want) == kind(parse_entity_info(entity))
        assert (want.sitelinks, want.lastrevid, want.modified) == (None, None, None)
        kinds += bool(want.classes)
    assert kinds > 100


def test_terms_entity_without_msgspec_is_the_dict_path(monkeypatch):
    lines = all_fixture_lines()
    with_fast = [fast.terms_entity(ln, frozenset({"en", "mul"})) for ln in lines]
    monkeypatch.setattr(fast, "msgspec", None)
    without = [fast.terms_entity(ln, frozenset({"en", "mul"})) for ln in lines]
    assert with_fast == without and sum(bool(e.classes) for e in without) > 100


def test_the_label_pass_reads_the_kind_of_real_entities():
    lines = {(e["id"], e.get("lastrevid")): ln for ln in all_fixture_lines() if (e := json.loads(ln)).get("id")}
    by_id = {qid: fast.terms_entity(ln, frozenset({"en"})) for (qid, _), ln in lines.items()}
    adams = fast.terms_entity(lines["Q42", 2441354823], frozenset({"en"}))  # entitybase-backend/Q42.json
    assert (adams.classes, adams.gender, adams.born, adams.died) == (("Q5",), "Q6581097", 1952, 2001)
    canada = by_id["Q16"]
    assert canada.classes == ("Q223832", "Q202686", "Q3624078", "Q6256", "Q43702")
    assert (canada.gender, canada.born, canada.died) == (None, None, None)
    # Berlin: two deprecated P31 statements (Q262166, Q1307779) are skipped
    berlin = by_id["Q64"]
    assert "Q515" in berlin.classes and not {"Q262166", "Q1307779"} & set(berlin.classes)
    # Constantine the Great: the preferred day, not the deprecated 274 nor the normal century
    constantine = by_id["Q8413"]
    assert (constantine.born, constantine.died) == (272, 337)


@pytest.mark.skipif(fast.msgspec is None, reason="the msgspec path needs the fast extra")
def test_a_malformed_kind_claim_gives_none_on_every_path():
    """Odd P569 / P21 / P31 values are no kind, not an error: the structs reject the shape, the
    dict path (the fallback) skips the value, and the facts of the asked relations stay."""
    line = next(ln for ln in all_fixture_lines() if b'"id":"Q8413"' in ln[:400])  # Constantine
    entity = json.loads(line)
    claims = entity["claims"]
    claims["P569"] = [
        {"mainsnak": {"snaktype": "value", "property": "P569",
                      "datavalue": {"type": "time", "value": {"time": "sometime", "precision": 11}}},
         "type": "statement", "rank": "preferred", "id": "Q8413$a"},
        {"mainsnak": {"snaktype": "value", "property": "P569",
                      "datavalue": {"type": "time", "value": {"time": "+0272-00-00T00:00:00Z", "precision": "9"}}},
         "type": "statement", "rank": "normal", "id": "Q8413$b"},
        {"mainsnak": {"snaktype": "value", "property": "P569", "datavalue": {"type": "time", "value": "272"}},
         "type": "statement", "rank": "normal", "id": "Q8413$c"},
        {"mainsnak": {"snaktype": "somevalue", "property": "P569"}, "rank": "normal", "id": "Q8413$d"},
    ]
    claims["P21"] = [{"mainsnak": {"snaktype": "value", "property": "P21",
                                   "datavalue": {"type": "wikibase-entityid", "value": {"id": 6581097}}},
                      "rank": "normal", "id": "Q8413$e"}]
    claims["P570"] = "not a list"
    odd = json.dumps(entity, ensure_ascii=False, separators=(",", ":")).encode()
    info = parse_entity_info(entity)
    assert (info.born, info.gender, info.died) == (None, None, None) and info.classes == ("Q5",)
    assert fast.terms_entity(odd, frozenset({"en"})) == parse_entity_info(terms_only(entity, frozenset({"en"}), INFO_PROPERTIES))
    rec = fast.entity_record(odd, frozenset({"P19", "P27"}))
    assert rec is not None and kind(rec.entity) == kind(info) and {f.relation for f in rec.facts} == {"P19", "P27"}
    assert same(rec, reference(odd, frozenset({"P19", "P27"}), None, None))
    # a malformed value of an asked relation drops its statement only, with the reason (issue 12)
    problems = []
    rec = fast.entity_record(odd, frozenset({"P569", "P27"}), problems=problems)
    assert [p.reason for p in problems] == ["bad_time_value"] * 3 and "not a Wikidata time" in str(problems[0])
    assert [s.id for f in rec.facts if f.relation == "P569" for s in f.statements] == ["Q8413$d"]
    # a time string that is not Wikidata's: the structs decode the line (no fallback), no year
    claims["P569"], claims["P570"] = claims["P569"][:1], []
    claims["P21"][0]["mainsnak"]["datavalue"]["value"] = {"numeric-id": 6581097}
    odd = json.dumps(entity, ensure_ascii=False, separators=(",", ":")).encode()
    rec = fast._msgspec_record(odd, frozenset({"P19"}), None, "dump")
    assert (rec.entity.born, rec.entity.died, rec.entity.gender) == (None, None, "Q6581097")
    assert same(rec, reference(odd, frozenset({"P19"}), None, None))
    assert kind(fast._msgspec_terms(odd, None)) == kind(parse_entity_info(entity))


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
        (Entity, {"id": "Q1", "labels": {}, "aliases": {}, "classes": ("Q5",), "gender": "Q6581072", "born": -4}),
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
    # the slim dicts with the kind claims too; the subjects are those with a P36 statement
    for e in iter_dump(closed_dump, output=DumpOutput.SLIM, relations=[*relations, *INFO_PROPERTIES], languages=langs):
        if e["claims"].get("P36"):
            facts = tuple(parse_entity(e, "dump", relations, qualifiers=RULES_QUALIFIERS))
            want[e["id"]] = (parse_entity_info(e), facts)
    assert {r.entity.id: (r.entity, r.facts) for r in records} == want
    assert all(kind(r.entity) == kind(w) for r, (w, _) in zip(records, want.values(), strict=True))
    refs = set().union(*(r.references for r in records))
    assert {t.id for t in terms} == refs - set(want) - {t for t in refs if not _in_dump(t)}
    full = {json.loads(ln)["id"]: json.loads(ln) for ln in all_fixture_lines()[:60]}
    for t in terms:  # the label pass: terms and kind, as the dict path reads them
        assert t == parse_entity_info(terms_only(full[t.id], frozenset({*langs, "mul"}), INFO_PROPERTIES))
    london = next(t for t in terms if t.id == "Q84")
    assert london.labels == {"en": "London", "fr": "Londres"}
    assert "Q515" in london.classes and london.gender is None and london.born is None


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
    entities = [fast.terms_entity(ln, frozenset({"en", "de"})) for ln in all_fixture_lines() if json.loads(ln).get("id")]
    back = fast.decode_results(fast.encode_results(entities), False)
    assert back == entities
    # the entity's kind comes back as it went, types included (classes a tuple, years ints)
    assert [kind(e) for e in back] == [kind(e) for e in entities]
    assert [kind(r.entity) for r in fast.decode_results(fast.encode_results(records), True)] == [
        kind(r.entity) for r in records
    ]
    assert sum(bool(e.classes) for e in back) > 100 and any(e.born for e in back) and any(e.died for e in back)
    bce = Entity("Q1048", {"en": "Julius Caesar"}, classes=("Q5", "Q82955"), gender="Q6581097", born=-100, died=-44)
    (again,) = fast.decode_results(fast.encode_results([bce]), False)
    assert again == bce and type(again.classes) is tuple and (again.born, again.died) == (-100, -44)


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
