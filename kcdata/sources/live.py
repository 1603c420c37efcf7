"""The live Wikidata API and the full JSON dump as build sources, returning a Snapshot.

``kcdata build --source api`` picks subjects (config ``subjects``, else WDQS per relation), fetches
them with ``wbgetentities`` and the labels of everything they reference, through the one polite,
cached HTTP client. ``kcdata build --source dump --source-path latest-all.json.gz`` streams the
dump in two passes (subjects, then the labels of referenced entities), or takes labels from a
label table (``label_table``) and makes one pass.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kcdata.config import BuildConfig
from kcdata.errors import ConfigError
from kcdata.facts import clean_entity, parse_entity_info
from kcdata.facts.checks import BadValue, Quarantine
from kcdata.fileio import size_text
from kcdata.labels import LabelStore
from kcdata.relations import load_relations, resolve_relations
from kcdata.sources.snapshot import Snapshot, load_label_table
from kcdata.types import Fact

log = logging.getLogger(__name__)


def _relations(config: BuildConfig) -> list[str]:
    return resolve_relations(list(config.relations) if config.relations else None, load_relations())


def _label_languages(config: BuildConfig) -> list[str]:
    return sorted(set(config.languages) | {"mul"})


def _snapshot(kind: str, path: str | None, entities: list[dict[str, Any]], store: LabelStore,
              date: str | None, dump_date: str | None = None) -> Snapshot:
    subjects = [e for e in entities if e.get("claims")]
    prov = {
        e["id"]: {"file": path or kind, "lastrevid": e.get("lastrevid"),
                  "modified": e.get("modified") or e.get("_retrieved"),
                  "retrieved": e.get("_retrieved")}
        for e in subjects
    }
    return Snapshot(name=Path(path).name if path else kind, date=date, entities=subjects, labels=store,
                    provenance=prov, kind=kind, path=path, dump_date=dump_date)


def load_api(config: BuildConfig, client: Any = None, quarantine: Quarantine | None = None) -> Snapshot:
    """Subjects from ``config.subjects`` or WDQS, entities and labels from ``wbgetentities``.

    ``client`` (a ``kcdata.http.HttpClient``) defaults to the one the config describes.
    ``quarantine``: sets aside the entities and statements that fail their checks
    (:func:`kcdata.facts.clean_entity`); ``None``: entities are taken as they are.
    """
    from kcdata.http import client_from_config
    from kcdata.sources.sparql import select_subjects
    from kcdata.sources.wikidata_api import fetch_entities

    client = client or client_from_config(config)
    relations = _relations(config)
    subjects = list(config.subjects or ())
    if not subjects:
        chosen = select_subjects(relations, client, templates=config.sparql)
        seen: dict[str, None] = {}
        for rel in relations:
            for q in chosen.get(rel, ()):
                seen.setdefault(q, None)
        subjects = list(seen)
    if not subjects:
        raise ConfigError("no subjects to fetch", "set 'subjects' in the build config or a 'sparql' template")
    entities = list(fetch_entities(subjects, client, _label_languages(config)))
    if quarantine is not None:
        entities = _checked(entities, quarantine)
    store = LabelStore()
    for e in entities:
        store.add(parse_entity_info(e))
    retrieved = sorted(str(e.get("_retrieved", ""))[:10] for e in entities if e.get("_retrieved"))
    return _snapshot("api", "https://www.wikidata.org/w/api.php", entities, store,
                     retrieved[-1] if retrieved else None)


def _checked(entities: list[dict[str, Any]], quarantine: Quarantine) -> list[dict[str, Any]]:
    """The entities cleaned by :func:`kcdata.facts.clean_entity`, their problems set aside."""
    out = []
    for e in entities:
        problems: list[BadValue] = []
        clean = clean_entity(e, problems)
        eid = e.get("id") if isinstance(e, dict) else None
        quarantine.extend(problems, where=f"wbgetentities {eid}" if isinstance(eid, str) else "wbgetentities")
        if clean is not None:
            out.append(clean)
    return out


def load_dump(config: BuildConfig, qualifiers: Iterable[str] | None = None,
              quarantine: Quarantine | None = None) -> Snapshot:
    """Stream a Wikidata JSON dump (plain, .gz or .bz2) in two passes; facts are made in the workers.

    Only facts and entity infos (labels, aliases, sitelink count, revision) are kept, never the
    entity JSON, so memory grows with the facts asked for, not with the dump.

    Args:
        config: The build config (``source_path``, ``workers``, ``label_table``).
        qualifiers: The qualifier properties the facts keep (the build passes those its
            classification rules read); ``None`` keeps all.
        quarantine: Sets aside the lines, entities and statements that fail their checks, with
            their line and byte offset (see :func:`kcdata.sources.dump.iter_dump`); ``None``: a
            line that cannot be read stops the build.
    """
    from kcdata.sources import shards
    from kcdata.sources.dump import dump_date, iter_records

    if not config.source_path:
        raise ConfigError("source 'dump' needs a path", "pass --source dump --source-path latest-all.json.gz")
    path = Path(config.source_path)
    if not path.is_file():
        raise ConfigError(f"dump {path} not found", "pass the path of a Wikidata JSON dump")
    date = dump_date(path)
    if date is None and config.as_of is None:  # said before the first pass, not after both
        raise ConfigError(
            f"{path.name} does not say its date (Wikimedia names dumps wikidata-YYYYMMDD-all.json.gz; "
            "latest-all.json.gz is a link to the newest)",
            "pass --as-of YYYY-MM-DD, the date the dump was made (see the dump folder's listing), or "
            "keep the dated file name")
    date = date or config.as_of  # the date the user states for an undated dump
    store = LabelStore()
    table = Path(config.label_table) if config.label_table else None
    # The second pass reads labels *and aliases* of referenced entities from the dump itself; a
    # label table only fills in entities the dump lacks (aliases matter: a counterfactual must
    # never be an alias of the answer, and answers accept aliases).
    facts: list[Fact] = []
    prov: dict[str, dict[str, Any]] = {}
    from kcdata.http import default_cache_dir

    cache = Path(config.cache_dir) if config.cache_dir else default_cache_dir().parent
    want = shards.Request(frozenset(_relations(config)), frozenset(_label_languages(config)),
                          frozenset(qualifiers) if qualifiers is not None else None)
    keep = quarantine is not None and config.shard_cache
    entry = shards.find(cache, path, want) if keep else None
    writer: shards.Writer | None = None
    items: Iterable[Any]
    if entry is not None:
        log.warning("reading %s from the shard cache (%s), not the dump", path.name, entry)
        items = shards.read(entry, want, quarantine, path)
    else:
        if keep and (short := shards.room(cache, path)) is not None:
            log.warning("not keeping %s's extraction in the shard cache: it may need about %s, %s free in %s "
                        "(free space there, or pass --cache-dir)", path.name, size_text(short[0]),
                        size_text(short[1]), shards.root(cache))
            keep = False
        if keep:
            writer = shards.Writer(cache, path, want, quarantine)
        items = iter_records(path, sorted(want.relations), sorted(want.languages or ()),
                             workers=config.workers, referenced_labels=True, progress=True,
                             qualifiers=qualifiers, quarantine=writer.recorder if writer else quarantine,
                             decompress_workers=config.workers if config.workers > 1 else 0,
                             index_dir=cache, ranged=config.workers > 1, executor=config.executor,
                             ray_address=config.ray_address)
        if writer is not None:
            items = writer.tee(items)
    try:
        for item in items:
            _keep(item, path, facts, prov, store)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if writer is not None:
        writer.commit()
    if table is not None:
        load_label_table(table, store, quarantine=quarantine)
    return Snapshot(name=path.name, date=date, entities=[], labels=store, provenance=prov, kind="dump",
                    path=str(path), dump_date=date, facts=facts)


def _keep(item: Any, path: Path, facts: list[Fact], prov: dict[str, dict[str, Any]], store: LabelStore) -> None:
    """Keep a subject record's facts and provenance, and every entity's labels."""
    from kcdata.facts.fast import EntityRecord

    if isinstance(item, EntityRecord):
        info = item.entity
        facts.extend(item.facts)
        prov[info.id] = {"file": str(path), "lastrevid": info.lastrevid, "modified": info.modified}
    else:
        info = item
    store.add(info)


def load(config: BuildConfig, client: Any = None, qualifiers: Iterable[str] | None = None,
         quarantine: Quarantine | None = None) -> Snapshot:
    """The snapshot of a live source.

    Args:
        config: The build config.
        client: An injected HTTP client for the API (default: one made from the config).
        qualifiers: Qualifier properties the dump's facts keep (see :func:`load_dump`).
        quarantine: Where what fails its checks is set aside (see :func:`load_api`,
            :func:`load_dump`).
    """
    if config.source == "api":
        return load_api(config, client, quarantine)
    if config.source == "dump":
        return load_dump(config, qualifiers, quarantine)
    raise ConfigError(f"{config.source!r} is not a live source")
