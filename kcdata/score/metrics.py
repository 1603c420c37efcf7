"""Knowledge-conflict metrics as pure functions (numpy only, no model, no I/O).

Notation (../shared/DESIGN.md, Scoring): question ``q``, context ``c``, the original (memory) answer
``o`` and the substitute (counter-memory) answer ``s``.

Conventions shared by every function here:

* **Text matching** goes through :func:`normalize_answer` (Unicode NFKC, case folding, punctuation to
  spaces, articles removed, whitespace collapsed). An *empty* prediction (empty after normalisation)
  matches nothing. A *truncated* prediction (the generation hit ``max_new_tokens``) is matched as is:
  its text is whatever was generated.
* **Probabilities** are handled in float64 log space. A zero probability on the left of a KL term
  contributes 0 (``0 log 0 = 0``); a zero on the right where the left is positive makes the KL
  infinite unless the function smooths (only :func:`coherent_persuasion` smooths, and says how).
* **Undefined values** (no eligible rows, no samples) are ``nan``; writers turn non-finite values into
  JSON ``null`` and aggregates skip them, counting how many were skipped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Literal

import numpy as np

from kcdata.normalise import ARTICLES, normalize_answer

__all__ = [
    "ARTICLES",
    "Match",
    "acknowledges_conflict",
    "classify_prediction",
    "coherent_persuasion",
    "contains_match",
    "discrete_semantic_entropy",
    "exact_match",
    "kl_divergence",
    "memorisation_ratio",
    "normalize_answer",
    "partition_clusters",
    "persuaded_stubborn",
    "persuasion_scores",
    "semantic_entropy",
    "susceptibility",
]

Match = Literal["original", "counter", "both", "other"]


def _normalized_answers(answers: Iterable[str], language: str | None) -> list[str]:
    out = []
    for ans in answers:
        norm = normalize_answer(ans, language)
        if norm and norm not in out:
            out.append(norm)
    return out


def exact_match(prediction: str, answers: Iterable[str], language: str | None = "en") -> bool:
    """Exact match: ``normalize(prediction) == normalize(a)`` for some accepted answer ``a``.

    Source: SQuAD exact match (Rajpurkar et al. 2016) over every alias, as in Longpre et al. 2021.
    An empty prediction or an empty answer list never matches.

    Args:
        prediction: Model output text.
        answers: Accepted surface forms (label and aliases).
        language: Row language (articles).

    Returns:
        Whether the prediction equals one of the answers after normalisation.
    """
    pred = normalize_answer(prediction, language)
    return bool(pred) and pred in _normalized_answers(answers, language)


def contains_match(prediction: str, answers: Iterable[str], language: str | None = "en") -> bool:
    """Contains match: some normalised answer occurs in the normalised prediction as whole words.

    ``contains(p, A) = any(" " + norm(a) + " " in " " + norm(p) + " " for a in A)``; the
    word-boundary guard keeps "Paris" from matching "Parisian". Usual in open-ended generation QA
    (e.g. Kandpal et al. 2023; DynamicQA). Empty predictions never match; a truncated prediction is
    matched on the text it has.

    Args:
        prediction: Model output text.
        answers: Accepted surface forms.
        language: Row language (articles).

    Returns:
        Whether any answer is contained in the prediction.
    """
    pred = normalize_answer(prediction, language)
    if not pred:
        return False
    padded = f" {pred} "
    return any(f" {ans} " in padded for ans in _normalized_answers(answers, language))


def classify_prediction(
    prediction: str,
    original: Iterable[str],
    counter: Iterable[str],
    language: str | None = "en",
) -> Match:
    """Which answer a prediction gives: ``original``, ``counter``, ``both`` or ``other``.

    Uses :func:`contains_match` against the original answers ``o`` and the counter answers ``s``.
    Longpre et al. (2021) sort predictions into original / substitute / other the same way.

    Args:
        prediction: Model output text (empty gives ``other``).
        original: Surface forms of ``o``.
        counter: Surface forms of ``s``.
        language: Row language.

    Returns:
        The match class.
    """
    is_o = contains_match(prediction, original, language)
    is_s = contains_match(prediction, counter, language)
    if is_o and is_s:
        return "both"
    if is_o:
        return "original"
    if is_s:
        return "counter"
    return "other"


def memorisation_ratio(matches: Iterable[Match]) -> float:
    """Memorisation ratio of Longpre et al. (2021), "Entity-Based Knowledge Conflicts in QA".

    ``MR = n_o / (n_o + n_s)`` over predictions made *with the counter-memory context*, where
    ``n_o`` counts predictions giving only the original answer and ``n_s`` only the substitute.
    Predictions naming both, neither, or empty ones are left out of both counts.

    Args:
        matches: :func:`classify_prediction` results under the counter context.

    Returns:
        MR in [0, 1]; ``nan`` when ``n_o + n_s == 0``.
    """
    n_o = n_s = 0
    for m in matches:
        n_o += m == "original"
        n_s += m == "counter"
    return n_o / (n_o + n_s) if n_o + n_s else math.nan


def persuaded_stubborn(
    counter_prediction: str,
    no_context_prediction: str,
    original: Iterable[str],
    counter: Iterable[str],
    language: str | None = "en",
) -> tuple[bool, bool]:
    """Persuaded / stubborn flags for one row (DynamicQA, Marjanović et al. 2024).

    With the counter-memory context the model is *persuaded* when its answer gives ``s`` and not
    ``o``; it is *stubborn* when it is not persuaded and its answer still gives ``o``, or equals
    (after normalisation) its own non-empty no-context answer. The two are exclusive; the rates are
    the means of the flags over counter-context rows. Empty predictions are neither.

    Args:
        counter_prediction: Answer with the counter-memory context.
        no_context_prediction: Answer without context.
        original: Surface forms of ``o``.
        counter: Surface forms of ``s``.
        language: Row language.

    Returns:
        ``(persuaded, stubborn)``.
    """
    original, counter = list(original), list(counter)
    match = classify_prediction(counter_prediction, original, counter, language)
    persuaded = match == "counter"
    norm_pred = normalize_answer(counter_prediction, language)
    norm_prior = normalize_answer(no_context_prediction, language)
    same_as_prior = bool(norm_pred) and norm_pred == norm_prior
    stubborn = not persuaded and (match in {"original", "both"} or same_as_prior)
    return persuaded, stubborn


def _nonneg(value: float) -> float:
    """Clip rounding noise below 0 (and -0.0) to 0.0."""
    return 0.0 if value <= 0 else value  # nan stays nan


def _as_logprob(x: np.ndarray | Sequence[float], *, log: bool) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if log:
        return arr
    with np.errstate(divide="ignore"):
        return np.log(arr)


def kl_divergence(
    p: np.ndarray | Sequence[float],
    q: np.ndarray | Sequence[float],
    *,
    log: bool = True,
) -> float:
    """Kullback-Leibler divergence ``KL(p ‖ q) = Σ_y p(y) (log p(y) − log q(y))``.

    Terms with ``p(y) = 0`` contribute 0; a term with ``p(y) > 0`` and ``q(y) = 0`` makes the
    result ``inf`` (no smoothing here). Computed in float64; tiny negative results from rounding are
    clipped to 0, so identical distributions give exactly 0.

    Args:
        p: Distribution (or log-distribution when ``log``) over the same support as ``q``.
        q: Reference distribution.
        log: Whether ``p`` and ``q`` are log-probabilities (e.g. ``log_softmax`` outputs).

    Returns:
        The divergence in nats.
    """
    lp = _as_logprob(p, log=log)
    lq = _as_logprob(q, log=log)
    if lp.shape != lq.shape:
        raise ValueError(f"shape mismatch: {lp.shape} vs {lq.shape}")
    pp = np.exp(lp)
    mask = pp > 0
    if np.any(np.isneginf(lq[mask])):
        return math.inf
    return _nonneg(float(np.sum(pp[mask] * (lp[mask] - lq[mask]))))


def _log_mean(logps: np.ndarray) -> np.ndarray:
    """``log(mean_i exp(logps[i]))`` row-wise, stable."""
    m = np.max(logps, axis=0)
    m_safe = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return m_safe + np.log(np.mean(np.exp(logps - m_safe), axis=0))


def persuasion_scores(
    context_logprobs: np.ndarray,
    no_context_logprobs: np.ndarray | None = None,
) -> dict[str, list[float]]:
    """Persuasion score ψ of each context, with both references.

    ``ψ(c, q) = KL( p(Y | c, q) ‖ p(Y | q) )`` (Du et al. 2024, "Context versus Prior Knowledge in
    Language Models"), where ``p(Y | ·)`` is the model's next-token distribution at the answer
    position (full vocabulary). Two references for ``p(Y | q)``:

    * ``no_context``: the distribution without any context, as DynamicQA (Marjanović et al. 2024).
    * ``context_average``: ``(1/|C|) Σ_c p(Y | c, q)`` over the row's contexts, as Du et al.; the
      mean of these ψ is the susceptibility χ(q) (:func:`susceptibility`).

    Log-softmax outputs of finite logits are never ``-inf`` in practice, so no smoothing is applied;
    a zero reference probability under a positive one gives ``inf`` (reported as null).

    Args:
        context_logprobs: ``[n_contexts, V]`` log-probabilities, one row per context.
        no_context_logprobs: ``[V]`` log-probabilities without context, or ``None``.

    Returns:
        ``{"context_average": [ψ per context], "no_context": [ψ per context]}``
        (``no_context`` is empty when no reference is given).
    """
    ctx = np.atleast_2d(np.asarray(context_logprobs, dtype=np.float64))
    avg = _log_mean(ctx)
    out: dict[str, list[float]] = {
        "context_average": [kl_divergence(row, avg) for row in ctx],
        "no_context": [],
    }
    if no_context_logprobs is not None:
        ref = np.asarray(no_context_logprobs, dtype=np.float64)
        out["no_context"] = [kl_divergence(row, ref) for row in ctx]
    return out


def susceptibility(context_logprobs: np.ndarray) -> float:
    """Susceptibility χ(q) of Du et al. (2024): ``χ(q) = E_c[ KL( p(Y|c,q) ‖ p(Y|q) ) ]``.

    With ``p(Y|q)`` the average of ``p(Y|c,q)`` over the contexts given (their uniform mixture), χ
    is the generalised Jensen-Shannon divergence of the context distributions: 0 when all contexts
    give the same distribution, at most ``log |C|``.

    Args:
        context_logprobs: ``[n_contexts, V]`` log-probabilities.

    Returns:
        χ in nats (``nan`` with no contexts).
    """
    ctx = np.atleast_2d(np.asarray(context_logprobs, dtype=np.float64))
    if ctx.shape[0] == 0:
        return math.nan
    return float(np.mean(persuasion_scores(ctx)["context_average"]))


def partition_clusters(
    texts: Sequence[str],
    equivalent: Callable[[str, str], bool],
) -> list[int]:
    """Partition texts into semantic-equivalence clusters, deterministically.

    Builds the graph with an edge between ``i`` and ``j`` when ``equivalent(t_i, t_j)`` and
    ``equivalent(t_j, t_i)`` (both directions, as the bidirectional entailment of Kuhn et al. 2023)
    and returns its connected components: a partition (every sample in exactly one cluster) that does
    not depend on the order the samples come in, unlike the greedy, overlapping, order-dependent
    clustering of DynamicQA's code. Identical strings are joined without calling ``equivalent``.
    Cluster ids are numbered by first appearance (0, 1, ...).

    Args:
        texts: Sample texts (empty strings allowed: they are equivalent to each other).
        equivalent: Predicate; called only on pairs of distinct strings.

    Returns:
        One cluster id per text.
    """
    n = len(texts)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    first_of: dict[str, int] = {}
    for i, t in enumerate(texts):
        if t in first_of:
            union(first_of[t], i)
        else:
            first_of[t] = i
    uniq = list(first_of.values())
    for a in range(len(uniq)):
        for b in range(a + 1, len(uniq)):
            i, j = uniq[a], uniq[b]
            if find(i) == find(j):
                continue
            if equivalent(texts[i], texts[j]) and equivalent(texts[j], texts[i]):
                union(i, j)
    labels: dict[int, int] = {}
    return [labels.setdefault(find(i), len(labels)) for i in range(n)]


def _cluster_means(dists: np.ndarray, labels: Sequence[int]) -> list[np.ndarray]:
    keep = [i for i in range(len(labels)) if np.all(np.isfinite(dists[i]))]
    groups: dict[int, list[int]] = {}
    for i in keep:
        groups.setdefault(int(labels[i]), []).append(i)
    return [dists[idx].mean(axis=0) for _, idx in sorted(groups.items())]


def coherent_persuasion(
    dists_with: np.ndarray,
    labels_with: Sequence[int],
    dists_without: np.ndarray,
    labels_without: Sequence[int],
    *,
    smoothing: float = 1e-6,
) -> float:
    """Coherent persuasion (CP) of DynamicQA (Marjanović et al. 2024), with a partition and smoothing.

    Each sample's distribution is the mean over its generated steps of the softmax over the
    vocabulary (the step that emits end-of-sequence counts; the runner uses the model's untempered
    distribution). A cluster's distribution is the mean of its members'. Then::

        CP = 1 / (|D| |C|) Σ_{D ∈ clusters with context} Σ_{C ∈ clusters without} KL(P̃_D ‖ P̃_C)

    with additive smoothing towards uniform, ``P̃ = (1 − α) P + α / V`` (``α = smoothing``), which
    keeps every term finite (at most ``log(V / α)``), instead of DynamicQA's dropping of non-finite
    terms. Samples whose distribution is missing (a row of ``nan``: zero generated steps) are left out;
    a truncated sample counts with the steps it has. Identical distributions give 0.

    Args:
        dists_with: ``[N, V]`` per-sample mean distributions with context.
        labels_with: Cluster id of each sample with context (:func:`partition_clusters`).
        dists_without: ``[M, V]`` per-sample mean distributions without context.
        labels_without: Cluster ids without context.
        smoothing: α in [0, 1).

    Returns:
        CP in nats; ``nan`` when a side has no usable sample.
    """
    dw = np.atleast_2d(np.asarray(dists_with, dtype=np.float64))
    do = np.atleast_2d(np.asarray(dists_without, dtype=np.float64))
    if len(labels_with) != dw.shape[0] or len(labels_without) != do.shape[0]:
        raise ValueError("one cluster label per sample is required")
    cw = _cluster_means(dw, labels_with)
    co = _cluster_means(do, labels_without)
    if not cw or not co:
        return math.nan
    vocab = dw.shape[1]

    def smooth(p: np.ndarray) -> np.ndarray:
        p = p / p.sum()
        return (1.0 - smoothing) * p + smoothing / vocab

    with np.errstate(divide="ignore"):  # log 0 = -inf only when smoothing is 0
        lw = [np.log(smooth(p)) for p in cw]
        lo = [np.log(smooth(p)) for p in co]
    return float(np.mean([kl_divergence(a, b) for a in lw for b in lo]))


def semantic_entropy(logliks: Sequence[float], labels: Sequence[int]) -> float:
    """Semantic entropy of Kuhn et al. (2023), "Semantic Uncertainty", from cluster likelihoods.

    ``log p(C) = logsumexp_{s ∈ C} ℓ(s)`` with ``ℓ(s)`` a sample's length-normalised sequence
    log-likelihood (mean token log-probability, end-of-sequence token included). Cluster
    probabilities are normalised over the clusters found, ``p̄(C) = p(C) / Σ_C' p(C')``, and
    ``SE = − Σ_C p̄(C) log p̄(C)``. Samples with a non-finite ``ℓ`` (zero generated tokens or a
    zero-probability token) are left out. One cluster gives 0; all samples empty forms one cluster
    (empty texts are equivalent), so 0 too.

    Args:
        logliks: ``ℓ(s)`` per sample.
        labels: Cluster id per sample.

    Returns:
        SE in nats; ``nan`` with no usable sample.
    """
    ll = np.asarray(logliks, dtype=np.float64)
    keep = np.isfinite(ll)
    if not np.any(keep):
        return math.nan
    groups: dict[int, list[float]] = {}
    for value, lab in zip(ll[keep], np.asarray(labels)[keep], strict=True):
        groups.setdefault(int(lab), []).append(float(value))
    log_pc = np.array([np.logaddexp.reduce(v) for v in groups.values()])
    log_pc -= np.logaddexp.reduce(log_pc)
    pc = np.exp(log_pc)
    return _nonneg(float(-np.sum(pc * log_pc)))


def discrete_semantic_entropy(labels: Sequence[int]) -> float:
    """Discrete semantic entropy (Farquhar et al. 2024, Nature; Kuhn et al. 2023's clusters).

    ``p(C) = |C| / N`` (frequency of the cluster among the N samples) and
    ``SE_d = − Σ_C p(C) log p(C)``. Needs no likelihoods; one cluster gives 0, N singletons
    ``log N``.

    Args:
        labels: Cluster id per sample.

    Returns:
        SE_d in nats; ``nan`` with no sample.
    """
    if len(labels) == 0:
        return math.nan
    _, counts = np.unique(np.asarray(labels), return_counts=True)
    p = counts / counts.sum()
    return _nonneg(float(-np.sum(p * np.log(p))))


def acknowledges_conflict(
    prediction: str,
    answers: Iterable[str],
    rival_answers: Iterable[str],
    language: str | None = "en",
) -> bool:
    """Conflict acknowledgement on a disputable row: the answer names both rival values.

    True when the prediction contains (:func:`contains_match`) one of the original answers *and*
    one of the rival answers (WikiContradict, Hou et al. 2024, and DynamicQA judge answers to disputed
    questions by whether they mention both sides). Empty predictions, or rows with no rival answers,
    give False.

    Args:
        prediction: Model output text.
        answers: Surface forms of the value the row holds.
        rival_answers: Surface forms of the other disputed values.
        language: Row language.

    Returns:
        Whether both sides are named.
    """
    rivals = list(rival_answers)
    return bool(rivals) and (
        contains_match(prediction, answers, language) and contains_match(prediction, rivals, language)
    )
