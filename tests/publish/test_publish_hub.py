"""push-to-hub against the loopback Hub, with the real huggingface_hub and datasets clients.

Every client runs in a subprocess (``HF_ENDPOINT`` is read at import). Debug logging is on in
those subprocesses, and each test checks that the token appears in no output and no file.
"""

from __future__ import annotations

import json
import socket
import urllib.request
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hubserver import HubServer
from publish_helpers import (
    OTHER_TOKEN,
    TOKEN,
    assert_no_token,
    assert_no_token_in_files,
    client_env,
    run_cli,
    run_python,
)

from kcdata.publish.hub import PublishError, plan_push
from kcdata.publish.release import is_published, write_release

REPO = "alice/kc-test"
CONFIGS = ("static", "temporal", "disputable")

LOAD_ALL = """
import json, datasets
out = {{}}
for config in ("static", "temporal", "disputable"):
    ds = datasets.load_dataset({repo!r}, config, split="test", revision={revision!r})
    out[config] = ds.to_list()
print("ROWS=" + json.dumps(out, ensure_ascii=False, sort_keys=True))
"""


def load_all(env: dict[str, str], repo: str = REPO, revision: str | None = None):
    """load_dataset every config from the loopback Hub, in a subprocess."""
    return run_python(LOAD_ALL.format(repo=repo, revision=revision), env)


def _local_rows(folder: Path) -> dict[str, list[dict]]:
    return {c: pq.read_table(folder / c / "test-00000-of-00001.parquet").to_pylist() for c in CONFIGS}


def _loaded_rows(proc) -> dict[str, list[dict]]:
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = next(line for line in proc.stdout.splitlines() if line.startswith("ROWS="))
    return json.loads(line[len("ROWS=") :])


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def test_push_then_load_every_config(built: Path, hub: HubServer, tmp_path: Path) -> None:
    releases = tmp_path / "releases"
    record = write_release(built, "kc-test", "v1", releases)
    env = client_env(hub.endpoint, tmp_path)
    proc = run_cli("push_to_hub", [str(built), REPO, "--tag", "v1", "--releases-dir", str(releases)], env)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert f"pushed 6 files to datasets/{REPO}@main" in proc.stdout
    assert "tagged v1" in proc.stdout

    # What the client was seen to call, in the Hub's protocol.
    for method, pattern in [
        ("POST", r"^/api/repos/create$"),
        ("POST", r"^/api/validate-yaml$"),
        ("POST", rf"^/api/datasets/{REPO}/preupload/main$"),
        ("POST", rf"^/datasets/{REPO}\.git/info/lfs/objects/batch$"),
        ("PUT", r"^/lfs-storage/[0-9a-f]{64}$"),
        ("POST", rf"^/api/datasets/{REPO}/commit/main$"),
        ("POST", rf"^/api/datasets/{REPO}/tag/[0-9a-f]{{40}}$"),
    ]:
        assert hub.called(method, pattern), (method, pattern, hub.state.requests)

    # One commit on top of the Hub's initial commit, parquet through LFS, tag on it.
    repo = hub.repo(REPO)
    head = repo.commits[repo.branches["main"]]
    assert len(head.parents) == 1 and repo.commits[head.parents[0]].title == "initial commit"
    assert repo.tags["v1"] == head.oid
    for config in CONFIGS:
        entry = head.tree[f"{config}/test-00000-of-00001.parquet"]
        assert entry.lfs_oid is not None
        assert hub.file_bytes(REPO, entry.path) == (built / entry.path).read_bytes()
    assert head.tree["README.md"].lfs_oid is None
    assert hub.file_bytes(REPO, "README.md") == (built / "README.md").read_bytes()
    assert hub.file_bytes(REPO, "rejects.jsonl") == (built / "rejects.jsonl").read_bytes()
    uploaded_manifest = json.loads(hub.file_bytes(REPO, "manifest.json"))
    assert uploaded_manifest["hub"] == {"repo_id": REPO, "revision": "main", "commit": None}
    assert uploaded_manifest["files"] == _manifest(built)["files"]

    # The publication is recorded locally and in the release record, with the Hub commit.
    assert _manifest(built)["hub"] == {"repo_id": REPO, "revision": "main", "commit": head.oid}
    assert is_published(record)
    assert _manifest(record)["hub"]["commit"] == head.oid
    assert head.oid in proc.stdout

    # load_dataset gives back every row of every config, from main and from the tag.
    expected = _local_rows(built)
    hub.state.requests.clear()
    hub.state.tree_page_size = 2  # exercise the Link-header pagination of the tree listing
    assert _loaded_rows(load_all(env)) == expected
    assert hub.called("GET", rf"^/datasets/{REPO}/resolve/[0-9a-f]{{40}}/README.md$") or hub.called(
        "HEAD", rf"^/datasets/{REPO}/resolve/main/README.md$"
    )
    assert hub.called("GET", rf"^/api/datasets/{REPO}/tree/")
    assert hub.called("GET", r"^/cdn-lfs/[0-9a-f]{64}$")
    assert _loaded_rows(load_all(client_env(hub.endpoint, tmp_path / "fresh"), revision="v1")) == expected

    assert_no_token(proc.stdout, proc.stderr)
    assert_no_token_in_files(built, releases)
    for body in hub.state.bodies:
        assert TOKEN.encode() not in body


def test_dry_run_uploads_nothing_and_needs_no_token(built: Path, hub: HubServer, tmp_path: Path) -> None:
    before = (built / "manifest.json").read_bytes()
    proc = run_cli(
        "push_to_hub",
        [str(built), REPO, "--dry-run", "--tag", "v1"],
        client_env(hub.endpoint, tmp_path, token=None),
    )
    assert proc.returncode == 0, proc.stderr
    assert "dry run" in proc.stdout
    for path in (
        "README.md",
        "manifest.json",
        "rejects.jsonl",
        *(f"{c}/test-00000-of-00001.parquet" for c in CONFIGS),
    ):
        assert path in proc.stdout
    assert "lfs" in proc.stdout and f"datasets/{REPO}@main, tag v1" in proc.stdout
    assert hub.state.requests == []
    assert (built / "manifest.json").read_bytes() == before


def test_wrong_token_is_a_clear_error_and_records_nothing(
    built: Path, hub: HubServer, tmp_path: Path
) -> None:
    releases = tmp_path / "releases"
    record = write_release(built, "kc-test", "v1", releases)
    bad = "hf_thisTokenIsWrong000000000000"
    proc = run_cli(
        "push_to_hub",
        [str(built), REPO, "--tag", "v1", "--releases-dir", str(releases)],
        client_env(hub.endpoint, tmp_path, token=bad),
    )
    assert proc.returncode == 1
    assert "401" in proc.stderr and "hint:" in proc.stderr and "HF_TOKEN" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _manifest(built)["hub"] is None
    assert not is_published(record)
    assert (("dataset", REPO)) not in hub.state.repos
    assert_no_token(proc.stdout, proc.stderr, token=bad)
    assert_no_token_in_files(built, releases, token=bad)


def test_no_token_anywhere(built: Path, hub: HubServer, tmp_path: Path) -> None:
    proc = run_cli("push_to_hub", [str(built), REPO], client_env(hub.endpoint, tmp_path, token=None))
    assert proc.returncode == 1
    assert "no Hugging Face token found" in proc.stderr and "hf auth login" in proc.stderr
    assert hub.state.requests == []


def test_token_from_login_cache(built: Path, hub: HubServer, tmp_path: Path) -> None:
    env = client_env(hub.endpoint, tmp_path, token=None)
    token_file = Path(env["HF_HOME"]) / "token"
    token_file.parent.mkdir(parents=True)
    token_file.write_text(TOKEN)
    proc = run_cli("push_to_hub", [str(built), REPO], env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert hub.repo(REPO).branches["main"] == _manifest(built)["hub"]["commit"]
    assert_no_token(proc.stdout, proc.stderr)
    assert_no_token_in_files(built, Path(env["HF_HOME"]), skip=(token_file,))


def test_failed_upload_part_way_leaves_no_commit_and_no_release(
    built: Path, hub: HubServer, tmp_path: Path
) -> None:
    releases = tmp_path / "releases"
    record = write_release(built, "kc-test", "v1", releases)
    hub.state.fail_lfs_put_after = 1  # the second parquet PUT is refused
    proc = run_cli(
        "push_to_hub",
        [str(built), REPO, "--tag", "v1", "--releases-dir", str(releases)],
        client_env(hub.endpoint, tmp_path),
    )
    assert proc.returncode == 1
    assert "uploading and committing: the storage refused the upload of a file (403)" in proc.stderr
    assert "nothing was committed or recorded as published" in proc.stderr
    repo = hub.repo(REPO)  # the repository was created, but nothing was committed or tagged
    assert repo.commits[repo.branches["main"]].title == "initial commit" and repo.tags == {}
    assert hub.state.lfs_puts == 3 and len(hub.state.lfs) == 1  # parallel PUTs: one stored, two refused
    assert _manifest(built)["hub"] is None
    assert not is_published(record)
    assert_no_token(proc.stdout, proc.stderr)

    # A retry once the storage recovers succeeds and uploads only what is missing.
    hub.state.fail_lfs_put_after = None
    retry = run_cli(
        "push_to_hub",
        [str(built), REPO, "--tag", "v1", "--releases-dir", str(releases)],
        client_env(hub.endpoint, tmp_path),
    )
    assert retry.returncode == 0, retry.stderr[-3000:]
    assert is_published(record)


def test_rejected_commit(built: Path, hub: HubServer, tmp_path: Path) -> None:
    hub.state.reject_commits = "Your push was rejected because it contains files larger than the quota"
    proc = run_cli("push_to_hub", [str(built), REPO], client_env(hub.endpoint, tmp_path))
    assert proc.returncode == 1
    assert "422" in proc.stderr and "rejected because it contains files larger" in proc.stderr
    assert _manifest(built)["hub"] is None
    assert_no_token(proc.stdout, proc.stderr)


def test_existing_tag_is_refused_before_upload(built: Path, hub: HubServer, tmp_path: Path) -> None:
    env = client_env(hub.endpoint, tmp_path)
    assert run_cli("push_to_hub", [str(built), REPO, "--tag", "v1"], env).returncode == 0
    puts = hub.state.lfs_puts
    commit = hub.repo(REPO).branches["main"]
    proc = run_cli("push_to_hub", [str(built), REPO, "--tag", "v1"], env)
    assert proc.returncode == 1 and "tag 'v1' already exists" in proc.stderr and "new --tag" in proc.stderr
    assert hub.state.lfs_puts == puts and hub.repo(REPO).branches["main"] == commit


def test_push_to_branch_and_another_users_namespace(built: Path, hub: HubServer, tmp_path: Path) -> None:
    env = client_env(hub.endpoint, tmp_path)
    proc = run_cli("push_to_hub", [str(built), REPO, "--revision", "dev", "--private"], env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    repo = hub.repo(REPO)
    assert repo.private and set(repo.branches) == {"main", "dev"}
    assert "README.md" not in repo.commits[repo.branches["main"]].tree
    assert "README.md" in repo.commits[repo.branches["dev"]].tree
    assert _manifest(built)["hub"]["revision"] == "dev"

    # A private repo is invisible without the owner's token (the Hub answers 404 RepoNotFound).
    anonymous = run_python(
        f"import datasets; datasets.load_dataset({REPO!r}, 'static', split='test', revision='dev')",
        client_env(hub.endpoint, tmp_path / "anon", token=None),
    )
    assert anonymous.returncode != 0 and (
        "doesn't exist" in anonymous.stderr or "not found" in anonymous.stderr.lower()
    )

    other = run_cli(
        "push_to_hub", [str(built), "alice/other"], client_env(hub.endpoint, tmp_path, token=OTHER_TOKEN)
    )
    assert other.returncode == 1 and "403" in other.stderr and "write access" in other.stderr


def test_network_failure_is_a_clear_error(built: Path, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once we leave the block: nothing listens there
    proc = run_cli("push_to_hub", [str(built), REPO], client_env(f"http://127.0.0.1:{port}", tmp_path))
    assert proc.returncode == 1
    assert "cannot reach" in proc.stderr and "HF_ENDPOINT" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _manifest(built)["hub"] is None
    assert_no_token(proc.stdout, proc.stderr)


def test_plan_refuses_a_modified_or_incomplete_folder(built: Path) -> None:
    plan = plan_push(built, REPO, tag="v1")
    assert [i.path_in_repo for i in plan.items][0] == "README.md"
    assert {i.path_in_repo for i in plan.items if i.lfs} == {
        f"{c}/test-00000-of-00001.parquet" for c in CONFIGS
    }
    with pytest.raises(PublishError, match="invalid repo id"):
        plan_push(built, "no-namespace")
    (built / "rejects.jsonl").write_text("tampered\n")
    with pytest.raises(PublishError, match="changed since the build"):
        plan_push(built, REPO)
    (built / "static" / "test-00000-of-00001.parquet").unlink()
    with pytest.raises(PublishError, match="matches no file"):
        plan_push(built, REPO)


def test_hub_validate_yaml_endpoint_uses_hub_rules(built: Path, hub: HubServer) -> None:
    def post(content: str) -> tuple[int, dict]:
        req = urllib.request.Request(
            f"{hub.endpoint}/api/validate-yaml",
            data=json.dumps({"content": content, "repoType": "dataset"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req) as resp:  # noqa: S310 - loopback
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    status, body = post((built / "README.md").read_text(encoding="utf-8"))
    assert status == 200 and body["errors"] == []
    status, body = post("---\nlicense: CC0-1.0\nsize_categories: [huge]\n---\n")
    assert status == 400 and len(body["errors"]) == 2


def test_loopback_hub_answers_the_client_api(built: Path, hub: HubServer, tmp_path: Path) -> None:
    """The server side of the protocol, through HfApi calls other than push and load."""
    env = client_env(hub.endpoint, tmp_path)
    assert run_cli("push_to_hub", [str(built), REPO, "--tag", "v1"], env).returncode == 0
    hub.state.tree_page_size = 3
    code = f"""
import json
from huggingface_hub import HfApi, hf_hub_download
api = HfApi()
out = {{}}
out["whoami"] = api.whoami()["name"]
out["info_sha"] = api.dataset_info({REPO!r}).sha
out["tag_sha"] = api.dataset_info({REPO!r}, revision="v1").sha
refs = api.list_repo_refs({REPO!r}, repo_type="dataset")
out["branches"] = sorted(b.name for b in refs.branches)
out["tags"] = sorted(t.name for t in refs.tags)
out["commits"] = [c.title for c in api.list_repo_commits({REPO!r}, repo_type="dataset")]
out["tree"] = sorted(f.path for f in api.list_repo_tree({REPO!r}, repo_type="dataset", recursive=True))
out["top"] = sorted(f.path for f in api.list_repo_tree({REPO!r}, repo_type="dataset"))
info = api.get_paths_info({REPO!r}, ["static/test-00000-of-00001.parquet", "static"], repo_type="dataset")
out["paths"] = [(type(i).__name__, i.path, getattr(i, "lfs", None) is not None) for i in info]
path = hf_hub_download({REPO!r}, "temporal/test-00000-of-00001.parquet", repo_type="dataset", revision="v1")
out["download"] = open(path, "rb").read().hex()
out["exists"] = api.file_exists({REPO!r}, "nope.txt", repo_type="dataset")
print("OUT=" + json.dumps(out))
"""
    proc = run_python(code, env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(next(x for x in proc.stdout.splitlines() if x.startswith("OUT="))[4:])
    head = hub.repo(REPO).branches["main"]
    assert out["whoami"] == "alice"
    assert out["info_sha"] == out["tag_sha"] == head
    assert out["branches"] == ["main"] and out["tags"] == ["v1"]
    assert out["commits"][-1] == "initial commit" and out["commits"][0].startswith("kcdata: publish kc-test")
    files = {"README.md", "manifest.json", "rejects.jsonl", ".gitattributes"} | {
        f"{c}/test-00000-of-00001.parquet" for c in CONFIGS
    }
    assert set(out["tree"]) == files | set(CONFIGS)
    assert out["top"] == sorted({"README.md", "manifest.json", "rejects.jsonl", ".gitattributes", *CONFIGS})
    assert out["paths"] == [
        ["RepoFile", "static/test-00000-of-00001.parquet", True],
        ["RepoFolder", "static", False],
    ]
    assert bytes.fromhex(out["download"]) == (built / "temporal" / "test-00000-of-00001.parquet").read_bytes()
    assert out["exists"] is False


class _FakeApi:
    """A stand-in Hub client (the injected edge) whose tag step fails after the commit."""

    def __init__(self, endpoint: str | None, token: str) -> None:
        self.calls: list[str] = []
        _FakeApi.last = self

    def create_repo(self, repo_id, **kwargs):
        self.calls.append("create_repo")

    def list_repo_refs(self, repo_id, **kwargs):
        ref = type("Ref", (), {"name": "main"})
        return type("Refs", (), {"branches": [ref], "tags": []})

    def create_commit(self, repo_id, operations, **kwargs):
        self.calls.append(f"create_commit:{len(operations)}")
        return type("Info", (), {"oid": "b" * 40, "commit_url": "http://hub/commit"})

    def create_tag(self, repo_id, **kwargs):
        from huggingface_hub.errors import HfHubHTTPError

        response = type("Resp", (), {"status_code": 500, "headers": {}, "request": None})
        raise HfHubHTTPError("500 Server Error: tag service unavailable", response=response)


def test_tag_failure_after_commit_records_nothing(built: Path, tmp_path: Path) -> None:
    from kcdata.publish.hub import push_to_hub

    record = write_release(built, "kc-test", "v9", tmp_path / "releases")
    with pytest.raises(PublishError) as info:
        push_to_hub(
            built, REPO, tag="v9", token=TOKEN, releases_dir=tmp_path / "releases", api_factory=_FakeApi
        )
    assert "tagging commit bbbbbbbbbbbb as 'v9'" in str(info.value) and "500" in str(info.value)
    assert TOKEN not in str(info.value)
    assert _FakeApi.last.calls == ["create_repo", "create_commit:6"]
    assert _manifest(built)["hub"] is None and not is_published(record)
