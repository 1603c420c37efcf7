"""``kcdata classify FILE...``: one JSON object per fact on stdout."""

from __future__ import annotations

import json

import click

from kcdata.cli import CONTEXT
from kcdata.cli.options import as_of_option


@click.command(context_settings=CONTEXT)
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@as_of_option
@click.option("--relations", multiple=True, metavar="PID[,PID...]", help="Only these relations.")
@click.option("--lang", default="en", show_default=True, help="Language of the labels printed.")
@click.option("--label-table", type=click.Path(dir_okay=False), default=None,
              help="JSONL(.gz) table of {id, lang, label} for referenced entities "
                   "(default: the embedded sample's table).")
@click.option("--all-relations", is_flag=True, help="Also facts of relations without templates (as static/temporal by qualifiers only).")
def classify(files, as_of, relations, lang, label_table, all_relations) -> None:
    """Classify the facts in entity JSON FILEs (dump lines, Special:EntityData, wbgetentities, or -).

    Prints one JSON object per fact: subject_id, relation, fact_type, rule, as_of, evidence and
    values (each with id or literal, label, start, end, rank, current). Facts that cannot be judged
    are printed with fact_type null and the reason.

    \b
    Examples:
      kcdata classify Q142.json --as-of 2020-01-01
      curl -s .../Special:EntityData/Q16.json | kcdata classify - --relations P6
    """
    import datetime as dt

    from kcdata.classify import classify as judge
    from kcdata.dates import parse_date
    from kcdata.errors import SkipItem
    from kcdata.facts import parse_entity, parse_entity_info, read_entities
    from kcdata.labels import LabelStore
    from kcdata.relations import RelationSpec, load_relations, resolve_relations
    from kcdata.render.rows import value_forms

    day = parse_date(as_of) if as_of else dt.date.today()
    specs = load_relations()
    rel: list[str] = []
    for r in relations:
        rel.extend(x.strip() for x in r.split(",") if x.strip())
    wanted = set(resolve_relations(rel or None, specs))
    entities = []
    for f in files:
        entities.extend(read_entities(f))
    store = LabelStore()
    for e in entities:
        store.add(parse_entity_info(e))
    from pathlib import Path

    from kcdata.resources import sample_dir
    from kcdata.sources.snapshot import load_label_table

    load_label_table(Path(label_table) if label_table else sample_dir() / "labels.jsonl.gz", store, {lang})
    for e in entities:
        for fact in parse_entity(e, "cli", None if all_relations and not rel else wanted):
            spec = specs.get(fact.relation) or RelationSpec(
                fact.relation, fact.relation, fact.relation, 0, "multi", False, "item", "", {})
            out = {"subject_id": fact.subject, "relation": fact.relation, "fact_id": fact.id,
                   "as_of": day.isoformat()}
            current: set[str] = set()
            try:
                c = judge(fact, spec, day)
                current = {s.id for s in c.current}
                out.update(fact_type=c.fact_type, rule=c.rule,
                           evidence=[{"property": p, "value": v} for p, v in c.evidence])
            except SkipItem as s:
                out.update(fact_type=None, rule=None, reason=s.reason, evidence=[])
            values = []
            for s in fact.statements:
                label, _ = value_forms(s.value, lang, store)
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
            click.echo(json.dumps(out, ensure_ascii=False))
