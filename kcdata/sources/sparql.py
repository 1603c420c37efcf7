"""Choose subjects with the Wikidata Query Service (WDQS), one query at a time.

Each relation may carry a SPARQL template in the build config (``sparql`` mapping a relation id
to a query); ``{relation}`` and ``{limit}`` are filled in. The query must bind ``?subject``
(or, failing that, its first variable) to entity URIs. Results are parsed from
``application/sparql-results+json``. WDQS stops queries after 60 s; the client's timeout is set
a little above that, and the cache keeps the answer so a rebuild does not query again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from kcdata.errors import ConfigError, SourceError
from kcdata.http import HttpClient

log = logging.getLogger(__name__)

WDQS_URL = "https://query.wikidata.org/sparql"
"""The public WDQS endpoint."""

WDQS_TIMEOUT = 65.0
"""Client timeout: WDQS's own limit is 60 s; a little slack for the response to arrive."""

ENTITY_PREFIX = "http://www.wikidata.org/entity/"

DEFAULT_TEMPLATE = """SELECT DISTINCT ?subject WHERE {{
  ?subject p:{relation} ?statement .
  ?statement wikibase:rank ?rank .
  FILTER(?rank != wikibase:DeprecatedRank)
  ?subject wikibase:sitelinks ?links .
}}
ORDER BY DESC(?links)
LIMIT {limit}"""
"""Fallback template: the most-linked subjects with a non-deprecated statement of the relation."""


def render_query(template: str, relation: str, limit: int) -> str:
    """Fill a query template.

    Raises:
        ConfigError: The template names a placeholder other than ``relation`` and ``limit``.
    """
    try:
        return template.format(relation=relation, limit=int(limit))
    except (KeyError, IndexError, ValueError) as err:
        raise ConfigError(
            f"SPARQL template for {relation} is invalid: {err}",
            "use only {relation} and {limit} placeholders; double other braces ({{ and }})",
        ) from err


def parse_bindings(doc: Any, var: str | None = None) -> list[dict[str, dict[str, str]]]:
    """The ``results.bindings`` of an ``application/sparql-results+json`` document.

    Raises:
        SourceError: The document is not a SPARQL JSON result.
    """
    try:
        bindings = doc["results"]["bindings"]
        doc["head"]["vars"]
    except (KeyError, TypeError) as err:
        raise SourceError(
            "WDQS answer is not application/sparql-results+json",
            "check the endpoint URL; WDQS may have returned an error page",
        ) from err
    if not isinstance(bindings, list):
        raise SourceError("WDQS answer has no list of bindings", "check the query")
    return bindings


def subject_ids(doc: Any, var: str | None = None) -> list[str]:
    """Entity ids bound to ``var`` (default ``subject``, else the first variable), in order.

    Blank nodes, literals and non-entity URIs (e.g. statement nodes) are skipped; duplicates
    are dropped.
    """
    bindings = parse_bindings(doc)
    names = doc["head"]["vars"]
    if var is None:
        var = "subject" if "subject" in names else (names[0] if names else "subject")
    out: list[str] = []
    seen: set[str] = set()
    for row in bindings:
        cell = row.get(var)
        if not cell or cell.get("type") != "uri":
            continue
        value = cell.get("value", "")
        if not value.startswith(ENTITY_PREFIX):
            continue
        qid = value[len(ENTITY_PREFIX) :]
        if "/" in qid or qid[:1] not in ("Q", "P", "L") or not qid[1:].isdigit():
            continue
        if qid not in seen:
            seen.add(qid)
            out.append(qid)
    return out


def run_query(
    query: str, client: HttpClient, *, endpoint: str = WDQS_URL, timeout: float = WDQS_TIMEOUT
) -> Any:
    """Run one SPARQL query (the client sends one request at a time) and parse its JSON.

    Returns:
        The parsed ``application/sparql-results+json`` document.
    """
    log.info("WDQS query (%d chars)", len(query))
    return client.request_json(
        "GET",
        endpoint,
        {"query": query, "format": "json"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=timeout,
    )[0]


def select_subjects(
    relations: Iterable[str],
    client: HttpClient,
    *,
    templates: Mapping[str, str] | None = None,
    limit: int = 100,
    endpoint: str = WDQS_URL,
) -> dict[str, list[str]]:
    """Subjects per relation, one query per relation, run one after another.

    Args:
        relations: Relation ids.
        client: HTTP client.
        templates: SPARQL template per relation (config ``sparql``); others use
            :data:`DEFAULT_TEMPLATE`.
        limit: ``{limit}`` value.
        endpoint: WDQS endpoint.

    Returns:
        ``{relation: [subject ids]}``.
    """
    out: dict[str, list[str]] = {}
    for rel in relations:
        template = (templates or {}).get(rel, DEFAULT_TEMPLATE)
        doc = run_query(render_query(template, rel, limit), client, endpoint=endpoint)
        out[rel] = subject_ids(doc)
        log.info("WDQS: %d subjects for %s", len(out[rel]), rel)
    return out
