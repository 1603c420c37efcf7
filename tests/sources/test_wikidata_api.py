"""Wikidata API and WDQS sources over the loopback server, with real recorded answers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kcdata.errors import ConfigError, SourceError
from kcdata.facts import INFO_PROPERTIES, parse_entity_info
from kcdata.http import OfflineCacheMiss, request_key
from kcdata.sources import sparql, wikidata_api
from kcdata.sources.wikidata_api import API_URL, RETRIEVED_KEY, STATEMENTS_KEY, fetch_entities

from .conftest import FIXTURES, Reply, Seen, cache_files, fixture_bytes, fixture_json

WBGET = "wikidata_api/wikidata-toolkit/wbgetentities-Q6-Q42-P31.json"


def recorded_entities() -> dict[str, dict[str, Any]]:
    """Every entity in the recorded wbgetentities answers, by id (full ones win)."""
    out: dict[str, dict[str, Any]] = {}
    for p in sorted((FIXTURES / "wikidata_api").glob("*/*.json")):
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except ValueError:
            continue
        ents = doc.get("entities") if isinstance(doc, dict) else None
        if not isinstance(ents, dict):
            continue
        for ent in ents.values():
            if isinstance(ent, dict) and "missing" not in ent and "id" in ent:
                if ent["id"] not in out or "claims" in ent:
                    out[ent["id"]] = ent
    return out


def wbgetentities_server(seen: Seen) -> Reply:
    """Answer wbgetentities from the recorded entities, trimmed to props/languages as asked."""
    store = recorded_entities()
    props = set(seen.params.get("props", "").split("|"))
    langs = set(seen.params["languages"].split("|")) if "languages" in seen.params else None
    ents: dict[str, Any] = {}
    for qid in seen.params["ids"].split("|"):
        ent = store.get(qid)
        if ent is None:
            ents[qid] = {"id": qid, "missing": ""}
            continue
        out = {k: ent[k] for k in ("type", "id") if k in ent}
        if "info" in props:
            out.update({k: ent[k] for k in ("pageid", "ns", "title", "lastrevid", "modified") if k in ent})
        for p in ("labels", "aliases", "descriptions", "claims", "sitelinks"):
            if p in props and p in ent:
                val = ent[p]
                if langs is not None and p in ("labels", "aliases", "descriptions"):
                    val = {lang: v for lang, v in val.items() if lang in langs}
                out[p] = val
        ents[qid] = out
    return Reply(
        json.dumps({"entities": ents, "success": 1}).encode(), headers={"Content-Type": "application/json"}
    )


def test_fetch_entities_subjects_then_referenced_labels(loopback, make_client, tmp_path):
    loopback.route("/w/api.php", wbgetentities_server)
    client = make_client()
    ents = list(fetch_entities(["Q42", "Q6", "q42"], client, ["en", "de"]))
    subject = ents[0]
    assert subject["id"] == "Q42" and "claims" in subject and "sitelinks" in subject
    assert subject["lastrevid"] > 0
    assert subject[RETRIEVED_KEY].endswith("+00:00")
    assert all(e["id"] != "Q6" for e in ents)  # missing: skipped, logged
    referenced = ents[1:]
    assert referenced, "labels of referenced entities are fetched"
    # the recorded wptools answers hold real labels of entities Q42 points to (P31 -> Q5 ...)
    by_id = {e["id"]: e for e in referenced}
    assert by_id["Q5"]["labels"]["en"]["value"] == "human"
    assert all(set(e.get("labels", {})) <= {"en", "de", "mul"} for e in referenced)
    # no referenced entity looks like a subject: of its claims only those of its kind are kept,
    # and not as "claims"
    assert all("claims" not in e and set(e.get(STATEMENTS_KEY, {})) <= INFO_PROPERTIES for e in referenced)

    reqs = loopback.requests("/w/api.php")
    first = reqs[0].params
    assert first["action"] == "wbgetentities" and first["maxlag"] == "5"
    assert first["ids"] == "Q42|Q6"
    assert set(first["props"].split("|")) == {"aliases", "claims", "info", "labels", "sitelinks"}
    later = [r.params for r in reqs[1:]]
    # referenced entities come with their claims (wbgetentities cannot ask for some claims only)
    assert all(p["props"] == "aliases|claims|labels" and p["languages"] == "de|en|mul" for p in later)
    assert all(len(p["ids"].split("|")) <= 50 for p in later)
    # Q42 references more than 50 entities: several batches
    assert len(later) >= 2
    # the props are part of the cache key: these are other cache entries than the terms-only
    # requests of earlier versions (see test_offline_reads_a_cache_of_terms_only_requests)
    old = {k: v for k, v in later[0].items() if k != "maxlag"}
    assert request_key("GET", API_URL, old) != request_key("GET", API_URL, {**old, "props": "aliases|labels"})

    # a rebuild makes no request, and offline works from the cache
    n = len(loopback.requests())
    again = list(fetch_entities(["Q42", "Q6"], make_client(offline=True, user_agent=None), ["en", "de"]))
    assert [e["id"] for e in again] == [e["id"] for e in ents]
    assert again[0][RETRIEVED_KEY] == subject[RETRIEVED_KEY]
    assert len(loopback.requests()) == n
    assert len(cache_files(tmp_path / "cache")) == len(reqs)


def test_referenced_entities_come_with_their_kind(loopback, make_client):
    """Oliver Kahn was born in Karlsruhe: the recorded Karlsruhe answer has claims, so the
    referenced Karlsruhe comes with its P31 statements, and parse_entity_info reads its classes."""
    loopback.route("/w/api.php", wbgetentities_server)
    ents = list(fetch_entities(["Q131261"], make_client(), ["en"]))
    kahn, *referenced = ents
    assert kahn["id"] == "Q131261" and "claims" in kahn and STATEMENTS_KEY not in kahn
    info = parse_entity_info(kahn)
    assert (info.classes, info.gender, info.born, info.died) == (("Q5",), "Q6581097", 1969, None)
    by_id = {e["id"]: e for e in referenced}
    karlsruhe = by_id["Q1040"]
    assert set(karlsruhe[STATEMENTS_KEY]) == {"P31"} and "claims" not in karlsruhe
    kind = parse_entity_info(karlsruhe)
    assert kind.labels == {"en": "Karlsruhe"} and "Q515" in kind.classes and kind.gender is None
    assert kind.classes == parse_entity_info(recorded_entities()["Q1040"]).classes
    # entities whose answer has no claims (labels-only recordings) have no kind, and no error
    assert parse_entity_info(by_id["Q5"]).classes == ()


def test_offline_reads_a_cache_of_terms_only_requests(loopback, make_client, monkeypatch, caplog):
    """A cache filled before referenced entities came with claims (props=aliases|labels) still
    rebuilds offline: those batches are read from the older answers, their entities' kind unknown."""
    loopback.route("/w/api.php", wbgetentities_server)
    with monkeypatch.context() as m:
        m.setattr(wikidata_api, "REFERENCED_PROPS", wikidata_api.TERM_PROPS)  # as an older version asked
        before = list(fetch_entities(["Q131261"], make_client(), ["en"]))
    n = len(loopback.requests())
    assert all(r.params["props"] == "aliases|labels" for r in loopback.requests()[1:])
    again = list(fetch_entities(["Q131261"], make_client(offline=True), ["en"]))
    assert len(loopback.requests()) == n  # no request: all from the cache
    assert [e["id"] for e in again] == [e["id"] for e in before] and again == before
    assert all(STATEMENTS_KEY not in e for e in again[1:])
    assert "read from a cached answer with props=aliases|labels" in caplog.text
    # a cache with neither answer: the miss names the request of this version
    with pytest.raises(OfflineCacheMiss, match="props=aliases%7Cclaims%7Clabels"):
        list(fetch_entities(["Q131261"], make_client(offline=True), ["de"]))


def test_batches_of_fifty(loopback, make_client):
    loopback.route("/w/api.php", wbgetentities_server)
    ids = [f"Q{i}" for i in range(1, 121)]
    list(wikidata_api.get_entities(ids, make_client()))
    sizes = [len(r.params["ids"].split("|")) for r in loopback.requests()]
    assert sizes == [50, 50, 20]


def test_bad_ids_are_a_config_error(make_client):
    with pytest.raises(ConfigError, match="not a Wikidata entity id"):
        list(fetch_entities(["Douglas Adams"], make_client()))


def test_unexpected_answer_is_reported(loopback, make_client):
    loopback.route("/w/api.php", fixture_bytes("wikidata_api/wdqs/tuples-query.json"))
    with pytest.raises(SourceError, match="unexpected wbgetentities response"):
        list(fetch_entities(["Q42"], make_client()))


# -- WDQS ---------------------------------------------------------------------------------------


def test_sparql_subject_ids_from_real_results():
    doc = fixture_json("wikidata_api/wikibase-sdk/single_var_sparql_results.json")
    ids = sparql.subject_ids(doc)
    assert ids == ["Q112983", "Q185598", "Q3879286", "Q1473346"]  # the bnode is skipped
    doc = fixture_json("wikidata_api/wikibase-sdk/sparql_results_with_statements.json")
    assert sparql.subject_ids(doc) == []  # statement nodes are not entities
    doc = fixture_json("wikidata_api/wikibase-sdk/results_with_labels_descriptions_and_aliases.json")
    ids = sparql.subject_ids(doc, "item")
    assert ids and all(i.startswith("Q") for i in ids)


def test_select_subjects_one_query_per_relation(loopback, make_client, fake_time):
    loopback.route(
        "/sparql",
        Reply(
            fixture_bytes("wikidata_api/wdqs/tuples-query.json"),
            headers={"Content-Type": "application/sparql-results+json"},
        ),
    )
    client = make_client(min_interval=1.0)
    templates = {"P6": "SELECT ?cause WHERE {{ ?x wdt:{relation} ?cause }} LIMIT {limit}"}
    out = sparql.select_subjects(["P6", "P36"], client, templates=templates, limit=10)
    assert out == {"P6": ["Q1347065", "Q3827083"], "P36": ["Q1347065", "Q3827083"]}
    reqs = loopback.requests("/sparql")
    assert len(reqs) == 2
    assert reqs[0].params["query"] == "SELECT ?cause WHERE { ?x wdt:P6 ?cause } LIMIT 10"
    assert "p:P36" in reqs[1].params["query"]
    assert "maxlag" not in reqs[0].params  # not an Action API call
    assert reqs[0].headers["accept"] == "application/sparql-results+json"
    assert fake_time.sleeps == [1.0]  # one at a time, spaced


def test_sparql_template_errors_are_config_errors():
    with pytest.raises(ConfigError, match="placeholders"):
        sparql.render_query("SELECT ?s WHERE { ?s ?p {other} }", "P6", 10)


def test_sparql_error_page_is_reported(loopback, make_client):
    loopback.route(
        "/sparql", Reply(b'{"message": "Query timeout"}', headers={"Content-Type": "application/json"})
    )
    with pytest.raises(SourceError, match="sparql-results"):
        sparql.select_subjects(["P6"], make_client())
