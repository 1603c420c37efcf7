"""``kcdata audit DIR``: the quality checks of a built dataset; exit 1 when one that must be zero is not."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kcdata.cli import command


@command()
@click.argument("path", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.option("--nli-model", type=click.Path(), default=None,
              help="Local 3-way NLI model folder: also check that each counter context entails its counter "
                   "answer and not the original one (needs the score extra).")
def audit(path, as_json, nli_model) -> None:
    """Audit a built dataset folder (or a JSONL file of rows): counter contexts naming an original
    answer, overlapping answer lists, counter contexts keeping the original's date, unsafe aliases,
    Wikipedia replacements inside longer names, duplicate questions; rows per kind x language x
    relation. The table goes to stderr.

    \b
    Examples:
      kcdata audit kcdata-out
      kcdata audit kcdata-out --json > audit.json
      kcdata audit kcdata-out --nli-model ./my-nli-model
    """
    from kcdata.errors import ValidationError
    from kcdata.validate.audit import audit_path

    report = audit_path(Path(path), nli_model)
    if report.rows == 0:
        raise ValidationError(f"{path} holds no rows: nothing to audit",
                              "pass a built folder, one of its parquet files, or a JSONL file of rows")
    click.echo(report.table(), err=True)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2, sort_keys=True))
    if not report.ok:
        failed = ", ".join(f"{c.name}={c.count}" for c in report.checks if c.failed)
        raise ValidationError(f"audit of {path} failed: {failed}")
