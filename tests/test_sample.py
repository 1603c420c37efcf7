"""The embedded sample is rebuilt byte for byte from the fixtures by the script kept in the repo."""

from __future__ import annotations

import subprocess
import sys

from kcdata.resources import sample_dir


def test_build_sample_script_reproduces_the_embedded_sample(tmp_path, fixtures):
    script = sample_dir().parents[2] / "scripts" / "build_sample.py"
    subprocess.run([sys.executable, str(script), "--fixtures", str(fixtures), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    names = sorted(p.name for p in sample_dir().iterdir() if not p.name.startswith("."))
    assert names == ["PROVENANCE.md", "entities.json.gz", "labels.jsonl.gz", "snapshot.json", "wikipedia.jsonl.gz"]
    for name in names:
        assert (tmp_path / name).read_bytes() == (sample_dir() / name).read_bytes(), name
