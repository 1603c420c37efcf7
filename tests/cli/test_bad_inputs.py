"""Every command reads its inputs defensively: a broken or odd input gives one ``Error:`` line naming
the file and what is wrong (plus a hint), exit 1, never a traceback. A full disk, a quota or the
file size limit give the file being written and the space needed, where the platform lets a test
make a disk full for real.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from kcdata.cli import main
from kcdata.errors import ConfigError, KcdataError

ROOT = Path(__file__).resolve().parents[2]


def run(*args: object):
    res = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True, prog_name="kcdata")
    assert "Traceback" not in res.output, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    return res


def error_line(res) -> str:
    """The ``Error:`` line, checked to be the only line but its hint."""
    lines = res.output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Error: "))
    assert all(line.startswith("  hint: ") for line in lines[at + 1:]), res.output
    return lines[at]


@pytest.fixture
def ds(tmp_path: Path, sample_build: Path) -> Path:
    """A private copy of the default build, to tamper with."""
    return Path(shutil.copytree(sample_build, tmp_path / "ds"))


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def _write_manifest(folder: Path, value) -> None:
    (folder / "manifest.json").write_text(json.dumps(value), encoding="utf-8")


# ------------------------------------------------------------------------------ validate, audit


def test_validate_and_audit_read_one_parquet_file(ds: Path) -> None:
    parquet = next(ds.glob("*/test-*.parquet"))
    res = run("validate", parquet)
    assert res.exit_code == 0 and "rows valid" in res.output
    assert run("audit", parquet).exit_code == 0
    broken = ds / "broken.parquet"
    broken.write_bytes(b"PAR1" + b"\0" * 64)
    for command in ("validate", "audit"):
        res = run(command, broken)
        assert res.exit_code == 1 and f"{broken}: not a readable parquet file" in error_line(res)


@pytest.mark.parametrize("command", ["validate", "audit"])
def test_binary_file_is_one_error(command: str, tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00\xff\xfe" + bytes(range(256)))
    res = run(command, path)
    assert res.exit_code == 1
    assert f"{path}:1: not a JSONL file of rows" in error_line(res) and "not UTF-8" in res.output


def test_validate_lists_bad_lines_by_number(tmp_path: Path, sample_build: Path) -> None:
    import pyarrow.parquet as pq

    row = pq.read_table(next(sample_build.glob("*/test-*.parquet"))).to_pylist()[0]
    path = tmp_path / "rows.jsonl"
    path.write_bytes(json.dumps(row).encode() + b"\n" + b"\xff\xfe{}\n" + b"[1, 2]\n" + b'"text"\n' + b"3\n"
                     + b"null\n" + b"[" * 100_000 + b"\n")
    res = run("validate", path)
    assert res.exit_code == 1
    assert f"{path}:2: $: not UTF-8 text" in res.output
    assert f"{path}:3: $: expected a JSON object (one row), got an array" in res.output
    assert f"{path}:4: $: expected a JSON object (one row), got a string" in res.output
    assert f"{path}:5: $: expected a JSON object (one row), got a number" in res.output
    assert f"{path}:6: $: expected a JSON object (one row), got null" in res.output
    assert f"{path}:7: $: malformed JSON" in res.output
    assert error_line(res) == f"Error: 6 problem(s) in 7 row(s) of {path}"
    res = run("audit", path)
    assert res.exit_code == 1 and "6 row(s)" in error_line(res) and "kcdata validate" in res.output


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"[]", "manifest.json: $: [] is not of type 'object'"),
        (b'{"files": [1]}', "manifest.json: $.files: [1] is not of type 'object'"),
        (b"{}", "manifest.json: $: 'files' is a required property"),
        (b'{"files": {"README.md": 1}}', "manifest.json: $.files.README.md: 1 is not of type 'string'"),
        (b'{"files": {"../x": "' + b"0" * 64 + b'"}}', "not a relative path inside the folder"),
        (b"\xff\xfe", "manifest.json: $: not UTF-8 text"),
        (b"{not json", "manifest.json: $: malformed JSON"),
    ],
)
def test_validate_on_a_broken_manifest(ds: Path, content: bytes, problem: str) -> None:
    (ds / "manifest.json").write_bytes(content)
    res = run("validate", ds)
    assert res.exit_code == 1 and problem in res.output
    assert error_line(res).startswith("Error: ") and str(ds) in error_line(res)


def test_audit_of_a_missing_path_and_of_an_empty_file(tmp_path: Path) -> None:
    res = run("audit", tmp_path / "nope")
    assert res.exit_code == 1 and f"{tmp_path / 'nope'}: no such file" in error_line(res)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    res = run("audit", empty)  # as validate: no rows is nothing to audit, not a pass (issue 13)
    assert res.exit_code == 1 and "holds no rows: nothing to audit" in error_line(res)


# ------------------------------------------------------------------- push-to-hub, release, export


TAMPERED = {
    "a JSON list": ([], "must hold a JSON object"),
    "files a list": ("files-list", "$.files: [] is not of type 'object'"),
    "files missing": ("files-missing", "$: 'files' is a required property"),
    "hub a string": ("hub-string", "$.hub: 'x' is not valid"),
    "hub repo_id a number": ("hub-number", "$.hub: {'repo_id': 5}"),
    "seed a string": ("seed-string", "$.seed: 'x' is not of type 'integer'"),
}


def _tamper(folder: Path, how) -> None:
    if isinstance(how, list):
        _write_manifest(folder, how)
        return
    m = _manifest(folder)
    if how == "files-list":
        m["files"] = []
    elif how == "files-missing":
        del m["files"]
    elif how == "hub-string":
        m["hub"] = "x"
    elif how == "hub-number":
        m["hub"] = {"repo_id": 5}
    elif how == "seed-string":
        m["seed"] = "x"
    _write_manifest(folder, m)


@pytest.mark.parametrize("case", sorted(TAMPERED))
def test_publish_commands_on_a_tampered_manifest(case: str, ds: Path, tmp_path: Path) -> None:
    how, needle = TAMPERED[case]
    _tamper(ds, how)
    for args in (
        ["push-to-hub", "--dry-run", ds, "alice/kc"],
        ["export", "lm-eval", ds, "--out", tmp_path / "tasks", "--repo-id", "alice/kc"],
        ["release", "kc", "1.0", "--from", ds, "--releases-dir", tmp_path / "releases"],
    ):
        res = run(*args)
        line = error_line(res)
        assert res.exit_code == 1 and f"{ds / 'manifest.json'}" in line and needle in line, (args, res.output)
    assert not (tmp_path / "tasks").exists() and not (tmp_path / "releases").exists()


@pytest.mark.parametrize("case", ["a JSON list", "files a list", "files missing", "seed a string"])
def test_rebuild_of_a_tampered_record_fails_before_building(case: str, ds: Path, tmp_path: Path) -> None:
    assert run("release", "kc", "1.0", "--from", ds, "--releases-dir", tmp_path / "releases").exit_code == 0
    record = tmp_path / "releases" / "kc" / "1.0"
    how, needle = TAMPERED[case]
    _tamper(record, how)
    start = time.monotonic()
    res = run("rebuild", record, "--out", tmp_path / "rebuilt")
    assert res.exit_code == 1 and f"{record / 'manifest.json'}" in error_line(res) and needle in res.output
    assert not (tmp_path / "rebuilt").exists() and time.monotonic() - start < 30


def test_rebuild_of_a_record_with_a_broken_environment_says_what_differs(ds: Path, tmp_path: Path) -> None:
    assert run("release", "kc", "1.0", "--from", ds, "--releases-dir", tmp_path / "releases").exit_code == 0
    record = tmp_path / "releases" / "kc" / "1.0"
    m = _manifest(record)
    m["environment"] = "not a mapping"
    m["files"]["README.md"] = "0" * 64
    _write_manifest(record, m)
    res = run("rebuild", record, "--out", tmp_path / "rebuilt")
    assert res.exit_code == 1 and "differs from the record" in error_line(res) and "hint:" in res.output


CARDS = {
    "not UTF-8": (b"\xff\xfe---\n", "README.md is not UTF-8 text (byte 1)"),
    "YAML does not parse": (b"---\nconfigs: [\n---\n", "the card's YAML header does not parse"),
    "header a list": (b"---\n- a\n---\n", "the card's YAML header must be a mapping"),
    "configs a number": (b"---\nconfigs: 5\n---\n", "`configs` must be a list"),
    "config_name a list": (b"---\nconfigs: [{config_name: [1], data_files: x}]\n---\n", "config_name"),
    "data_files a number": (b"---\nconfigs: [{config_name: x, data_files: [{path: 3}]}]\n---\n", "data_files"),
}


@pytest.mark.parametrize("case", sorted(CARDS))
def test_export_and_push_on_a_broken_card(case: str, ds: Path, tmp_path: Path) -> None:
    content, needle = CARDS[case]
    (ds / "README.md").write_bytes(content)
    res = run("export", "lm-eval", ds, "--out", tmp_path / "tasks", "--repo-id", "alice/kc")
    assert res.exit_code == 1 and str(ds / "README.md") in error_line(res) and needle in error_line(res)
    res = run("push-to-hub", "--dry-run", ds, "alice/kc")
    assert res.exit_code == 1 and needle in res.output and "Traceback" not in res.output
    assert all(len(line) < 400 for line in res.output.splitlines())  # library errors cut to one line


def test_release_refuses_a_card_that_is_not_text(ds: Path, tmp_path: Path) -> None:
    (ds / "README.md").write_bytes(b"\xff\xfe")
    res = run("release", "kc", "1.0", "--from", ds, "--releases-dir", tmp_path / "releases")
    assert res.exit_code == 1 and "README.md is not UTF-8 text" in error_line(res)
    assert not (tmp_path / "releases" / "kc" / "1.0").exists()


# ------------------------------------------------------------------------- the one error handler


def test_errors_keep_message_and_hint_through_pickle() -> None:
    from kcdata.http import HttpError

    err = pickle.loads(pickle.dumps(HttpError("GET x failed", "retry later", status=503, url="http://x")))
    assert str(err) == "GET x failed\n  hint: retry later" and err.status == 503 and err.url == "http://x"
    plain = pickle.loads(pickle.dumps(ConfigError("bad flag")))
    assert type(plain) is ConfigError and str(plain) == "bad flag" and plain.remedy is None


def test_unexpected_errors_and_os_errors_are_one_line(monkeypatch, tmp_path: Path) -> None:
    import kcdata.validate

    def boom(path):
        raise RuntimeError("something broke\nsecond line")

    monkeypatch.setattr(kcdata.validate, "validate_path", boom)
    res = run("validate", tmp_path)
    assert res.exit_code == 1 and error_line(res) == "Error: unexpected RuntimeError: something broke"
    assert "rerun with -vv" in res.output

    def denied(path):
        raise PermissionError(13, "Permission denied", str(tmp_path / "x.jsonl"))

    monkeypatch.setattr(kcdata.validate, "validate_path", denied)
    res = run("validate", tmp_path)
    assert res.exit_code == 1 and error_line(res) == f"Error: {tmp_path / 'x.jsonl'}: Permission denied"


def test_a_kcdata_error_message_is_redacted(monkeypatch, tmp_path: Path) -> None:
    import kcdata.validate

    def leak(path):
        raise KcdataError("GET https://bob:pa55word@hub.example/api failed", "token hf_abcdefghijklmnopqrstuvwx")

    monkeypatch.setattr(kcdata.validate, "validate_path", leak)
    res = run("validate", tmp_path)
    assert res.exit_code == 1 and "pa55word" not in res.output and "hf_abcdefghijklmnopqrstuvwx" not in res.output
    assert "https://***@hub.example/api" in res.output


# ------------------------------------------------------------------ a full disk, for real


def _cli(*args: object) -> list[str]:
    return [sys.executable, "-m", "kcdata", *map(str, args)]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="session")
def full_disk():
    """Runs a command with a tiny tmpfs mounted at a folder, in a private mount namespace
    (``unshare``; as an unprivileged user through a user namespace), so nothing outside the
    command sees the mount and nothing needs cleaning up. Skips, saying why, where the platform
    does not allow it."""
    if sys.platform != "linux":
        pytest.skip("a real full file system needs Linux mount namespaces (unshare + tmpfs)")
    unshare = shutil.which("unshare")
    if unshare is None or shutil.which("mount") is None:
        pytest.skip("a real full file system needs util-linux `unshare` and `mount`, not installed here")
    prefix = [unshare, "--mount"] if os.geteuid() == 0 else [unshare, "--user", "--map-root-user", "--mount"]

    def runner(mountpoint: Path, args: list[str], size: str = "64k", fill: bool = False):
        mountpoint.mkdir(parents=True, exist_ok=True)
        script = 'mount -t tmpfs -o "size=$1" tmpfs "$2" || exit 97; '
        if fill:
            script += 'dd if=/dev/zero of="$2/.fill" bs=4096 2>/dev/null; '
        script += 'shift 2; exec "$@"'
        return subprocess.run([*prefix, "sh", "-c", script, "sh", size, str(mountpoint), *args],
                              capture_output=True, text=True, env=_env(), timeout=300)

    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"kcdata-tmpfs-probe-{os.getpid()}"
    try:
        result = runner(probe, ["true"])
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    if result.returncode != 0:
        pytest.skip("cannot mount a tmpfs in a private mount namespace here (no user namespaces or no "
                    f"privilege): {(result.stderr or '').strip()[:200]}")
    return runner


def test_build_on_a_full_file_system(full_disk, tmp_path: Path) -> None:
    # refused before the first row is rendered: the facts to render, times the languages, need
    # more than the 64 kB there
    mnt = tmp_path / "mnt"
    proc = full_disk(mnt, _cli("build", "--out", mnt / "ds"))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    line = next(x for x in proc.stderr.splitlines() if x.startswith("Error: "))
    assert line.startswith(f"Error: not enough space in {mnt} for the rows: "), proc.stderr
    assert " facts in 4 language(s) need about 741 kB, " in line and line.endswith(" kB free"), line
    assert "hint: free some space there, write the build elsewhere (--out)" in proc.stderr
    assert not any(p.name.startswith(".ds") for p in mnt.iterdir())  # the mount is gone: nothing left


def test_build_whose_rows_fit_but_not_the_card_on_a_full_file_system(full_disk, tmp_path: Path) -> None:
    # what the estimate lets through and the disk still cannot take is ENOSPC, named
    mnt = tmp_path / "mnt"
    proc = full_disk(mnt, _cli("build", "--out", mnt / "ds", "--relations", "P36", "--langs", "en"), size="40k")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    line = next(x for x in proc.stderr.splitlines() if x.startswith("Error: "))
    assert line.startswith(f"Error: no space left on device writing {mnt / 'ds'}/"), proc.stderr
    assert "B free there)" in line and "hint: free some space" in proc.stderr


def test_release_and_export_on_a_full_file_system(full_disk, ds: Path, tmp_path: Path) -> None:
    mnt = tmp_path / "mnt"
    proc = full_disk(mnt, _cli("release", "kc", "1.0", "--from", ds, "--releases-dir", mnt / "releases"),
                     fill=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    line = next(x for x in proc.stderr.splitlines() if x.startswith("Error: "))
    assert line.startswith("Error: no space left on device writing") and str(mnt / "releases") in line, line
    assert "(need about " in line and " kB, 0 kB free)" in line
    proc = full_disk(mnt, _cli("export", "lm-eval", ds, "--repo-id", "alice/kc", "--out", mnt / "tasks"),
                     fill=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    line = next(x for x in proc.stderr.splitlines() if x.startswith("Error: "))
    assert line.startswith(f"Error: no space left on device writing {mnt / 'tasks'}/kcdata_"), line


def test_build_over_the_file_size_limit(tmp_path: Path) -> None:
    """Writing past ``ulimit -f`` sends SIGXFSZ (which kills by default); the CLI ignores the signal
    so the write fails with EFBIG, reported like a full disk."""
    resource = pytest.importorskip("resource", reason="RLIMIT_FSIZE (ulimit -f) needs a POSIX platform")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    proc = subprocess.run(_cli("build", "--out", tmp_path / "ds"), capture_output=True, text=True, env=_env(),
                          preexec_fn=limit, timeout=300)
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr
    line = next(x for x in proc.stderr.splitlines() if x.startswith("Error: "))
    # the first file past 20 kB is a spill file of the rows: named as it is, beside ds
    assert re.match(rf"Error: file too large writing {re.escape(str(tmp_path))}/\.ds\.spool-\d+-[^/]+/"
                    r"(static|temporal|disputable)\.\d+\.arrow: ", line), line
    assert "over the file size limit of 20 kB (ulimit -f)" in line
    assert not (tmp_path / "ds").exists()
    assert not list(tmp_path.glob(".ds.*"))  # nor the spill folder


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="/dev/full (always full) is Linux-only")
def test_output_to_a_full_device(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text("[1]\n")
    with open("/dev/full", "w") as full:
        proc = subprocess.run(_cli("validate", path), stdout=full, stderr=subprocess.PIPE, text=True, env=_env(),
                              timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "Error: no space left on device writing standard output" in proc.stderr


# ---------------------------------------------------------------- no silent success (issue 13)

def test_validate_of_no_rows_is_an_error(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    res = run("validate", empty)
    assert res.exit_code == 1 and "holds no rows" in error_line(res)


def test_release_refuses_a_build_edited_since_it_was_made(sample_build, tmp_path):
    import pyarrow.parquet as pq

    edited = tmp_path / "edited"
    shutil.copytree(sample_build, edited)
    part = edited / "static" / "test-00000-of-00001.parquet"
    pq.write_table(pq.read_table(part).slice(0, 3), part)
    res = run("release", "kcdata-sample", "9.9", "--from", edited, "--releases-dir", tmp_path / "rel")
    assert res.exit_code == 1 and "no longer match the manifest's sha256" in error_line(res)
    assert not (tmp_path / "rel").exists()
    ok = run("release", "kcdata-sample", "9.9", "--from", sample_build, "--releases-dir", tmp_path / "rel")
    assert ok.exit_code == 0, ok.output


def test_export_refuses_a_repo_id_that_is_neither_a_repo_nor_a_folder(sample_build, tmp_path):
    res = run("export", "lm-eval", sample_build, "--repo-id", "not a repo", "--out", tmp_path / "tasks")
    assert res.exit_code == 1 and "neither a Hub repository id" in error_line(res)
    assert not (tmp_path / "tasks").exists()
    ok = run("export", "lm-eval", sample_build, "--repo-id", sample_build, "--out", tmp_path / "tasks")
    assert ok.exit_code == 0 and list((tmp_path / "tasks").glob("*.yaml"))


FIXTURE_ENTITY = ROOT.parent / "shared" / "fixtures" / "wikidata_entities" / "openrefine" / "Q16.json"


@pytest.mark.parametrize("content", ["", "\n\n", "[]", '{"entities": {}}'])
def test_classify_of_a_file_without_entities_is_an_error(tmp_path, content):
    f = tmp_path / "empty.json"
    f.write_text(content, encoding="utf-8")
    res = run("classify", f)
    assert res.exit_code == 1, res.output
    assert error_line(res) == f"Error: {f}: no Wikibase entity found"


def test_classify_in_a_language_no_entity_has_is_an_error(tmp_path):
    f = tmp_path / "q.json"
    shutil.copy(FIXTURE_ENTITY, f)
    res = run("classify", f, "--lang", "xx")
    assert res.exit_code == 1 and res.stdout == "", res.output
    assert error_line(res).startswith(f"Error: --lang 'xx': no entity in {f} has a label in it (they have ")
    ok = run("classify", f, "--lang", "de")
    assert ok.exit_code == 0 and ok.stdout.count("\n") >= 1


def test_classify_help_says_the_default_as_of_is_today():
    res = run("classify", "--help")
    assert "(default: today)" in res.output and "snapshot" not in res.output
    assert "(default: the snapshot date)" in " ".join(run("build", "--help").output.split())


@pytest.mark.parametrize("value", ["", " ", ",", " , "])
def test_an_empty_list_option_is_an_error_not_everything(tmp_path, value):
    for args in (["build", "--out", tmp_path / "o", "--langs", value],
                 ["build", "--out", tmp_path / "o", "--relations", value]):
        res = run(*args)
        assert res.exit_code == 2 and "is empty" in res.output, res.output
        assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(("yaml_text", "message"), [
    ("", "the build config is empty"),
    ("# nothing but a comment\n", "the build config is empty"),
    ("relations: []\n", "relations: [] selects nothing"),
    ("subjects: []\n", "subjects: [] selects nothing"),
    ("seed: 1\nseed: 2\n", "line 2: key 'seed' given twice"),
    ("as_of: 2020-02-30\n", "as_of: bad date '2020-02-30'"),
    # recorded wrong or ignored
    ("relations: [P36, p36]\n", "relations: P36 given twice"),
    ("label_table: /nonexistent.jsonl\n", "label_table is read by the dump and files sources, not by 'sample'"),
    ("ray_address: auto\n", "ray_address is for the ray executor"),
    # values the schema refuses: its first line, then the value named
    ("executor: dask\n", "$.executor: 'dask' is not one of ['local', 'ray']"),
    ("shard_cache: maybe\n", "$.shard_cache: 'maybe' is not of type 'boolean'"),
])
def test_build_configs_that_select_nothing_or_say_two_things_are_refused(tmp_path, yaml_text, message):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml_text, encoding="utf-8")
    res = run("build", cfg, "--out", tmp_path / "o")
    assert res.exit_code == 1, res.output
    if message.startswith("$."):
        assert res.output.splitlines()[-2:] == [f"Error: {cfg} does not match schemas/build_config.schema.json:",
                                               f"  {message}"], res.output
    else:
        assert error_line(res) == f"Error: {cfg}: {message}"
    assert not (tmp_path / "o").exists()


def test_an_unquoted_yaml_date_is_the_date_it_says(tmp_path):
    from kcdata.config import load_config

    cfg = tmp_path / "c.yaml"
    cfg.write_text("as_of: 2020-01-01\n", encoding="utf-8")
    assert load_config(cfg).as_of == "2020-01-01"


def test_a_far_past_as_of_is_not_a_crash(tmp_path):
    res = run("build", "--as-of", "0001-01-01", "--out", tmp_path / "o", "--relations", "P36", "--langs", "en")
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize("cmd", ["validate", "audit", "classify"])
def test_a_folder_or_a_device_is_named_as_such(tmp_path, cmd):
    if cmd == "classify":
        res = run(cmd, tmp_path)
        assert error_line(res) == f"Error: {tmp_path}: is a folder, not a file"
    res = run(cmd, "/dev/null")
    assert res.exit_code == 1
    assert error_line(res) == "Error: /dev/null: is not a regular file (a device, pipe or socket)"


def test_score_data_that_is_not_text_is_one_error(tmp_path):
    bad = tmp_path / "x.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    res = run("score", "--model", tmp_path / "nope", "--data", bad)
    assert res.exit_code == 1
    assert error_line(res) == f"Error: {bad}:1: not UTF-8 text (a rows .jsonl file is JSON Lines)"


def test_audit_of_no_rows_is_an_error(tmp_path):
    (tmp_path / "e.jsonl").write_text("\n\n", encoding="utf-8")
    res = run("audit", tmp_path / "e.jsonl")
    assert res.exit_code == 1 and error_line(res) == f"Error: {tmp_path / 'e.jsonl'} holds no rows: nothing to audit"


def test_validate_max_errors_must_be_positive(sample_build):
    res = run("validate", sample_build, "--max-errors", "-5")
    assert res.exit_code == 2 and "-5 is not in the range x>=1" in res.output


def test_validate_finds_parquet_the_manifest_does_not_list_and_rows_in_the_wrong_config(sample_build, tmp_path):
    ds = tmp_path / "ds"
    shutil.copytree(sample_build, ds)
    shutil.copy(ds / "temporal" / "test-00000-of-00001.parquet", ds / "static" / "test-00001-of-00002.parquet")
    res = run("validate", ds)
    assert res.exit_code == 1
    assert ("manifest.json: $.files: static/test-00001-of-00002.parquet is not listed: a file the build did not "
            "write") in res.stdout
    assert "$.kind: a 'temporal' row in the static config's folder" in res.stdout


def test_classify_says_what_it_did_not_find(tmp_path):
    f = tmp_path / "q.json"
    shutil.copy(FIXTURE_ENTITY, f)
    res = run("classify", f, "--relations", "P1376")
    assert res.exit_code == 0 and res.stdout == ""
    assert f"note: no facts of P1376 in {f}" in res.stderr
    future = run("classify", f, "--as-of", "3000-01-01")
    assert future.exit_code == 1 and "is in the future" in error_line(future)
    (tmp_path / "labels.jsonl").write_text("", encoding="utf-8")
    empty = run("classify", f, "--label-table", tmp_path / "labels.jsonl")
    assert empty.exit_code == 1 and error_line(empty) == f"Error: {tmp_path / 'labels.jsonl'}: the label table holds no labels"
    broken = tmp_path / "x.json"
    broken.write_bytes(b"\xff\xfe")
    res = run("classify", broken)
    assert res.exit_code == 1 and "no other fact was found" in error_line(res)


def test_a_files_build_may_not_write_into_its_source_folder(tmp_path):
    src = tmp_path / "ents"
    src.mkdir()
    shutil.copy(FIXTURE_ENTITY, src / "Q16.json")
    res = run("build", "--source", "files", "--source-path", src, "--out", src / "out")
    assert res.exit_code == 1 and "is inside the source folder" in error_line(res)
    assert sorted(p.name for p in src.iterdir()) == ["Q16.json"]


def test_source_paths_that_do_not_exist_say_so(tmp_path):
    for args in (["--source", "files", "--source-path", tmp_path / "nope"], ["--source-path", tmp_path / "nope"]):
        res = run("build", *args, "--out", tmp_path / "o")
        assert res.exit_code == 1 and error_line(res) == f"Error: {tmp_path / 'nope'}: no such file or folder"
    (tmp_path / "d").mkdir()
    res = run("build", "--source-path", tmp_path / "d", "--out", tmp_path / "o")
    assert "--source dump or --source files" in res.output and "build_sample" not in res.output


def test_out_empty_or_dot_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for out in ("", "."):
        res = run("build", "--out", out)
        assert res.exit_code == 1 and error_line(res) == "Error: --out is empty or '.', not a build folder name"


def test_score_of_an_empty_model_folder_is_one_line(tmp_path, sample_build):
    (tmp_path / "m").mkdir()
    res = run("score", "--model", tmp_path / "m", "--data", sample_build, "--limit", "1", "--out", tmp_path / "s.jsonl")
    assert res.exit_code == 1 and error_line(res) == f"Error: no model at {tmp_path / 'm'}: the folder is empty"


def test_subjects_that_match_no_fact_get_their_own_message(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("subjects: [Q999999999]\n", encoding="utf-8")
    res = run("build", cfg, "--out", tmp_path / "o")
    assert res.exit_code == 1, res.output
    assert "has one of the subjects (Q999999999)" in error_line(res) and "widen" not in res.output


def test_relation_ids_are_recorded_as_wikidata_writes_them(tmp_path):
    res = run("build", "--relations", "p36", "--langs", "en", "--out", tmp_path / "o")
    assert res.exit_code == 0, res.output
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["created_from"]["relations"] == ["P36"]


def test_a_cache_dir_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("x", encoding="utf-8")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"cache_dir: {tmp_path / 'f'}\n", encoding="utf-8")
    res = run("build", cfg, "--out", tmp_path / "o")
    assert res.exit_code == 1 and error_line(res) == f"Error: {cfg}: cache_dir {tmp_path / 'f'} is a file, not a folder"


def test_validate_finds_a_manifest_edited_against_its_own_config(sample_build, tmp_path):
    ds = tmp_path / "ds"
    shutil.copytree(sample_build, ds)
    manifest = json.loads((ds / "manifest.json").read_text(encoding="utf-8"))
    manifest["seed"] = 7
    (ds / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    res = run("validate", ds)
    assert res.exit_code == 1
    assert "manifest.json: $.seed: 7 differs from created_from.seed 0: edited after the build" in res.stdout


def test_classify_all_relations_takes_a_relation_without_templates(tmp_path):
    f = tmp_path / "q.json"
    shutil.copy(FIXTURE_ENTITY, f)
    res = run("classify", f, "--all-relations", "--relations", "P31,P36")
    assert res.exit_code == 0, res.output
    assert {json.loads(line)["relation"] for line in res.stdout.splitlines()} == {"P31", "P36"}
    res = run("classify", f, "--relations", "P31")
    assert res.exit_code == 1 and error_line(res) == "Error: unknown relation 'P31'"
