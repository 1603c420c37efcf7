"""Option decorators and the one comma-list callback shared by commands."""

from __future__ import annotations

import click

from kcdata.config import DEFAULT_LANGUAGES


def comma_list(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...] | None:
    """A repeatable option that also takes comma-separated values: ``--x a,b --x c`` gives
    ``("a", "b", "c")``; nothing given gives ``None`` (so a config file's value stays)."""
    out = tuple(x.strip() for v in value or () for x in v.split(",") if x.strip())
    if value and not out:  # `--langs ""` is a mistake, not "all of them"
        raise click.BadParameter("is empty; leave the option out for the default", ctx=ctx, param=param)
    return out or None


def languages_option(help: str = f"Languages to render (default: {','.join(DEFAULT_LANGUAGES)})."):
    """``--langs en,de`` (repeatable or comma-separated)."""
    return click.option("--langs", "languages", multiple=True, callback=comma_list, metavar="LANG[,LANG...]",
                        help=help)


def relations_option(help: str):
    """``--relations P6,P36`` (repeatable or comma-separated)."""
    return click.option("--relations", multiple=True, callback=comma_list, metavar="PID[,PID...]", help=help)


def as_of_option(f=None, *, default_help: str = "the snapshot date"):
    """``--as-of YYYY-MM-DD`` (``@as_of_option`` or ``@as_of_option(default_help=...)``)."""
    def decorate(g):
        return click.option(
            "--as-of", metavar="YYYY-MM-DD", default=None,
            help=f"Judge facts as of this date (default: {default_help}).",
        )(g)
    return decorate(f) if f is not None else decorate
