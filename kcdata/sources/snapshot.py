"""The embedded real sample (kcdata/data/sample) and plain entity files as sources."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kcdata.errors import InputError
from kcdata.facts import parse_entity_info, read_entities
from kcdata.labels import LabelStore
from kcdata.resources import sample_dir
from kcdata.types import Fact


@dataclass
class Snapshot:
    """Entities plus the labels of what they point to, with a date and per-entity provenance."""

    name: str
    date: str | None
    entities: list[dict[str, Any]]
    labels: LabelStore
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per entity id: source file, lastrevid, modified."""
    kind: str = "sample"
    path: str | None = None
    dump_date: str | None = None
    """Date of the dump the entities were read from (dump source only)."""
    articles: list[Any] = field(default_factory=list)
    """Wikipedia articles bundled with the source (kcdata.sources.wikipedia.Article)."""
    facts: list[Fact] | None = None
    """Facts already parsed from the entities (the dump source makes them in its workers and
    keeps no entity dicts); ``None``: parse ``entities``."""


def load_label_table(path: Path, store: LabelStore, languages: set[str] | None = None) -> None:
    """Add labels from a JSONL(.gz) table of {id, lang, label} rows."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    r = json.loads(line)
                    qid, lang, label = r["id"], r["lang"], r["label"]
                except (json.JSONDecodeError, KeyError, TypeError):
                    raise InputError(f"{path}:{lineno}: expected a JSON object with id, lang, label") from None
                if languages is None or lang in languages:
                    store.add_label(qid, lang, label)
    except (OSError, EOFError) as e:
        raise InputError(f"{path}: cannot read label table ({e})") from None


def load_sample(root: Path | None = None) -> Snapshot:
    """Load the embedded sample (or another folder of the same layout)."""
    root = root or sample_dir()
    meta_path = root / "snapshot.json"
    if not meta_path.is_file():
        raise InputError(f"{root}: not a kcdata snapshot (no snapshot.json)",
                         "rebuild it with: python scripts/build_sample.py")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    entities = list(read_entities(root / "entities.json.gz"))
    store = LabelStore()
    for e in entities:
        store.add(parse_entity_info(e))
    load_label_table(root / "labels.jsonl.gz", store)
    articles = []
    wiki = root / "wikipedia.jsonl.gz"
    if wiki.is_file():
        from kcdata.sources.wikipedia import Article

        with gzip.open(wiki, "rt", encoding="utf-8") as fh:
            articles = [Article(**json.loads(line)) for line in fh if line.strip()]
    return Snapshot(
        name=meta.get("name", "sample"),
        date=meta.get("date"),
        entities=entities,
        labels=store,
        provenance=meta.get("entities", {}),
        kind="sample",
        path=str(root),
        articles=articles,
    )


def iter_entity_files(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(file name, entity) from a file or every *.json / *.jsonl / *.gz file under a folder."""
    files = [path] if path.is_file() or str(path) == "-" else sorted(
        p for p in path.rglob("*") if p.suffix in (".json", ".jsonl", ".gz") and p.is_file()
    )
    if not files:
        raise InputError(f"{path}: no entity JSON files found")
    for f in files:
        for e in read_entities(f):
            yield str(f), e


def load_files(path: Path, label_table: Path | None = None) -> Snapshot:
    """Entity JSON files as a source; labels from the files and an optional label table."""
    entities = []
    prov: dict[str, dict[str, Any]] = {}
    store = LabelStore()
    for name, e in iter_entity_files(path):
        entities.append(e)
        store.add(parse_entity_info(e))
        prov[e["id"]] = {"file": name, "lastrevid": e.get("lastrevid"), "modified": e.get("modified")}
    if label_table is not None:
        load_label_table(label_table, store)
    modified = sorted(v["modified"] for v in prov.values() if v.get("modified"))
    return Snapshot(name=path.stem, date=modified[-1][:10] if modified else None, entities=entities,
                    labels=store, provenance=prov, kind="files", path=str(path))
