"""Release records and rebuilds, including the round trip through the real build pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hubserver import HubServer
from publish_helpers import client_env, run_cli, run_python

from kcdata.cli.publish import rebuild as rebuild_cmd
from kcdata.cli.publish import release as release_cmd
from kcdata.fileio import write_atomic
from kcdata.pipeline import rebuild
from kcdata.publish.release import (
    ReleaseError,
    compare,
    is_published,
    mark_published,
    write_release,
)


def test_write_release_records_config_manifest_and_card(built: Path, tmp_path: Path) -> None:
    releases = tmp_path / "releases"
    target = write_release(built, "kc-test", "2024.06", releases)
    assert target == releases / "kc-test" / "2024.06"
    assert sorted(p.name for p in target.iterdir()) == ["README.md", "config.yaml", "manifest.json"]
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    assert json.loads((target / "manifest.json").read_text(encoding="utf-8")) == manifest
    assert (target / "README.md").read_bytes() == (built / "README.md").read_bytes()
    config = yaml.safe_load((target / "config.yaml").read_text(encoding="utf-8"))
    assert config == manifest["created_from"]
    assert not is_published(target)
    # no stray temporary folders next to the record
    assert [p.name for p in (releases / "kc-test").iterdir()] == ["2024.06"]


def test_release_refuses_overwrite_and_never_replaces_a_published_one(built: Path, tmp_path: Path) -> None:
    releases = tmp_path / "releases"
    target = write_release(built, "kc-test", "v1", releases)
    with pytest.raises(ReleaseError, match="already exists"):
        write_release(built, "kc-test", "v1", releases)
    write_release(built, "kc-test", "v1", releases, overwrite=True)
    mark_published(target, {"repo_id": "alice/kc", "revision": "main", "commit": "a" * 40})
    assert is_published(target)
    with pytest.raises(ReleaseError, match="immutable"):
        write_release(built, "kc-test", "v1", releases, overwrite=True)
    for bad in ("../x", "v 1", ""):
        with pytest.raises(ReleaseError, match="invalid release"):
            write_release(built, "kc-test", bad, releases)


def test_write_atomic_replaces_without_leftovers(tmp_path: Path) -> None:
    path = tmp_path / "a" / "file.json"
    write_atomic(path, b"one")
    write_atomic(path, b"two")
    assert path.read_bytes() == b"two"
    assert [p.name for p in path.parent.iterdir()] == ["file.json"]


def test_release_cli(built: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        release_cmd, ["kc-test", "v2", "--from", str(built), "--releases-dir", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and (tmp_path / "r" / "kc-test" / "v2" / "config.yaml").is_file()
    again = runner.invoke(
        release_cmd, ["kc-test", "v2", "--from", str(built), "--releases-dir", str(tmp_path / "r")]
    )
    assert again.exit_code == 1 and "already exists" in again.output and "hint:" in again.output
    missing = runner.invoke(release_cmd, ["kc-test", "v3", "--releases-dir", str(tmp_path / "r")])
    assert missing.exit_code == 2  # --from is required: a usage error


def test_compare_reports_mismatched_missing_and_extra_files(built: Path, tmp_path: Path) -> None:
    import shutil

    target = write_release(built, "kc-test", "v1", tmp_path / "releases")
    out = tmp_path / "rebuilt"
    shutil.copytree(built, out)
    (out / "rejects.jsonl").write_text("different\n")
    (out / "static" / "test-00000-of-00001.parquet").unlink()
    produced = {**json.loads((built / "manifest.json").read_text(encoding="utf-8"))["files"], "extra.bin": "0" * 64}
    report = compare(target, out, produced)
    assert not report.ok
    assert set(report.mismatched) == {"rejects.jsonl"}
    assert report.missing == ("static/test-00000-of-00001.parquet",)
    assert "README.md" in report.matched and report.extra == ("extra.bin",)
    assert compare(target, built, json.loads((built / "manifest.json").read_text())["files"]).ok


def test_rebuild_cli_reports_a_record_that_does_not_match(tmp_path: Path) -> None:
    """A real rebuild against a record whose rejects hash was altered: MISMATCH, exit 1, a hint."""
    from kcdata.config import BuildConfig
    from kcdata.pipeline import run_build

    out = tmp_path / "out" / "kc-sample"
    run_build(BuildConfig(name="kc-sample", relations=("P36",), wikipedia=False), out)
    target = write_release(out, "kc-sample", "v1", tmp_path / "releases")
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["rejects.jsonl"] = "0" * 64
    (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = CliRunner().invoke(rebuild_cmd, [str(target), "--out", str(tmp_path / "rebuilt")])
    assert result.exit_code == 1
    assert "MISMATCH  rejects.jsonl  recorded 000000000000" in result.output
    assert "ok        README.md" in result.output
    assert "differs from the record" in result.output and "hint:" in result.output


@pytest.mark.real_pipeline
def test_release_rebuild_round_trip_with_real_pipeline(tmp_path: Path) -> None:
    """build -> release -> rebuild (offline, bundled sample) gives identical hashes."""
    from kcdata.config import BuildConfig
    from kcdata.pipeline import run_build

    out = tmp_path / "out" / "kc-sample"
    result = run_build(BuildConfig(name="kc-sample", seed=7), out)
    target = write_release(out, "kc-sample", "1.0.0", tmp_path / "releases")
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"] == result.files and manifest["seed"] == 7
    assert {"README.md", "rejects.jsonl", "static/test-00000-of-00001.parquet"} <= set(manifest["files"])

    report = rebuild(target, tmp_path / "rebuilt")
    assert report.ok, (report.mismatched, report.missing, report.extra)
    assert set(report.matched) == set(manifest["files"])

    cli = CliRunner().invoke(rebuild_cmd, [str(target), "--out", str(tmp_path / "rebuilt-cli")])
    assert cli.exit_code == 0, cli.output
    assert f"identical: {len(manifest['files'])} files match" in cli.output


@pytest.mark.real_pipeline
def test_build_push_load_release_end_to_end(tmp_path: Path) -> None:
    """On a fresh machine: build -> release -> push-to-hub --tag -> load_dataset every row back."""
    import pyarrow.parquet as pq
    from publish_helpers import TOKEN, USER, assert_no_token, assert_no_token_in_files

    from kcdata.config import BuildConfig
    from kcdata.pipeline import run_build

    out = tmp_path / "out" / "kc-sample"
    run_build(BuildConfig(name="kc-sample"), out)
    written = tuple(c for c in ("static", "temporal", "disputable") if (out / c).is_dir())
    assert len(written) >= 2
    releases = tmp_path / "releases"
    record = write_release(out, "kc-sample", "2025.12", releases)
    with HubServer(tokens={TOKEN: USER}) as hub:
        env = client_env(hub.endpoint, tmp_path)
        push = run_cli(
            "push_to_hub",
            [str(out), f"{USER}/kc-sample", "--tag", "2025.12", "--releases-dir", str(releases)],
            env,
        )
        assert push.returncode == 0, push.stderr[-3000:]
        assert is_published(record)
        code = (
            "import json, datasets\n"
            "out = {c: datasets.load_dataset('alice/kc-sample', c, split='test', revision='2025.12').to_list()"
            f" for c in {written!r}}}\n"
            "print('ROWS=' + json.dumps(out, ensure_ascii=False))\n"
        )
        loaded = run_python(code, client_env(hub.endpoint, tmp_path / "reader", token=None))
        assert loaded.returncode == 0, loaded.stderr[-3000:]
        rows = json.loads(next(x for x in loaded.stdout.splitlines() if x.startswith("ROWS="))[5:])
        for config in written:
            assert rows[config] == pq.read_table(out / config / "test-00000-of-00001.parquet").to_pylist()
        assert sum(len(v) for v in rows.values()) > 0
        assert_no_token(push.stdout, push.stderr)
        assert_no_token_in_files(out, releases)


def test_atomic_writes_leave_nothing_on_failure_and_keep_modes(tmp_path: Path) -> None:
    import os
    import stat

    from kcdata.fileio import atomic_path, sha256_file

    target = tmp_path / "sub" / "file.bin"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("interrupted")
    assert not target.exists() and list(target.parent.iterdir()) == []
    write_atomic(target, b"data")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644
    private = tmp_path / "cache.bin"
    write_atomic(private, b"x", mode=None)
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    import hashlib

    assert sha256_file(target) == hashlib.sha256(b"data").hexdigest()
