"""push-to-hub, release and export lm-eval refuse what would publish a broken or polluted dataset:
files the manifest lists but the push leaves out, repo ids and git refs the Hub would misread, a
local --repo-id folder without the data, built files edited since the build, and outputs written
into a build folder. Each refusal is one ``Error:`` line with a hint, exit 1, nothing written.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hubserver import HubServer
from publish_helpers import TOKEN, USER, assert_no_token, client_env, run_cli

from kcdata.cli import main
from kcdata.publish.export import ExportError, export_lm_eval
from kcdata.publish.hub import PublishError, plan_push, ref_problem
from kcdata.publish.release import ReleaseError, write_release

REPO = "alice/kc-sample"


def run(*args: object):
    res = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True, prog_name="kcdata")
    assert "Traceback" not in res.output, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    return res


def error_line(res) -> str:
    """The ``Error:`` line, checked to be followed only by its hint."""
    lines = res.output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Error: "))
    assert all(line.startswith("  hint: ") for line in lines[at + 1:]), res.output
    assert len(lines) > at + 1, "no hint"
    return lines[at]


def _files(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def ds(tmp_path: Path, sample_build: Path) -> Path:
    """A private copy of the default build (it has croissant.json)."""
    return Path(shutil.copytree(sample_build, tmp_path / "out" / "s"))


# ------------------------------------------------------------------ 1. every listed file is pushed


def test_dry_run_lists_every_file_of_the_manifest(ds: Path) -> None:
    listed = set(json.loads((ds / "manifest.json").read_text(encoding="utf-8"))["files"])
    assert "croissant.json" in listed
    plan = plan_push(ds, REPO)
    assert {i.path_in_repo for i in plan.items} == listed | {"manifest.json"}
    croissant = next(i for i in plan.items if i.path_in_repo == "croissant.json")
    assert croissant.sha256 == hashlib.sha256((ds / "croissant.json").read_bytes()).hexdigest()
    assert not croissant.lfs
    res = run("push-to-hub", ds, REPO, "--dry-run")
    assert res.exit_code == 0, res.output
    assert any(line.strip().startswith("croissant.json\t") for line in res.output.splitlines()), res.output
    assert f"{len(listed) + 1} files" in res.output


def test_push_uploads_croissant_byte_identical(ds: Path, tmp_path: Path) -> None:
    listed = json.loads((ds / "manifest.json").read_text(encoding="utf-8"))["files"]
    with HubServer(tokens={TOKEN: USER}) as hub:
        proc = run_cli("push_to_hub", [str(ds), REPO], client_env(hub.endpoint, tmp_path))
        assert proc.returncode == 0, proc.stderr[-4000:]
        assert_no_token(proc.stdout, proc.stderr)
        assert f"pushed {len(listed) + 1} files to datasets/{REPO}@main" in proc.stdout
        repo = hub.repo(REPO)
        tree = repo.commits[repo.branches["main"]].tree
        assert hub.file_bytes(REPO, "croissant.json") == (ds / "croissant.json").read_bytes()
        for rel, digest in listed.items():  # a Hub copy passes `kcdata validate`'s hash check
            assert rel in tree, rel
            assert hashlib.sha256(hub.file_bytes(REPO, rel)).hexdigest() == digest, rel


# ------------------------------------------------------------------ 2. repo ids, tags, revisions


@pytest.mark.parametrize("repo_id", ["../etc", "u/..", "alice/-x", "a b/c", "alice/x--y", "a/b/c", "/etc"])
def test_push_refuses_a_repo_id_that_is_not_namespace_name(built: Path, repo_id: str) -> None:
    res = run("push-to-hub", built, repo_id, "--dry-run")
    assert res.exit_code == 1
    line = error_line(res)
    assert f"invalid repo id {repo_id!r}" in line and "NAMESPACE" in line, res.output
    assert "->" not in res.output and "would upload" not in res.output


BAD_TAGS = {
    "not a version": "' '",
    "a..b": "'..'",
    "-v1": "starts with '-'",
    "v1.lock": ".lock",
    "v1\x07": "'\\x07'",
    "v~1": "'~'", "v^1": "'^'", "v:1": "':'", "v?1": "'?'", "v*1": "'*'", "v[1": "'['", "v\\1": "'\\\\'",
    "v1.": "ends with",
    "": "it is empty",
}


@pytest.mark.parametrize("tag", sorted(BAD_TAGS))
def test_push_refuses_a_tag_that_is_not_a_git_tag_name(built: Path, tag: str) -> None:
    res = run("push-to-hub", built, REPO, f"--tag={tag}", "--dry-run")
    assert res.exit_code == 1
    line = error_line(res)
    assert f"--tag {tag!r} is not a valid git tag name" in line and BAD_TAGS[tag] in line, line
    with pytest.raises(PublishError, match="not a valid git tag name"):
        plan_push(built, REPO, tag=tag)


@pytest.mark.parametrize("tag", ["v1", "2024.06", "v1.0.0", "release/2024-06", "v1_rc1"])
def test_push_accepts_ordinary_tags(built: Path, tag: str) -> None:
    assert ref_problem(tag) is None
    res = run("push-to-hub", built, REPO, "--tag", tag, "--dry-run")
    assert res.exit_code == 0 and f"-> datasets/{REPO}@main, tag {tag}" in res.output, res.output


@pytest.mark.parametrize("revision", ["", " ", "a..b", "main branch"])
def test_push_refuses_an_empty_or_invalid_revision(built: Path, revision: str) -> None:
    res = run("push-to-hub", built, REPO, "--revision", revision, "--dry-run")
    assert res.exit_code == 1
    assert f"--revision {revision!r} is not a valid git branch name" in error_line(res)
    assert f"{REPO}@" not in res.output


# ------------------------------------------------------------------ 3. a local --repo-id folder


def test_export_refuses_an_empty_local_repo_folder(built: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    res = run("export", "lm-eval", built, "--repo-id", empty, "--out", tmp_path / "tasks")
    assert res.exit_code == 1
    line = error_line(res)
    assert "holds no dataset for configs static, temporal, disputable" in line and str(empty) in line, line
    assert not (tmp_path / "tasks").exists()


def test_export_names_the_config_a_local_repo_folder_lacks(built: Path, tmp_path: Path) -> None:
    partial = Path(shutil.copytree(built, tmp_path / "partial"))
    shutil.rmtree(partial / "temporal")
    with pytest.raises(ExportError, match=r"holds no dataset for config temporal \(no temporal/\*\.parquet\)"):
        export_lm_eval(built, tmp_path / "tasks", repo_id=str(partial))
    assert not (tmp_path / "tasks").exists()
    export_lm_eval(built, tmp_path / "tasks", repo_id=str(built))  # a whole built folder works
    assert (tmp_path / "tasks" / "kcdata_kc_test_static.yaml").is_file()


@pytest.mark.parametrize("revision", ["", "  "])
def test_export_refuses_an_empty_revision(built: Path, tmp_path: Path, revision: str) -> None:
    res = run("export", "lm-eval", built, "--repo-id", "alice/kc-test", "--revision", revision,
              "--out", tmp_path / "tasks")
    assert res.exit_code == 1 and f"--revision {revision!r} is not a valid Hub revision" in error_line(res)
    assert not (tmp_path / "tasks").exists()


# ------------------------------------------------------------------ 4. files edited since the build


def test_export_refuses_a_card_edited_since_the_build(built: Path, tmp_path: Path) -> None:
    card = built / "README.md"
    card.write_text(card.read_text(encoding="utf-8") + "\nEdited by hand.\n", encoding="utf-8")
    res = run("export", "lm-eval", built, "--repo-id", "alice/kc-test", "--out", tmp_path / "tasks")
    assert res.exit_code == 1
    assert "README.md changed since the build (sha256 differs from the manifest)" in error_line(res)
    assert "rebuild" in res.output
    assert not (tmp_path / "tasks").exists()


def test_export_refuses_a_parquet_edited_or_missing_since_the_build(built: Path, tmp_path: Path) -> None:
    part = built / "static" / "test-00000-of-00001.parquet"
    pq.write_table(pq.read_table(part).slice(0, 1), part)
    with pytest.raises(ExportError, match="static/test-00000-of-00001.parquet changed since the build"):
        export_lm_eval(built, tmp_path / "tasks", repo_id="alice/kc-test")
    (built / "rejects.jsonl").unlink()
    part.unlink()
    res = run("export", "lm-eval", built, "--repo-id", "alice/kc-test", "--out", tmp_path / "tasks")
    assert res.exit_code == 1 and "is listed in the manifest but missing" in error_line(res)
    assert not (tmp_path / "tasks").exists()


# ------------------------------------------------------------------ 5. outputs inside the build


@pytest.mark.parametrize("sub", [".", "static", "static/deeper", "../kc-test/static"])
def test_release_refuses_a_releases_dir_inside_the_build(built: Path, sub: str) -> None:
    before = _files(built)
    releases = built / sub
    res = run("release", "kc-test", "1.0", "--from", built, "--releases-dir", releases)
    assert res.exit_code == 1
    assert (f"--releases-dir {releases} is inside the build folder {built}; choose a folder outside it"
            in error_line(res)), res.output
    assert _files(built) == before and not (built / "kc-test").exists()
    with pytest.raises(ReleaseError, match="is inside the build folder"):
        write_release(built, "kc-test", "1.0", releases)


def test_release_beside_the_build_still_works_and_can_be_overwritten(built: Path) -> None:
    releases = built.parent / "releases"
    assert run("release", "kc-test", "1.0", "--from", built, "--releases-dir", releases).exit_code == 0
    res = run("release", "kc-test", "1.0", "--from", built, "--releases-dir", releases, "--overwrite")
    assert res.exit_code == 0 and (releases / "kc-test" / "1.0" / "config.yaml").is_file(), res.output


@pytest.mark.parametrize("sub", [".", "tasks", "static/tasks"])
def test_export_refuses_an_out_folder_inside_the_build(built: Path, sub: str) -> None:
    before = _files(built)
    out = built / sub
    res = run("export", "lm-eval", built, "--repo-id", "alice/kc-test", "--out", out)
    assert res.exit_code == 1
    assert f"--out {out} is inside the build folder {built}; choose a folder outside it" in error_line(res)
    assert _files(built) == before and not (built / "tasks").exists()


def test_export_refuses_an_out_folder_inside_another_build(built: Path, ds: Path, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=f"is inside the build folder {ds}"):
        export_lm_eval(built, ds / "tasks", repo_id="alice/kc-test")
    assert not (ds / "tasks").exists()
    assert export_lm_eval(built, tmp_path / "tasks", repo_id="alice/kc-test")  # outside: fine
