"""A loopback HTTP server that replays the real recorded responses, with scripted faults.

The server listens on 127.0.0.1 only. Each test queues what the next requests get (a recorded
fixture body, a status with headers, a delay past the client's timeout, a reset connection, a
truncated gzip body); once the queue is empty, the route's default answer is served. Every
request is recorded, so tests can count what reached the "network".

An autouse guard makes any socket connection outside the loopback interface fail, so a bug
cannot reach the real Wikimedia servers from the tests.
"""

from __future__ import annotations

import gzip
import json
import socket
import struct
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kcdata.http import HttpClient, RawResponse, urllib_transport

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO.parent / "shared" / "fixtures"
UA = "kcdata-tests/0.1 (https://example.org/kcdata; tests@example.org)"


@dataclass
class Reply:
    """One scripted answer."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (past the client's timeout: a timeout)."""
    reset: bool = False
    """Close the connection abruptly without an answer."""
    gzip_truncate: int | None = None
    """Send the body gzip-encoded, cut to this many bytes."""


@dataclass
class Seen:
    """A request as the server saw it."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]


class Loopback:
    """The server's state: routes, queued replies, requests seen."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[Seen], Reply]] = {}
        self.queue: dict[str, deque[Reply]] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.base = ""

    def route(self, path: str, handler: Callable[[Seen], Reply] | Reply | bytes) -> None:
        """Default answer for ``path`` (a handler of the request, a Reply or a body)."""
        if isinstance(handler, bytes):
            reply = Reply(handler, headers={"Content-Type": "application/json"})
            self.routes[path] = lambda _s: reply
        elif isinstance(handler, Reply):
            self.routes[path] = lambda _s, r=handler: r
        else:
            self.routes[path] = handler

    def script(self, path: str, *replies: Reply) -> None:
        """Answers for the next requests to ``path``, in order."""
        self.queue.setdefault(path, deque()).extend(replies)

    def requests(self, path: str | None = None) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if path is None or s.path == path]

    def next_reply(self, seen: Seen) -> Reply:
        with self.lock:
            self.seen.append(seen)
            q = self.queue.get(seen.path)
            if q:
                return q.popleft()
        handler = self.routes.get(seen.path)
        if handler is None:
            return Reply(b'{"error": "no route"}', status=404)
        return handler(seen)


def _handler(state: Loopback) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _serve(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            params = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
            if body and self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                params.update(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
            seen = Seen(self.command, parts.path, params, {k.lower(): v for k, v in self.headers.items()})
            reply = state.next_reply(seen)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.reset:
                # RST instead of FIN: SO_LINGER with a zero timeout
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return
            payload = reply.body
            headers = dict(reply.headers)
            if reply.gzip_truncate is not None:
                payload = gzip.compress(payload)[: reply.gzip_truncate]
                headers["Content-Encoding"] = "gzip"
            try:
                self.send_response(reply.status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = _serve
        do_POST = _serve

    return Handler


@pytest.fixture()
def loopback() -> Iterator[Loopback]:
    """A running loopback server; ``loopback.base`` is its ``http://127.0.0.1:PORT``."""
    state = Loopback()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def loopback_transport(state: Loopback) -> Callable[..., RawResponse]:
    """The real urllib transport, with the scheme and host of every URL swapped for the server.

    Lets code that builds real Wikimedia URLs (``https://www.wikidata.org/w/api.php``, the
    ``wikipedia-api`` library) run unchanged against the loopback server; the original host is
    sent in ``X-Original-Host``.
    """

    def transport(
        method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> RawResponse:
        parts = urllib.parse.urlsplit(url)
        local = urllib.parse.urlunsplit(("http", state.base.split("://", 1)[1], parts.path, parts.query, ""))
        return urllib_transport(method, local, {**headers, "X-Original-Host": parts.netloc}, body, timeout)

    return transport


class FakeTime:
    """Injected clock and sleep: sleeping advances the clock instantly, and is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)


@pytest.fixture()
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture()
def make_client(loopback: Loopback, fake_time: FakeTime, tmp_path: Path) -> Callable[..., HttpClient]:
    """Build an HttpClient wired to the loopback server, fake time and a temp cache."""
    import random

    def make(**kw: Any) -> HttpClient:
        opts: dict[str, Any] = dict(
            user_agent=UA,
            cache_dir=tmp_path / "cache",
            transport=loopback_transport(loopback),
            clock=fake_time.clock,
            sleep=fake_time.sleep,
            rng=random.Random(0),
            timeout=2.0,
            min_interval=0.0,
        )
        opts.update(kw)
        return HttpClient(**opts)

    return make


def fixture_bytes(rel: str) -> bytes:
    """Bytes of a recorded response under ../shared/fixtures."""
    return (FIXTURES / rel).read_bytes()


def fixture_json(rel: str) -> Any:
    return json.loads(fixture_bytes(rel))


def cache_files(root: Path) -> list[Path]:
    """Cache entries (no temporary files may be left)."""
    return sorted(p for p in root.rglob("*") if p.is_file())


_LOOPBACK = ("127.0.0.1", "::1", "localhost")


@pytest.fixture(autouse=True)
def no_outside_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse any connection that is not to the loopback interface (or a local socket)."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0] if isinstance(address, tuple) else address
            if host not in _LOOPBACK:
                raise OSError(f"tests may not connect outside 127.0.0.1 (tried {address!r})")

    def connect(sock: socket.socket, address: Any) -> None:
        check(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        check(sock, address)
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", _loopback_only(socket.getaddrinfo))


def _loopback_only(real: Callable[..., Any]) -> Callable[..., Any]:
    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in _LOOPBACK and host is not None:
            raise OSError(f"tests may not resolve {host!r}: only 127.0.0.1 is reachable")
        return real(host, *args, **kwargs)

    return getaddrinfo
