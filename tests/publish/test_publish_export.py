"""lm-evaluation-harness export: task YAML that points at the Hub dataset, answers with aliases."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from kcdata.cli.publish import export as export_group
from kcdata.publish.export import ExportError, export_lm_eval, task_config


def _row(built: Path, config: str) -> dict:
    return pq.read_table(built / config / "test-00000-of-00001.parquet").to_pylist()[0]


def test_one_task_per_config_pointing_at_the_hub(built: Path, tmp_path: Path) -> None:
    paths = export_lm_eval(built, tmp_path / "tasks", repo_id="alice/kc-test")
    names = [p.name for p in paths]
    assert names == [
        "kcdata_kc_test_static.yaml",
        "kcdata_kc_test_temporal.yaml",
        "kcdata_kc_test_disputable.yaml",
        "kcdata_kc_test.yaml",
    ]
    for config, path in zip(("static", "temporal", "disputable"), paths[:3], strict=True):
        task = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert task["task"] == f"kcdata_kc_test_{config}"
        assert task["dataset_path"] == "alice/kc-test"
        assert task["dataset_name"] == config
        assert task["test_split"] == "test"
        assert task["output_type"] == "generate_until"
        assert "dataset_kwargs" not in task  # not pushed: no commit to pin
        assert task["doc_to_target"] == "answers"
        metric = task["metric_list"][0]
        assert metric["metric"] == "exact_match" and metric["ignore_case"] and metric["ignore_punctuation"]
        assert "process_results" not in task
        # The prompt is a Jinja template over the row, as the harness renders it.
        row = _row(built, config)
        prompt = jinja2.Template(task["doc_to_text"], undefined=jinja2.StrictUndefined).render(**row)
        assert prompt == f"Question: {row['question']}\nAnswer:"
        # The target is the list column: every alias is an accepted answer.
        assert len(row[task["doc_to_target"]]) == 2
    group = yaml.safe_load(paths[-1].read_text(encoding="utf-8"))
    assert group["group"] == "kcdata_kc_test" and group["task"] == [
        "kcdata_kc_test_static",
        "kcdata_kc_test_temporal",
        "kcdata_kc_test_disputable",
    ]


def test_pushed_dataset_pins_the_commit_and_context_variants(built: Path, tmp_path: Path) -> None:
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    manifest["hub"] = {"repo_id": "alice/kc-test", "revision": "main", "commit": "c" * 40}
    (built / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    paths = export_lm_eval(built, tmp_path / "t", contexts=("none", "counter"))
    counter = yaml.safe_load(
        (tmp_path / "t" / "kcdata_kc_test_temporal_ctx_counter.yaml").read_text(encoding="utf-8")
    )
    assert counter["dataset_path"] == "alice/kc-test"
    assert counter["dataset_kwargs"] == {"revision": "c" * 40}
    assert counter["doc_to_target"] == "counter_answers"
    row = _row(built, "temporal")
    prompt = jinja2.Template(counter["doc_to_text"]).render(**row)
    assert prompt.startswith(f"Context: {row['context_counter']}\nQuestion: ")
    assert len(paths) == 3 * 2 + 1


def test_export_needs_a_repo_id(built: Path, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="no Hub repository"):
        export_lm_eval(built, tmp_path / "t")
    with pytest.raises(ExportError, match="unknown context"):
        task_config("a/b", "x", "static", context="bogus")


def test_export_cli(built: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        export_group, ["lm-eval", str(built), "--repo-id", "alice/kc-test", "--out", str(tmp_path / "tasks")]
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("wrote ") == 4
    failed = CliRunner().invoke(export_group, ["lm-eval", str(built), "--out", str(tmp_path / "t2")])
    assert failed.exit_code == 1 and "push it first" in failed.output


def test_tasks_load_in_lm_eval_harness(built: Path, tmp_path: Path) -> None:
    """When lm-evaluation-harness is installed, its own config loader accepts the tasks."""
    pytest.importorskip("lm_eval")
    from lm_eval.api.task import ConfigurableTask  # type: ignore[import-not-found]

    paths = export_lm_eval(built, tmp_path / "tasks", repo_id="alice/kc-test")
    config = yaml.safe_load(paths[1].read_text(encoding="utf-8"))
    config["dataset_path"] = "parquet"
    config["dataset_name"] = None
    config["dataset_kwargs"] = {
        "data_files": {"test": str(built / "temporal" / "test-00000-of-00001.parquet")}
    }
    task = ConfigurableTask(config=config)
    doc = next(iter(task.test_docs()))
    assert task.doc_to_target(doc) == doc["answers"]
    assert task.doc_to_text(doc).startswith("Question: ")
    # a greedy answer that matches an alias (case and punctuation ignored) scores 1
    assert task.process_results(doc, [doc["answers"][1].lower() + "."])["exact_match"] == 1.0
    assert task.process_results(doc, ["something else"])["exact_match"] == 0.0
