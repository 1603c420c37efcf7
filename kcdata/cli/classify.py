"""``kcdata classify FILE...``: one JSON object per fact on stdout."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kcdata.cli import command
from kcdata.cli.options import as_of_option, relations_option


@command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@as_of_option(default_help="today")
@relations_option("Only these relations.")
@click.option("--lang", default="en", show_default=True, help="Language of the labels printed.")
@click.option("--label-table", type=click.Path(dir_okay=False), default=None,
              help="JSONL(.gz) table of {id, lang, label} for referenced entities "
                   "(default: the embedded sample's table).")
@click.option("--all-relations", is_flag=True, help="Also facts of relations without templates (as static/temporal by qualifiers only).")
@click.option("--strict", is_flag=True, default=False,
              help="Stop at the first malformed line, entity or statement (default: skip it with a warning).")
def classify(files, as_of, relations, lang, label_table, all_relations, strict) -> None:
    """Classify the facts in entity JSON FILEs (dump lines, Special:EntityData, wbgetentities, or -).

    Prints one JSON object per fact: subject_id, relation, fact_type, rule, as_of, evidence and
    values (each with id or literal, label, start, end, rank, current). Facts that cannot be judged
    are printed with fact_type null and the reason.

    A malformed line, entity or statement is skipped with a warning on stderr naming its file
    and line, and the others are classified; the exit status is then 1. With --strict the first
    one stops the command instead.

    \b
    Examples:
      kcdata classify Q142.json --as-of 2020-01-01
      curl -s .../Special:EntityData/Q16.json | kcdata classify - --relations P6
    """
    import datetime as dt

    from kcdata.dates import parse_date
    from kcdata.errors import InputError
    from kcdata.facts.checks import Quarantine
    from kcdata.pipeline import classify_files

    day = parse_date(as_of) if as_of else dt.date.today()
    if day > dt.date.today():
        raise InputError(f"--as-of {day.isoformat()} is in the future: the data only says what held up to today",
                         "pass today or an earlier date (or leave --as-of out for today)")
    shown = [0]

    def warn(message: str) -> None:
        shown[0] += 1
        if shown[0] <= MAX_WARNINGS:
            click.echo(f"warning: {message}", err=True)

    quarantine = Quarantine(strict=strict, warn=warn)
    printed = 0
    for out in classify_files(files, day, relations, lang, Path(label_table) if label_table else None,
                              all_relations, quarantine=quarantine):
        click.echo(json.dumps(out, ensure_ascii=False))
        printed += 1
    if not printed and not quarantine.errors:
        which = ", ".join(relations) if relations else "the relations with templates (--all-relations for every one)"
        click.echo(f"note: no facts of {which} in {', '.join(files)}", err=True)
    if shown[0] > MAX_WARNINGS:
        click.echo(f"warning: ... and {shown[0] - MAX_WARNINGS} more", err=True)
    if quarantine.errors:
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(quarantine.counts.items()))
        rest = "the other facts are printed above" if printed else "no other fact was found"
        raise InputError(f"skipped {quarantine.errors} malformed line(s), entities or statements ({reasons}); "
                         f"{rest}",
                         "fix or drop them, or pass --strict to stop at the first")


MAX_WARNINGS = 50
"""Warnings shown one by one; the rest are counted."""
