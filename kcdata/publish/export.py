"""Export a built dataset for downstream harnesses.

``export_lm_eval`` writes lm-evaluation-harness task YAML files (v0.4 task format), one task per
config, that load the dataset from the Hub (``dataset_path`` = the repo id, ``dataset_name`` = the
config, split ``test``) and score a greedy answer with ``exact_match`` against **every alias**:
``doc_to_target`` names the ``answers`` list column, and the harness treats a list target as
several accepted references (a hit on any one counts), so no ``process_results`` code is needed.

Context variants add the template evidence to the prompt: ``original`` (target: ``answers``) and
``counter`` (target: ``counter_answers``, i.e. does the model follow the context).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import yaml

from kcdata.errors import KcdataError
from kcdata.publish.manifest import read_manifest

logger = logging.getLogger(__name__)

CONTEXTS = ("none", "original", "counter")
"""Prompt variants: question only, with the original context, with the counter-memory context."""

_PROMPTS = {
    "none": "Question: {{question}}\nAnswer:",
    "original": "Context: {{context_original}}\nQuestion: {{question}}\nAnswer:",
    "counter": "Context: {{context_counter}}\nQuestion: {{question}}\nAnswer:",
}
_TARGETS = {"none": "answers", "original": "answers", "counter": "counter_answers"}


class ExportError(KcdataError):
    """An export could not be written (exit code 1)."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "dataset"


def task_name(dataset: str, config: str, context: str = "none") -> str:
    """The lm-eval task name of a config and prompt variant, e.g. ``kcdata_sample_temporal``."""
    base = f"kcdata_{_slug(dataset)}_{_slug(config)}"
    return base if context == "none" else f"{base}_ctx_{context}"


def task_config(
    repo_id: str,
    dataset: str,
    config: str,
    *,
    context: str = "none",
    revision: str | None = None,
    version: str = "1.0",
) -> dict[str, Any]:
    """One lm-evaluation-harness task (a dict ready to dump as YAML).

    Args:
        repo_id: Hub dataset repository (``dataset_path``).
        dataset: dataset name (for the task name).
        config: config name (``dataset_name``): static, temporal or disputable.
        context: ``none``, ``original`` or ``counter``.
        revision: Hub revision to pin (a commit id or tag); latest ``main`` when None.
        version: task version in ``metadata``.

    Returns:
        The task config.
    """
    if context not in CONTEXTS:
        raise ExportError(f"unknown context {context!r}", f"use one of {', '.join(CONTEXTS)}")
    task: dict[str, Any] = {
        "task": task_name(dataset, config, context),
        "tag": ["kcdata", f"kcdata_{_slug(dataset)}"],
        "dataset_path": repo_id,
        "dataset_name": config,
    }
    if revision:
        task["dataset_kwargs"] = {"revision": revision}
    task.update(
        {
            "test_split": "test",
            "output_type": "generate_until",
            "doc_to_text": _PROMPTS[context],
            "doc_to_target": _TARGETS[context],
            "target_delimiter": " ",
            "generation_kwargs": {"until": ["\n", "Question:"], "do_sample": False, "max_gen_toks": 32},
            "metric_list": [
                {
                    "metric": "exact_match",
                    "aggregation": "mean",
                    "higher_is_better": True,
                    "ignore_case": True,
                    "ignore_punctuation": True,
                    "regexes_to_ignore": ["^\\s+", "\\s+$"],
                }
            ],
            "metadata": {"version": version, "kcdata_context": context},
        }
    )
    return task


def _configs(dataset_dir: Path) -> list[str]:
    from kcdata.publish.card import CONFIG_NAMES, config_globs, read_card_text

    card = dataset_dir / "README.md"
    if card.is_file():
        text = read_card_text(card, ExportError)
        try:
            names = list(config_globs(text))
        except ValueError as exc:
            raise ExportError(f"{card}: {exc}", "rebuild the dataset with `kcdata build`") from None
    else:
        names = [
            p.name for p in sorted(dataset_dir.iterdir()) if p.is_dir() and any(p.glob("test-*.parquet"))
        ]
    return [c for c in CONFIG_NAMES if c in names] + sorted(set(names) - set(CONFIG_NAMES))


def export_lm_eval(
    dataset_dir: Path,
    out_dir: Path,
    *,
    repo_id: str | None = None,
    revision: str | None = None,
    contexts: tuple[str, ...] = ("none",),
) -> list[Path]:
    """Write lm-evaluation-harness task YAML files for a built (and pushed) dataset.

    Args:
        dataset_dir: folder written by ``kcdata build`` (its card lists the configs).
        out_dir: folder for the YAML files (pass it to ``lm_eval --include_path``).
        repo_id: Hub repository; default the manifest's ``hub.repo_id`` (set by push-to-hub).
        revision: revision to pin; default the manifest's ``hub.commit`` when pushed.
        contexts: prompt variants to write, among ``none``, ``original``, ``counter``.

    Returns:
        The files written: one task per (config, context), then the group file ``kcdata_<name>.yaml``.

    Raises:
        ExportError: no repo id is known, or the folder has no configs.
    """
    from kcdata.fileio import write_atomic

    dataset_dir = Path(dataset_dir)
    manifest = read_manifest(dataset_dir, ExportError)
    hub = manifest.get("hub") or {}
    repo_id = repo_id or hub.get("repo_id")
    if not repo_id:
        raise ExportError(
            "no Hub repository known for this dataset",
            "push it first with `kcdata push-to-hub`, or pass --repo-id NAMESPACE/NAME",
        )
    if not Path(repo_id).is_dir():
        from huggingface_hub.utils import HFValidationError, validate_repo_id

        try:
            validate_repo_id(repo_id)
        except HFValidationError:
            raise ExportError(
                f"--repo-id {repo_id!r} is neither a Hub repository id (NAMESPACE/NAME) nor a local folder",
                "pass the repo the dataset was pushed to, or the path of a built folder",
            ) from None
    if revision is None and hub.get("repo_id") == repo_id:
        revision = hub.get("commit")
    configs = _configs(dataset_dir)
    if not configs:
        raise ExportError(f"{dataset_dir} declares no config", "rebuild the dataset with `kcdata build`")
    name = str(manifest.get("name", "dataset"))
    out_dir = Path(out_dir)
    written: list[Path] = []
    tasks: list[str] = []
    for config in configs:
        for context in contexts:
            task = task_config(repo_id, name, config, context=context, revision=revision)
            path = out_dir / f"{task['task']}.yaml"
            write_atomic(path, _dump(task))
            written.append(path)
            tasks.append(task["task"])
    group = {
        "group": f"kcdata_{_slug(name)}",
        "task": tasks,
        "aggregate_metric_list": [{"metric": "exact_match", "aggregation": "mean", "weight_by_size": True}],
        "metadata": {"version": "1.0"},
    }
    group_path = out_dir / f"kcdata_{_slug(name)}.yaml"
    write_atomic(group_path, _dump(group))
    written.append(group_path)
    logger.info("wrote %d lm-eval task files to %s", len(written), out_dir)
    return written


def _dump(obj: dict[str, Any]) -> bytes:
    return yaml.safe_dump(obj, sort_keys=False, allow_unicode=True, width=1000).encode("utf-8")


__all__ = ["CONTEXTS", "ExportError", "export_lm_eval", "task_config", "task_name"]
