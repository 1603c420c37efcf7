"""Nothing of the user's is deleted or truncated (issue 12): `build --out` recognises its own builds
by content, replaces one crash-safely (kill -9 at random moments never loses `--out`, the rerun
leaves nothing behind), and `score --out` refuses a file it did not write before touching it."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from kcdata.cli import main
from kcdata.fileio import exchange_dirs, leftovers, recover
from kcdata.pipeline import is_build

ROOT = Path(__file__).resolve().parents[1]


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_folder_with_a_foreign_manifest_is_never_replaced(tmp_path):
    out = tmp_path / "my-extension"
    out.mkdir()
    (out / "manifest.json").write_text('{"manifest_version": 3, "name": "my extension"}\n')
    (out / "background.js").write_text("console.log('mine');\n")
    before = _tree(out)
    res = CliRunner().invoke(main, ["build", "--out", str(out), "--relations", "P36", "--no-wikipedia"])
    assert res.exit_code != 0
    assert "is not a kcdata build" in res.output and "Traceback" not in res.output
    assert _tree(out) == before


@pytest.mark.parametrize("bad", ["", "."])
def test_out_that_names_no_folder_is_refused(bad, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keep.txt").write_text("mine")
    res = CliRunner().invoke(main, ["build", "--out", bad, "--relations", "P36", "--no-wikipedia"])
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_out_under_a_file_is_a_clean_error(tmp_path):
    (tmp_path / "afile").write_text("x")
    res = CliRunner().invoke(main, ["build", "--out", str(tmp_path / "afile" / "out"), "--relations", "P36"])
    assert res.exit_code != 0 and "is not a folder" in res.output and "Traceback" not in res.output


def test_exchange_is_atomic_here(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "f").write_text("A")
    (b / "f").write_text("B")
    assert exchange_dirs(a, b)  # Linux renameat2: the crash-safe path is the one CI takes
    assert (a / "f").read_text() == "B" and (b / "f").read_text() == "A"


def test_a_dead_runs_leftovers_are_repaired(sample_build, tmp_path):
    out = tmp_path / "out"
    dead = 2 ** 22 + 12345  # above pid_max's default: no such process
    # killed between the two renames of the fallback swap: the previous build only aside
    aside = tmp_path / f".out.old-{dead}-abcd"
    aside.mkdir()
    shutil.copytree(sample_build, aside / "x")
    partial = tmp_path / f".out.tmp-{dead}-efgh"
    partial.mkdir()
    (partial / "half.parquet").write_bytes(b"PAR1")
    assert {p.name for p in leftovers(out)} == {aside.name, partial.name}
    done = recover(out, is_build)
    assert any("restored" in d for d in done)
    assert _tree(out) == _tree(sample_build)
    assert leftovers(out) == [] and not aside.exists() and not partial.exists()


def _complete(folder: Path) -> bool:
    if not is_build(folder):
        return False
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return all((folder / name).is_file() for name in manifest["files"])


def test_kill_9_while_replacing_a_build_never_loses_out(tmp_path):
    out = tmp_path / "out"
    args = [sys.executable, "-m", "kcdata", "build", "--out", str(out), "--relations", "P36,P6,P1082",
            "--no-wikipedia"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run(args, check=True, capture_output=True, env=env)
    t0 = time.monotonic()
    subprocess.run(args, check=True, capture_output=True, env=env)
    full = time.monotonic() - t0
    rng = random.Random(12)
    for _ in range(20):  # the "kill -9 at 20 random moments"
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        time.sleep(rng.uniform(0.3, 1.0) * full)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert _complete(out), "a kill left no complete build at --out"
    subprocess.run(args, check=True, capture_output=True, env=env)
    assert _complete(out)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")] == []


def test_score_refuses_a_file_it_did_not_write_before_anything_else(sample_build, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\nline two\n")
    for extra in ([], ["--overwrite"]):
        res = CliRunner().invoke(main, ["score", "--model", str(tmp_path / "no-model"), "--data", str(sample_build),
                                        "--out", str(notes), *extra])
        assert res.exit_code != 0 and "is not a kcdata scores file" in res.output, res.output
        assert notes.read_text() == "my notes\nline two\n"


def test_score_never_drops_lines_after_a_malformed_one(sample_build, tmp_path):
    scores = tmp_path / "scores.jsonl"
    good = json.dumps({"id": "Q1:P1:en", "settings_key": "k"})
    text = f"{good}\nnot json\n{good.replace('Q1', 'Q2')}\n"
    scores.write_text(text)
    res = CliRunner().invoke(main, ["score", "--model", str(tmp_path / "no-model"), "--data", str(sample_build),
                                    "--out", str(scores)])
    assert res.exit_code != 0 and "line 2 is not a scores row" in res.output
    assert scores.read_text() == text


def _bomb(key: str) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(7):
        prev, cur = chr(97 + i), chr(98 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    lines.append(f"{key}: [" + ",".join(["*h"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_a_yaml_bomb_as_build_config_is_refused_quickly(tmp_path):
    cfg = tmp_path / "bomb.yaml"
    cfg.write_text(_bomb("languages"))
    t0 = time.monotonic()
    res = CliRunner().invoke(main, ["build", str(cfg), "--out", str(tmp_path / "out")])
    assert res.exit_code != 0 and "aliases (*name) are expanded" in res.output
    assert len(res.output) < 2000 and time.monotonic() - t0 < 30
    assert not (tmp_path / "out").exists()


def test_a_yaml_bomb_in_a_template_file_is_refused(tmp_path):
    from kcdata.errors import ConfigError
    from kcdata.relations import load_relation
    from kcdata.resources import templates_dir

    folder = tmp_path / "P36-capital"
    shutil.copytree(templates_dir() / "relations" / "P36-capital", folder)
    (folder / "de.yaml").write_text(_bomb("questions"))
    with pytest.raises(ConfigError, match="aliases"):
        load_relation(folder)


def test_schema_messages_never_echo_a_huge_value(tmp_path):
    cfg = tmp_path / "long.yaml"
    cfg.write_text('seed: "' + "9" * 200_000 + '"\n')
    res = CliRunner().invoke(main, ["build", str(cfg), "--out", str(tmp_path / "out")])
    assert res.exit_code != 0 and "does not match" in res.output and len(res.output) < 2000


def test_a_build_folder_holding_files_it_did_not_write_is_never_replaced(sample_build, tmp_path):
    """A user's notes or scores saved inside a build, or a release record (its manifest is ours,
    its config.yaml is not in it), are never deleted by a build or a rebuild into that folder."""
    out = tmp_path / "b"
    shutil.copytree(sample_build, out)
    (out / "scores").mkdir()
    (out / "scores" / "run1.jsonl").write_text("{}\n", encoding="utf-8")
    (out / "NOTES.txt").write_text("mine", encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "kcdata", "build", "--out", str(out), "--langs", "en"],
                         capture_output=True, text=True)
    assert res.returncode == 1
    assert "holds files its build did not write (NOTES.txt, scores/run1.jsonl)" in res.stderr
    assert (out / "NOTES.txt").read_text(encoding="utf-8") == "mine" and (out / "scores" / "run1.jsonl").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]

    record = tmp_path / "rel"
    shutil.copytree(ROOT / "releases" / "kcdata-sample" / "0.3.0", record)
    before = sorted(p.name for p in record.iterdir())
    for args in (["build", "--out", str(record)], ["rebuild", str(record), "--out", str(record)],
                 ["rebuild", str(record), "--out", str(record / "inside")]):
        res = subprocess.run([sys.executable, "-m", "kcdata", *args], capture_output=True, text=True)
        assert res.returncode == 1 and "Error: " in res.stderr and "Traceback" not in res.stderr, res.stderr
        assert sorted(p.name for p in record.iterdir()) == before, args
