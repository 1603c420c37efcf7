"""`kcdata audit --nli-model DIR`: the NLI checks with tiny 3-way classifiers built in the test (a
real BERT architecture and tokenizer): one rigged to always answer entailment, one never, and a
model whose labels are not NLI labels."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("transformers")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "score"))

from kcdata.cli import main  # noqa: E402

LABELS = {0: "entailment", 1: "neutral", 2: "contradiction"}


def _model(tmp_path, always: int, labels=LABELS):
    import torch
    from score_fixtures import make_tokenizer
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    tok = make_tokenizer()
    cfg = BertConfig(vocab_size=len(tok), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=512, num_labels=len(labels),
                     id2label=labels, label2id={v: k for k, v in labels.items()}, pad_token_id=tok.pad_token_id)
    model = BertForSequenceClassification(cfg)
    with torch.no_grad():  # rig the head: one class wins whatever the input
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([10.0 if i == always else 0.0 for i in range(len(labels))]))
    out = tmp_path / f"nli-{always}-{len(labels)}"
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def _audit(build, model):
    return CliRunner().invoke(main, ["audit", str(build), "--json", "--nli-model", str(model)])


def test_a_model_that_entails_everything_flags_every_counter_context(sample_build, tmp_path):
    res = _audit(sample_build, _model(tmp_path, always=0))
    assert res.exit_code == 1 and "nli_counter_context_entails_original" in res.output
    report = json.loads(res.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    n = report["rows"]
    assert checks["nli_counter_context_entails_original"]["count"] == n
    assert checks["nli_counter_answer_not_entailed"]["count"] == 0


def test_a_model_that_entails_nothing_flags_every_counter_answer(sample_build, tmp_path):
    res = _audit(sample_build, _model(tmp_path, always=2))
    report = json.loads(res.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["nli_counter_answer_not_entailed"]["count"] == report["rows"]
    assert checks["nli_counter_context_entails_original"]["count"] == 0


def test_a_model_without_nli_labels_is_refused(sample_build, tmp_path):
    res = _audit(sample_build, _model(tmp_path, always=0, labels={0: "positive", 1: "negative"}))
    assert res.exit_code == 1 and "is not a 3-way NLI model" in res.output and "Traceback" not in res.output
    missing = CliRunner().invoke(main, ["audit", str(sample_build), "--nli-model", str(tmp_path / "none")])
    assert missing.exit_code == 1 and "no such folder" in missing.output
