"""croissant.json (MLCommons Croissant 1.0) beside the card: valid for mlcroissant, one RecordSet per
config whose fields are the row schema's columns with its descriptions, the files' sha256, the
licence and the citation."""

from __future__ import annotations

import json

import pytest

from kcdata.schemas import load_schema


@pytest.fixture(scope="module")
def croissant(sample_build):
    path = sample_build / "croissant.json"
    assert path.is_file(), "the build writes croissant.json"
    return path


def test_the_build_writes_croissant_that_mlcroissant_accepts(croissant, sample_build):
    mlc = pytest.importorskip("mlcroissant")  # in the test extra: installs everywhere CI runs
    ds = mlc.Dataset(jsonld=str(croissant))
    assert ds.metadata.name == "kcdata-sample"
    manifest = json.loads((sample_build / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"]["croissant.json"]  # listed and hashed like every other file


def test_fields_licence_files_and_citation(croissant, sample_build):
    doc = json.loads(croissant.read_text(encoding="utf-8"))
    manifest = json.loads((sample_build / "manifest.json").read_text(encoding="utf-8"))
    props = load_schema("row")["properties"]
    sets = {r["name"]: r for r in doc["recordSet"]}
    assert set(sets) == {c for c, n in manifest["counts"]["rows"].items() if n}
    for rs in sets.values():
        fields = {f["name"]: f for f in rs["field"]}
        assert list(fields) == list(props)
        assert all(fields[k]["description"] == props[k]["description"] for k in props)
        assert fields["paraphrases"]["repeated"] is True and fields["paraphrases"]["dataType"] == "sc:Text"
        entity = load_schema("row")["$defs"]["entity"]["properties"]  # subject is a $ref to it
        assert {f["name"] for f in fields["subject"]["subField"]} == set(entity)
    objects = {d["contentUrl"]: d for d in doc["distribution"] if d["@type"] == "cr:FileObject"}
    assert {p: d["sha256"] for p, d in objects.items()} == {
        p: h for p, h in manifest["files"].items() if p.endswith(".parquet")}
    assert doc["license"] == {"CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
                              "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/"}[manifest["license"]]
    assert "@misc" in doc["citeAs"] and doc["inLanguage"] == ["en", "de", "fr", "ru"]
