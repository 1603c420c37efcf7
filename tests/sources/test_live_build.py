"""`kcdata build --source api` end to end, through the real HTTP client and API code, against
recorded wbgetentities responses served on 127.0.0.1; then again offline from the cache."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from kcdata.config import BuildConfig
from kcdata.pipeline import run_build

from .test_wikidata_api import wbgetentities_server


def _rows(out):
    rows = []
    for p in sorted(out.glob("*/test-*.parquet")):
        rows.extend(pq.read_table(p).to_pylist())
    return rows


def test_api_build_then_offline_rebuild(loopback, make_client, tmp_path):
    loopback.route("/w/api.php", wbgetentities_server)
    config = BuildConfig(source="api", subjects=("Q42",), languages=("en", "de"), as_of="2020-01-01",
                         wikipedia=False, cache_dir=str(tmp_path / "cache"))
    result = run_build(config, tmp_path / "live", http_client=make_client())
    rows = _rows(tmp_path / "live")
    assert rows and {r["subject"]["id"] for r in rows} == {"Q42"}
    by_id = {r["id"]: r for r in rows}
    birth = by_id["Q42:P569:en"]
    assert birth["object"]["label"] == "11 March 1952" and birth["kind"] == "static"
    assert birth["provenance"]["source"].startswith("api:")
    assert birth["provenance"]["entity_revision"] > 0
    manifest = json.loads((tmp_path / "live" / "manifest.json").read_text())
    assert manifest["sources"][0]["kind"] == "api" and manifest["sources"][0]["entity_revisions"]["Q42"] > 0
    assert result.rows["static"] == sum(r["kind"] == "static" for r in rows)
    requests = len(loopback.requests())
    assert requests >= 2  # subjects, then labels of referenced entities

    # A rebuild offline makes no request and gives the same files.
    again = run_build(config, tmp_path / "offline", http_client=make_client(offline=True))
    assert len(loopback.requests()) == requests
    assert again.files == result.files


def test_api_source_knows_the_kind_of_subjects_and_referenced_entities(loopback, make_client, tmp_path):
    """Referenced entities come with the claims of their kind, into the label store, and stay
    no subjects (their P569 / P570 would otherwise be facts of the build)."""
    from kcdata.sources.live import load_api

    loopback.route("/w/api.php", wbgetentities_server)
    config = BuildConfig(source="api", subjects=("Q131261",), languages=("en",), as_of="2020-01-01",
                         wikipedia=False, cache_dir=str(tmp_path / "cache"))
    snapshot = load_api(config, make_client())
    assert [e["id"] for e in snapshot.entities] == ["Q131261"] and set(snapshot.provenance) == {"Q131261"}
    store = snapshot.labels
    assert store.classes("Q131261") == ("Q5",) and store.gender("Q131261") == "Q6581097"
    assert store.lifetime("Q131261") == (1969, None)
    assert "Q515" in store.classes("Q1040") and store.lifetime("Q1040") == (None, None)  # Karlsruhe
    assert store.label("Q1040", "en") == "Karlsruhe"


def test_api_build_offline_with_empty_cache_names_the_request(loopback, make_client, tmp_path):
    from kcdata.errors import KcdataError

    config = BuildConfig(source="api", subjects=("Q42",), languages=("en",), as_of="2020-01-01",
                         wikipedia=False)
    with pytest.raises(KcdataError, match="offline.*wbgetentities"):
        run_build(config, tmp_path / "o", http_client=make_client(offline=True))
    assert not (tmp_path / "o").exists()
