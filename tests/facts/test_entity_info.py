"""An entity's kind (classes, gender, years of birth and death) from real fixture entities, and
how the label store merges and answers it."""

from __future__ import annotations

import copy
import json

import pytest

from kcdata.errors import InputError
from kcdata.facts import INFO_PROPERTIES, claims_info, parse_entity_info, read_entities
from kcdata.labels import LabelStore
from kcdata.types import Entity


def _entity(fixtures, rel: str, qid: str) -> dict:
    for e in read_entities(fixtures / "wikidata_entities" / rel):
        if e["id"] == qid:
            return e
    raise AssertionError(f"{qid} not in {rel}")


def _kind(info: Entity) -> tuple:
    return info.classes, info.gender, info.born, info.died


def _time_snak(time, precision=11, pid="P569") -> dict:
    return {"snaktype": "value", "property": pid, "datatype": "time",
            "datavalue": {"type": "time", "value": {"time": time, "precision": precision, "timezone": 0,
                                                    "calendarmodel": "http://www.wikidata.org/entity/Q1985727"}}}


def test_douglas_adams(fixtures):
    adams = parse_entity_info(_entity(fixtures, "entitybase-backend/Q42.json", "Q42"))
    assert _kind(adams) == (("Q5",), "Q6581097", 1952, 2001)
    assert adams.labels["mul"] == "Douglas Adams" and adams.sitelinks  # the rest as before


@pytest.mark.parametrize(
    ("rel", "qid", "classes"),
    [
        ("openrefine/Q16.json", "Q16", ("Q223832", "Q202686", "Q3624078", "Q6256", "Q43702")),  # Canada
        ("wikibase-dump-filter/Q22.json", "Q22", ("Q3336843",)),  # Scotland: one preferred P31
    ],
)
def test_a_country_has_its_classes_and_no_gender_or_lifetime(fixtures, rel, qid, classes):
    info = parse_entity_info(_entity(fixtures, rel, qid))
    assert _kind(info) == (classes, None, None, None)


def test_classes_keep_statement_order_skip_deprecated_and_repeat_none(fixtures):
    canada = _entity(fixtures, "openrefine/Q16.json", "Q16")
    # two of Canada's five P31 statements are preferred: classes keep statement order anyway
    assert [s["rank"] for s in canada["claims"]["P31"]].count("preferred") == 2
    first = canada["claims"]["P31"][0]
    canada["claims"]["P31"].append(copy.deepcopy(first))  # the same class again
    gone = copy.deepcopy(first)
    gone["rank"] = "deprecated"
    gone["mainsnak"]["datavalue"]["value"] = {"entity-type": "item", "numeric-id": 7275, "id": "Q7275"}
    canada["claims"]["P31"].insert(0, gone)
    old_form = copy.deepcopy(first)  # numeric-id only, as in old dumps
    old_form["mainsnak"]["datavalue"]["value"] = {"entity-type": "item", "numeric-id": 1763527}
    canada["claims"]["P31"].append(old_form)
    assert parse_entity_info(canada).classes == ("Q223832", "Q202686", "Q3624078", "Q6256", "Q43702", "Q1763527")


def test_lifetime_takes_the_preferred_value_at_year_precision(fixtures):
    constantine = _entity(fixtures, "entitybase-backend/Q8413.json", "Q8413")
    ranks = [(s["rank"], s["mainsnak"]["datavalue"]["value"]["precision"]) for s in constantine["claims"]["P569"]]
    assert ranks == [("preferred", 11), ("deprecated", 9), ("deprecated", 11), ("normal", 7)]
    assert _kind(parse_entity_info(constantine)) == (("Q5",), "Q6581097", 272, 337)
    # without the preferred day: the deprecated ones are skipped and the normal one is a century
    constantine["claims"]["P569"] = constantine["claims"]["P569"][1:]
    assert parse_entity_info(constantine).born is None
    # a normal-rank year comes before a later one, and a preferred one before both
    p569 = constantine["claims"]["P569"]
    p569.append({"mainsnak": _time_snak("+0273-00-00T00:00:00Z", 9), "rank": "normal", "type": "statement"})
    p569.append({"mainsnak": _time_snak("+0271-00-00T00:00:00Z", 9), "rank": "normal", "type": "statement"})
    assert parse_entity_info(constantine).born == 273
    p569.append({"mainsnak": _time_snak("+0270-02-27T00:00:00Z", 11), "rank": "preferred", "type": "statement"})
    assert parse_entity_info(constantine).born == 270


def test_a_bce_year_is_negative(fixtures):
    adams = _entity(fixtures, "entitybase-backend/Q42.json", "Q42")
    adams["claims"]["P569"][0]["mainsnak"] = _time_snak("-0100-07-12T00:00:00Z", 11)
    adams["claims"]["P570"][0]["mainsnak"] = _time_snak("-0044-03-15T00:00:00Z", 11, "P570")
    info = parse_entity_info(adams)
    assert (info.born, info.died) == (-100, -44)


def test_gender_is_the_first_non_deprecated_preferred_first(fixtures):
    adams = _entity(fixtures, "entitybase-backend/Q42.json", "Q42")
    (male,) = adams["claims"]["P21"]
    female = copy.deepcopy(male)
    female["mainsnak"]["datavalue"]["value"] = {"entity-type": "item", "numeric-id": 6581072, "id": "Q6581072"}
    unknown = {"mainsnak": {"snaktype": "somevalue", "property": "P21"}, "rank": "preferred"}
    adams["claims"]["P21"] = [unknown, {**female, "rank": "deprecated"}, male, female]
    assert parse_entity_info(adams).gender == "Q6581097"
    adams["claims"]["P21"] = [unknown, male, {**female, "rank": "preferred"}]
    assert parse_entity_info(adams).gender == "Q6581072"


@pytest.mark.parametrize(
    "p569",
    [
        [{"mainsnak": _time_snak("not a time"), "rank": "normal"}],
        [{"mainsnak": _time_snak("+1952-03-11T00:00:00Z", "11"), "rank": "normal"}],  # precision as text
        [{"mainsnak": _time_snak("+1952-03-11T00:00:00Z", None), "rank": "normal"}],
        [{"mainsnak": _time_snak(1952), "rank": "normal"}],
        [{"mainsnak": {"snaktype": "value", "datavalue": {"type": "time", "value": "+1952"}}}],
        [{"mainsnak": {"snaktype": "value", "datavalue": {"type": "string", "value": "1952"}}}],
        [{"mainsnak": {"snaktype": "value", "datavalue": None}}],
        [{"mainsnak": {"snaktype": "novalue"}, "rank": "preferred"}],
        [{"mainsnak": None}, {"rank": "normal"}, "not a statement", None, 1952],
        [{"mainsnak": _time_snak("+1952-00-00T00:00:00Z", 8), "rank": "normal"}],  # a decade
        [{"mainsnak": _time_snak("+" + "9" * 5000 + "-00-00T00:00:00Z", 9), "rank": "normal"}],
        {"not": "a list"},
        "1952",
        None,
    ],
)
def test_a_malformed_birth_date_gives_none_not_an_error(fixtures, p569):
    adams = _entity(fixtures, "entitybase-backend/Q42.json", "Q42")
    adams["claims"]["P569"] = p569
    info = parse_entity_info(adams)
    assert _kind(info) == (("Q5",), "Q6581097", None, 2001)
    assert json.dumps(p569) == json.dumps(adams["claims"]["P569"])  # the entity is not changed


@pytest.mark.parametrize(
    "claims",
    [None, [], {}, "claims", {"P31": None, "P21": [{}], "P569": [[]], "P570": {}},
     {"P31": [{"mainsnak": {"datavalue": {"type": "wikibase-entityid", "value": {"id": ""}}}}]},
     {"P31": [{"mainsnak": {"datavalue": {"type": "wikibase-entityid", "value": {"numeric-id": True}}}}]},
     {"P31": [{"mainsnak": {"datavalue": {"type": "wikibase-entityid", "value": {"numeric-id": "5"}}}}]},
     {"P31": [{"mainsnak": {"datavalue": {"type": "wikibase-entityid", "value": "Q5"}}}]},
     {"P31": [{"rank": "deprecated", "mainsnak": {"datavalue": {"type": "wikibase-entityid",
                                                               "value": {"id": "Q5"}}}}]}],
)
def test_odd_claims_give_the_defaults(claims):
    assert claims_info(claims) == ((), None, None, None)
    assert _kind(parse_entity_info({"id": "Q1", "claims": claims})) == ((), None, None, None)


def test_statements_are_read_like_claims(fixtures):
    """``statements`` (MediaInfo's key, and that of referenced entities from the API source)."""
    adams = _entity(fixtures, "entitybase-backend/Q42.json", "Q42")
    kind = {"statements": {p: g for p, g in adams["claims"].items() if p in INFO_PROPERTIES}}
    info = parse_entity_info({"id": "Q42", "labels": adams["labels"], **kind})
    assert _kind(info) == (("Q5",), "Q6581097", 1952, 2001) and info.sitelinks is None


def test_entities_without_kind_claims(fixtures):
    """Properties, lexemes and the universe: classes where they have P31, never an error."""
    n = 0
    for path in sorted((fixtures / "wikidata_entities").glob("*/*.json")):
        try:
            entities = list(read_entities(path))
        except InputError:  # a fragment of an entity, not one
            continue
        for e in entities:
            n += 1
            info = parse_entity_info(e)
            claims = e.get("claims") or e.get("statements") or {}
            assert bool(info.classes) == any(
                s.get("rank") != "deprecated" and s["mainsnak"].get("snaktype") == "value"
                for s in (claims.get("P31") or [] if isinstance(claims, dict) else [])
            ), e["id"]
            assert all(isinstance(c, str) and c[0] in "QPL" for c in info.classes)
            assert info.born is None or isinstance(info.born, int)
    assert n > 30


# -- the label store ------------------------------------------------------------------------------


def test_label_store_answers_the_kind(fixtures):
    store = LabelStore()
    store.add(parse_entity_info(_entity(fixtures, "entitybase-backend/Q42.json", "Q42")))
    store.add(parse_entity_info(_entity(fixtures, "openrefine/Q16.json", "Q16")))
    assert store.classes("Q42") == ("Q5",) and store.gender("Q42") == "Q6581097"
    assert store.lifetime("Q42") == (1952, 2001)
    assert store.classes("Q16")[-1] == "Q43702" and store.gender("Q16") is None
    assert store.lifetime("Q16") == (None, None)
    for unknown in ("Q404", None):
        assert (store.classes(unknown), store.gender(unknown), store.lifetime(unknown)) == ((), None, (None, None))


def test_label_store_merge_keeps_known_values_and_fills_unknown_ones():
    store = LabelStore()
    store.add(Entity("Q1", {"en": "a"}, sitelinks=3, classes=("Q5",), born=1900))
    store.add(Entity("Q1", {"en": "b", "de": "b"}, sitelinks=9, classes=("Q515",), gender="Q6581072",
                     born=1901, died=1980))
    e = store.entities["Q1"]
    assert e.labels == {"en": "a", "de": "b"} and e.sitelinks == 3
    assert (e.classes, e.gender, e.born, e.died) == (("Q5",), "Q6581072", 1900, 1980)
    # nothing known yet: all from the newcomer; a known year 0 or a known value is not replaced
    store.add(Entity("Q2", {"en": "x"}))
    store.add(Entity("Q2", {}, classes=("Q6256",), gender="Q1", born=0, died=5))
    store.add(Entity("Q2", {}, classes=("Q7",), gender="Q2", born=1, died=6))
    assert (store.classes("Q2"), store.gender("Q2"), store.lifetime("Q2")) == (("Q6256",), "Q1", (0, 5))


def test_label_table_labels_leave_the_kind_unknown():
    store = LabelStore()
    store.add_label("Q3", "en", "three")
    assert store.label("Q3", "en") == "three"
    assert (store.classes("Q3"), store.gender("Q3"), store.lifetime("Q3")) == ((), None, (None, None))
    store.add(Entity("Q4", {"en": "four"}, classes=("Q5",), born=1950))
    store.add_label("Q4", "de", "vier")
    assert store.label("Q4", "de") == "vier" and store.classes("Q4") == ("Q5",) and store.lifetime("Q4") == (1950, None)
    # an entity from an entity file after the label table: labels of the table win, kind filled
    store.add(Entity("Q3", {"en": "Three"}, classes=("Q21199",)))
    assert store.label("Q3", "en") == "three" and store.classes("Q3") == ("Q21199",)
