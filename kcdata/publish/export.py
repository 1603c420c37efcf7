"""Export a built dataset for downstream harnesses.

``export_lm_eval`` writes lm-evaluation-harness task YAML files (v0.4 task format) that load the
dataset from the Hub or a local built folder (``dataset_path``; ``dataset_name`` = the config,
split ``test``).

``lm_eval_v2`` (the default) scores as ``kcdata score`` does. Per config and context (``none``,
``original``, ``counter``) it writes a plain task and a ``_chat`` task (for ``lm_eval
--apply_chat_template``). Their prompts, answer extraction and matching come from
:mod:`kcdata.score.lm_eval` through the ``kcdata_tasks.py`` module written beside them, so kcdata
must be installed where the harness runs. Each task reports ``contains_original``,
``exact_original``, ``contains_counter`` and ``exact_counter``; the headline of a ``counter`` task
is ``contains_counter`` (does the model follow the context), of the others ``contains_original``.

``lm_eval_v1`` (the first format) is kept selectable: an English ``Question: … Answer:`` prompt for
every language, generation stopped at the first newline, exact match only.
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

FORMATS = ("lm_eval_v2", "lm_eval_v1")
"""Task formats, the default first."""

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


def _prefix(dataset: str) -> str:
    """``kcdata_<name>``, without doubling a name that already starts with kcdata."""
    slug = _slug(dataset)
    return slug if slug == "kcdata" or slug.startswith("kcdata_") else f"kcdata_{slug}"


def task_name(dataset: str, config: str, context: str = "none", *, chat: bool = False) -> str:
    """The lm-eval task name of a config and prompt variant, e.g. ``kcdata_sample_temporal``
    (dataset ``kcdata-sample``), ``kcdata_sample_temporal_ctx_counter_chat``."""
    base = f"{_prefix(dataset)}_{_slug(config)}"
    base = base if context == "none" else f"{base}_ctx_{context}"
    return f"{base}_chat" if chat else base


def group_name(dataset: str, context: str = "none", *, chat: bool = False, task_format: str = "lm_eval_v2") -> str:
    """The lm-eval group of one context's tasks over every config, e.g. ``kcdata_sample`` or
    ``kcdata_sample_ctx_counter_chat`` (``lm_eval_v1``: one group, ``kcdata_<name>``)."""
    if task_format == "lm_eval_v1":
        return _prefix(dataset)
    base = _prefix(dataset) if context == "none" else f"{_prefix(dataset)}_ctx_{context}"
    return f"{base}_chat" if chat else base


SHIM = b'''"""Functions of the kcdata lm-evaluation-harness tasks beside this file (written by
`kcdata export lm-eval`): the prompts and answer matching of `kcdata score`."""

from kcdata.score.lm_eval import (  # noqa: F401
    chat_counter,
    chat_none,
    chat_original,
    process_results,
    text_counter,
    text_none,
    text_original,
)
'''
"""``kcdata_tasks.py``: lm-eval loads ``!function`` references from a file beside the YAML."""

MAX_GEN_TOKS = 24
"""``kcdata score``'s default ``--max-new-tokens``."""


class _Function(str):
    """A YAML ``!function module.name`` reference."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Function, lambda d, v: d.represent_scalar("!function", str(v)))


def task_config_v2(
    repo_id: str,
    dataset: str,
    config: str,
    *,
    context: str = "none",
    chat: bool = False,
    revision: str | None = None,
    version: str = "2.0",
) -> dict[str, Any]:
    """One ``lm_eval_v2`` task (a dict ready to dump with :func:`_dump`).

    Args:
        repo_id: Hub dataset repository or local built folder (``dataset_path``).
        dataset: dataset name (for the task name).
        config: config name (``dataset_name``).
        context: ``none``, ``original`` or ``counter``.
        chat: the chat-template body (run with ``--apply_chat_template``) instead of the plain prompt.
        revision: Hub revision to pin; latest ``main`` when None.
        version: task version in ``metadata``.
    """
    if context not in CONTEXTS:
        raise ExportError(f"unknown context {context!r}", f"use one of {', '.join(CONTEXTS)}")
    task: dict[str, Any] = {
        "task": task_name(dataset, config, context, chat=chat),
        "tag": ["kcdata", _prefix(dataset)],
        "dataset_path": repo_id,
        "dataset_name": config,
    }
    if revision:
        task["dataset_kwargs"] = {"revision": revision}
    headline = "contains_counter" if context == "counter" else "contains_original"
    metrics = [headline] + [m for m in ("contains_original", "exact_original", "contains_counter",
                                        "exact_counter") if m != headline]
    task.update(
        {
            "test_split": "test",
            "output_type": "generate_until",
            "doc_to_text": _Function(f"kcdata_tasks.{'chat' if chat else 'text'}_{context}"),
            "doc_to_target": _TARGETS[context],
            "process_results": _Function("kcdata_tasks.process_results"),
            "generation_kwargs": {"until": [], "do_sample": False, "max_gen_toks": MAX_GEN_TOKS},
            "metric_list": [{"metric": m, "aggregation": "mean", "higher_is_better": True} for m in metrics],
            "metadata": {"version": version, "kcdata_format": "lm_eval_v2", "kcdata_context": context,
                         "kcdata_prompt": "prompt_v2", "kcdata_chat": chat, "kcdata_headline": headline},
        }
    )
    return task


def task_config(
    repo_id: str,
    dataset: str,
    config: str,
    *,
    context: str = "none",
    revision: str | None = None,
    version: str = "1.0",
) -> dict[str, Any]:
    """One ``lm_eval_v1`` task (a dict ready to dump as YAML): the first format.

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
        "tag": ["kcdata", _prefix(dataset)],
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
    task_format: str = "lm_eval_v2",
) -> list[Path]:
    """Write lm-evaluation-harness task YAML files for a built (and pushed) dataset.

    Args:
        dataset_dir: folder written by ``kcdata build`` (its card lists the configs).
        out_dir: folder for the YAML files (pass it to ``lm_eval --include_path``).
        repo_id: Hub repository; default the manifest's ``hub.repo_id`` (set by push-to-hub).
        revision: revision to pin; default the manifest's ``hub.commit`` when pushed.
        contexts: prompt variants to write, among ``none``, ``original``, ``counter``.
        task_format: ``lm_eval_v2`` (plain and ``_chat`` tasks, kcdata score's prompts and
            matching) or ``lm_eval_v1``.

    Returns:
        The files written: the tasks, then (v2) ``kcdata_tasks.py``, then the group files
        ``kcdata_<name>.yaml`` (and, v2, ``kcdata_<name>_chat.yaml``).

    Raises:
        ExportError: no repo id is known, the folder has no configs, a built file changed since the
            build (sha256, as push-to-hub checks), a local ``repo_id`` folder lacks a config's
            parquet, ``revision`` is empty or not a ref name, or ``out_dir`` lies inside a build.
    """
    from kcdata.fileio import write_atomic
    from kcdata.publish.hub import check_files, ref_problem
    from kcdata.publish.release import refuse_inside_build

    dataset_dir = Path(dataset_dir)
    manifest = read_manifest(dataset_dir, ExportError)
    if revision is not None and (why := ref_problem(revision)):
        raise ExportError(
            f"--revision {revision!r} is not a valid Hub revision: {why}",
            "pass a commit id, tag or branch, or leave --revision out to pin the pushed commit",
        )
    refuse_inside_build(Path(out_dir), "--out", ExportError)
    hub = manifest.get("hub") or {}
    repo_id = repo_id or hub.get("repo_id")
    if not repo_id:
        raise ExportError(
            "no Hub repository known for this dataset",
            "push it first with `kcdata push-to-hub`, or pass --repo-id NAMESPACE/NAME",
        )
    local = Path(repo_id).is_dir()
    if not local:
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
    if task_format not in FORMATS:
        raise ExportError(f"unknown task format {task_format!r}", f"use one of {', '.join(FORMATS)}")
    if local:
        missing = [c for c in configs if not any((Path(repo_id) / c).glob("*.parquet"))]
        if missing:
            raise ExportError(
                f"--repo-id {repo_id} holds no dataset for config{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} (no {missing[0]}/*.parquet): the tasks could not load their rows",
                "pass a folder that holds the dataset (the built folder itself works), or a Hub repo id",
            )
    check_files(dataset_dir, manifest, ExportError)
    name = str(manifest.get("name", "dataset"))
    out_dir = Path(out_dir)
    written: list[Path] = []
    groups: dict[str, list[str]] = {}  # v2: one group per (context, chat), so that it averages one measure
    variants = (False, True) if task_format == "lm_eval_v2" else (False,)
    for chat in variants:
        for context in contexts:
            tasks = groups.setdefault(group_name(name, context, chat=chat, task_format=task_format), [])
            for config in configs:
                if task_format == "lm_eval_v2":
                    task = task_config_v2(repo_id, name, config, context=context, chat=chat, revision=revision)
                else:
                    task = task_config(repo_id, name, config, context=context, revision=revision)
                path = out_dir / f"{task['task']}.yaml"
                write_atomic(path, _dump(task))
                written.append(path)
                tasks.append(task["task"])
    if task_format == "lm_eval_v2":
        write_atomic(out_dir / "kcdata_tasks.py", SHIM)
        written.append(out_dir / "kcdata_tasks.py")
    measures = ("contains_original", "exact_original", "contains_counter", "exact_counter")
    for gname, tasks in groups.items():
        group = {
            "group": gname,
            "task": tasks,
            "aggregate_metric_list": [
                {"metric": m, "aggregation": "mean", "weight_by_size": True}
                for m in (measures if task_format == "lm_eval_v2" else ("exact_match",))
            ],
            "metadata": {"version": "2.0" if task_format == "lm_eval_v2" else "1.0"},
        }
        group_path = out_dir / f"{gname}.yaml"
        write_atomic(group_path, _dump(group))
        written.append(group_path)
    logger.info("wrote %d lm-eval task files to %s", len(written), out_dir)
    return written


def _dump(obj: dict[str, Any]) -> bytes:
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000).encode("utf-8")


__all__ = ["CONTEXTS", "FORMATS", "ExportError", "export_lm_eval", "task_config", "group_name", "task_config_v2", "task_name"]
