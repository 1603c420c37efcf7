"""CLI behaviour: help on every command, bad input gives a clear message and exit 1 or 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from kcdata.cli import COMMANDS, main


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False, prog_name="kcdata")


@pytest.mark.parametrize("command", sorted(COMMANDS) + ["export lm-eval"])
def test_every_command_has_h_with_an_example(command):
    res = run(*command.split(), "-h")
    assert res.exit_code == 0, res.output
    assert "Usage:" in res.output
    assert f"kcdata {command} " in res.output.split("Usage:", 1)[1].split("\n", 1)[1]  # an example


def test_python_dash_m_and_version():
    out = subprocess.run([sys.executable, "-m", "kcdata", "--help"], capture_output=True, text=True, check=True)
    assert "build" in out.stdout and "push-to-hub" in out.stdout and "score" in out.stdout
    assert run("--version").output.startswith("kcdata, version ")


def test_build_and_validate(tmp_path):
    out = tmp_path / "ds"
    res = run("build", "--out", str(out), "--langs", "en,de", "--relations", "P6,P36,P1082")
    assert res.exit_code == 0, res.output
    assert "temporal" in res.output and "wrote" in res.output
    res = run("validate", str(out))
    assert res.exit_code == 0, res.output
    assert "rows valid" in res.output


def test_validate_reports_row_id_and_json_path(tmp_path, sample_build):
    import pyarrow.parquet as pq

    rows = pq.read_table(sample_build / "static" / "test-00000-of-00001.parquet").to_pylist()[:3]
    rows[1]["kind"] = "weird"
    del rows[2]["question"]
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "{not json\n")
    res = run("validate", str(path))
    assert res.exit_code == 1
    assert f"{rows[1]['id']} (" in res.output and "$.kind" in res.output
    assert f"{rows[2]['id']} (" in res.output and "'question' is a required property" in res.output
    assert f"{path}:4" in res.output and "malformed JSON" in res.output
    assert "Traceback" not in res.output


def test_validate_detects_tampered_file(tmp_path, sample_build):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(sample_build, copy)
    (copy / "rejects.jsonl").write_text("tampered\n")
    res = run("validate", str(copy))
    assert res.exit_code == 1 and "sha256 does not match" in res.output


def test_malformed_json_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[\n{"id": "Q1", "claims": {}},\n{"id": "Q2", "claims": \n]\n')
    res = run("classify", str(bad))
    assert res.exit_code == 1
    assert f"{bad}:3: malformed JSON" in res.output
    assert "Traceback" not in res.output


def test_unknown_relation():
    res = run("build", "--relations", "P6,P9999999")
    assert res.exit_code == 1
    assert "unknown relation 'P9999999'" in res.output


def test_missing_file():
    res = run("classify", "/nonexistent/entity.json")
    assert res.exit_code == 1 and "no such file" in res.output
    res = run("build", "/nonexistent/config.yaml")
    assert res.exit_code == 1 and "config file /nonexistent/config.yaml not found" in res.output


@pytest.mark.parametrize("date", ["2020-13-01", "yesterday", "2020/01/01"])
def test_bad_date(date, tmp_path):
    res = run("build", "--as-of", date, "--out", str(tmp_path / "x"))
    assert res.exit_code == 1
    assert "YYYY-MM-DD" in res.output
    assert not (tmp_path / "x").exists()


def test_usage_error_exit_2():
    res = run("build", "--seed", "-3")
    assert res.exit_code == 2
    res = run("no-such-command")
    assert res.exit_code == 2


def test_bad_config_values(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("languages: [en, 'not a lang']\nseed: -1\nbogus: 1\n")
    res = run("build", str(cfg), "--out", str(tmp_path / "o"))
    assert res.exit_code == 1
    assert "$.languages[1]" in res.output and "$.seed" in res.output and "bogus" in res.output


def test_language_without_templates(tmp_path):
    res = run("build", "--langs", "en,xx", "--out", str(tmp_path / "o"))
    assert res.exit_code == 1 and "no templates for language(s) xx" in res.output


def test_refuses_to_replace_a_foreign_folder(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    res = run("build", "--out", str(tmp_path / "mine"), "--relations", "P36")
    assert res.exit_code == 1 and "refusing to replace" in res.output
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"


def test_classify_reads_stdin(fixtures):
    text = (fixtures / "wikidata_entities/wikibase-dump-filter/Q22.json").read_text()
    res = run("classify", "-", "--relations", "P36", "--as-of", "2020-01-01", input=text)
    assert res.exit_code == 0, res.output
    (row,) = [json.loads(line) for line in res.output.splitlines()]
    assert row["subject_id"] == "Q22" and row["relation"] == "P36" and row["fact_type"] == "static"
    assert row["values"][0]["label"] == "Edinburgh"


@pytest.mark.parametrize("command", [["export", "lm-eval"], ["release", "x", "1", "--from"], ["push-to-hub"]])
def test_publish_commands_reject_a_broken_manifest(command, tmp_path):
    folder = tmp_path / "built"
    folder.mkdir()
    (folder / "manifest.json").write_text("{not json")
    args = [*command, str(folder)] + (["user/repo", "--dry-run"] if command == ["push-to-hub"] else [])
    if command[0] == "release":
        args += ["--releases-dir", str(tmp_path / "releases")]
    res = run(*args)
    assert res.exit_code == 1, res.output
    assert "manifest.json is not valid JSON" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "releases").exists()


def _dump_of_first50(tmp_path):
    from pathlib import Path

    fixtures = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
    first50 = fixtures / "wikidata_dump_sample" / "wikibase-dump-filter_latest-all_first50.json"
    lines = [ln.strip().rstrip(b",") for ln in first50.read_bytes().splitlines()]
    lines = [ln for ln in lines if ln and ln not in (b"[", b"]")]
    import gzip

    path = tmp_path / "wikidata-20250101-all.json.gz"
    path.write_bytes(gzip.compress(b"[\n" + b",\n".join(lines) + b"\n]\n"))
    return path


def test_build_source_dump_takes_the_path_as_argument(tmp_path):
    """`kcdata build --source dump PATH`, as the issue spells it, is the same as --source-path."""
    path = _dump_of_first50(tmp_path)
    args = ["--source", "dump", "--langs", "en", "--as-of", "2025-01-01",
            "--no-wikipedia"]
    a = run("build", *args, str(path), "--out", str(tmp_path / "a"))
    b = run("build", *args, "--source-path", str(path), "--out", str(tmp_path / "b"))
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    rows = int(a.output.split("wrote ")[1].split()[0])
    assert rows > 0 and f"wrote {rows} rows" in b.output
    ma = json.loads((tmp_path / "a" / "manifest.json").read_text(encoding="utf-8"))
    assert ma["sources"][0]["kind"] == "dump" and ma["sources"][0]["path"] == str(path)


def test_build_with_a_dump_as_config_or_a_bad_dump_says_so(tmp_path):
    path = _dump_of_first50(tmp_path)
    res = run("build", str(path), "--out", str(tmp_path / "x"))  # forgot --source dump
    assert res.exit_code == 1 and "not a YAML build config" in res.output and "--source-path" in res.output
    res = run("build", str(tmp_path), "--out", str(tmp_path / "x"))
    assert res.exit_code == 1 and "is a folder, not a build config" in res.output
    cut = tmp_path / "cut.json.gz"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    res = run("build", "--source", "dump", str(cut), "--relations", "P36", "--no-wikipedia",
              "--as-of", "2025-01-01", "--out", str(tmp_path / "y"))
    assert res.exit_code == 1 and "truncated" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "y").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".y")]  # no temp left behind
    res = run("build", "--source", "dump", str(tmp_path / "nope.json.gz"), "--out", str(tmp_path / "z"))
    assert res.exit_code == 1 and "not found" in res.output
