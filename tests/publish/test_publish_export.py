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


CONFIGS = ("static", "temporal", "disputable")


def test_plain_and_chat_tasks_per_config_pointing_at_the_hub(built: Path, tmp_path: Path) -> None:
    paths = export_lm_eval(built, tmp_path / "tasks", repo_id="alice/kc-test")
    names = [p.name for p in paths]
    assert names == [f"kcdata_kc_test_{c}.yaml" for c in CONFIGS] + [
        f"kcdata_kc_test_{c}_chat.yaml" for c in CONFIGS
    ] + ["kcdata_tasks.py", "kcdata_kc_test.yaml", "kcdata_kc_test_chat.yaml"]
    for config, path in zip(CONFIGS, paths[:3], strict=True):
        text = path.read_text(encoding="utf-8")
        assert "doc_to_text: !function 'kcdata_tasks.text_none'" in text
        assert "process_results: !function 'kcdata_tasks.process_results'" in text
        task = yaml.load(text, Loader=_FunctionLoader)
        assert task["task"] == f"kcdata_kc_test_{config}"
        assert task["dataset_path"] == "alice/kc-test" and task["dataset_name"] == config
        assert task["test_split"] == "test" and task["output_type"] == "generate_until"
        assert "dataset_kwargs" not in task  # not pushed: no commit to pin
        # no stop string: the answer is the first non-empty line, as in kcdata score
        assert task["generation_kwargs"] == {"until": [], "do_sample": False, "max_gen_toks": 24}
        assert [m["metric"] for m in task["metric_list"]] == [
            "contains_original", "exact_original", "contains_counter", "exact_counter"]
        assert task["metadata"]["kcdata_headline"] == "contains_original"
    chat = yaml.load(paths[3].read_text(encoding="utf-8"), Loader=_FunctionLoader)
    assert chat["doc_to_text"] == "FUNCTION kcdata_tasks.chat_none" and chat["metadata"]["kcdata_chat"]
    group = yaml.safe_load(paths[-2].read_text(encoding="utf-8"))
    assert group["group"] == "kcdata_kc_test"
    assert group["task"] == [f"kcdata_kc_test_{c}" for c in CONFIGS]
    assert {m["metric"] for m in group["aggregate_metric_list"]} == {
        "contains_original", "exact_original", "contains_counter", "exact_counter"}


class _FunctionLoader(yaml.SafeLoader):
    pass


_FunctionLoader.add_constructor("!function", lambda loader, node: f"FUNCTION {loader.construct_scalar(node)}")


def test_no_doubled_prefix_for_a_dataset_named_kcdata(built: Path, tmp_path: Path) -> None:
    from kcdata.publish.export import group_name, task_name

    assert task_name("kcdata-sample", "static") == "kcdata_sample_static"
    assert task_name("kcdata", "static", "counter", chat=True) == "kcdata_static_ctx_counter_chat"
    assert group_name("kcdata-sample", "counter") == "kcdata_sample_ctx_counter"
    assert task_name("kc-2024", "temporal") == "kcdata_kc_2024_temporal"


def test_the_exported_functions_ask_kcdata_scores_prompts_and_match_as_it_does(built, tmp_path) -> None:
    import importlib.util

    from kcdata.score.runner import build_prompt

    export_lm_eval(built, tmp_path / "tasks", repo_id="alice/kc-test", contexts=("none", "counter"))
    spec = importlib.util.spec_from_file_location("kcdata_tasks", tmp_path / "tasks" / "kcdata_tasks.py")
    shim = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shim)

    class Plain:
        chat_template = None

    row = _row(built, "temporal")
    assert shim.text_none(row) == build_prompt(Plain(), row["question"], None, row["language"])
    assert shim.text_counter(row) == build_prompt(Plain(), row["question"], row["context_counter"], row["language"])
    assert shim.chat_counter(row).endswith(row["question"] + "\nAnswer with a short phrase.") or row["language"] != "en"
    de = {**row, "language": "de"}
    assert shim.text_none(de) == f"Frage: {row['question']}\nAntwort:"
    assert shim.chat_none(de) == f"Frage: {row['question']}\nAntworte mit wenigen Wörtern."
    # first non-empty line, every alias, the normaliser of kcdata score
    got = shim.process_results(row, [f"\n\n  {row['answers'][-1].upper()}.\nQuestion: more"])
    assert got == {"contains_original": True, "exact_original": True, "contains_counter": False,
                   "exact_counter": False}
    got = shim.process_results(row, [f"I think it is {row['counter_answers'][0]}, yes"])
    assert got["contains_counter"] and not got["exact_counter"] and not got["contains_original"]
    assert shim.process_results(row, [""])["contains_original"] is False


def test_lm_eval_v1_is_still_selectable(built: Path, tmp_path: Path) -> None:
    paths = export_lm_eval(built, tmp_path / "tasks", repo_id="alice/kc-test", task_format="lm_eval_v1")
    names = [p.name for p in paths]
    assert names == [f"kcdata_kc_test_{c}.yaml" for c in CONFIGS] + ["kcdata_kc_test.yaml"]
    for config, path in zip(CONFIGS, paths[:3], strict=True):
        task = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert task["task"] == f"kcdata_kc_test_{config}"
        assert task["doc_to_target"] == "answers"
        metric = task["metric_list"][0]
        assert metric["metric"] == "exact_match" and metric["ignore_case"] and metric["ignore_punctuation"]
        assert "process_results" not in task
        # The prompt is a Jinja template over the row, as the harness renders it.
        row = _row(built, config)
        prompt = jinja2.Template(task["doc_to_text"], undefined=jinja2.StrictUndefined).render(**row)
        assert prompt == f"Question: {row['question']}\nAnswer:"
        assert len(row[task["doc_to_target"]]) == 2
    with pytest.raises(ExportError, match="unknown task format"):
        export_lm_eval(built, tmp_path / "t", repo_id="a/b", task_format="lm_eval_v9")


def test_pushed_dataset_pins_the_commit_and_context_variants(built: Path, tmp_path: Path) -> None:
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    manifest["hub"] = {"repo_id": "alice/kc-test", "revision": "main", "commit": "c" * 40}
    (built / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    paths = export_lm_eval(built, tmp_path / "t", contexts=("none", "counter"))
    counter = yaml.load(
        (tmp_path / "t" / "kcdata_kc_test_temporal_ctx_counter.yaml").read_text(encoding="utf-8"),
        Loader=_FunctionLoader,
    )
    assert counter["dataset_path"] == "alice/kc-test"
    assert counter["dataset_kwargs"] == {"revision": "c" * 40}
    assert counter["doc_to_target"] == "counter_answers"
    assert counter["doc_to_text"] == "FUNCTION kcdata_tasks.text_counter"
    assert counter["metric_list"][0]["metric"] == "contains_counter"
    # 3 configs x 2 contexts x plain/chat, the module, a group per context x plain/chat
    assert len(paths) == 3 * 2 * 2 + 1 + 4
    assert (tmp_path / "t" / "kcdata_kc_test_ctx_counter_chat.yaml").is_file()


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
    assert result.output.count("wrote ") == 3 * 2 + 1 + 2
    failed = CliRunner().invoke(export_group, ["lm-eval", str(built), "--out", str(tmp_path / "t2")])
    assert failed.exit_code == 1 and "push it first" in failed.output


def test_tasks_load_in_lm_eval_harness(built: Path, tmp_path: Path) -> None:
    """lm-evaluation-harness's own task loader reads the exported folder (the local built folder as
    --repo-id) and its tasks prompt and score through the exported functions."""
    pytest.importorskip("lm_eval")
    from lm_eval.tasks import TaskManager

    export_lm_eval(built, tmp_path / "tasks", repo_id=str(built), contexts=("none", "counter"))
    manager = TaskManager(include_path=str(tmp_path / "tasks"))
    loaded = manager.load(["kcdata_kc_test_temporal_ctx_counter", "kcdata_kc_test_chat"])
    assert loaded["group_map"]["kcdata_kc_test_chat"] == [f"kcdata_kc_test_{c}_chat" for c in CONFIGS]
    task = loaded["tasks"]["kcdata_kc_test_temporal_ctx_counter"]
    doc = next(iter(task.test_docs()))
    assert task.doc_to_text(doc).startswith("Context: " if doc["language"] == "en" else "")
    assert doc["context_counter"] in task.doc_to_text(doc)
    assert task.process_results(doc, [doc["counter_answers"][0]])["contains_counter"] is True
    assert task.process_results(doc, ["something else"])["contains_counter"] is False
