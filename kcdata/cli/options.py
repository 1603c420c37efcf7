"""Option decorators shared by commands."""

from __future__ import annotations

import click

from kcdata.config import DEFAULT_LANGUAGES


def _split_langs(ctx, param, value):
    if not value:
        return None
    out: list[str] = []
    for v in value:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return tuple(out)


def languages_option(f):
    """``--langs en,de`` (repeatable or comma-separated)."""
    return click.option(
        "--langs", "languages", multiple=True, callback=_split_langs, metavar="LANG[,LANG...]",
        help=f"Languages to render (default: {','.join(DEFAULT_LANGUAGES)}).",
    )(f)


def as_of_option(f):
    """``--as-of YYYY-MM-DD``."""
    return click.option(
        "--as-of", metavar="YYYY-MM-DD", default=None,
        help="Judge facts as of this date (default: the snapshot date).",
    )(f)
