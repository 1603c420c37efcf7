"""``kcdata classify FILE...``: one JSON object per fact on stdout."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kcdata.cli import command
from kcdata.cli.options import as_of_option, relations_option


@command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@as_of_option
@relations_option("Only these relations.")
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

    from kcdata.dates import parse_date
    from kcdata.pipeline import classify_files

    day = parse_date(as_of) if as_of else dt.date.today()
    for out in classify_files(files, day, relations, lang, Path(label_table) if label_table else None,
                              all_relations):
        click.echo(json.dumps(out, ensure_ascii=False))
