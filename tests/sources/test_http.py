"""kcdata.http against a loopback server replaying real Wikidata responses, faults included."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

import pytest

from kcdata.errors import KcdataError
from kcdata.http import (
    HttpClient,
    HttpError,
    OfflineCacheMiss,
    UserAgentError,
    _retry_after,
    request_key,
)

from .conftest import UA, Reply, cache_files, fixture_bytes

API = "https://www.wikidata.org/w/api.php"
Q42 = "wikidata_api/wikidata-toolkit/wbgetentities-Q6-Q42-P31.json"
PARAMS = {"action": "wbgetentities", "ids": "Q6|Q42|P31", "format": "json"}
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


def ok(body: bytes | None = None, **headers: str) -> Reply:
    return Reply(body if body is not None else fixture_bytes(Q42), headers={**JSON_HEADERS, **headers})


def test_success_caches_once_and_rebuild_makes_no_request(loopback, make_client, tmp_path):
    loopback.route("/w/api.php", ok())
    client = make_client()
    doc = client.get_json(API, PARAMS)
    assert doc == json.loads(fixture_bytes(Q42))
    assert len(loopback.requests()) == 1
    seen = loopback.requests()[0]
    assert seen.headers["user-agent"] == UA
    assert seen.params["maxlag"] == "5"  # Action API etiquette
    assert len(cache_files(tmp_path / "cache")) == 1

    again = make_client()  # a rebuild: new client, same cache
    assert again.get_json(API, dict(reversed(list(PARAMS.items())))) == doc
    assert len(loopback.requests()) == 1
    assert again.stats == {"network": 0, "cache_hits": 1, "retries": 0}


def test_offline_reads_cache_and_names_the_missing_request(loopback, make_client):
    loopback.route("/w/api.php", ok())
    make_client().get_json(API, PARAMS)
    offline = make_client(offline=True, user_agent=None)
    assert offline.get_json(API, PARAMS)["success"] == 1
    with pytest.raises(OfflineCacheMiss) as err:
        offline.get_json(API, {**PARAMS, "ids": "Q1"})
    assert "ids=Q1" in str(err.value)
    assert "--offline" in str(err.value)
    assert len(loopback.requests()) == 1


def test_live_request_needs_a_user_agent_with_contact(loopback, make_client, monkeypatch):
    monkeypatch.delenv("KCDATA_USER_AGENT", raising=False)
    loopback.route("/w/api.php", ok())
    with pytest.raises(UserAgentError) as err:
        make_client(user_agent=None).get_json(API, PARAMS)
    msg = str(err.value)
    assert "KCDATA_USER_AGENT" in msg and "user_agent" in msg
    assert isinstance(err.value, KcdataError)
    with pytest.raises(UserAgentError, match="no contact"):
        make_client(user_agent="my-script/1.0").get_json(API, PARAMS)
    assert loopback.requests() == []
    monkeypatch.setenv("KCDATA_USER_AGENT", UA)
    assert make_client(user_agent=None).get_json(API, PARAMS)["success"] == 1


def test_429_retry_after_is_honoured(loopback, make_client, fake_time, tmp_path):
    loopback.route("/w/api.php", ok())
    loopback.script("/w/api.php", Reply(b"Too many requests", status=429, headers={"Retry-After": "7"}))
    client = make_client()
    assert client.get_json(API, PARAMS)["success"] == 1
    assert len(loopback.requests()) == 2
    assert 7.0 <= fake_time.sleeps[0] < 8.0  # Retry-After plus < 1 s of jitter
    assert len(cache_files(tmp_path / "cache")) == 1


def test_503_backs_off_exponentially_with_jitter(loopback, make_client, fake_time, tmp_path):
    loopback.route("/w/api.php", ok())
    loopback.script("/w/api.php", *[Reply(b"<html>busy</html>", status=503)] * 3)
    client = make_client(backoff_base=1.0)
    assert client.get_json(API, PARAMS)["success"] == 1
    assert len(loopback.requests()) == 4
    s = fake_time.sleeps
    assert len(s) == 3
    for i, delay in enumerate(s):  # 50–150 % of 1, 2, 4 s
        assert 0.5 * 2**i <= delay <= 1.5 * 2**i
    assert len(cache_files(tmp_path / "cache")) == 1


def test_maxlag_error_body_is_retried_after_the_lag_and_not_cached(
    loopback, make_client, fake_time, tmp_path
):
    maxlag = {
        "error": {
            "code": "maxlag",
            "info": "Waiting for 10.64.48.35: 3 seconds lagged.",
            "host": "10.64.48.35",
            "lag": 3,
            "type": "db",
        },
        "servedby": "mw1",
    }
    loopback.route("/w/api.php", ok())
    loopback.script(
        "/w/api.php",
        Reply(
            json.dumps(maxlag).encode(), headers={**JSON_HEADERS, "Retry-After": "5", "X-Database-Lag": "3"}
        ),
    )
    client = make_client()
    doc = client.get_json(API, PARAMS)
    assert "error" not in doc
    assert 3.0 <= fake_time.sleeps[0] < 4.0
    assert len(loopback.requests()) == 2
    # the cache holds the good answer only
    (entry,) = cache_files(tmp_path / "cache")
    assert b"maxlag" not in entry.read_bytes()


def test_timeout_is_retried(loopback, make_client):
    loopback.route("/w/api.php", ok())
    loopback.script("/w/api.php", Reply(fixture_bytes(Q42), headers=JSON_HEADERS, delay=1.0))
    client = make_client(timeout=0.3)
    assert client.get_json(API, PARAMS)["success"] == 1
    assert client.stats["retries"] == 1


def test_connection_reset_is_retried(loopback, make_client, tmp_path):
    loopback.route("/w/api.php", ok())
    loopback.script("/w/api.php", Reply(reset=True), Reply(reset=True))
    client = make_client()
    assert client.get_json(API, PARAMS)["success"] == 1
    assert len(loopback.requests()) == 3
    assert len(cache_files(tmp_path / "cache")) == 1


def test_malformed_json_is_retried_then_reported_and_never_cached(loopback, make_client, tmp_path):
    broken = fixture_bytes(Q42)[:500]  # a real response cut mid-way
    loopback.route("/w/api.php", Reply(broken, headers=JSON_HEADERS))
    client = make_client(max_retries=2)
    with pytest.raises(HttpError) as err:
        client.get_json(API, PARAMS)
    assert "malformed JSON" in str(err.value)
    assert "3 attempts" in str(err.value)
    assert len(loopback.requests()) == 3
    assert cache_files(tmp_path / "cache") == []
    # recovers when the server does
    loopback.route("/w/api.php", ok())
    assert make_client().get_json(API, PARAMS)["success"] == 1
    assert len(cache_files(tmp_path / "cache")) == 1


def test_truncated_gzip_body_is_retried(loopback, make_client, tmp_path):
    loopback.route("/w/api.php", ok())
    loopback.script("/w/api.php", Reply(fixture_bytes(Q42), headers=JSON_HEADERS, gzip_truncate=300))
    client = make_client()
    assert client.get_json(API, PARAMS) == json.loads(fixture_bytes(Q42))
    assert client.stats["retries"] == 1
    assert len(cache_files(tmp_path / "cache")) == 1


def test_gzip_body_is_decoded(loopback, make_client):
    loopback.route("/w/api.php", Reply(fixture_bytes(Q42), headers=JSON_HEADERS, gzip_truncate=10**9))
    assert make_client().get_json(API, PARAMS)["success"] == 1


def test_404_is_not_retried(loopback, make_client, tmp_path):
    loopback.route("/w/api.php", Reply(b"not here", status=404))
    with pytest.raises(HttpError) as err:
        make_client().get_json(API, PARAMS)
    assert err.value.status == 404
    assert len(loopback.requests()) == 1
    assert cache_files(tmp_path / "cache") == []


def test_api_error_other_than_maxlag_is_reported(loopback, make_client):
    body = {"error": {"code": "no-such-entity", "info": "Could not find an entity with the ID"}}
    loopback.route("/w/api.php", Reply(json.dumps(body).encode(), headers=JSON_HEADERS))
    with pytest.raises(HttpError, match="no-such-entity"):
        make_client().get_json(API, PARAMS)
    assert len(loopback.requests()) == 1


def test_rate_limit_spaces_request_starts(loopback, make_client, fake_time):
    loopback.route("/w/api.php", ok())
    client = make_client(min_interval=1.5)
    for i in range(3):
        client.get_json(API, {**PARAMS, "ids": f"Q{i}"})
    assert fake_time.sleeps == [1.5, 1.5]


def test_gives_up_after_retries_with_a_remedy(loopback, make_client):
    loopback.route("/w/api.php", Reply(b"", status=502))
    with pytest.raises(HttpError) as err:
        make_client(max_retries=1).get_json(API, PARAMS)
    assert "HTTP 502" in str(err.value) and "retry later" in str(err.value)
    assert err.value.status == 502


def test_request_key_normalises_order_and_ignores_maxlag():
    a = request_key("get", "HTTPS://WWW.wikidata.org/w/api.php?ids=Q1&action=wbgetentities")
    b = request_key(
        "GET", "https://www.wikidata.org/w/api.php", {"action": "wbgetentities", "ids": "Q1", "maxlag": 5}
    )
    c = request_key("GET", "https://www.wikidata.org/w/api.php", {"action": "wbgetentities", "ids": ["Q1"]})
    assert a == b == c
    assert a != request_key(
        "POST", "https://www.wikidata.org/w/api.php", {"action": "wbgetentities", "ids": "Q1"}
    )


def test_retry_after_http_date():
    from datetime import datetime

    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert _retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30.0
    assert _retry_after("12", now) == 12.0
    assert _retry_after("soon", now) is None


def test_unreadable_cache_entry_is_refetched(loopback, make_client, tmp_path):
    loopback.route("/w/api.php", ok())
    make_client().get_json(API, PARAMS)
    (entry,) = cache_files(tmp_path / "cache")
    entry.write_bytes(entry.read_bytes()[:-10])  # a torn file from some other tool
    assert make_client().get_json(API, PARAMS)["success"] == 1
    assert len(loopback.requests()) == 2
    assert len(cache_files(tmp_path / "cache")) == 1


def test_default_transport_is_real_urllib(loopback, tmp_path: Path):
    loopback.route("/w/api.php", ok())
    client = HttpClient(user_agent=UA, cache_dir=tmp_path / "c", min_interval=0)
    doc = client.get_json(f"{loopback.base}/w/api.php", PARAMS)
    assert doc["success"] == 1


def test_client_from_config_always_caches(monkeypatch, tmp_path):
    from types import SimpleNamespace

    from kcdata.http import client_from_config, default_cache_dir

    monkeypatch.setenv("KCDATA_CACHE_DIR", str(tmp_path / "env-cache"))
    assert default_cache_dir() == tmp_path / "env-cache"
    c = client_from_config(SimpleNamespace(user_agent=UA, cache_dir=None, offline=True))
    assert c.cache_dir == tmp_path / "env-cache" and c.offline and c.user_agent == UA
    c2 = client_from_config(
        SimpleNamespace(user_agent=None, cache_dir=str(tmp_path / "c"), offline=False), min_interval=0
    )
    assert c2.cache_dir == tmp_path / "c" and c2.min_interval == 0
    monkeypatch.delenv("KCDATA_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "kcdata" / "http"


def test_no_network_fails_at_once_saying_so(make_client, caplog):
    """A name that does not resolve (what an offline machine gives) is not retried for half a
    minute as if the service were overloaded (issue 13)."""
    import socket

    calls = []

    def offline(method, url, headers, body, timeout):
        calls.append(url)
        raise socket.gaierror(-2, "Name or service not known")

    long_query = {"format": "json", "query": "SELECT ?s WHERE { ?s ?p ?o } " * 40}
    with pytest.raises(HttpError) as err:
        make_client(transport=offline).get_json("https://query.wikidata.org/sparql", long_query)
    assert len(calls) == 1
    msg = str(err.value)
    assert "no network route to query.wikidata.org" in msg and "--offline" in err.value.remedy
    assert "overloaded" not in msg + err.value.remedy
    assert len(msg.splitlines()[0]) < 250 and "chars)" in msg  # the 1,300-character URL is cut


def test_retry_log_lines_cut_long_urls(loopback, make_client, caplog):
    loopback.route("/w/api.php", ok())
    loopback.script("/w/api.php", Reply(reset=True))
    params = {**PARAMS, "ids": "|".join(f"Q{i}" for i in range(1, 200))}
    with caplog.at_level("WARNING", logger="kcdata.http"):
        make_client().get_json(API, params)
    (line,) = [r.getMessage() for r in caplog.records if "retry 1/" in r.getMessage()]
    assert len(line) < 300 and "chars)" in line and "…(" in line
