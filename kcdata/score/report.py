"""Aggregate per-row scores into a report (JSON), a table (Markdown) and a plot (PNG).

Groups: every (kind, language, relation), every kind, and ``all``. Means skip null values
(undefined or non-finite per-row values) and the report says how many each metric skipped.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kcdata.score import metrics

log = logging.getLogger(__name__)

Getter = Callable[[dict[str, Any]], Any]


def _cond(cond: str, key: str) -> Getter:
    return lambda r: r["conditions"][cond].get(key)


#: name -> (per-row value, description). Rates are means of booleans.
ROW_METRICS: dict[str, tuple[Getter, str]] = {
    "accuracy_exact_no_context": (_cond("none", "exact_original"), "exact match with o, no context"),
    "accuracy_contains_no_context": (_cond("none", "contains_original"), "contains o, no context"),
    "accuracy_exact_original_context": (_cond("original", "exact_original"), "exact o, original context"),
    "accuracy_contains_original_context": (
        _cond("original", "contains_original"),
        "contains o, original context",
    ),
    "accuracy_exact_counter_context": (_cond("counter", "exact_counter"), "exact s, counter context"),
    "accuracy_contains_counter_context": (
        _cond("counter", "contains_counter"),
        "contains s, counter context",
    ),
    "persuaded_rate": (lambda r: r["persuaded"], "counter context answer gives s (DynamicQA)"),
    "stubborn_rate": (lambda r: r["stubborn"], "counter context answer keeps o / own answer"),
    "persuasion_no_context_original": (
        lambda r: r["persuasion"]["no_context"].get("original"),
        "ψ of the original context vs p(Y|q) without context (DynamicQA)",
    ),
    "persuasion_no_context_counter": (
        lambda r: r["persuasion"]["no_context"].get("counter"),
        "ψ of the counter context vs p(Y|q) without context (DynamicQA)",
    ),
    "persuasion_context_average_original": (
        lambda r: r["persuasion"]["context_average"].get("original"),
        "ψ of the original context vs the context average (Du et al.)",
    ),
    "persuasion_context_average_counter": (
        lambda r: r["persuasion"]["context_average"].get("counter"),
        "ψ of the counter context vs the context average (Du et al.)",
    ),
    "susceptibility": (lambda r: r["susceptibility"], "χ(q), mean ψ over contexts (Du et al.)"),
    "coherent_persuasion_original": (
        lambda r: r["coherent_persuasion"].get("original"),
        "CP, original context",
    ),
    "coherent_persuasion_counter": (lambda r: r["coherent_persuasion"].get("counter"), "CP, counter context"),
    "semantic_entropy_no_context": (_cond("none", "semantic_entropy"), "SE, no context (Kuhn et al.)"),
    "semantic_entropy_counter_context": (_cond("counter", "semantic_entropy"), "SE, counter context"),
    "discrete_semantic_entropy_no_context": (
        _cond("none", "discrete_semantic_entropy"),
        "discrete SE, no context",
    ),
    "discrete_semantic_entropy_counter_context": (
        _cond("counter", "discrete_semantic_entropy"),
        "discrete SE, counter context",
    ),
    "conflict_acknowledgement_no_context": (
        _cond("none", "acknowledges_conflict"),
        "disputable rows: no-context answer names both rival values",
    ),
    "prefers_original_counter_context": (
        lambda r: _prefers(r, "counter"),
        "log p(o) > log p(s) under the counter context (teacher-forced)",
    ),
    "truncated_rate": (
        lambda r: any(c["truncated"] for c in r["conditions"].values()),
        "a greedy answer hit max_new_tokens",
    ),
    "empty_rate": (lambda r: any(c["empty"] for c in r["conditions"].values()), "a greedy answer was empty"),
}

#: Columns of the Markdown table and the plot.
TABLE_COLUMNS = (
    "accuracy_contains_no_context",
    "accuracy_contains_counter_context",
    "memorisation_ratio",
    "persuaded_rate",
    "stubborn_rate",
    "persuasion_no_context_counter",
    "susceptibility",
    "coherent_persuasion_counter",
    "semantic_entropy_no_context",
    "conflict_acknowledgement_no_context",
)


def _prefers(r: dict[str, Any], cond: str) -> bool | None:
    c = r["conditions"][cond]
    if c.get("logprob_original") is None or c.get("logprob_counter") is None:
        return None
    return c["logprob_original"] > c["logprob_counter"]


def _mean(values: Sequence[Any]) -> tuple[float | None, int]:
    usable = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    skipped = len(values) - len(usable)
    return (sum(usable) / len(usable) if usable else None), skipped


def aggregate(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Metrics of a group of per-row results.

    Args:
        results: Per-row records (``schemas/score_row.schema.json``).

    Returns:
        ``{"n": ..., "metrics": {name: value or None}, "skipped": {name: n_null}}``; the memorisation
        ratio is computed over the group (``n_o / (n_o + n_s)``), not averaged per row, both over all
        rows and over rows the model knew without context (``memorisation_ratio_known``).
    """
    out: dict[str, Any] = {"n": len(results), "metrics": {}, "skipped": {}}
    for name, (get, _) in ROW_METRICS.items():
        value, skipped = _mean([get(r) for r in results])
        out["metrics"][name] = value
        if skipped:
            out["skipped"][name] = skipped
    for name, subset in (
        ("memorisation_ratio", results),
        ("memorisation_ratio_known", [r for r in results if r["known"]]),
    ):
        mr = metrics.memorisation_ratio(r["conditions"]["counter"]["match"] for r in subset)
        out["metrics"][name] = None if math.isnan(mr) else mr
    return out


def build_report(results: Sequence[dict[str, Any]], model_name: str | None = None) -> dict[str, Any]:
    """The aggregate report: overall, per kind, and per kind × language × relation.

    Args:
        results: Per-row records.
        model_name: Recorded in the report.

    Returns:
        A JSON-ready dict.
    """
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    kinds: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        groups.setdefault((r["kind"], r["language"], r["relation"]), []).append(r)
        kinds.setdefault(r["kind"], []).append(r)
    settings = results[0].get("settings") if results else None
    return {
        "model": model_name or (results[0]["model"] if results else None),
        "settings": settings,
        "metric_descriptions": {name: desc for name, (_, desc) in ROW_METRICS.items()}
        | {
            "memorisation_ratio": "n_o / (n_o + n_s) under the counter context (Longpre et al. 2021)",
            "memorisation_ratio_known": "the same, over rows answered right without context",
        },
        "overall": aggregate(results),
        "by_kind": {k: aggregate(v) for k, v in sorted(kinds.items())},
        "groups": [
            {"kind": k, "language": lang, "relation": rel, **aggregate(v)}
            for (k, lang, rel), v in sorted(groups.items())
        ],
    }


def _fmt(v: Any) -> str:
    return "–" if v is None else f"{v:.3f}"


def render_table(report: dict[str, Any], columns: Sequence[str] = TABLE_COLUMNS) -> str:
    """A Markdown table: one line per kind × language × relation, then per kind, then overall.

    Args:
        report: Output of :func:`build_report`.
        columns: Metric names to show.

    Returns:
        The table text.
    """
    head = ["kind", "language", "relation", "n", *columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def line(kind: str, lang: str, rel: str, agg: dict[str, Any]) -> str:
        cells = [kind, lang, rel, str(agg["n"]), *(_fmt(agg["metrics"].get(c)) for c in columns)]
        return "| " + " | ".join(cells) + " |"

    for g in report["groups"]:
        lines.append(line(g["kind"], g["language"], g["relation"], g))
    for kind, agg in report["by_kind"].items():
        lines.append(line(f"**{kind}**", "all", "all", agg))
    lines.append(line("**all**", "all", "all", report["overall"]))
    return "\n".join(lines) + "\n"


PLOT_COLUMNS = (*TABLE_COLUMNS, "truncated_rate")
"""The plot's panels: the table's metrics and how often an answer ran past the token budget."""

_RATES = ("accuracy", "_rate", "ratio", "acknowledgement")


def plot_spec(report: dict[str, Any], columns: Sequence[str] = PLOT_COLUMNS) -> list[dict[str, Any]]:
    """What each panel of the plot shows: its bars (kind, with n), values, and y range.

    Rates and accuracies share a fixed 0–1 axis, so panels compare at a glance; other metrics
    (log-probability based, entropies) get an axis that fits their values.
    """
    kinds = list(report["by_kind"]) or ["all"]
    aggs = [report["by_kind"].get(k, report["overall"]) for k in kinds]
    panels = []
    for name in columns:
        values = [a["metrics"].get(name) for a in aggs]
        rate = any(t in name for t in _RATES)
        known = [v for v in values if v is not None]
        if rate:
            ylim = (0.0, 1.0)
        else:
            lo, hi = min([0.0, *known]), max([0.0, *known])
            pad = (hi - lo) * 0.15 or 1.0
            ylim = (lo - (pad if lo < 0 else 0.0), hi + pad)
        panels.append({"name": name, "labels": [f"{k}\nn={a.get('n', 0)}" for k, a in zip(kinds, aggs, strict=True)],
                       "values": values, "ylim": ylim, "rate": rate})
    return panels


def plot_report(report: dict[str, Any], path: str | Path, columns: Sequence[str] = PLOT_COLUMNS) -> Path:
    """Bar charts of the main metrics by kind (matplotlib, Agg backend), saved as PNG.

    Each bar is labelled with its kind and number of rows and its value; rate panels share a 0–1
    axis (:func:`plot_spec`); the figure is saved with a tight bounding box so no label is clipped.

    Args:
        report: Output of :func:`build_report`.
        path: Where to write the PNG.
        columns: Metrics to plot, one panel each.

    Returns:
        The path written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = plot_spec(report, columns)
    ncols = 4
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 3.0 * nrows), squeeze=False)
    colours = ["#4C72B0", "#DD8452", "#55A868"]
    for ax, panel in zip(axes.flat, panels, strict=False):
        values = panel["values"]
        xs = range(len(values))
        ax.bar(xs, [0 if v is None else v for v in values], color=colours[: len(values)])
        ax.set_xticks(list(xs), panel["labels"])
        ax.set_ylim(*panel["ylim"])
        for x, v in zip(xs, values, strict=True):
            ax.text(x, 0 if v is None else v, "n/a" if v is None else f"{v:.2f}", ha="center",
                    va="bottom" if (v or 0) >= 0 else "top", fontsize=8)
        ax.set_title(panel["name"].replace("_", " "), fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle(f"kcdata score: {report.get('model')}", fontsize=10)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return out


def write_outputs(
    results: Sequence[dict[str, Any]], out_path: str | Path, model_name: str | None = None,
    sample: dict[str, Any] | None = None,
) -> dict[str, Path]:
    """Write ``<stem>.report.json``, ``<stem>.table.md`` and ``<stem>.png`` beside the scores file.

    Args:
        results: Per-row records.
        out_path: The per-row JSONL path (``scores.jsonl``).
        model_name: Recorded in the report.
        sample: What was scored (``--limit``'s stratified sample), recorded as ``sample``.

    Returns:
        ``{"report": path, "table": path, "plot": path}``.
    """
    out_path = Path(out_path)
    stem = out_path.with_suffix("")
    report = build_report(results, model_name)
    if sample is not None:
        report["sample"] = sample
    paths = {
        "report": stem.with_name(stem.name + ".report.json"),
        "table": stem.with_name(stem.name + ".table.md"),
        "plot": stem.with_name(stem.name + ".png"),
    }
    paths["report"].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["table"].write_text(render_table(report), encoding="utf-8")
    plot_report(report, paths["plot"])
    log.info("wrote %s", ", ".join(str(p) for p in paths.values()))
    return paths
