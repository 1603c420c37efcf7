"""The parser over every real fixture entity, in all three real forms."""

from __future__ import annotations

import gzip
import io
import json

import pytest

from kcdata.facts import iter_entities, parse_entity, parse_entity_info, parse_time, read_entities
from kcdata.types import GREGORIAN, JULIAN


def _all_entity_files(fixtures):
    return sorted(fixtures.glob("wikidata_entities/*/*.json")) + sorted(fixtures.glob("wikidata_api/*/*.json"))


def _by_id(path, qid):
    for e in read_entities(path):
        if e["id"] == qid:
            return e
    raise AssertionError(f"{qid} not in {path}")


def _fact(entity, pid):
    (fact,) = [f for f in parse_entity(entity, "test") if f.relation == pid]
    return fact


def test_every_fixture_entity_parses(fixtures):
    n_entities = n_facts = 0
    for path in _all_entity_files(fixtures):
        try:
            entities = list(read_entities(path))
        except Exception:
            # SPARQL results and search responses are not entity JSON; they must be rejected
            # with our error type, not crash.
            from kcdata.errors import InputError

            with pytest.raises(InputError):
                list(read_entities(path))
            continue
        for e in entities:
            facts = parse_entity(e, str(path))
            n_entities += 1
            n_facts += len(facts)
            for f in facts:
                assert f.subject == e["id"]
                assert all(s.rank in ("preferred", "normal", "deprecated") for s in f.statements)
    dump = fixtures / "wikidata_dump_sample" / "wikibase-dump-filter_latest-all_first50.json"
    dump_entities = list(read_entities(dump))
    assert len(dump_entities) == 49
    with gzip.open(fixtures / "wikidata_dump_sample" / "wdtk_sample-dump-20150815.json.gz", "rt") as fh:
        old = list(iter_entities(fh, "2015"))
    assert len(old) == 101
    for e in dump_entities + old:
        n_facts += len(parse_entity(e, "dump"))
    assert n_entities > 40 and n_facts > 2000


def test_three_forms_give_the_same_facts(fixtures):
    # Q42 as Special:EntityData (entitybase), as a bare entity (qwikidata) and as wbgetentities (wptools).
    d1 = _by_id(fixtures / "wikidata_entities/qwikidata/wd_Q42.json", "Q42")
    line = json.dumps(d1) + ",\n"
    d2 = list(iter_entities(io.StringIO("[\n" + line + "]\n"), "dump"))[0]
    assert [f.relation for f in parse_entity(d1)] == [f.relation for f in parse_entity(d2)]
    api = list(read_entities(fixtures / "wikidata_api/wptools/wikidata.json"))
    assert [e["id"] for e in api] == ["Q42"]
    missing = list(read_entities(fixtures / "wikidata_api/wikidata-toolkit/wbgetentities-1234567890-missing.json"))
    assert missing == []


def test_time_precision_bce_and_julian():
    t = parse_time({"time": "+1850-03-00T00:00:00Z", "precision": 10, "calendarmodel": GREGORIAN})
    assert (t.year, t.month, t.day, t.iso()) == (1850, 3, 0, "1850-03")
    t = parse_time({"time": "+1850-03-07T00:00:00Z", "precision": 9})
    assert (t.month, t.day, t.iso()) == (0, 0, "1850")  # never an invented month or day
    t = parse_time({"time": "-0044-03-15T00:00:00Z", "precision": 11, "calendarmodel": JULIAN})
    assert (t.year, t.iso(), t.is_julian) == (-44, "-0044-03-15", True)
    assert t.bounds() is None
    t = parse_time({"time": "+1900-00-00T00:00:00Z", "precision": 7})
    assert t.bounds()[0].year == 1801 and t.bounds()[1].year == 1900  # the 19th century


def test_real_julian_birth_date_and_rank(fixtures):
    e = _by_id(fixtures / "wikidata_entities/entitybase-backend/Q8413.json", "Q8413")  # Constantine
    birth = _fact(e, "P569")
    ranks = [s.rank for s in birth.statements]
    assert ranks.count("preferred") == 1 and "deprecated" in ranks
    pref = next(s for s in birth.statements if s.rank == "preferred")
    assert (pref.value.time.year, pref.value.time.month, pref.value.time.day) == (272, 2, 27)
    assert pref.value.time.is_julian
    assert [q.item for q in pref.qualifiers["P1480"]] == ["Q5727902"]  # circa
    century = [s for s in birth.statements if s.value.time.precision == 7]
    assert century and century[0].value.time.iso() == "0300"
    assert birth.revision == 2447833793
    assert all(s.id.startswith("Q8413$") for s in birth.statements)


def test_real_qualifiers_heads_of_government(fixtures):
    e = _by_id(fixtures / "wikidata_dump_sample/wikibase-dump-filter_latest-all_first50.json", "Q35")
    p6 = _fact(e, "P6")
    assert len(p6.statements) == 51
    with_end = [s for s in p6.statements if s.end is not None]
    assert len(with_end) >= 40
    s = next(s for s in p6.statements if s.start and s.start.year == 2015)
    assert s.start.precision == 11


def test_quantity_unit_monolingual_coordinates_string(fixtures):
    e = _by_id(fixtures / "wikidata_entities/openrefine/Q16.json", "Q16")
    pop = _fact(e, "P1082")
    amounts = {s.value.quantity.amount for s in pop.statements}
    assert all(not a.startswith("+") for a in amounts)
    assert all(s.point_in_time is not None for s in pop.statements[:10])
    area = _fact(e, "P2046")
    assert area.statements[0].value.quantity.unit == "Q712226"  # square kilometre
    coord = _fact(e, "P625").statements[0].value
    assert coord.type == "globecoordinate" and 40 < coord.latitude < 70 and coord.globe == "Q2"
    motto = [f for f in parse_entity(e) if f.statements[0].value.type == "monolingualtext"]
    assert motto and motto[0].statements[0].value.language
    strings = [f for f in parse_entity(e) if f.statements[0].value.type == "string"]
    assert strings


def test_novalue_and_somevalue(fixtures):
    (e,) = list(read_entities(fixtures / "wikidata_api/wptools/wikidata_novalue_snak.json"))
    types = {s.value.type for f in parse_entity(e) for s in f.statements}
    assert "novalue" in types
    snak = {"snaktype": "somevalue", "property": "P582"}
    from kcdata.facts import parse_snak

    assert parse_snak(snak).type == "somevalue" and not parse_snak(snak).is_concrete


def test_old_claim_format_without_id(fixtures):
    from kcdata.facts import parse_statement

    claims = json.loads((fixtures / "wikidata_api/wikibase-sdk/old_claim_format.json").read_text())
    values = [parse_statement(c).value for c in claims]
    assert [v.item for v in values] == ["Q123", "P123"]


def test_labels_aliases_sitelinks(fixtures):
    e = _by_id(fixtures / "wikidata_entities/openrefine/Q16.json", "Q16")
    info = parse_entity_info(e)
    assert info.labels["en"] == "Canada" and info.labels["de"] == "Kanada"
    assert "CA" in info.aliases["en"] or "CAN" in info.aliases["en"]
    assert info.sitelinks and info.sitelinks > 100
