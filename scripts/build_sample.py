"""Rebuild the embedded real Wikidata sample in kcdata/data/sample/ from ../shared/fixtures.

Usage: python scripts/build_sample.py [--fixtures ../shared/fixtures]

Reads every real entity in the fixtures (Special:EntityData files, wbgetentities responses and
dump lines), keeps the newest revision of each entity, trims it to the claims of the relations
kcdata has templates for (references dropped; qualifiers, ranks and statement ids kept) and to the
sample languages, and writes:

* ``entities.json.gz``: the trimmed entities in Wikidata dump form (``[``, one entity per line
  ending in ``,``, ``]``), so the sample goes through the same reader as a real dump;
* ``labels.jsonl.gz``: labels of every referenced entity in the sample languages, from the fixture
  label table and the entity files;
* ``snapshot.json``: snapshot date, per-entity source file, revision and modified date;
* ``PROVENANCE.md``: where each file came from and its licence.

The output is deterministic: the same fixtures give the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kcdata.facts import read_entities  # noqa: E402
from kcdata.relations import load_relations  # noqa: E402
from kcdata.sources.snapshot import newest_stated_date  # noqa: E402

LANGUAGES = ["mul", "en", "de", "fr", "ru", "es", "it", "ja", "zh", "ar", "pt", "nl", "pl"]
EXTRA_RELATIONS = {"P21", "P31", "P279"}  # kinds of things: what substitutes must share
ENTITY_GLOBS = ["wikidata_entities/*/*.json", "wikidata_api/*/*.json"]
DUMPS = ["wikidata_dump_sample/wikibase-dump-filter_latest-all_first50.json"]


def _rank_key(entity: dict) -> tuple:
    # Newest revision wins; entities without revision info rank by modified date, then claims count.
    return (entity.get("lastrevid") or 0, entity.get("modified") or "", len(entity.get("claims") or {}))


def _trim(entity: dict, relations: set[str]) -> dict:
    out: dict = {"type": entity.get("type", "item"), "id": entity["id"]}
    for key in ("lastrevid", "modified"):
        if entity.get(key) is not None:
            out[key] = entity[key]
    out["labels"] = {
        lang: {"language": lang, "value": v["value"]}
        for lang, v in sorted((entity.get("labels") or {}).items())
        if lang in LANGUAGES and isinstance(v, dict)
    }
    aliases = entity.get("aliases") or {}
    out["aliases"] = {
        lang: [{"language": lang, "value": a["value"]} for a in vals]
        for lang, vals in sorted(aliases.items() if isinstance(aliases, dict) else [])
        if lang in LANGUAGES
    }
    claims = {}
    for pid, group in (entity.get("claims") or {}).items():
        if pid not in relations:
            continue
        kept = []
        for claim in group:
            c = {k: claim[k] for k in ("mainsnak", "type", "id", "rank") if k in claim}
            if claim.get("qualifiers"):
                c["qualifiers"] = claim["qualifiers"]
                c["qualifiers-order"] = claim.get("qualifiers-order") or list(claim["qualifiers"])
            kept.append(c)
        claims[pid] = kept
    out["claims"] = claims
    sitelinks = entity.get("sitelinks") or {}
    out["sitelinks"] = {
        site: {"site": site, "title": v.get("title", "")} for site, v in sorted(sitelinks.items())
    } if isinstance(sitelinks, dict) else {}
    return out


def _referenced(entity: dict) -> set[str]:
    ids = set()
    for group in (entity.get("claims") or {}).values():
        for claim in group:
            snaks = [claim.get("mainsnak") or {}]
            for qs in (claim.get("qualifiers") or {}).values():
                snaks.extend(qs)
            for snak in snaks:
                v = (snak.get("datavalue") or {}).get("value")
                if isinstance(v, dict) and v.get("id"):
                    ids.add(v["id"])
                if isinstance(v, dict) and isinstance(v.get("unit"), str) and "/entity/" in v["unit"]:
                    ids.add(v["unit"].rsplit("/", 1)[1])
    return ids


ZERO_HASH = "0" * 40


def synthetic(entity: dict) -> str | None:
    """Why an entity is a hand-made test object rather than a real Wikidata item, or None.

    Test fixtures of Wikibase libraries sometimes hold invented entities: statements with an
    all-zero snak hash, or statements copied from another entity (a statement id names its
    entity: ``Q42$...``). Such an entity states nothing true about the world.
    """
    qid = str(entity.get("id", ""))
    for group in (entity.get("claims") or {}).values():
        for claim in group if isinstance(group, list) else ():
            if not isinstance(claim, dict):
                continue
            sid = str(claim.get("id", ""))
            if sid and sid.split("$", 1)[0].upper() != qid.upper():
                return f"statement {sid} belongs to another entity"
            snaks = [claim.get("mainsnak") or {}]
            for qs in (claim.get("qualifiers") or {}).values():
                snaks.extend(qs)
            if any(str(snak.get("hash", "")).strip("0") == "" and snak.get("hash") for snak in snaks):
                return "a snak hash of all zeros"
    return None


def build(fixtures: Path, out: Path) -> dict:
    relations = set(load_relations()) | EXTRA_RELATIONS
    best: dict[str, tuple[dict, str]] = {}
    excluded: dict[str, str] = {}
    files = sorted(p for g in ENTITY_GLOBS for p in fixtures.glob(g)) + [fixtures / d for d in DUMPS]
    for path in files:
        rel = str(path.relative_to(fixtures))
        try:
            entities = list(read_entities(path))
        except Exception:  # a fixture that is not entity JSON (search results, SPARQL) is skipped
            continue
        for e in entities:
            if not isinstance(e, dict) or not str(e.get("id", "")).startswith("Q"):
                continue
            if not isinstance(e.get("claims"), dict):
                continue
            why = synthetic(e)
            if why is not None:
                excluded[f"{e['id']} ({rel})"] = why
                continue
            cur = best.get(e["id"])
            if cur is None or _rank_key(e) > _rank_key(cur[0]):
                best[e["id"]] = (e, rel)
    trimmed = {qid: _trim(e, relations) for qid, (e, _) in best.items()}
    trimmed = {qid: e for qid, e in trimmed.items() if e["claims"]}

    referenced = set()
    for e in trimmed.values():
        referenced |= _referenced(e)
    labels: dict[tuple[str, str], str] = {}
    with gzip.open(fixtures / "wikidata_labels.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if r["id"] in referenced and r["lang"] in LANGUAGES:
                labels.setdefault((r["id"], r["lang"]), r["label"])
    for qid, (e, _) in best.items():  # entity files know their own labels in every language
        if qid in referenced:
            for lang, v in (e.get("labels") or {}).items():
                if lang in LANGUAGES and isinstance(v, dict):
                    labels[(qid, lang)] = v["value"]

    out.mkdir(parents=True, exist_ok=True)
    order = sorted(trimmed, key=lambda q: int(q[1:]))
    buf = io.StringIO()
    buf.write("[\n")
    for i, qid in enumerate(order):
        sep = "," if i < len(order) - 1 else ""
        buf.write(json.dumps(trimmed[qid], ensure_ascii=False, sort_keys=True, separators=(",", ":")) + sep + "\n")
    buf.write("]\n")
    _write_gz(out / "entities.json.gz", buf.getvalue())
    lab = io.StringIO()
    for (qid, lang), label in sorted(labels.items(), key=lambda kv: (int(kv[0][0][1:]), kv[0][1])):
        lab.write(json.dumps({"id": qid, "lang": lang, "label": label}, ensure_ascii=False) + "\n")
    _write_gz(out / "labels.jsonl.gz", lab.getvalue())

    modified = sorted(e.get("modified", "") for e, _ in best.values() if e.get("modified"))
    sample_date = modified[-1][:10]
    snapshot = {
        "name": "kcdata-sample",
        "date": sample_date,
        "languages": LANGUAGES,
        "entities": {
            qid: {
                "file": best[qid][1],
                "lastrevid": best[qid][0].get("lastrevid"),
                "modified": best[qid][0].get("modified"),
                # the newest date the untrimmed entity states (references included): the data
                # was recorded no earlier (kcdata.sources.snapshot.recording_dates)
                "evidence_date": newest_stated_date(best[qid][0], sample_date),
            }
            for qid in order
        },
    }
    (out / "snapshot.json").write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    _write_gz(out / "wikipedia.jsonl.gz", _articles(fixtures, trimmed))
    (out / "PROVENANCE.md").write_text(
        _provenance(fixtures, {v["file"] for v in snapshot["entities"].values()}, excluded), encoding="utf-8")
    return snapshot


def _articles(fixtures: Path, entities: dict[str, dict]) -> str:
    """Plain text of the recorded Wikipedia articles about sample subjects (JSON lines)."""
    from kcdata.sources.wikipedia import fixture_articles

    titles = set()
    for e in entities.values():
        for site, v in e.get("sitelinks", {}).items():
            if site.endswith("wiki") and site[:-4].isalpha() and len(site) <= 7:
                titles.add((site[:-4], v["title"].casefold()))
        for lang, v in e.get("labels", {}).items():
            titles.add((lang, v["value"].casefold()))
    best: dict[tuple[str, str], object] = {}
    for a in fixture_articles(fixtures):
        key = (a.language, a.title.casefold())
        if key not in titles or not a.text.strip():
            continue
        cur = best.get(key)
        # The fullest text wins; on a tie, the one whose revision is known.
        if cur is None or (len(a.text), a.revision_id is not None) > (len(cur.text), cur.revision_id is not None):
            best[key] = a
    lines = []
    for key in sorted(best):
        a = best[key]
        lines.append(json.dumps({"title": a.title, "language": a.language, "text": a.text,
                                 "revision_id": a.revision_id, "url": a.url, "license": a.license},
                                ensure_ascii=False, sort_keys=True))
    return "".join(line + "\n" for line in lines)


def _provenance(fixtures: Path, used: set[str], excluded: dict[str, str]) -> str:
    rows = []
    for line in (fixtures / "PROVENANCE.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("| `") and line.split("`")[1] in used:
            rows.append(line)
    return (
        "# Provenance of the embedded sample\n\n"
        "Built by `python scripts/build_sample.py` from the real recorded Wikidata data in the\n"
        "project's shared fixtures. `entities.json.gz` holds trimmed copies of the entities (claims of\n"
        "the template relations, ranks, qualifiers and statement ids kept; references dropped; labels\n"
        "and aliases in the sample languages). `labels.jsonl.gz` holds labels of referenced entities\n"
        "from the fixtures' derived label table `wikidata_labels.jsonl.gz` (gathered from entity files\n"
        "and from the ids and names in the public QA datasets DynamicQA, PAT-Questions and\n"
        "explain-temporal-knowledge-conflict) and from the entity files themselves.\n"
        "`wikipedia.jsonl.gz` holds the plain text of the recorded English Wikipedia articles about\n"
        "sample subjects (United Kingdom: wikitext from spencermountain/wtf_wikipedia; United States:\n"
        "Parsoid HTML from wikimedia/mediawiki-services-mobileapps; Douglas Adams: action=parse\n"
        "wikitext from siznax/wptools), parsed with mwparserfromhell / html.parser. Wikipedia text is\n"
        "CC BY-SA 4.0: datasets built with it carry that licence and per-row attribution.\n\n"
        "Licence of the content: Wikidata content is CC0 1.0, whatever the licence of the repository a\n"
        "copy came from. `snapshot.json` names the source file, `lastrevid` and `modified` date of\n"
        "every entity.\n\n"
        "| file | repo | path in repo | commit | repo licence | note |\n|---|---|---|---|---|---|\n"
        + "\n".join(sorted(rows)) + "\n\n"
        "Left out as hand-made test entities, not real Wikidata items (`scripts/build_sample.py`,\n"
        "`synthetic`):\n\n"
        + "".join(f"- {k}: {v}\n" for k, v in sorted(excluded.items()))
    )


def _write_gz(path: Path, text: str) -> None:
    # mtime=0 and no file name in the header keep the bytes reproducible.
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    tmp.replace(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixtures", type=Path, default=ROOT.parent / "shared" / "fixtures")
    ap.add_argument("--out", type=Path, default=ROOT / "kcdata" / "data" / "sample")
    args = ap.parse_args()
    snap = build(args.fixtures, args.out)
    print(f"wrote {len(snap['entities'])} entities, snapshot date {snap['date']}, to {args.out}")


if __name__ == "__main__":
    main()
