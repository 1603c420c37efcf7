"""The ``kcdata`` command: a thin Click layer, one module per command, loaded lazily.

Exit codes: 0 ok, 1 a KcdataError (message and hint on stderr, no traceback), 2 usage error.
Every command is made with :func:`command` (or :func:`group`), whose :class:`KcdataCommand` is the
one place library errors become messages.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from kcdata import __version__
from kcdata.errors import KcdataError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# command name -> "module:attribute"; modules are imported only when the command runs.
COMMANDS = {
    "build": "kcdata.cli.build:build",
    "classify": "kcdata.cli.classify:classify",
    "validate": "kcdata.cli.validate:validate",
    "audit": "kcdata.cli.audit:audit",
    "score": "kcdata.cli.score:score",
    "push-to-hub": "kcdata.cli.publish:push_to_hub",
    "release": "kcdata.cli.publish:release",
    "rebuild": "kcdata.cli.publish:rebuild",
    "export": "kcdata.cli.publish:export",
}

SHORT_HELP = {
    "build": "Build a knowledge-conflict dataset (default: the embedded sample, offline).",
    "classify": "Classify the facts of entity JSON files as static / temporal / disputable.",
    "validate": "Validate a built dataset folder or a JSONL file of rows.",
    "audit": "Quality checks of a built dataset (exit 1 when one that must be zero is not).",
    "score": "Score a transformers causal LM on a built dataset.",
    "push-to-hub": "Publish a built dataset to the Hugging Face Hub.",
    "release": "Record a build as a versioned release under releases/.",
    "rebuild": "Rebuild a recorded release and check its hashes.",
    "export": "Export a dataset for other evaluation harnesses.",
}


class CommandError(click.ClickException):
    """A :class:`~kcdata.errors.KcdataError` shown as ``Error: message`` plus its hint, no traceback."""

    def __init__(self, error: KcdataError) -> None:
        super().__init__(str(error))
        self.exit_code = error.exit_code


class KcdataCommand(click.Command):
    """A command whose library errors become clean messages with their exit code: the one error
    handler of the CLI (it also holds when a command is invoked on its own, as tests do)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KcdataError as e:
            raise CommandError(e) from None


class KcdataGroup(click.Group):
    """A group whose subcommands are :class:`KcdataCommand` s."""

    command_class = KcdataCommand


def command(name: str | None = None, **kwargs):
    """``click.command`` with kcdata's error handling and context settings (``-h``)."""
    return click.command(name, cls=KcdataCommand, context_settings=CONTEXT, **kwargs)


def group(name: str | None = None, **kwargs):
    """``click.group`` with kcdata's error handling and context settings (``-h``)."""
    return click.group(name, cls=KcdataGroup, context_settings=CONTEXT, **kwargs)


class LazyGroup(click.Group):
    """A group whose subcommands are imported on use, so ``kcdata --help`` starts fast."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as e:
            return _unavailable(cmd_name, e)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, SHORT_HELP[name]) for name in COMMANDS])


def _unavailable(name: str, error: Exception) -> click.Command:
    @click.command(name, context_settings=CONTEXT, help=SHORT_HELP.get(name, ""))
    def cmd() -> None:
        raise click.ClickException(
            f"'kcdata {name}' is not available: {error}. Install the extra it needs, e.g. "
            f"pip install 'kcdata[score]'"
        )

    return cmd


@click.group(cls=LazyGroup, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="kcdata")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
def main(verbose: int) -> None:
    """Build, validate, publish and score knowledge-conflict benchmarks from Wikidata and Wikipedia.

    \b
    Examples:
      kcdata build --out out/sample          # the embedded real sample, offline
      kcdata validate out/sample
      kcdata classify entity.json
      kcdata score --model HuggingFaceTB/SmolLM2-135M-Instruct --data out/sample
    """
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=max(level, logging.DEBUG), stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
