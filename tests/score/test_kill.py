"""kill -9 at random moments of a real ``kcdata score`` process (issue 12): what a killed run leaves
is a prefix of the uninterrupted file (at most a torn last line after it), and the rerun that
resumes from it writes that file byte for byte, with no temporary files left beside it."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def test_kill_9_at_random_moments_of_score_then_resume_gives_the_uninterrupted_file(
        sample_build, saved_tiny, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}

    def args(out):
        return [sys.executable, "-m", "kcdata", "score", "--model", str(saved_tiny), "--data", str(sample_build),
                "--samples", "1", "--max-new-tokens", "4", "--batch-size", "2", "--limit", "80", "--out", str(out)]

    whole = tmp_path / "whole" / "scores.jsonl"
    times = []
    for run in (tmp_path / "cold" / "scores.jsonl", whole):  # the first run pays cold imports: time the second
        t0 = time.monotonic()
        subprocess.run(args(run), check=True, capture_output=True, env=env)
        times.append(time.monotonic() - t0)
    full = min(times)
    want = whole.read_bytes()
    assert (tmp_path / "cold" / "scores.jsonl").read_bytes() == want
    assert want.count(b"\n") == 80

    out = tmp_path / "killed" / "scores.jsonl"
    rng = random.Random(7)
    seen = set()
    for _ in range(8):
        proc = subprocess.Popen(args(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        time.sleep(rng.uniform(0.2, 1.0) * full)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        got = out.read_bytes() if out.exists() else b""
        whole_lines = got[: got.rfind(b"\n") + 1]
        assert want.startswith(whole_lines), "a kill left lines that the uninterrupted run does not write"
        seen.add(whole_lines.count(b"\n"))
    subprocess.run(args(out), check=True, capture_output=True, env=env)
    assert out.read_bytes() == want
    assert sorted(p.name for p in out.parent.iterdir()) == sorted(p.name for p in whole.parent.iterdir())
    assert len(seen) > 1, f"every kill fell at the same point ({seen}): the test did not test resuming"
