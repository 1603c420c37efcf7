"""Schema valid/invalid examples and row validation."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from kcdata.resources import schemas_dir
from kcdata.schemas import problems
from kcdata.validate import row_problems


def _examples(kind):
    root = schemas_dir() / "examples" / kind
    for sub in ("valid", "invalid"):
        for p in sorted((root / sub).glob("*")):
            text = p.read_text(encoding="utf-8")
            doc = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
            yield sub, p.name, doc


@pytest.mark.parametrize("kind,schema", [("relation", "relation"), ("template", "template"),
                                         ("row", "row"), ("build_config", "build_config"),
                                         ("manifest", "manifest"), ("grammar", "grammar")])
def test_examples(kind, schema):
    seen = {"valid": 0, "invalid": 0}
    for sub, name, doc in _examples(kind):
        found = problems(doc, schema, name)
        if sub == "valid":
            assert not found, f"{name}: {found}"
        else:
            assert found, f"{name} should be invalid"
        seen[sub] += 1
    assert seen["valid"] >= 1 and seen["invalid"] >= 1


def test_built_rows_validate_and_mutations_fail(sample_build):
    import pyarrow.parquet as pq

    row = pq.read_table(sample_build / "temporal" / "test-00000-of-00001.parquet").to_pylist()[0]
    assert row_problems(row) == []
    bad = copy.deepcopy(row)
    bad["kind"] = "static"  # a temporal rule on a static row
    assert any(p.path == "$.rule" for p in row_problems(bad))
    bad = copy.deepcopy(row)
    bad["subject"]["label"] = ""
    assert [p.path for p in row_problems(bad)] == ["$.subject.label"]
    bad = copy.deepcopy(row)
    bad["counterfactual"]["label"] = row["answers"][0]
    assert any("accepted answer" in p.message for p in row_problems(bad))
    bad = copy.deepcopy(row)
    bad["context_counter"] = "{{ object }} leads"
    assert any("braces" in p.message for p in row_problems(bad))
