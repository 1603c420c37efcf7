"""The build: source → facts → classify → counterfactual → render → validate → write.

``run_build`` is the library entry point behind ``kcdata build``. It writes the output folder in a
temporary sibling folder and renames it into place at the end, so a failed build leaves no
half-written dataset.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import logging
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kcdata import __version__
from kcdata.classify import classify, load_rules
from kcdata.config import BuildConfig
from kcdata.counterfactual import Pool, choose
from kcdata.dates import parse_date
from kcdata.engine import build_collector, keep_long_lived, release_memory
from kcdata.errors import ConfigError, InputError, SkipItem
from kcdata.facts import parse_entity
from kcdata.facts.checks import BadValue, Quarantine, check_number_digits
from kcdata.facts.checks import echo as checks_echo
from kcdata.fileio import (
    foreign_files,
    manifest_object,
    private_dir,
    recover,
    replace_dir,
    sha256_file,
    write_atomic_text,
)
from kcdata.publish.parquet import arrow_bytes, environment
from kcdata.publish.spool import RowSink, RowSpool, RowStats, date_range
from kcdata.relations import load_relations, resolve_relations
from kcdata.render.grammar import check_forms, load_grammar
from kcdata.render.passages_v2 import attach, choose_passages
from kcdata.render.rows import build_row
from kcdata.schemas import problems as schema_problems
from kcdata.sources.snapshot import Snapshot, recording_dates
from kcdata.types import Fact
from kcdata.validate import row_problems
from kcdata.workers import render_all

log = logging.getLogger(__name__)

CONFIGS = ("static", "temporal", "disputable")
DATA_FILE = "{config}/test-{shard:05d}-of-{shards:05d}.parquet"
BATCH_FACTS = 1024
"""Facts per worker whose rows are made before they are handed on (``build_rows(sink=...)``); with
``executor: ray`` :data:`BATCH_FACTS_RAY` (each batch is a Ray Data pipeline, with its start)."""
BATCH_FACTS_RAY = 8192
SHARD_ROWS = 50_000
"""Rows per parquet file of a config: a larger config is written as several shards, which
``load_dataset`` reads through the card's ``<config>/test-*.parquet`` pattern."""


class Rejects:
    """Every drop has a named reason: counted, kept as JSON lines, summarised in the manifest."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.passages: Counter[str] = Counter()
        """Rows that keep their template contexts only, by why their Wikipedia passage was left out."""
        self.records: list[dict[str, Any]] = []
        self.quarantined: Counter[str] = Counter()
        """Entities and statements set aside at the boundary (:mod:`kcdata.facts.checks`), by reason."""

    def add(self, reason: str, fact_id: str, language: str | None = None, detail: str = "") -> None:
        """Record one dropped fact (language None) or (fact, language)."""
        self.counts[reason] += 1
        self.records.append({"fact_id": fact_id, "language": language, "reason": reason, "detail": detail})

    def passage(self, reason: str, fact_id: str, language: str, detail: str = "") -> None:
        """Record a row kept without a Wikipedia passage, and why (``passage_*``)."""
        self.passages[reason] += 1
        self.records.append({"fact_id": fact_id, "language": language, "reason": reason, "detail": detail})

    def quarantine(self, quarantine: Quarantine) -> None:
        """Take what the source set aside (its reasons count as drops too, its records carry the
        file, line and byte offset)."""
        self.quarantined.update(quarantine.counts)
        self.counts.update(quarantine.counts)
        self.records.extend(quarantine.records)

    def jsonl(self) -> str:
        """The rejects file, sorted for determinism."""
        recs = sorted(self.records, key=lambda r: (r["fact_id"], r["language"] or "", r["reason"], r.get("file") or "",
                                                   r.get("line") or 0, r.get("offset") or 0))
        return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in recs)


@dataclass
class BuildResult:
    """What a build wrote."""

    out_dir: Path
    rows: dict[str, int]
    """Rows per config."""
    drops: dict[str, int]
    """Dropped items per reason."""
    files: dict[str, str]
    """Relative path → sha256."""
    manifest: dict[str, Any]
    counts: list[dict[str, Any]] = field(default_factory=list)
    """Rows per kind × language × relation."""


@functools.lru_cache(maxsize=8192)  # a fact's rows, one per language, ask in a row
def _fact_sort_key(fact_id: str) -> tuple:
    subj, rel = fact_id.split(":")
    return (int(subj[1:]), int(rel[1:]))


def load_source(config: BuildConfig, http_client: Any = None, quarantine: Quarantine | None = None) -> Snapshot:
    """Open the configured source as a snapshot of entities and labels.

    Args:
        config: the build config.
        http_client: a ``kcdata.http.HttpClient`` for the live API (default: one made from the
            config's user agent, cache and offline settings).
        quarantine: where the source sets aside the lines, entities and statements that fail
            their checks (:mod:`kcdata.facts.checks`); ``None``: entities are taken as they are.
    """
    from kcdata.sources.snapshot import load_files, load_sample

    if config.source == "sample":
        return load_sample(Path(config.source_path) if config.source_path else None, quarantine)
    if config.source == "files":
        if not config.source_path:
            raise ConfigError("source 'files' needs a path", "pass --source files PATH")
        return load_files(Path(config.source_path),
                          Path(config.label_table) if config.label_table else None, quarantine)
    if config.source in ("api", "dump"):
        from kcdata.sources import live

        return live.load(config, http_client, qualifiers=load_rules(config.rules).qualifiers,
                         quarantine=quarantine)
    raise ConfigError(f"unknown source {config.source!r}", "use sample, files, api or dump")


def build_rows(
    facts: Iterable[Fact], snapshot: Snapshot, config: BuildConfig, as_of: dt.date | None, rejects: Rejects,
    find_article: Any = None, report: dict[str, Any] | None = None,
    sink: RowSink | None = None,
) -> list[dict[str, Any]]:
    """Classify, choose counterfactuals and render every fact in every language. Pure, no I/O.

    The rows are returned, or with ``sink`` handed to it a batch at a time and never all held
    (:class:`kcdata.publish.spool.RowSink`): ``sink.plan(facts)`` before facts are rendered, then
    ``sink.add(rows, new_run, facts)`` per batch of at most :data:`BATCH_FACTS` facts per worker.
    Within a run the facts come in sort order; a sample's refill begins a new run.

    With ``config.sample`` only a seeded, popularity-stratified sample of the judged facts is
    rendered (:mod:`kcdata.classify.sample`), its record put in ``report["sample"]``.

    Each fact is judged at ``as_of`` when given (a fact whose data was recorded earlier is
    dropped: ``as_of_after_snapshot``), else at its subject's own recording date
    (:func:`kcdata.sources.snapshot.recording_dates`), never later than the data knows. With
    ``find_article`` (``passages_v2``), each row's Wikipedia passage is chosen before the
    counterfactual and checked with the row.
    """
    relations = load_relations()
    wanted = resolve_relations(list(config.relations) if config.relations else None, relations)
    rules = load_rules(config.rules)
    facts = [f for f in facts if f.relation in wanted]
    if config.subjects:
        keep = set(config.subjects)
        facts = [f for f in facts if f.subject in keep]
        if not facts:
            raise ConfigError(f"no fact of the chosen relations in the source has one of the subjects "
                              f"({', '.join(config.subjects[:5])})", "check the subject ids, or leave subjects out")
    facts = [t for f in facts if (t := _typed(f, relations[f.relation], rejects)) is not None]
    pool = Pool.from_facts(facts, relations)
    dates = recording_dates(snapshot)
    languages = list(config.languages)
    rows: list[dict[str, Any]] = []
    judged = []
    for fact in sorted(facts, key=lambda f: _fact_sort_key(f.id)):
        spec = relations[fact.relation]
        if any(s.value.item == fact.subject for s in fact.statements if s.rank != "deprecated"):
            # e.g. "Belgium: country = Belgium": no knowledge to conflict with.
            rejects.add("object_is_subject", fact.id, None, "the subject is one of its own values")
            continue
        recorded, basis = dates.get(fact.subject, (None, None))
        if recorded is None:
            rejects.add("no_snapshot_date", fact.id, None, "the data carries no date and states none")
            continue
        if as_of is not None and as_of.isoformat() > recorded:
            rejects.add("as_of_after_snapshot", fact.id, None,
                        f"recorded {recorded} ({basis}), asked as of {as_of.isoformat()}")
            continue
        day = as_of or dt.date.fromisoformat(recorded)
        try:
            cls = _labelled_first(classify(fact, spec, day, rules), snapshot, languages)
            check_number_digits(fact.id, cls.current[0].value.quantity if cls.current else None)
            if day.isoformat() < recorded and spec.changes_within_years and rules.name != "rules_v1" and any(
                    s.start is None and s.point_in_time is None for s in cls.current):
                # recorded later without a start date: the value is known to hold on the
                # recording date only, not on an earlier as_of (it may have begun since)
                raise SkipItem("undated_before_snapshot",
                               f"{fact.id}: an undated value recorded {recorded}, asked as of {day.isoformat()}")
        except SkipItem as s:
            rejects.add(s.reason, fact.id, None, s.detail)
            continue
        judged.append((fact, spec, cls, recorded, basis))

    keep_long_lived()  # the judged facts too, during a build (kcdata.engine.build_collector)
    render = functools.partial(_render_fact, snapshot=snapshot, config=config, languages=languages)
    step = (BATCH_FACTS_RAY if config.executor == "ray" else BATCH_FACTS) * max(1, config.workers)

    def make(todo: list) -> dict[str, int]:
        made = dict.fromkeys((j[0].id for j in todo), 0)
        if sink is not None:
            sink.plan(len(todo))
        for start in range(0, len(todo), step):  # choices in order; a batch's rows leave before the next
            chosen = [c for j in todo[start:start + step]
                      if (c := _choose(*j, snapshot, config, pool, languages, rejects, find_article))]
            batch: list[dict[str, Any]] = []
            for item, (made_rows, dropped) in zip(chosen, render_all(render, chosen, config.workers, config.executor, config.ray_address), strict=True):
                for kind, args in dropped:
                    (rejects.passage if kind == "passage" else rejects.add)(*args)
                batch.extend(made_rows)
                made[item[0].id] = len(made_rows)
            if sink is None:
                rows.extend(batch)
            else:
                sink.add(batch, start == 0, min(step, len(todo) - start))
        return made

    if not config.sample:
        make(judged)
        return rows
    from kcdata.classify.sample import Sample

    sample = Sample.draw(((f.id, f.relation, c.fact_type, snapshot.labels.sitelinks(f.subject) or 0)
                          for f, _, c, _, _ in judged), config.sample, config.seed)
    todo = sample.first()
    while todo:  # a chosen fact that makes no row is replaced from its bucket's reserve
        made = make([j for j in judged if j[0].id in todo])
        todo = sample.refill(lambda fid, made=made: made[fid] > 0, made)
    if report is not None:
        report["sample"] = sample.report()
    return rows


def _choose(fact: Fact, spec: Any, cls: Any, recorded: str, basis: str, snapshot: Snapshot, config: BuildConfig,
            pool: Pool, languages: list[str], rejects: Rejects, find_article: Any) -> tuple | None:
    """A judged fact's passages and counterfactual, in the build's process (choices depend on the
    ones before); None when it has none (set aside in ``rejects``)."""
    try:
        passages: dict[str, Any] = {}
        if find_article is not None:
            cues = {lang: t.passage_cues for lang, t in spec.languages.items()}
            passages, missing = choose_passages(fact.subject, cls.current[0].value.item, snapshot.labels, languages,
                                                find_article, cues)
            for lang, why in missing:
                rejects.passage(why, fact.id, lang)
        cf = choose(fact, cls, spec, pool, snapshot.labels, languages, config.seed, config.counterfactuals,
                    avoid=[(lang, p.text) for lang, p in sorted(passages.items())])
    except SkipItem as s:
        rejects.add(s.reason, fact.id, None, s.detail)
        return None
    return fact, spec, cls, recorded, basis, cf, passages


def _render_fact(item: tuple, *, snapshot: Snapshot, config: BuildConfig,
                 languages: list[str]) -> tuple[list[dict[str, Any]], list[tuple[str, tuple]]]:
    """A chosen fact's row in every language, and what was set aside (``("add" | "passage",
    args)``); pure, so it runs in a worker (:mod:`kcdata.workers`)."""
    fact, spec, cls, recorded, basis, cf, passages = item
    main_item = cls.current[0].value.item
    prov = snapshot.provenance.get(fact.subject, {})
    source = f"{snapshot.kind}:{prov.get('file', snapshot.path or '')}"
    rows: list[dict[str, Any]] = []
    dropped: list[tuple[str, tuple]] = []
    for lang in languages:
        try:
            row = build_row(fact, cls, cf, spec, lang, snapshot.labels, source,
                            dump_date=snapshot.dump_date,
                            retrieved=(prov.get("modified") or "")[:10] or None,
                            snapshot_date=recorded, snapshot_basis=basis,
                            answers_version=config.answers, contexts_version=config.contexts)
        except SkipItem as s:
            dropped.append(("add", (s.reason, fact.id, lang, s.detail)))
            continue
        if lang in passages:
            why = attach(row, passages[lang], snapshot.labels, main_item, cf.value.item)
            if why:
                dropped.append(("passage", (why, fact.id, lang)))
        problems = row_problems(row)
        if problems:
            dropped.append(("add", ("invalid_row", fact.id, lang, "; ".join(str(p) for p in problems[:3]))))
            continue
        rows.append(row)
    return rows, dropped


def _typed(fact: Fact, spec: Any, rejects: Rejects) -> Fact | None:
    """``fact`` without the statements whose value is not of its relation's type (a string where a
    relation has items): each is set aside as ``wrong_value_type`` (counted in the quarantine);
    None when no statement is left."""
    wrong = [s for s in fact.statements if s.value.is_concrete and s.value.type != spec.object_type]
    if not wrong:
        return fact
    for s in wrong:
        rejects.add("wrong_value_type", fact.id, None,
                    f"statement {checks_echo(s.id)}: a {s.value.type} value, {fact.relation} has {spec.object_type} values")
        rejects.quarantined["wrong_value_type"] += 1
    kept = tuple(s for s in fact.statements if s not in wrong)
    return dataclasses.replace(fact, statements=kept) if kept else None


def _template_versions(spec, lang: str, contexts: str) -> str:
    """``en@2`` or, where contexts_v3 uses the grammatical block, ``en@2+g1``."""
    lt = spec.languages[lang]
    text = f"{lang}@{lt.version}"
    return text + (f"+g{lt.grammatical.version}" if contexts == "contexts_v3" and lt.grammatical else "")


def _labelled_first(cls, snapshot: Snapshot, languages: list[str]):
    """Put the current value with labels in the most languages first (stable), so that a
    multi-valued fact is asked about an object every language can name."""
    if len(cls.current) < 2 or cls.fact_type == "disputable":
        return cls
    def cov(s):
        return -sum(1 for lang in languages if snapshot.labels.label(s.value.item, lang)) if s.value.item else 0
    return dataclasses.replace(cls, current=tuple(sorted(cls.current, key=cov)))


def is_build(folder: Path) -> bool:
    """Whether ``folder`` holds a kcdata build: its ``manifest.json`` is our manifest (valid against
    ``schemas/manifest.schema.json``), not just any file of that name (an npm package has one)."""
    doc = manifest_object(folder)
    return doc is not None and isinstance(doc.get("tool_version"), str) and not schema_problems(
        doc, "manifest", str(Path(folder) / "manifest.json"))


def _safe_out(out_dir: Path) -> None:
    if str(out_dir) in ("", "."):
        raise ConfigError("--out is empty or '.', not a build folder name", "name a new folder, e.g. --out kcdata-out")
    for p in (out_dir, *out_dir.parents):
        if p.exists() and not p.is_dir():
            raise ConfigError(f"{p} exists and is not a folder", "choose another --out")
    for line in recover(out_dir, is_build):
        log.info("%s", line)
    if out_dir.is_dir() and any(out_dir.iterdir()) and not is_build(out_dir):
        raise ConfigError(
            f"{out_dir} is not empty and is not a kcdata build; refusing to replace it",
            "choose an empty or new --out folder",
        )
    if out_dir.is_dir() and (extra := foreign_files(out_dir)):
        raise ConfigError(
            f"{out_dir} holds files its build did not write ({', '.join(extra)}); refusing to replace it, "
            "they would be lost",
            "move them out of the folder, or choose another --out",
        )


def run_build(config: BuildConfig, out_dir: Path, http_client: Any = None, *, strict: bool = False) -> BuildResult:
    """Build the dataset described by ``config`` into ``out_dir``.

    ``http_client`` (optional) replaces the HTTP client a live source would make from the config.
    A line, entity or statement of the source that fails its checks (:mod:`kcdata.facts.checks`)
    is set aside: counted in the manifest's ``quarantine`` (and ``drops``) and written to
    ``rejects.jsonl`` with its file, line and byte offset, and the build goes on; with ``strict``
    the first one stops the build instead.

    Raises:
        KcdataError: bad config, unreadable source, or an output folder that is not ours; with
            ``strict``, the first input that fails its checks (an InputError naming where).
    """
    if config.executor != "ray":
        with build_collector():
            return _run_build(config, out_dir, http_client, strict)
    from kcdata import engine

    engine.require()
    _safe_out(Path(out_dir))
    try:
        engine.start(config.ray_address, config.workers)  # before the first pass: a bad address fails now
        with build_collector():
            return _run_build(config, out_dir, http_client, strict)
    finally:
        engine.stop()


def _run_build(config: BuildConfig, out_dir: Path, http_client: Any, strict: bool) -> BuildResult:
    out_dir = Path(out_dir)
    _safe_out(out_dir)
    if config.source_path and Path(config.source_path).is_dir():
        src, target = Path(config.source_path).resolve(), Path(out_dir).resolve()
        if target == src or src in target.parents:
            raise ConfigError(f"--out {out_dir} is inside the source folder {config.source_path}: the next build "
                              "would read its own output as input", "write the build outside the source folder")
    as_of = parse_date(config.as_of) if config.as_of else None  # what can be checked, before the source is read
    relations = load_relations()
    wanted = resolve_relations(list(config.relations) if config.relations else None, relations)
    if config.contexts == "contexts_v3":
        check_forms([relations[p] for p in wanted])
    missing = [lang for lang in config.languages if not any(lang in relations[p].languages for p in wanted)]
    if missing:
        raise ConfigError(f"no templates for language(s) {', '.join(missing)}",
                          "add templates/relations/<PID>-<slug>/<lang>.yaml files")
    quarantine = Quarantine(strict=strict)
    snapshot = load_source(config, http_client, quarantine)
    release_memory()  # what the extraction freed (a dump's buffers), before the rows are made
    keep_long_lived()  # the snapshot: out of the collections while rows are made

    if snapshot.facts is not None:
        facts = [f for f in snapshot.facts if f.relation in wanted]
    else:
        facts = []
        for e in snapshot.entities:
            problems: list[BadValue] = []
            facts.extend(parse_entity(e, snapshot.kind, wanted, problems=problems))
            quarantine.extend(problems, file=snapshot.provenance.get(e.get("id"), {}).get("file"))
    rejects = Rejects()
    rejects.quarantine(quarantine)
    find = None
    if config.wikipedia and config.passages == "passages_v2":
        from kcdata.sources.wikipedia import article_finder

        find = article_finder(snapshot, config, http_client)
        if find is None:
            _warn_no_articles(config)
    report: dict[str, Any] = {}
    stats = RowStats(snapshot.labels.classes)
    spool = RowSpool(private_dir(out_dir, "spool"), lambda f, lang: (_fact_sort_key(f), lang))
    tmp = sink = None
    try:
        tmp = private_dir(out_dir, "tmp")
        sink = RowSink(spool, stats, len(config.languages), _passages_v1(snapshot, config))
        build_rows(facts, snapshot, config, as_of, rejects, find, report, sink)
        sink.close()
        quality = stats.auditor.report().as_dict()
        counts = quality.pop("counts")
        rows_in = {c: spool.counts[c] for c in CONFIGS}
        # An empty config is left out (no parquet, not in the card): `datasets` cannot load one.
        written = [c for c in CONFIGS if rows_in[c]]
        if not written:
            reasons = ", ".join(f"{k}={v}" for k, v in sorted(rejects.counts.items(), key=lambda kv: -kv[1])[:5])
            top = max(rejects.counts, key=lambda k: rejects.counts[k]) if rejects.counts else ""
            hint = ("the data was recorded before --as-of: pass an earlier --as-of, or omit it to judge each "
                    "fact at its own snapshot date" if top == "as_of_after_snapshot"
                    else "widen --relations / --langs, or see the drop reasons in the README")
            raise ConfigError(f"the build produced no rows (dropped: {reasons or 'nothing'})", hint)
        shards = spool.write(tmp, SHARD_ROWS, DATA_FILE)
        spool.close()
        files: dict[str, str] = {}
        write_atomic_text(tmp / "rejects.jsonl", rejects.jsonl())
        for p in sorted(tmp.rglob("*")):
            if p.is_file():
                files[str(p.relative_to(tmp))] = sha256_file(p)
        manifest = {
            "name": config.name,
            "tool_version": __version__,
            "created_from": config.to_dict(),
            "seed": config.seed,
            "as_of": as_of.isoformat() if as_of else None,
            "as_of_range": date_range(stats.as_of),
            "snapshot_dates": {"range": date_range(stats.snapshot), "basis": dict(sorted(stats.basis.items()))},
            "languages": list(config.languages),
            "sources": [{
                "kind": snapshot.kind,
                "path": config.source_path if config.source != "sample" else "kcdata/data/sample",
                "snapshot_date": snapshot.date,
                "entity_revisions": {q: v.get("lastrevid") for q, v in sorted(
                    snapshot.provenance.items(), key=lambda kv: (len(kv[0]), kv[0]))},
            }],
            "templates": {relations[p].slug: f"{relations[p].version}/" + ",".join(
                _template_versions(relations[p], lang, config.contexts) for lang in sorted(relations[p].languages))
                for p in wanted},
            **({"grammar": {lang: g.version for lang in config.languages if (g := load_grammar(lang)) is not None}}
               if config.contexts == "contexts_v3" else {}),
            "rules": load_rules(config.rules).name,
            "counterfactuals": config.counterfactuals,
            "answers": config.answers,
            "contexts": config.contexts,
            "counts": {"rows": rows_in, "by_kind_language_relation": counts},
            **({"sample": report["sample"]} if "sample" in report else {}),
            "drops": dict(sorted(rejects.counts.items())),
            "quarantine": dict(sorted(rejects.quarantined.items())),
            "license": "CC-BY-SA-4.0" if stats.has_wikipedia else "CC0-1.0",
            "wikipedia": {
                "passages": config.passages,
                "left_out": dict(sorted(rejects.passages.items())),
                "unpinned": stats.unpinned,
                "rows_with_passage": stats.with_passage,
                "articles": sorted(stats.articles),
            },
            "quality": quality,
            "files": {},
            "hub": None,
            "environment": environment(),
        }
        from kcdata.publish.card import citation, render_card

        card_stats = {
            "counts": counts,
            "drops": manifest["drops"],
            "languages": list(config.languages),
            "configs": {c: rows_in[c] for c in written},
            "empty_configs": [c for c in CONFIGS if c not in written],
            "has_wikipedia": stats.has_wikipedia,
            "parquet_bytes": {c: sum((tmp / rel).stat().st_size for rel in shards[c]) for c in written},
            "arrow_bytes": {c: sum(arrow_bytes(tmp / rel) for rel in shards[c]) for c in written},
            "as_of_years": [{"year": y, "n": n} for y, n in sorted(stats.years.items())],
        }
        manifest["files"] = dict(files)
        write_atomic_text(tmp / "README.md", render_card(manifest, card_stats))
        files["README.md"] = sha256_file(tmp / "README.md")
        from kcdata.publish.croissant import croissant_metadata, describe

        croissant = croissant_metadata(manifest, {c: rows_in[c] for c in written}, describe(manifest),
                                       citation(manifest))
        write_atomic_text(tmp / "croissant.json", json.dumps(croissant, indent=2, ensure_ascii=False) + "\n")
        files["croissant.json"] = sha256_file(tmp / "croissant.json")
        manifest["files"] = dict(sorted(files.items()))
        write_atomic_text(tmp / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        replace_dir(tmp, out_dir)
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if sink is not None:
            sink.close()
        spool.close()
    return BuildResult(out_dir=out_dir, rows=rows_in,
                       drops=manifest["drops"], files=manifest["files"], manifest=manifest, counts=counts)


def classify_files(
    files: Iterable[str | Path],
    as_of: dt.date,
    relations: Iterable[str] | None = None,
    language: str = "en",
    label_table: Path | None = None,
    all_relations: bool = False,
    quarantine: Quarantine | None = None,
) -> Iterator[dict[str, Any]]:
    """Classify the facts of entity JSON files (``kcdata classify``): one JSON-ready dict per fact.

    Args:
        files: Entity files in any real form (dump lines, Special:EntityData, wbgetentities), or
            ``-`` for stdin.
        as_of: The date facts are judged at.
        relations: Only these relations (ids or slugs); default every relation with templates.
        language: Language of the value labels.
        label_table: JSONL(.gz) {id, lang, label} table for referenced entities (default: the
            embedded sample's).
        all_relations: Without ``relations``, also facts of relations without templates (judged
            as multi-valued, by qualifiers only).
        quarantine: where the lines, entities and statements that fail their checks are set
            aside, with their file, line and byte offset (pass one to read its counts; a strict
            one raises at the first); default: they are set aside unseen.

    Yields:
        subject_id, relation, fact_id, as_of, fact_type, rule, evidence (or fact_type null and
        the reason) and values (id or literal, type, label, start, end, point_in_time, rank,
        statement_id, current).
    """
    from kcdata.facts import parse_entity_info, read_entities
    from kcdata.labels import LabelStore
    from kcdata.relations import RelationSpec
    from kcdata.render.rows import value_forms
    from kcdata.resources import sample_dir
    from kcdata.sources.snapshot import load_label_table

    specs = load_relations()
    asked = list(relations or ())
    extra = {r.upper() for r in asked if all_relations and r[:1] in "pP" and r[1:].isdigit()} - set(specs)
    known = [r for r in asked if r.upper() not in extra]  # --all-relations: a relation without templates too
    wanted = set(resolve_relations(known, specs) if known or not asked else ()) | extra
    quarantine = quarantine if quarantine is not None else Quarantine()
    files = list(files)
    entities = [e for f in files for e in read_entities(f, quarantine)]
    names = ", ".join("stdin" if str(f) == "-" else str(f) for f in files)
    if not entities and not quarantine.errors:
        raise InputError(f"{names}: no Wikibase entity found",
                         "pass entity JSON: dump lines, Special:EntityData or wbgetentities output")
    store = LabelStore()
    languages: set[str] = set()
    for e in entities:
        info = parse_entity_info(e)
        store.add(info)
        languages.update(info.labels)
    if entities and language not in languages:
        shown = ", ".join(sorted(languages)[:12]) + (" …" if len(languages) > 12 else "")
        raise ConfigError(f"--lang {language!r}: no entity in {names} has a label in it "
                          f"({'they have ' + shown if languages else 'they have no labels'})",
                          "pass a language the entities are labelled in")
    load_label_table(label_table or sample_dir() / "labels.jsonl.gz", store, {language}, quarantine)
    for e in entities:
        for fact in parse_entity(e, "cli", None if all_relations and not asked else wanted):
            spec = specs.get(fact.relation) or RelationSpec(
                fact.relation, fact.relation, fact.relation, 0, "multi", False, "item", "", {})
            out: dict[str, Any] = {"subject_id": fact.subject, "relation": fact.relation, "fact_id": fact.id,
                                   "as_of": as_of.isoformat()}
            current: set[str] = set()
            try:
                c = classify(fact, spec, as_of)
                current = {s.id for s in c.current}
                out.update(fact_type=c.fact_type, rule=c.rule,
                           evidence=[{"property": p, "value": v} for p, v in c.evidence])
            except SkipItem as s:
                out.update(fact_type=None, rule=None, reason=s.reason, evidence=[])
            values = []
            for s in fact.statements:
                label, _ = value_forms(s.value, language, store)
                values.append({
                    "id": s.value.item,
                    "literal": None if s.value.type == "item" else (label or s.value.key()),
                    "type": s.value.type,
                    "label": label,
                    "start": s.start.iso() if s.start else None,
                    "end": s.end.iso() if s.end else None,
                    "point_in_time": s.point_in_time.iso() if s.point_in_time else None,
                    "rank": s.rank,
                    "statement_id": s.id,
                    "current": s.id in current,
                })
            out["values"] = values
            yield out


def rebuild(release_dir: Path, out_dir: Path | None = None, *, offline: bool = True):
    """Rebuild a release record (``releases/NAME/VERSION``) and compare every file's sha256.

    Args:
        release_dir: The record, with ``config.yaml`` and ``manifest.json``.
        out_dir: Where to write the rebuilt dataset; a fresh temporary folder when None.
        offline: Force the build offline (HTTP cache or the bundled sample only).

    Returns:
        A :class:`kcdata.publish.release.RebuildReport` of matched, mismatched, missing and extra
        files.

    Raises:
        ReleaseError: The record is incomplete.
    """
    from kcdata.config import load_config
    from kcdata.publish.release import compare, read_record

    config_path, _ = read_record(release_dir)
    config = load_config(config_path, offline=True if offline else None)
    if out_dir is not None:
        record, target = Path(release_dir).resolve(), Path(out_dir).resolve()
        if target == record or record in target.parents or target in record.parents:
            raise ConfigError(f"--out {out_dir} is the release record {release_dir}, inside it or above it",
                              "rebuild into another folder (or leave --out out for a temporary one)")
    if out_dir is None:
        out_dir = Path(tempfile.mkdtemp(prefix=f"kcdata-rebuild-{Path(release_dir).name}-"))
    log.info("rebuilding %s into %s", release_dir, out_dir)
    result = run_build(config, Path(out_dir))
    return compare(release_dir, Path(out_dir), result.files)


def _warn_no_articles(config: BuildConfig) -> None:
    # A dump or files hold no article text; fetching it live would take days for a dump-sized build.
    log.warning(
        "no Wikipedia passages for source %r: it holds no article text (the sample and --source api "
        "have them); rows keep their template contexts",
        config.source,
    )


def _passages_v1(snapshot: Snapshot, config: BuildConfig) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    """``passages_v1``: what attaches passages to a batch of rows after validation (see
    kcdata.render.passages); the identity for other builds."""
    if not (config.wikipedia and config.passages == "passages_v1"):
        return lambda rows: rows
    from kcdata.render.passages import BatchPassages
    from kcdata.sources.wikipedia import article_finder

    find = article_finder(snapshot, config)
    if find is None:
        warned: list[bool] = []

        def warn(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            if rows and not warned:
                warned.append(True)
                _warn_no_articles(config)
            return rows
        return warn
    return BatchPassages(find)  # its count logged once, when the sink closes
