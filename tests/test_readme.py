"""The README's set-up commands are the ones CI runs, and every command is documented."""

from __future__ import annotations

import re
from pathlib import Path

from kcdata.cli import COMMANDS

ROOT = Path(__file__).resolve().parent.parent


def _bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def test_first_two_commands_and_ci():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = _bash_blocks(readme)
    build_cmd, test_cmd = blocks[0].strip(), blocks[1].strip()
    assert "kcdata build" in build_cmd and "pip install" in build_cmd
    assert "pytest" in test_cmd
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_cmd in ci.splitlines()


def test_every_command_in_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in COMMANDS:
        assert f"kcdata {name}" in readme, name
