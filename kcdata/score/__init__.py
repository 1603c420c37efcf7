"""Score causal language models on a built knowledge-conflict dataset.

``metrics`` holds the field's metrics as pure functions; ``equivalence`` the pluggable semantic
equivalence used to cluster samples; ``runner`` loads a ``transformers`` model, builds prompts and
runs it (batched scoring, shared-prefill sampling); ``rows`` turns dataset rows into per-row
results with every metric; ``data`` reads dataset rows and reads / appends the per-row scores file
(resumable); ``report`` aggregates per-row results into JSON, a table and a plot.
:func:`run_score` ties them together (``kcdata score`` calls it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kcdata.score.runner import ScoreConfig

log = logging.getLogger(__name__)

__all__ = ["ScoreConfig", "ScoreResult", "run_score"]


@dataclass(frozen=True)
class ScoreResult:
    """What a scoring run wrote."""

    rows: int
    """Rows in the per-row file (old and new)."""
    scored: int
    """Rows scored by this run (the rest were already there)."""
    files: dict[str, Path]
    """``scores``, ``report``, ``table``, ``plot`` paths."""
    report: dict
    """The aggregate report."""


def run_score(
    model: str,
    data: str | Path,
    out: str | Path = "scores.jsonl",
    *,
    config_name: str | None = None,
    languages: Sequence[str] | None = None,
    limit: int | None = None,
    config: ScoreConfig | None = None,
    device: str = "cpu",
    equivalence: str = "alias_v1",
    equivalence_model: str | None = None,
    equivalence_threshold: float = 0.85,
    overwrite: bool = False,
    progress: bool = False,
) -> ScoreResult:
    """Load rows and a model, score every row (resuming), write report, table and plot.

    Args:
        model: Model folder, ``.gguf`` file, installed model package name, or cached hub name.
        data: Built dataset folder or rows file (:func:`kcdata.score.data.load_rows`).
        out: Per-row JSONL output; report files go beside it.
        config_name: Only this kind.
        languages: Only these languages.
        limit: At most this many rows.
        config: Run settings.
        device: Torch device.
        equivalence: Equivalence plug-in name.
        equivalence_model: Local model folder for ``nli_v1`` / ``embedding_v1``.
        equivalence_threshold: Cosine threshold for ``embedding_v1``.
        overwrite: Start again instead of resuming.
        progress: Progress bar on stderr.

    Returns:
        A :class:`ScoreResult`.
    """
    import json

    from kcdata.score.data import (
        check_scores_file,
        load_rows,
        read_done,
        read_results,
        sample_description,
        settings_of,
        stratified_sample,
    )
    from kcdata.score.equivalence import get_equivalence
    from kcdata.score.report import build_report, write_outputs
    from kcdata.score.rows import _settings_key, score_rows
    from kcdata.score.runner import ScoreConfig, load_model

    out = Path(out)
    check_scores_file(out)  # before anything is loaded or removed: never touch a file we did not write
    every = load_rows(data, config_name, languages)
    seed = (config.seed if config is not None else 0)
    rows = stratified_sample(every, limit, seed) if limit is not None else every
    sample = sample_description(rows, len(every), limit, seed)
    if overwrite and out.exists():
        out.unlink()
    wanted = {r["id"] for r in rows}
    judge = get_equivalence(equivalence, equivalence_model, equivalence_threshold, device)
    # settings and finished rows are checked before the model loads (30-50 s for a real one): a
    # settings mismatch fails at once, and a finished rerun only rewrites the report
    run_config = config or ScoreConfig()
    done = read_done(out, _settings_key(model, run_config, judge), settings_of(model, run_config, judge.name))
    before = len(done & wanted)
    if wanted - done:
        lm, tokenizer = load_model(model, device)
        score_rows(
            rows, lm, tokenizer, out, config=config, equivalence=judge, model_name=model, progress=progress
        )
    results = [r for r in read_results(out) if r["id"] in wanted]
    files = {"scores": out, **write_outputs(results, out, model, sample)}
    report = (
        json.loads(files["report"].read_text(encoding="utf-8")) if results else build_report(results, model)
    )
    return ScoreResult(rows=len(results), scored=max(len(results) - before, 0), files=files, report=report)
