"""Fixtures for scoring tests: rows in the built-dataset format, a tiny tokenizer, tiny models."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from score_fixtures import build_model, make_tokenizer, sample_rows  # noqa: E402


@pytest.fixture
def rows() -> list[dict[str, Any]]:
    return sample_rows()


@pytest.fixture
def rows_file(tmp_path: Path, rows: list[dict[str, Any]]) -> Path:
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_tokenizer():
    """A real WordLevel tokenizer trained on the fixture sentences."""
    return make_tokenizer()


@pytest.fixture(scope="session", params=["gpt2", "llama"])
def tiny_model(request, tiny_tokenizer):
    """(model, tokenizer) with random weights, GPT-2 and Llama architectures."""
    import torch

    torch.set_num_threads(1)
    tok = tiny_tokenizer
    device = os.environ.get("KCDATA_TEST_DEVICE", "cpu")  # cuda for the GPU check
    return build_model(request.param, len(tok), tok.eos_token_id, tok.pad_token_id).to(device), tok


@pytest.fixture
def saved_tiny(tmp_path, tiny_tokenizer):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=len(tiny_tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        eos_token_id=tiny_tokenizer.eos_token_id,
        pad_token_id=tiny_tokenizer.pad_token_id,
    )
    folder = tmp_path / "tiny-llama"
    LlamaForCausalLM(cfg).save_pretrained(folder)
    tiny_tokenizer.save_pretrained(folder)
    return folder
