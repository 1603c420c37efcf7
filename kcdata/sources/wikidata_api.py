"""Entities from the live Wikidata Action API (``wbgetentities``), through :mod:`kcdata.http`.

:func:`fetch_entities` asks for the subjects in batches of 50 (the API's limit for ordinary
clients), then for the labels, aliases and claims of every entity their claims and qualifiers
reference, in the requested languages, so the fact layer can name objects in every language and
:func:`kcdata.facts.parse_entity_info` can tell their kind (classes, gender, lifetime). Every
entity dict it yields is the standard Wikibase JSON of one entity (as in a dump line), plus two
provenance keys:

* ``lastrevid`` — already part of the Wikibase JSON of full entities;
* ``_retrieved`` — UTC time of the HTTP response it came in (from the cache when cached).

A referenced entity keeps only the statements of its kind (:data:`kcdata.facts.INFO_PROPERTIES`),
under ``statements`` instead of ``claims``: an entity dict with ``claims`` is a subject to the
build (:func:`kcdata.sources.live.load_api`), and a referenced entity is none.

The client's cache makes a rebuild free of requests; ``offline=True`` rebuilds from it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from kcdata.errors import ConfigError, SourceError
from kcdata.facts import INFO_PROPERTIES
from kcdata.facts.checks import ENTITY_ID_RE
from kcdata.facts.slim import referenced_ids
from kcdata.http import HttpClient, OfflineCacheMiss

log = logging.getLogger(__name__)

API_URL = "https://www.wikidata.org/w/api.php"
"""The Wikidata Action API endpoint."""

BATCH_SIZE = 50
"""``wbgetentities`` accepts at most 50 ids per request for ordinary clients."""

ENTITY_PROPS = ("aliases", "claims", "info", "labels", "sitelinks")
"""What is asked for subject entities (``info`` carries ``lastrevid`` and ``modified``)."""

REFERENCED_PROPS = ("aliases", "claims", "labels")
"""What is asked for referenced entities: their terms, and their claims for the few that tell
their kind (``wbgetentities`` cannot ask for some claims only; see :func:`fetch_entities`)."""

TERM_PROPS = ("aliases", "labels")
"""What versions before the entities' kind asked for referenced entities: read from the cache
offline where a batch was recorded so (its entities' kind is then unknown)."""

STATEMENTS_KEY = "statements"
"""Key of a referenced entity's statements of :data:`kcdata.facts.INFO_PROPERTIES` (not
``claims``, which marks a subject)."""

RETRIEVED_KEY = "_retrieved"
"""Key added to each entity dict: when its response was fetched (ISO 8601, UTC)."""


def _check_ids(ids: Iterable[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for raw in ids:
        qid = str(raw).strip().upper()
        if not qid or qid[0] not in "QPL" or not qid[1:].isdigit():
            raise ConfigError(f"not a Wikidata entity id: {raw!r}", "use ids such as Q42 or P6 in `subjects`")
        if qid not in seen:
            seen.add(qid)
            out.append(qid)
    return out


def _batches(ids: Sequence[str], size: int = BATCH_SIZE) -> Iterator[list[str]]:
    for i in range(0, len(ids), size):
        yield list(ids[i : i + size])


def get_entities(
    ids: Sequence[str],
    client: HttpClient,
    *,
    props: Sequence[str] = ENTITY_PROPS,
    languages: Sequence[str] | None = None,
    api_url: str = API_URL,
    offline_props: Sequence[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Raw ``wbgetentities`` in batches of 50; yields found entities (missing ones logged).

    Args:
        ids: Entity ids.
        client: The HTTP client.
        props: ``props`` parameter.
        languages: ``languages`` parameter (``None``: all languages).
        api_url: Action API endpoint.
        offline_props: Offline, a batch whose request with ``props`` is not cached is read as
            cached with these ``props`` instead, when it is (a cache an older version filled).

    Yields:
        Entity dicts in request order, each with :data:`RETRIEVED_KEY` added.

    Raises:
        SourceError: A response is not a ``wbgetentities`` answer.
        OfflineCacheMiss: Offline, and the batch is cached with neither ``props``.
    """
    for batch in _batches(list(ids)):
        params: dict[str, Any] = {
            "action": "wbgetentities",
            "format": "json",
            "ids": "|".join(batch),
            "props": "|".join(sorted(props)),
            "redirects": "yes",
        }
        if languages:
            params["languages"] = "|".join(sorted(set(languages)))
        try:
            doc, resp = client.request_json("GET", api_url, params)
        except OfflineCacheMiss:
            older = _cached_with(client, api_url, params, offline_props) if offline_props else None
            if older is None:
                raise
            doc, resp = older
        entities = doc.get("entities") if isinstance(doc, dict) else None
        if not isinstance(entities, dict):
            raise SourceError(
                f"unexpected wbgetentities response from {resp.url}: {str(doc)[:200]}",
                "check the API URL and parameters",
            )
        by_id: dict[str, dict[str, Any]] = {}
        for key, ent in entities.items():
            if not isinstance(ent, dict):
                continue
            if "missing" in ent:
                log.warning("wbgetentities: %s is missing (deleted or never existed)", ent.get("id", key))
                continue
            ent = dict(ent)
            ent[RETRIEVED_KEY] = resp.retrieved
            eid = ent.get("id")
            by_id[eid if isinstance(eid, str) else key] = ent  # an odd id is set aside by the build
        for qid in batch:  # request order; redirected ids come back under their target
            if qid in by_id:
                yield by_id.pop(qid)
        yield from by_id.values()


def _cached_with(
    client: HttpClient, api_url: str, params: dict[str, Any], props: Sequence[str]
) -> tuple[Any, Any] | None:
    """The cached answer to ``params`` asked with ``props`` instead, or None (offline only)."""
    try:
        answer = client.request_json("GET", api_url, {**params, "props": "|".join(sorted(props))})
    except OfflineCacheMiss:
        return None
    log.warning(
        "offline: %d entities read from a cached answer with props=%s instead of %s",
        len(params["ids"].split("|")), "|".join(sorted(props)), params["props"],
    )
    return answer


def fetch_entities(
    ids: Iterable[str],
    client: HttpClient,
    languages: Sequence[str] | None = None,
    *,
    referenced: bool = True,
    api_url: str = API_URL,
) -> Iterator[dict[str, Any]]:
    """Subject entities, then the terms and kind of every entity they reference.

    Referenced entities are asked with ``props=aliases|claims|labels`` (:data:`REFERENCED_PROPS`),
    still 50 a request: :func:`kcdata.facts.parse_entity_info` reads their classes (``P31``),
    gender (``P21``) and years of birth and death (``P569``, ``P570``) from the claims, and
    ``wbgetentities`` has no way to ask for some claims only. The cost is bytes, not requests:
    the claims are most of an entity's JSON (on the fixture entities about 120 times the bytes of
    their labels and aliases in five languages; a country's run to megabytes), so these
    responses, and the cache that keeps them, are some hundred times larger than labels alone.
    Only the statements of :data:`kcdata.facts.INFO_PROPERTIES` are kept of them, under
    :data:`STATEMENTS_KEY`. Offline, a batch cached by an older version (labels and aliases
    only, :data:`TERM_PROPS`) is read from that answer, its entities' kind unknown.

    Args:
        ids: Subject ids (duplicates ignored).
        client: The HTTP client (user agent, cache, offline mode).
        languages: Languages of labels and aliases of the referenced entities (``None``: all).
            Subjects are fetched whole so their sitelinks count stays exact.
        referenced: Fetch the terms and kind of referenced entities (values, qualifier values
            and properties of the claims).
        api_url: Action API endpoint.

    Yields:
        Wikibase entity dicts: the subjects (claims, labels, aliases, sitelinks, lastrevid),
        then dicts of the referenced entities with labels, aliases and, under
        :data:`STATEMENTS_KEY`, their statements of :data:`kcdata.facts.INFO_PROPERTIES` (no
        ``claims``).
    """
    subjects = _check_ids(ids)
    seen: set[str] = set()
    wanted: dict[str, None] = {}
    for ent in get_entities(subjects, client, props=ENTITY_PROPS, api_url=api_url):
        if isinstance(ent.get("id"), str):
            seen.add(ent["id"])
        for ref in sorted(r for r in referenced_ids(ent) if isinstance(r, str) and ENTITY_ID_RE.fullmatch(r)):
            wanted.setdefault(ref, None)
        yield ent
    if not referenced:
        return
    todo = [r for r in wanted if r not in seen]
    if todo:
        log.info("fetching labels and kind of %d referenced entities", len(todo))
        # "mul" labels are Wikidata's default for every language: ask for them too
        langs = sorted({*languages, "mul"}) if languages else None
        for ent in get_entities(
            todo, client, props=REFERENCED_PROPS, languages=langs, api_url=api_url, offline_props=TERM_PROPS
        ):
            yield _kind_only(ent)


def _kind_only(entity: dict[str, Any]) -> dict[str, Any]:
    """A referenced entity's dict with, of its claims, only the statements of its kind, under
    :data:`STATEMENTS_KEY`."""
    out = {k: v for k, v in entity.items() if k != "claims"}
    claims = entity.get("claims")
    if isinstance(claims, dict):
        out[STATEMENTS_KEY] = {p: group for p, group in claims.items() if p in INFO_PROPERTIES}
    return out
