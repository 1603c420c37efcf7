"""``kcdata validate PATH``: list every error with row id and JSON path; exit 1 on failure."""

from __future__ import annotations

from pathlib import Path

import click

from kcdata.cli import command


@command()
@click.argument("path", type=click.Path())
@click.option("--max-errors", type=click.IntRange(min=1), default=200, show_default=True,
              help="Stop listing after this many.")
def validate(path, max_errors) -> None:
    """Validate a built dataset folder (parquet + manifest hashes) or a JSONL file of rows.

    \b
    Examples:
      kcdata validate kcdata-out
      kcdata validate rows.jsonl
    """
    from kcdata.errors import ValidationError
    from kcdata.validate import validate_path

    n, problems = validate_path(Path(path))
    for p in problems[:max_errors]:
        click.echo(str(p))
    if len(problems) > max_errors:
        click.echo(f"... and {len(problems) - max_errors} more")
    if problems:
        raise ValidationError(f"{len(problems)} problem(s) in {n} row(s) of {path}")
    if n == 0:
        raise ValidationError(f"{path} holds no rows: nothing to validate",
                              "pass a built folder, one of its parquet files, or a JSONL file of rows")
    click.echo(f"ok: {n} rows valid in {path}", err=True)
