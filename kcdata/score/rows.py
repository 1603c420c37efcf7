"""Turn dataset rows into per-row results: prompts, model passes, every metric, one record a row.

Each row is asked under three conditions (:data:`CONDITIONS`). Its prompts are tokenised once and
the rows sorted by prompt length, so batches hold similar lengths; a batch of rows then gets one
generation pass and one candidate log-probability pass (:class:`~kcdata.score.runner.ModelRunner`),
and each row becomes one record: a per-condition record (prediction, matches, log-probabilities, top
next tokens, samples and their clusters) plus the row-level metrics (persuasion, susceptibility,
coherent persuasion, persuaded / stubborn).

Resuming: results are appended to the per-row JSONL one batch at a time; a new run skips the ids
already there (a torn last line from a kill is dropped) after checking the settings match
(:mod:`kcdata.score.data`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from kcdata.errors import InputError
from kcdata.score import metrics
from kcdata.score.data import append_results, read_done, read_results, settings_of
from kcdata.score.equivalence import AliasEquivalence, Equivalence, EquivalenceContext
from kcdata.score.prompts import first_line
from kcdata.score.runner import (
    Generation,
    ModelRunner,
    ScoreConfig,
    _encode_prompt,
    answer_text,
    build_prompt,
    stable_seed,
)

log = logging.getLogger(__name__)

CONDITIONS = ("none", "original", "counter")
"""No context, original-answer context, counter-memory context."""

CONTEXTS = ("original", "counter")
"""The conditions with a context (persuasion and coherent persuasion are given for each)."""

CANDIDATES = ("original", "counter")
"""The candidate answers scored under every condition: the original and the counterfactual label."""

Encoded = dict[str, dict[str, tuple[str, list[int]]]]
"""Per row id, per condition: the prompt text and its token ids."""


def _settings_key(model_name: str, config: ScoreConfig, equivalence: Equivalence) -> str:
    # batch size changes speed, not results: a run may resume with another one
    settings = {k: v for k, v in asdict(config).items() if k != "batch_size"}
    blob = json.dumps([model_name, settings, equivalence.name], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------------------------------
# the run


def score_rows(
    rows: Iterable[dict[str, Any]],
    model: Any,
    tokenizer: Any,
    out_path: str | Path,
    *,
    config: ScoreConfig | None = None,
    equivalence: Equivalence | None = None,
    model_name: str = "model",
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Score rows with a model, appending one JSON object per row to ``out_path`` (resumable).

    Args:
        rows: Dataset rows (docs/ARCHITECTURE.md format).
        model: Causal LM in eval mode.
        tokenizer: Its tokenizer.
        out_path: Per-row JSONL output; rows already there (same settings) are skipped.
        config: Run settings.
        equivalence: Clustering plug-in (default ``alias_v1``).
        model_name: Recorded in the output.
        progress: Show a progress bar on stderr.

    Returns:
        Every per-row result in ``out_path`` (old and new), in file order.
    """
    import torch

    config = config or ScoreConfig()
    equivalence = equivalence or AliasEquivalence()
    out_path = Path(out_path)
    settings = _settings_key(model_name, config, equivalence)
    done = read_done(out_path, settings, settings_of(model_name, config, equivalence.name))
    everything = _pending_rows(rows, set())
    pending_ids = {r["id"] for r in everything} - done
    log.info("%d rows to score, %d already in %s", len(pending_ids), len(done), out_path)
    runner = ModelRunner(model, tokenizer, config)

    # Batches are cut from every row (longest prompts first, then input order), not from the
    # pending ones: a resumed run computes each batch exactly as an uninterrupted run with the same
    # --batch-size did (padding and batch shape change the last float digits), and writes only
    # the rows that are missing.
    encoded = _encode_rows(everything, tokenizer, config.prompt)
    everything.sort(key=lambda r: -max(len(v[1]) for v in encoded[r["id"]].values()))

    out_path.parent.mkdir(parents=True, exist_ok=True)
    bar = _progress_bar(len(pending_ids)) if progress else None
    torch.manual_seed(config.seed)
    with out_path.open("a", encoding="utf-8") as fh:
        for start in range(0, len(everything), config.batch_size):
            chunk = everything[start : start + config.batch_size]
            todo = [r for r in chunk if r["id"] in pending_ids]
            if not todo:
                continue
            records = _score_chunk(chunk, encoded, runner, equivalence, config, model_name, settings)
            append_results(fh, [rec for rec in records if rec["id"] in pending_ids])
            if bar is not None:
                bar.update(len(todo))
    if bar is not None:
        bar.close()
    return read_results(out_path)


def _pending_rows(rows: Iterable[dict[str, Any]], done: set[str]) -> list[dict[str, Any]]:
    """The rows not in ``done``, in input order; refuses duplicate ids among them."""
    pending = [r for r in rows if r["id"] not in done]
    seen: set[str] = set()
    for r in pending:
        if r["id"] in seen:
            raise InputError(f"duplicate row id {r['id']!r}", remedy="deduplicate the dataset rows")
        seen.add(r["id"])
    return pending


def _encode_rows(rows: Iterable[dict[str, Any]], tokenizer: Any, prompt: str) -> Encoded:
    """Every row's prompt under every condition, as text and token ids."""
    encoded: Encoded = {}
    for r in rows:
        per: dict[str, tuple[str, list[int]]] = {}
        for cond in CONDITIONS:
            context = None if cond == "none" else r[f"context_{cond}"]
            text = build_prompt(tokenizer, r["question"], context, r["language"], prompt)
            per[cond] = (text, _encode_prompt(tokenizer, text))
        encoded[r["id"]] = per
    return encoded


def _progress_bar(total: int) -> Any:
    try:
        from tqdm.auto import tqdm

        return tqdm(total=total, desc="scoring", unit="row")
    except ImportError:  # pragma: no cover - tqdm ships with transformers
        return None


def _score_chunk(
    chunk: list[dict[str, Any]],
    encoded: Encoded,
    runner: ModelRunner,
    equivalence: Equivalence,
    config: ScoreConfig,
    model_name: str,
    settings: str,
) -> list[dict[str, Any]]:
    """One batch of rows: the model passes, then one record per row."""
    gens, scored = _model_outputs(chunk, encoded, runner, config)
    records = []
    for r in chunk:
        rid = r["id"]
        row_gens = {cond: gens[(rid, cond)] for cond in CONDITIONS}
        conds = _condition_records(r, encoded[rid], row_gens, scored, runner.tokenizer, equivalence, config)
        records.append(_row_record(r, conds, row_gens, config, equivalence, model_name, settings))
    return records


# --------------------------------------------------------------------------------------------------
# model passes


def _model_outputs(
    chunk: list[dict[str, Any]], encoded: Encoded, runner: ModelRunner, config: ScoreConfig
) -> tuple[dict[tuple[str, str], Generation], dict[tuple[str, str, str], list[float]]]:
    """Generation for every (row, condition) prompt, then the candidates' token log-probabilities.

    Returns:
        ``{(id, condition): Generation}`` and ``{(id, condition, candidate): [log-prob per token]}``.
    """
    keys = [(r["id"], cond) for r in chunk for cond in CONDITIONS]
    prompt_ids = [encoded[rid][cond][1] for rid, cond in keys]
    seeds = [stable_seed(config.seed, rid, cond) for rid, cond in keys]
    gens = dict(zip(keys, runner.generate(prompt_ids, seeds), strict=True))
    s_prompts, s_conts, s_keys = _candidate_sequences(chunk, encoded, runner.tokenizer)
    scored = dict(zip(s_keys, runner.score(s_prompts, s_conts), strict=True))
    return gens, scored


def _candidate_sequences(
    chunk: list[dict[str, Any]], encoded: Encoded, tok: Any
) -> tuple[list[list[int]], list[list[int]], list[tuple[str, str, str]]]:
    """Prompt ids, continuation ids and keys of the original and counterfactual label per condition."""
    s_prompts, s_conts, s_keys = [], [], []
    for r in chunk:
        for cond in CONDITIONS:
            text, ids = encoded[r["id"]][cond]
            labels = (r["object"]["label"], r["counterfactual"]["label"])
            for which, label in zip(CANDIDATES, labels, strict=True):
                s_prompts.append(ids)
                # a missing label scores nothing (log-probability null), never the string "None"
                cont = (
                    tok(answer_text(text, str(label)), add_special_tokens=False)["input_ids"] if label else []
                )
                s_conts.append(cont)
                s_keys.append((r["id"], cond, which))
    return s_prompts, s_conts, s_keys


# --------------------------------------------------------------------------------------------------
# per-condition records


def _answer_sets(r: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """The row's original answers, counter answers and rival answers (aliases each)."""
    return list(r["answers"]), list(r["counter_answers"]), list(r.get("rival_answers") or [])


def _condition_records(
    r: dict[str, Any],
    prompts: dict[str, tuple[str, list[int]]],
    gens: dict[str, Generation],
    scored: dict[tuple[str, str, str], list[float]],
    tok: Any,
    equivalence: Equivalence,
    config: ScoreConfig,
) -> dict[str, dict[str, Any]]:
    """The row's record under each condition, in :data:`CONDITIONS` order."""
    answers, counters, rivals = _answer_sets(r)
    groups = tuple(tuple(g) for g in (answers, counters, rivals) if g)
    ectx = EquivalenceContext(question=r["question"], language=r["language"], answer_groups=groups)
    conds: dict[str, dict[str, Any]] = {}
    for cond in CONDITIONS:
        lp_o, lp_s = (scored[(r["id"], cond, which)] for which in CANDIDATES)
        rec = _prediction_record(r, len(prompts[cond][1]), gens[cond], lp_o, lp_s, tok)
        if config.top_k and gens[cond].first_logprobs is not None:
            rec["top_next_tokens"] = _top_next_tokens(gens[cond].first_logprobs, tok, config.top_k)
        if config.samples:
            rec.update(_sample_fields(gens[cond], tok, equivalence, ectx))
        conds[cond] = rec
    return conds


def _prediction_record(
    r: dict[str, Any], prompt_tokens: int, g: Generation, lp_o: list[float], lp_s: list[float], tok: Any
) -> dict[str, Any]:
    """The greedy prediction, its matches and the candidates' summed log-probabilities."""
    lang = r["language"]
    answers, counters, rivals = _answer_sets(r)
    raw = tok.decode(g.greedy, skip_special_tokens=True)
    pred = first_line(raw)
    return {
        "prompt_tokens": prompt_tokens,
        "prediction": pred,
        "raw_prediction": raw,
        "empty": not metrics.normalize_answer(pred, lang),
        "truncated": g.greedy_truncated,
        "generated_tokens": len(g.greedy),
        "exact_original": metrics.exact_match(pred, answers, lang),
        "contains_original": metrics.contains_match(pred, answers, lang),
        "exact_counter": metrics.exact_match(pred, counters, lang),
        "contains_counter": metrics.contains_match(pred, counters, lang),
        "match": metrics.classify_prediction(pred, answers, counters, lang),
        "logprob_original": sum(lp_o) if lp_o else None,
        "logprob_counter": sum(lp_s) if lp_s else None,
        "tokens_original": len(lp_o),
        "tokens_counter": len(lp_s),
        "acknowledges_conflict": (
            metrics.acknowledges_conflict(pred, answers, rivals, lang) if r["kind"] == "disputable" else None
        ),
    }


def _top_next_tokens(first_logprobs: Any, tok: Any, k: int) -> list[list[Any]]:
    """The ``k`` likeliest first answer tokens as ``[text, log-prob]``."""
    top = first_logprobs.topk(k)
    return [[tok.decode([int(t)]), float(v)] for v, t in zip(top.values, top.indices, strict=True)]


def _sample_fields(
    g: Generation, tok: Any, equivalence: Equivalence, ectx: EquivalenceContext
) -> dict[str, Any]:
    """The N samples as text, their clusters and semantic entropies."""
    texts = [first_line(tok.decode(s, skip_special_tokens=True)) for s in g.samples]
    labels = equivalence.cluster(texts, ectx)
    return {
        "samples": texts,
        "sample_truncated": g.sample_truncated,
        "clusters": labels,
        "semantic_entropy": metrics.semantic_entropy(g.logliks, labels),
        "discrete_semantic_entropy": metrics.discrete_semantic_entropy(labels),
    }


# --------------------------------------------------------------------------------------------------
# row-level metrics and the row record


def _persuasion(gens: dict[str, Generation]) -> tuple[dict[str, dict[str, float]], float]:
    """Persuasion scores ψ (both references) of the two contexts, and susceptibility χ."""
    first = {c: gens[c].first_logprobs for c in CONDITIONS}
    psi: dict[str, dict[str, float]] = {"no_context": {}, "context_average": {}}
    chi = math.nan
    if all(v is not None for v in first.values()):
        ctx = np.stack([first["original"].numpy(), first["counter"].numpy()])
        scores = metrics.persuasion_scores(ctx, first["none"].numpy())
        for ref in psi:
            psi[ref] = dict(zip(CONTEXTS, scores[ref], strict=True))
        chi = float(np.mean(scores["context_average"]))
    return psi, chi


def _coherent_persuasion(
    gens: dict[str, Generation], conds: dict[str, dict[str, Any]], config: ScoreConfig
) -> dict[str, float | None]:
    """Coherent persuasion of each context against the no-context samples (``None`` without samples)."""
    cp: dict[str, float | None] = {"original": None, "counter": None}
    if config.samples:
        for c in CONTEXTS:
            cp[c] = metrics.coherent_persuasion(
                gens[c].mean_dists,
                conds[c]["clusters"],
                gens["none"].mean_dists,
                conds["none"]["clusters"],
                smoothing=config.smoothing,
            )
    return cp


def _row_record(
    r: dict[str, Any],
    conds: dict[str, dict[str, Any]],
    gens: dict[str, Generation],
    config: ScoreConfig,
    equivalence: Equivalence,
    model_name: str,
    settings: str,
) -> dict[str, Any]:
    """The row's output record: identity, settings, per-condition records and row-level metrics."""
    answers, counters, _ = _answer_sets(r)
    psi, chi = _persuasion(gens)
    cp = _coherent_persuasion(gens, conds, config)
    persuaded, stubborn = metrics.persuaded_stubborn(
        conds["counter"]["prediction"], conds["none"]["prediction"], answers, counters, r["language"]
    )
    return {
        "id": r["id"],
        "fact_id": r["fact_id"],
        "language": r["language"],
        "kind": r["kind"],
        "relation": r["relation"],
        "question": r["question"],
        "object": str(r["object"]["label"] or ""),
        "counterfactual": str(r["counterfactual"]["label"] or ""),
        "model": model_name,
        "settings_key": settings,
        "settings": {**asdict(config), "equivalence": equivalence.name},
        "conditions": conds,
        "known": conds["none"]["contains_original"],
        "persuaded": persuaded,
        "stubborn": stubborn,
        "persuasion": psi,
        "susceptibility": chi,
        "coherent_persuasion": cp,
    }
