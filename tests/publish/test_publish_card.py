"""The dataset card: rendering, the Hub's metadata rules, and loading the folder by its configs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hubserver import hub_metadata_errors
from publish_helpers import make_built_folder

from kcdata.publish.card import (
    card_metadata,
    config_globs,
    license_for,
    render_card,
    size_category,
    split_card,
    stats_from_folder,
    validate_card,
)


def _manifest(built: Path) -> dict:
    return json.loads((built / "manifest.json").read_text(encoding="utf-8"))


def test_card_header_passes_hub_rules(built: Path) -> None:
    text = (built / "README.md").read_text(encoding="utf-8")
    assert validate_card(text) == []
    # The loopback Hub's independent copy of the Hub's rules agrees.
    assert hub_metadata_errors(text, "dataset") == []
    meta, body = split_card(text)
    assert meta["license"] == "cc0-1.0"
    assert meta["language"] == ["en", "de"]
    assert meta["size_categories"] == ["n<1K"]
    assert meta["task_categories"] == ["question-answering", "text-generation"]
    assert [c["config_name"] for c in meta["configs"]] == ["static", "temporal", "disputable"]
    assert meta["configs"][1]["data_files"] == [{"split": "test", "path": "temporal/test-*.parquet"}]
    for section in (
        "## Counts",
        "### Dropped, by reason",
        "## How it was built",
        "## Schema",
        "## Metrics",
        "## Limitations and biases",
        "## Licence and attribution",
        "## Citation",
    ):
        assert section in body
    assert "| missing_subject_label | 1 |" in body
    assert "@misc{kc_test_2024_06_01," in body


def test_card_is_deterministic_and_matches_folder_stats(built: Path) -> None:
    manifest = _manifest(built)
    stats = stats_from_folder(built, manifest)
    assert stats["configs"] == {"disputable": 2, "static": 4, "temporal": 2}
    assert stats["languages"] == ["en", "de"]
    assert stats["has_wikipedia"] is False
    first = render_card(manifest, stats)
    assert first == render_card(manifest, stats)
    assert first == (built / "README.md").read_text(encoding="utf-8")


def test_wikipedia_text_switches_licence_to_cc_by_sa(tmp_path: Path) -> None:
    folder = make_built_folder(tmp_path / "wiki", wiki=True)
    text = (folder / "README.md").read_text(encoding="utf-8")
    meta, body = split_card(text)
    assert meta["license"] == "cc-by-sa-4.0"
    assert "CC BY-SA 4.0" in body and "wiki_source" in body
    assert validate_card(text) == [] and hub_metadata_errors(text) == []
    assert license_for(False) == "cc0-1.0" and license_for(True) == "cc-by-sa-4.0"


@pytest.mark.parametrize(
    ("n", "label"),
    [
        (0, "n<1K"),
        (999, "n<1K"),
        (1000, "1K<n<10K"),
        (99_999, "10K<n<100K"),
        (100_000, "100K<n<1M"),
        (5_000_000, "1M<n<10M"),
    ],
)
def test_size_category(n: int, label: str) -> None:
    assert size_category(n) == label


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"license": "CC0-1.0"}, "license"),  # the Hub's ids are lower case
        ({"license": "wikidata"}, "license"),
        ({"task_categories": ["knowledge-conflicts"]}, "task_categories"),
        ({"size_categories": ["tiny"]}, "size_categories"),
        ({"language": ["english"]}, "language"),
        ({"configs": [{"data_files": "static/*.parquet"}]}, "config"),
        ({"configs": [{"config_name": "a", "data_files": [{"path": 3}]}]}, "data_files"),
        ({"configs": None}, "configs"),
    ],
)
def test_invalid_metadata_is_rejected_locally_and_by_hub_rules(
    built: Path, change: dict, needle: str
) -> None:
    text = (built / "README.md").read_text(encoding="utf-8")
    meta, body = split_card(text)
    meta.update(change)
    if meta["configs"] is None:
        del meta["configs"]
    bad = "---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n" + body
    problems = validate_card(bad)
    assert problems and any(needle in p for p in problems), problems
    if needle != "configs":  # the Hub accepts a card without configs (it then guesses the layout)
        assert hub_metadata_errors(bad, "dataset"), change


def test_card_without_header_or_with_broken_yaml() -> None:
    assert validate_card("# just a title\n")
    assert any("parse" in p for p in validate_card("---\nlicense: [unclosed\n---\nbody\n"))


def test_card_metadata_only_declares_given_configs() -> None:
    meta = card_metadata(
        {"name": "x", "languages": ["en"]}, {"configs": {"temporal": 3}, "languages": ["en"]}
    )
    assert [c["config_name"] for c in meta["configs"]] == ["temporal"]
    assert meta["configs"][0]["default"] is True
    assert meta["multilinguality"] == "monolingual"


def test_config_globs_and_local_load_dataset(built: Path, tmp_path: Path) -> None:
    """``datasets.load_dataset(OUT, config)`` finds every config through the card alone."""
    import datasets
    import pyarrow.parquet as pq

    text = (built / "README.md").read_text(encoding="utf-8")
    assert config_globs(text) == {
        "static": ["static/test-*.parquet"],
        "temporal": ["temporal/test-*.parquet"],
        "disputable": ["disputable/test-*.parquet"],
    }
    for config in ("static", "temporal", "disputable"):
        ds = datasets.load_dataset(str(built), config, split="test", cache_dir=str(tmp_path / "cache"))
        expected = pq.read_table(built / config / "test-00000-of-00001.parquet").to_pylist()
        assert ds.to_list() == expected
