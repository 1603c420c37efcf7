"""The embedded real sample (kcdata/data/sample) and plain entity files as sources."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kcdata.errors import InputError
from kcdata.facts import parse_entity_info, parse_time, read_entities
from kcdata.facts.checks import BadValue, Quarantine, has_surrogate, loads
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


def newest_stated_date(entity: dict[str, Any], limit: str | None = None) -> str | None:
    """The newest day stated by any time value of the entity's claims (main values, qualifiers and
    references, whose P813 "retrieved" dates say when a source was read), as YYYY-MM-DD: the first
    day of a value known only to the year or month. Values after ``limit`` (the source's own
    date) are not evidence of the recording date."""
    newest: str | None = None
    claims = entity.get("claims") or entity.get("statements") or {}
    for group in claims.values() if isinstance(claims, dict) else ():
        if not isinstance(group, list):
            continue
        for claim in group:
            if not isinstance(claim, dict):
                continue
            snaks = [claim.get("mainsnak")]
            quals = claim.get("qualifiers") or {}
            for qs in quals.values() if isinstance(quals, dict) else ():
                snaks.extend(qs if isinstance(qs, list) else ())
            refs = claim.get("references") or ()
            for ref in refs if isinstance(refs, list) else ():
                ref_snaks = ref.get("snaks") if isinstance(ref, dict) else None
                for group_snaks in ref_snaks.values() if isinstance(ref_snaks, dict) else ():
                    snaks.extend(group_snaks if isinstance(group_snaks, list) else ())
            for snak in snaks:
                dv = snak.get("datavalue") if isinstance(snak, dict) else None
                if not isinstance(dv, dict) or dv.get("type") != "time" or not isinstance(dv.get("value"), dict):
                    continue
                try:
                    bounds = parse_time(dv["value"]).bounds()
                except (ValueError, TypeError):
                    continue
                if bounds is None:
                    continue
                day = bounds[0].isoformat()
                if (limit is None or day <= limit) and (newest is None or day > newest):
                    newest = day
    return newest


def recording_dates(snapshot: Snapshot) -> dict[str, tuple[str, str]]:
    """When each subject's data was recorded, and on what basis: the knowledge horizon.

    In order of preference: the dump's date for a dump build (``dump_date``); when the API
    returned it (``retrieved``: the data was as stated on that day); the entity's last edit
    (``modified``). Data that carries no date gets the newest date evidenced in it
    (``newest_evidence``): the newest time value the entity states (references included, or the
    ``evidence_date`` a snapshot recorded from the untrimmed entity; in a dump build, the newest in
    its facts), else the newest evidenced in the file it came from (one file was recorded at one
    time: the newest ``modified`` of its other entities, or any date they state). The entity's own
    evidence comes first because an entity's content can lag behind the file it sits in.
    Subjects with none of these are left out (their facts are dropped as ``no_snapshot_date``).

    Returns:
        ``{subject id: (YYYY-MM-DD, basis)}``.
    """
    out: dict[str, tuple[str, str]] = {}
    limit = snapshot.date
    own: dict[str, str] = {}
    in_file: dict[str, str] = {}

    def newest(table: dict[str, str], key: str, day: str | None) -> None:
        if day and (limit is None or day <= limit) and day > table.get(key, ""):
            table[key] = day

    file_of = {qid: str(prov.get("file", "")) for qid, prov in snapshot.provenance.items()}
    for qid, prov in snapshot.provenance.items():
        if snapshot.kind == "dump" and snapshot.dump_date:
            out[qid] = (snapshot.dump_date, "dump_date")
        elif prov.get("retrieved"):
            out[qid] = (str(prov["retrieved"])[:10], "retrieved")
        elif prov.get("modified"):
            out[qid] = (str(prov["modified"])[:10], "modified")
        newest(own, qid, prov.get("evidence_date"))
        newest(in_file, file_of[qid], str(prov.get("modified") or "")[:10] or None)
    for entity in snapshot.entities:
        newest(own, str(entity.get("id")), newest_stated_date(entity, limit))
    for fact in snapshot.facts or ():
        for st in fact.statements:
            times = [st.value.time] if st.value.time is not None else []
            times += [v.time for vals in st.qualifiers.values() for v in vals if v.time is not None]
            for t in times:
                b = t.bounds()
                newest(own, fact.subject, b[0].isoformat() if b else None)
    for qid, day in own.items():
        newest(in_file, file_of.get(qid, ""), day)
    subjects = {e.get("id") for e in snapshot.entities} | {f.subject for f in snapshot.facts or ()}
    for qid in sorted(q for q in subjects if q and q not in out):
        day = own.get(qid) or in_file.get(file_of.get(qid, ""))
        if day:
            out[qid] = (day, "newest_evidence")
    return out


def load_label_table(path: Path, store: LabelStore, languages: set[str] | None = None,
                     quarantine: Quarantine | None = None, name: str | None = None) -> None:
    """Add labels from a JSONL(.gz) table of {id, lang, label} rows.

    A row that is not such an object (or whose texts are not strings, or hold a lone surrogate)
    raises :class:`InputError` naming the line, or, with ``quarantine``, is set aside there
    (``name``: the file's name in its records; default: the path).
    """
    opener = gzip.open if path.suffix == ".gz" else open
    rows = 0
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                rows += 1
                try:
                    r = loads(line)
                    qid, lang, label = r["id"], r["lang"], r["label"]
                    if not all(isinstance(x, str) for x in (qid, lang, label)):
                        raise BadValue("bad_entity_json", "id, lang and label must be strings", entity=True)
                    if has_surrogate(qid + lang + label):
                        raise BadValue("bad_unicode", "a lone surrogate in id, lang or label", entity=True)
                except (BadValue, KeyError, TypeError) as e:
                    if quarantine is None:
                        raise InputError(f"{path}:{lineno}: expected a JSON object with id, lang, label") from None
                    bad = e if isinstance(e, BadValue) else BadValue(
                        "bad_entity_json", "expected a JSON object with id, lang, label", entity=True)
                    quarantine.add(bad, file=name or str(path), line=lineno)
                    continue
                if languages is None or lang in languages:
                    store.add_label(qid, lang, label)
    except (OSError, EOFError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read label table ({e})") from None
    if not rows:
        raise InputError(f"{path}: the label table holds no labels",
                         "pass a JSONL(.gz) table of {id, lang, label} rows, or leave the option out")


def load_sample(root: Path | None = None, quarantine: Quarantine | None = None) -> Snapshot:
    """Load the embedded sample (or another folder of the same layout).

    ``quarantine``: sets aside the entities and statements that fail their checks (see
    :func:`kcdata.facts.iter_entities`); ``None``: entities are taken as they are.
    """
    root = root or sample_dir()
    meta_path = root / "snapshot.json"
    if not meta_path.is_file():
        if not root.exists():
            raise InputError(f"{root}: no such file or folder",
                             "for a dump or entity files pass --source dump or --source files too")
        raise InputError(f"{root}: not a kcdata snapshot (no snapshot.json)",
                         "the sample source reads a snapshot folder; for a dump or entity files pass "
                         "--source dump or --source files")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    # the embedded sample is named as the manifest names it (a build's files are machine-independent)
    name = "kcdata/data/sample/entities.json.gz" if root == sample_dir() else None
    entities = list(read_entities(root / "entities.json.gz", quarantine, name))
    store = LabelStore()
    for e in entities:
        store.add(parse_entity_info(e))
    load_label_table(root / "labels.jsonl.gz", store, quarantine=quarantine,
                     name="kcdata/data/sample/labels.jsonl.gz" if name else None)
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


def iter_entity_files(path: Path, quarantine: Quarantine | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(file name, entity) from a file or every *.json / *.jsonl / *.gz file under a folder
    (``quarantine``: see :func:`kcdata.facts.iter_entities`)."""
    files = [path] if path.is_file() or str(path) == "-" else sorted(
        p for p in path.rglob("*") if p.suffix in (".json", ".jsonl", ".gz") and p.is_file()
    )
    if not files:
        if not path.exists():
            raise InputError(f"{path}: no such file or folder", "pass entity JSON files or a folder of them")
        raise InputError(f"{path}: no entity JSON files found (*.json, *.jsonl, *.gz)")
    for f in files:
        for e in read_entities(f, quarantine):
            yield str(f), e


def load_files(path: Path, label_table: Path | None = None, quarantine: Quarantine | None = None) -> Snapshot:
    """Entity JSON files as a source; labels from the files and an optional label table.

    ``quarantine``: sets aside the lines, entities and statements that fail their checks (see
    :func:`kcdata.facts.iter_entities`) and the label table's bad rows; ``None``: the first
    malformed line raises.
    """
    entities = []
    prov: dict[str, dict[str, Any]] = {}
    store = LabelStore()
    for name, e in iter_entity_files(path, quarantine):
        entities.append(e)
        store.add(parse_entity_info(e))
        prov[e["id"]] = {"file": name, "lastrevid": e.get("lastrevid"), "modified": e.get("modified")}
    if label_table is not None:
        load_label_table(label_table, store, quarantine=quarantine)
    modified = sorted(v["modified"] for v in prov.values() if v.get("modified"))
    return Snapshot(name=path.stem, date=modified[-1][:10] if modified else None, entities=entities,
                    labels=store, provenance=prov, kind="files", path=str(path))
