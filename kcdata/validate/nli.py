"""``kcdata audit --nli-model DIR``: does each counter context entail its counter answer and no
longer entail the original one, judged by a local 3-way NLI model (as the best peers filter their
generated contexts)?

The premise is the counter context; the hypotheses are the question followed by the counter
answer, and by the original answer. A model's labels are read from its config (``id2label``: one
label containing "entail", one "contradict", one "neutral"); a model without them is refused.
Needs ``torch`` and ``transformers`` (the ``score`` extra); nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kcdata.errors import ConfigError

CHECKS = ("nli_counter_answer_not_entailed", "nli_counter_context_entails_original")


def load_nli(model_dir: str | Path) -> tuple[Any, Any, int]:
    """The model, its tokenizer and the index of its entailment label.

    Raises:
        ConfigError: no model folder, not loadable, or not a 3-way NLI classifier.
    """
    path = Path(model_dir)
    if not path.is_dir():
        raise ConfigError(f"--nli-model {path}: no such folder", "pass a local 3-way NLI model folder")
    try:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
    except ImportError:
        raise ConfigError("--nli-model needs torch and transformers", "pip install '.[score]'") from None
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(str(path), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--nli-model {path}: cannot load it ({str(exc).splitlines()[0][:200]})",
                          "pass a local 3-way NLI model folder") from None
    labels = {int(i): str(v).lower() for i, v in (model.config.id2label or {}).items()}
    kinds = {k: [i for i, v in labels.items() if k in v] for k in ("entail", "contradict", "neutral")}
    if len(labels) != 3 or any(len(v) != 1 for v in kinds.values()):
        raise ConfigError(f"--nli-model {path} is not a 3-way NLI model (labels {sorted(labels.values())})",
                          "its config's id2label needs entailment, neutral and contradiction")
    model.eval()
    return model, tokenizer, kinds["entail"][0]


def judge(rows: Sequence[dict[str, Any]], model: Any, tokenizer: Any, entail: int,
          batch_size: int = 16) -> dict[str, list[str]]:
    """Row ids failing each of :data:`CHECKS`, in row order."""
    import torch

    pairs: list[tuple[str, str]] = []
    for r in rows:
        premise = r["context_counter"]
        pairs.append((premise, f"{r['question']} {r['counterfactual']['label']}"))
        pairs.append((premise, f"{r['question']} {r['object']['label']}"))
    predicted: list[int] = []
    with torch.inference_mode():
        for start in range(0, len(pairs), batch_size):
            chunk = pairs[start:start + batch_size]
            enc = tokenizer([p for p, _ in chunk], [h for _, h in chunk], padding=True, truncation=True,
                            max_length=256, return_tensors="pt")
            predicted.extend(model(**enc).logits.argmax(-1).tolist())
    out = {name: [] for name in CHECKS}
    for i, r in enumerate(rows):
        if predicted[2 * i] != entail:
            out["nli_counter_answer_not_entailed"].append(r["id"])
        if predicted[2 * i + 1] == entail:
            out["nli_counter_context_entails_original"].append(r["id"])
    return out


__all__ = ["CHECKS", "load_nli", "judge"]
