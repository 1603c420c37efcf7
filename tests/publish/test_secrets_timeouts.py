"""push-to-hub never hangs and never shows a secret.

* Every Hub request has a timeout: against a loopback server that accepts connections and never
  answers, push-to-hub fails within it with a clear message.
* No token or URL password reaches the output or the logs at any verbosity: the loopback Hub here
  echoes the ``Authorization`` header back in every response header (and in the body and error
  message of a refused commit), and push-to-hub runs with ``-vv``, ``HF_DEBUG=1`` and
  ``HF_HUB_VERBOSITY=debug`` so that httpx / httpcore log every response header.

Every client runs in a subprocess (``HF_ENDPOINT`` is read at import); only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from hubserver import HubError, HubServer, _Handler
from publish_helpers import ROOT, TOKEN, USER, assert_no_token, assert_no_token_in_files, client_env, run_cli

REPO = "alice/kc-secrets"
PASSWORD = "pa55wordInTheEndpoint"


class EchoHandler(_Handler):
    """The loopback Hub, echoing the request's Authorization header in every response header;
    with ``state.echo_reject`` it refuses the commit with the header in the body and the message."""

    def _send(self, status, body=b"", content_type="application/json", headers=None, head=False):
        auth = self.headers.get("Authorization", "")
        if auth:
            with self.state.lock:
                self.state.echoed = getattr(self.state, "echoed", 0) + 1
        super()._send(status, body, content_type, {**(headers or {}), "X-Echo-Authorization": auth}, head)

    def commit(self, query, head, **kwargs):
        if getattr(self.state, "echo_reject", False):  # before anything is stored
            self._body()
            raise HubError(422, f"commit refused for {self.headers.get('Authorization', '')}")
        return super().commit(query, head, **kwargs)


@pytest.fixture
def echo_hub() -> Iterator[HubServer]:
    server = HubServer(tokens={TOKEN: USER})
    server._httpd.RequestHandlerClass = EchoHandler  # the same Hub, echoing secrets
    with server:
        yield server


class SilentServer:
    """Accepts every connection on 127.0.0.1 and never answers (holds the sockets open)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.endpoint = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.held: list[socket.socket] = []
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.held.append(conn)
            self.accepted += 1

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self.held:
            conn.close()
        self.sock.close()


def _vv(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m kcdata -vv ...``: the real CLI with debug logging, as a user would run it."""
    return subprocess.run([sys.executable, "-m", "kcdata", "-vv", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------------- timeouts


def test_push_fails_within_the_timeout_on_a_hub_that_never_answers(built: Path, tmp_path: Path) -> None:
    with SilentServer() as silent:
        env = client_env(silent.endpoint, tmp_path)
        start = time.monotonic()
        proc = run_cli("push_to_hub", [str(built), REPO, "--timeout", "1.5"], env)
        elapsed = time.monotonic() - start
    assert silent.accepted >= 1  # it did connect: the wait is for an answer that never comes
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert f"creating the repository: {silent.endpoint} did not answer within 1.5 s" in proc.stderr
    assert "--timeout" in proc.stderr and "Traceback" not in proc.stderr
    assert elapsed < 30, elapsed  # the interpreter and imports included; without a timeout: forever
    assert _manifest(built)["hub"] is None
    assert_no_token(proc.stdout, proc.stderr)


def test_timeout_from_the_environment_and_bad_values(built: Path, tmp_path: Path) -> None:
    with SilentServer() as silent:
        env = {**client_env(silent.endpoint, tmp_path), "KCDATA_HUB_TIMEOUT": "1"}
        proc = run_cli("push_to_hub", [str(built), REPO], env)
    assert proc.returncode == 1 and "did not answer within 1 s" in proc.stderr, proc.stderr[-3000:]
    env = {**client_env("http://127.0.0.1:9", tmp_path), "KCDATA_HUB_TIMEOUT": "soon"}
    proc = run_cli("push_to_hub", [str(built), REPO], env)
    assert proc.returncode == 1 and "KCDATA_HUB_TIMEOUT must be a positive number of seconds" in proc.stderr
    proc = run_cli("push_to_hub", [str(built), REPO, "--timeout", "0"], client_env("http://127.0.0.1:9", tmp_path))
    assert proc.returncode == 2 and "--timeout" in proc.stderr


def test_hub_timeout_covers_requests_sent_with_timeout_none(tmp_path: Path) -> None:
    """``huggingface_hub`` passes ``timeout=None`` on some calls, which in httpx means "no
    timeout": the request hook puts the limit back; the previous client factory is restored."""
    code = """
import time
import huggingface_hub
from huggingface_hub.utils import _http
from kcdata.publish.hub import hub_timeout
before = _http._GLOBAL_CLIENT_FACTORY
with hub_timeout(0.5):
    start = time.monotonic()
    try:
        huggingface_hub.get_session().get(URL + "/api/whoami-v2", timeout=None)
        print("ANSWERED")
    except Exception as exc:
        print("RAISED", type(exc).__name__, round(time.monotonic() - start, 1))
print("RESTORED", _http._GLOBAL_CLIENT_FACTORY is before)
"""
    with SilentServer() as silent:
        proc = subprocess.run([sys.executable, "-c", f"URL = {silent.endpoint!r}\n" + code],
                              env=client_env(silent.endpoint, tmp_path), cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    raised = next(line for line in proc.stdout.splitlines() if line.startswith("RAISED"))
    name, seconds = raised.split()[1:]
    assert "Timeout" in name and float(seconds) < 5, raised
    assert "RESTORED True" in proc.stdout


# ------------------------------------------------------------------------------------ secrets


def test_token_echoed_by_the_hub_never_reaches_output_or_logs(
    built: Path, echo_hub: HubServer, tmp_path: Path
) -> None:
    env = {**client_env(echo_hub.endpoint, tmp_path), "HF_DEBUG": "1"}
    proc = _vv(["push-to-hub", str(built), REPO, "--tag", "v1"], env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert echo_hub.state.echoed > 3  # the Hub did send the token back, in every response
    # httpcore logged the response headers, the echoed one included, with the token masked
    assert "X-Echo-Authorization', b'Bearer ***'" in proc.stderr
    assert_no_token(proc.stdout, proc.stderr)
    assert_no_token_in_files(built, Path(env["HF_HOME"]))


def test_token_echoed_in_a_refusal_is_masked_in_the_error(
    built: Path, echo_hub: HubServer, tmp_path: Path
) -> None:
    echo_hub.state.echo_reject = True
    env = {**client_env(echo_hub.endpoint, tmp_path), "HF_DEBUG": "1"}
    for proc in (_vv(["push-to-hub", str(built), REPO], env),
                 subprocess.run([sys.executable, "-m", "kcdata", "push-to-hub", str(built), REPO], env=env,
                                cwd=ROOT, capture_output=True, text=True, timeout=300)):
        assert proc.returncode == 1, proc.stderr[-3000:]
        error = next(line for line in proc.stderr.splitlines() if line.startswith("Error: "))
        assert "uploading and committing" in error and "422" in error and "commit refused for Bearer ***" in error
        assert_no_token(proc.stdout, proc.stderr)
    assert _manifest(built)["hub"] is None


def test_credentials_in_hf_endpoint_are_masked(built: Path, echo_hub: HubServer, tmp_path: Path) -> None:
    basic = base64.b64encode(f"bob:{PASSWORD}".encode()).decode()
    env = {**client_env(echo_hub.endpoint.replace("http://", f"http://bob:{PASSWORD}@"), tmp_path), "HF_DEBUG": "1"}
    proc = _vv(["push-to-hub", str(built), REPO], env)
    assert "Traceback" not in proc.stderr
    assert "http://***@127.0.0.1:" in proc.stderr  # the URL is logged, its userinfo is not
    for secret in (PASSWORD, basic, TOKEN):
        assert secret not in proc.stdout and secret not in proc.stderr, secret

    with socket.socket() as s:  # the message that printed the endpoint as it was given
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = client_env(f"http://bob:{PASSWORD}@127.0.0.1:{port}", tmp_path)
    proc = _vv(["push-to-hub", str(built), REPO], env)
    assert proc.returncode == 1 and f"cannot reach http://***@127.0.0.1:{port}" in proc.stderr, proc.stderr[-2000:]
    assert PASSWORD not in proc.stdout + proc.stderr and basic not in proc.stdout + proc.stderr


def test_redaction_of_texts_records_and_warnings(caplog: pytest.LogCaptureFixture) -> None:
    from kcdata.errors import add_secret, install_redaction, redact, secrets_from_url

    add_secret("tok_registered_value_123")
    secrets_from_url("https://carol:s3cr3t-pass@hub.example.org/")
    text = ("a tok_registered_value_123 b https://dave:other-pass@x.org/p c s3cr3t-pass "
            "Authorization: Bearer abcdefgh123 (b'authorization', b'Basic Zm9vOmJhcg==') hf_" + "x" * 30)
    masked = redact(text)
    for secret in ("tok_registered_value_123", "other-pass", "s3cr3t-pass", "abcdefgh123", "Zm9vOmJhcg==",
                   "x" * 30, base64.b64encode(b"carol:s3cr3t-pass").decode()):
        assert secret not in masked, secret
    assert "https://***@x.org/p" in masked and "Bearer ***" in masked

    install_redaction()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    for name in ("httpcore2.http11", "huggingface_hub.utils._http", "kcdata.publish.hub", "urllib3.x", "other"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)  # straight on the logger: huggingface_hub may not propagate
        old_level, logger.level = logger.level, logging.DEBUG
        try:
            logger.debug("headers %r", [(b"X-Echo", b"Bearer tok_registered_value_123")])
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old_level)
    with caplog.at_level(logging.DEBUG):
        try:
            raise RuntimeError("failed for https://eve:tracebackpass@h/")
        except RuntimeError:
            logging.getLogger("kcdata").exception("with a traceback")
    out = stream.getvalue()
    assert "tok_registered_value_123" not in out and out.count("Bearer ***") == 5, out
    assert "tracebackpass" not in caplog.text and "RuntimeError: failed for https://***@h/" in caplog.text
    assert "tracebackpass" not in warnings.formatwarning("at https://x:tracebackpass@h/", UserWarning, "f.py", 1)
