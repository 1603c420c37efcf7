"""Every committed release record of this kcdata version rebuilds from the bundled sample with
identical files; a record of another version says which version rebuilds it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kcdata import __version__
from kcdata.cli import main
from kcdata.publish.parquet import environment

RELEASES = sorted(p.parent for p in (Path(__file__).resolve().parents[1] / "releases").glob("*/*/manifest.json"))


@pytest.mark.parametrize("release", RELEASES, ids=[f"{p.parent.name}/{p.name}" for p in RELEASES])
def test_committed_release_rebuilds(release, tmp_path):
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    out = tmp_path / "rebuilt"
    res = CliRunner().invoke(main, ["rebuild", str(release), "--out", str(out)], prog_name="kcdata")
    if manifest.get("tool_version") != __version__:
        # A record is rebuilt by the kcdata version that made it; another one says so.
        assert res.exit_code == 1, res.output
        assert f"made by kcdata {manifest['tool_version']}" in res.output
        assert f"pip install 'kcdata=={manifest['tool_version']}'" in res.output
    elif manifest.get("environment") == environment():
        assert res.exit_code == 0, res.output
        assert f"identical: {len(manifest['files'])} files match" in res.output
    else:
        # Another parquet writer gives other bytes; the rows themselves must still be the same.
        assert res.exit_code == 1 and "parquet bytes depend on the writer version" in res.output
        rebuilt = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert rebuilt["counts"] == manifest["counts"] and rebuilt["drops"] == manifest["drops"]


def test_a_record_of_this_version_exists():
    """The rebuild check above is not vacuous: this kcdata version has a committed record."""
    versions = {json.loads((r / "manifest.json").read_text(encoding="utf-8")).get("tool_version") for r in RELEASES}
    assert __version__ in versions
