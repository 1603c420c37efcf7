"""The publish commands: -h everywhere, usage errors, and dry-run output in-process."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kcdata.cli.publish import export, push_to_hub, rebuild, release


@pytest.mark.parametrize(
    ("command", "args", "needle"),
    [
        (push_to_hub, ["-h"], "--dry-run"),
        (release, ["-h"], "--from"),
        (rebuild, ["-h"], "RELEASE_DIR"),
        (export, ["-h"], "lm-eval"),
        (export, ["lm-eval", "-h"], "--context"),
    ],
)
def test_help(command, args: list[str], needle: str) -> None:
    result = CliRunner().invoke(command, args)
    assert result.exit_code == 0
    assert needle in result.output


def test_commands_are_registered_in_main_group() -> None:
    cli = pytest.importorskip("kcdata.cli")
    runner = CliRunner()
    for name in ("push-to-hub", "release", "rebuild", "export"):
        result = runner.invoke(cli.main, [name, "-h"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage:" in result.output


def test_dry_run_in_process(built: Path) -> None:
    result = CliRunner().invoke(push_to_hub, [str(built), "alice/kc", "--dry-run", "--revision", "dev"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "dry run: nothing is uploaded; would upload:"
    assert lines[1].startswith("  README.md\t")
    assert lines[-1].startswith("  6 files, ") and lines[-1].endswith("-> datasets/alice/kc@dev")


def test_bad_input_is_exit_1_or_2_without_traceback(tmp_path: Path) -> None:
    runner = CliRunner()
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(push_to_hub, [str(empty), "alice/kc", "--dry-run"])
    assert (
        result.exit_code == 1
        and "not a kcdata build folder" in result.output
        and "kcdata build" in result.output
    )
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert runner.invoke(push_to_hub, [str(tmp_path / "missing"), "alice/kc"]).exit_code == 2
    assert runner.invoke(push_to_hub, [str(empty)]).exit_code == 2
