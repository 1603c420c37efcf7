"""One HTTP client for every remote source: etiquette, retries and an on-disk cache.

Wikimedia asks API clients for a descriptive User-Agent with contact details, one request at a
time, ``maxlag=5`` on the Action API, respect for ``Retry-After`` and a back-off on errors. The
:class:`HttpClient` does all of that in one place, and keeps every good response in a disk cache
keyed by the normalised request, so a rebuild makes no request twice and ``offline=True`` can
rebuild from the cache alone.

Every edge is injected: the transport (default: :func:`urllib_transport`, stdlib only), the clock,
``sleep`` and the random source used for jitter. Tests drive the real client against a loopback
server or a fake transport with a fake clock.

Example::

    client = HttpClient(user_agent="kcdata/0.1 (https://example.org; me@example.org)",
                        cache_dir=Path("~/.cache/kcdata/http").expanduser())
    data = client.get_json("https://www.wikidata.org/w/api.php",
                           {"action": "wbgetentities", "ids": "Q42", "format": "json"})
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import http.client
import json
import logging
import os
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from kcdata.errors import ConfigError, SourceError
from kcdata.fileio import write_atomic

log = logging.getLogger(__name__)

USER_AGENT_ENV = "KCDATA_USER_AGENT"
"""Environment variable read when no ``user_agent`` is configured."""

CACHE_FORMAT = 1
"""Version of the cache file layout; bump it when the layout changes."""

#: Parameters that do not change a response and so are left out of the cache key.
VOLATILE_PARAMS = frozenset({"maxlag"})

#: Status codes retried with back-off (``Retry-After`` honoured where sent).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class UserAgentError(ConfigError):
    """A live request was attempted without a descriptive User-Agent with contact details."""


class OfflineCacheMiss(SourceError):
    """``offline=True`` and the cache holds no response for the request."""


class HttpError(SourceError):
    """A request failed for good (after retries, or with a status that is not retried).

    Attributes:
        status: The last HTTP status, or ``None`` when no response arrived.
        url: The request URL with its parameters.
    """

    def __init__(
        self, message: str, remedy: str | None = None, *, status: int | None = None, url: str = ""
    ) -> None:
        super().__init__(message, remedy)
        self.status = status
        self.url = url


class TransientError(Exception):
    """Raised inside the retry loop for a failure worth retrying; never escapes the client."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


@dataclass(frozen=True)
class RawResponse:
    """What a transport returns: status, headers (lower-case names) and the body as sent."""

    status: int
    """HTTP status code."""
    headers: Mapping[str, str]
    """Response headers with lower-case names."""
    body: bytes
    """Body bytes as received (possibly still gzip-encoded, see ``content-encoding``)."""


class Transport(Protocol):
    """Sends one request. Raises ``OSError`` (timeouts, resets) on network failure."""

    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> RawResponse: ...


def urllib_transport(
    method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
) -> RawResponse:
    """Default transport: one request with :mod:`urllib.request` (no extra dependency).

    Args:
        method: ``GET`` or ``POST``.
        url: Full URL including the query string.
        headers: Request headers.
        body: Request body for ``POST``.
        timeout: Socket timeout in seconds (connect and each read).

    Returns:
        The raw response; HTTP error statuses are returned, not raised.
    """
    req = urllib.request.Request(url, data=body, headers=dict(headers), method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (http(s) only)
            data = resp.read()
            return RawResponse(resp.status, {k.lower(): v for k, v in resp.headers.items()}, data)
    except urllib.error.HTTPError as err:
        try:
            data = err.read()
        except (OSError, http.client.HTTPException):
            data = b""
        return RawResponse(err.code, {k.lower(): v for k, v in (err.headers or {}).items()}, data)
    except urllib.error.URLError as err:
        reason = err.reason
        if isinstance(reason, OSError):
            raise reason from err
        raise ConnectionError(str(reason)) from err


@dataclass(frozen=True)
class Response:
    """A decoded response, fresh or from the cache."""

    status: int
    """HTTP status code (always 2xx: other statuses raise)."""
    headers: Mapping[str, str]
    """Selected response headers (lower-case names)."""
    body: bytes
    """Decoded body (gzip content-encoding removed)."""
    url: str
    """Request URL with its normalised parameters (without ``maxlag``)."""
    retrieved: str
    """UTC time the response was fetched from the network, ISO 8601 (kept through the cache)."""
    from_cache: bool
    """Whether it was read from the disk cache."""
    key: str
    """The cache key (sha256 of the normalised request)."""

    def json(self) -> Any:
        """Parse the body as JSON.

        Raises:
            HttpError: When the body is not valid JSON.
        """
        try:
            return json.loads(self.body)
        except ValueError as err:
            raise HttpError(
                f"malformed JSON from {self.url}: {err}",
                "retry later; the server sent a broken body",
                url=self.url,
            ) from err


def normalise_params(url: str, params: Mapping[str, Any] | None) -> tuple[str, list[tuple[str, str]]]:
    """Split ``url`` into a base URL and the sorted union of its query and ``params``.

    Values are stringified; lists and tuples are joined with ``|`` (MediaWiki's multi-value
    separator); ``None`` values are dropped; booleans become ``1`` (true) or are dropped (false),
    as the Action API expects.

    Args:
        url: URL, possibly with a query string.
        params: Extra parameters.

    Returns:
        ``(base_url, sorted (name, value) pairs)`` with scheme and host lower-cased.
    """
    parts = urllib.parse.urlsplit(url)
    base = urllib.parse.urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", "", ""))
    pairs: list[tuple[str, str]] = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    for name, value in (params or {}).items():
        if value is None or value is False:
            continue
        if value is True:
            value = "1"
        elif isinstance(value, (list, tuple)):
            value = "|".join(str(v) for v in value)
        pairs.append((str(name), str(value)))
    return base, sorted(pairs)


def request_key(
    method: str, url: str, params: Mapping[str, Any] | None = None, body: bytes | None = None
) -> str:
    """The cache key of a request: sha256 of method, URL and sorted parameters (and body).

    Volatile parameters (``maxlag``) are excluded so that changing them does not invalidate the
    cache.

    Args:
        method: HTTP method.
        url: URL, possibly with a query string.
        params: Extra parameters.
        body: Request body (``POST``), hashed into the key when present.

    Returns:
        A 64-character hex digest.
    """
    base, pairs = normalise_params(url, params)
    pairs = [(k, v) for k, v in pairs if k not in VOLATILE_PARAMS]
    canon = json.dumps(
        [method.upper(), base, pairs, hashlib.sha256(body).hexdigest() if body else None],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


SHORT_URL = 120
"""Characters of a URL shown in a log line or message (a SPARQL query URL runs to thousands)."""


def short_url(url: str, limit: int = SHORT_URL) -> str:
    """``url`` for a message or log line: a long query parameter value (a SPARQL query, hundreds of
    ids) is cut to its first 40 characters and its length, so every parameter name stays visible;
    the full URL is in the cache entry."""
    if len(url) <= limit:
        return url
    base, _, query = url.partition("?")
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    parts = [urllib.parse.urlencode([(k, v if len(v) <= 60 else v[:40])]) + ("" if len(v) <= 60 else f"…({len(v)} chars)")
             for k, v in pairs]
    return base + ("?" + "&".join(parts) if parts else "")


def _no_network(err: OSError) -> bool:
    """A failure that no retry fixes soon: the name does not resolve, or no route to the network."""
    import errno
    import socket

    return isinstance(err, socket.gaierror) or err.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH)


def _display_url(base: str, pairs: list[tuple[str, str]]) -> str:
    return base + ("?" + urllib.parse.urlencode(pairs) if pairs else "")


def resolve_user_agent(user_agent: str | None) -> str | None:
    """The configured User-Agent, else ``$KCDATA_USER_AGENT``, else ``None``."""
    return user_agent or os.environ.get(USER_AGENT_ENV) or None


def check_user_agent(user_agent: str | None) -> str:
    """Validate a User-Agent for live use: descriptive and with a contact (email or URL).

    Args:
        user_agent: The candidate.

    Returns:
        The user agent, stripped.

    Raises:
        UserAgentError: When it is missing or has no contact.
    """
    remedy = (
        f"set `user_agent` in the build config or the environment variable {USER_AGENT_ENV}, "
        'e.g. export KCDATA_USER_AGENT="kcdata/0.1 (https://example.org/you; you@example.org)"'
        " — see https://meta.wikimedia.org/wiki/User-Agent_policy; or use --offline with a "
        "filled cache"
    )
    if not user_agent or not user_agent.strip():
        raise UserAgentError(
            "live requests to Wikimedia need a descriptive User-Agent with contact details, and none is set",
            remedy,
        )
    ua = user_agent.strip()
    if "@" not in ua and "http://" not in ua and "https://" not in ua:
        raise UserAgentError(f"User-Agent {ua!r} has no contact (an email address or a URL)", remedy)
    return ua


@dataclass
class HttpClient:
    """The polite HTTP client every source uses.

    One request at a time (a lock), at least ``min_interval`` seconds between request starts,
    ``maxlag`` added to Action API (``api.php``) calls, retries with exponential back-off and
    jitter on timeouts, connection errors, 429/5xx, maxlag errors, malformed JSON and truncated
    gzip bodies, honouring ``Retry-After``. Good responses are cached on disk, written atomically;
    failed ones never are.

    Attributes:
        user_agent: Descriptive User-Agent with contact; falls back to ``$KCDATA_USER_AGENT``.
            Required only when a request actually goes to the network.
        cache_dir: Folder of the response cache; ``None`` disables caching.
        offline: Read the cache only; a miss raises :class:`OfflineCacheMiss`.
        min_interval: Minimum seconds between the starts of two network requests.
        timeout: Socket timeout per request, seconds.
        max_retries: Retries after the first attempt before giving up.
        backoff_base: First back-off delay, seconds; doubles each retry, with jitter.
        backoff_max: Cap on one back-off delay, seconds.
        max_retry_after: Cap on a server-requested wait (``Retry-After`` or maxlag), seconds.
        maxlag: Value of the ``maxlag`` parameter on Action API calls (``None``: not sent).
        transport: Sends one request (default :func:`urllib_transport`).
        clock: Monotonic clock (seconds).
        sleep: Sleep function.
        rng: Random source for jitter.
        now: Wall clock for the retrieval timestamp.
    """

    user_agent: str | None = None
    cache_dir: Path | None = None
    offline: bool = False
    min_interval: float = 0.5
    timeout: float = 30.0
    max_retries: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    max_retry_after: float = 300.0
    maxlag: int | None = 5
    transport: Transport = urllib_transport
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731
    stats: dict[str, int] = field(default_factory=lambda: {"network": 0, "cache_hits": 0, "retries": 0})

    def __post_init__(self) -> None:
        self.user_agent = resolve_user_agent(self.user_agent)
        if self.cache_dir is not None:
            self.cache_dir = Path(self.cache_dir)
        self._lock = threading.Lock()
        self._last_start: float | None = None

    # -- public API ------------------------------------------------------------------------

    def get(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        validate: Callable[[Response], None] | None = None,
    ) -> Response:
        """GET ``url`` with ``params``, from the cache when there.

        Args:
            url: URL (may carry a query string).
            params: Query parameters (merged with the URL's, sorted).
            headers: Extra request headers (not part of the cache key).
            timeout: Override of :attr:`timeout` for this request.
            validate: Called on a fresh 2xx response before it is cached; raising
                :class:`TransientError` retries, raising anything else propagates.

        Returns:
            The response.

        Raises:
            OfflineCacheMiss: Offline and not cached.
            UserAgentError: A network request is needed and no proper User-Agent is set.
            HttpError: Failed for good.
        """
        return self.request("GET", url, params, headers=headers, timeout=timeout, validate=validate)

    def get_json(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """GET and parse JSON; malformed JSON and Action API maxlag errors are retried.

        Args:
            url: URL.
            params: Query parameters.
            headers: Extra request headers.
            timeout: Override of :attr:`timeout`.

        Returns:
            The parsed JSON document.
        """
        return self.request_json("GET", url, params, headers=headers, timeout=timeout)[0]

    def request_json(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None = None,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> tuple[Any, Response]:
        """Like :meth:`request`, parsing the body as JSON (validated before caching).

        Returns:
            ``(parsed JSON, response)``; the response carries ``retrieved`` for provenance.
        """
        hdrs = {"Accept": "application/json", **(headers or {})}
        resp = self.request(
            method, url, params, body=body, headers=hdrs, timeout=timeout, validate=_validate_json
        )
        return json.loads(resp.body), resp

    def request(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None = None,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        validate: Callable[[Response], None] | None = None,
    ) -> Response:
        """Send one request (or read it from the cache). See :meth:`get`."""
        method = method.upper()
        base, pairs = normalise_params(url, params)
        key = request_key(method, base, dict(pairs), body)
        shown = _display_url(base, pairs)
        cached = self._cache_read(key, shown)
        if cached is not None:
            self.stats["cache_hits"] += 1
            return cached
        if self.offline:
            raise OfflineCacheMiss(
                f"offline: no cached response for {method} {short_url(shown)} (cache key {key[:16]}…)",
                "run the same build once without --offline (with a User-Agent set) to fill the "
                f"cache at {self.cache_dir}, or drop --offline",
            )
        ua = check_user_agent(self.user_agent)
        send_pairs = list(pairs)
        if self.maxlag is not None and base.endswith("api.php") and not any(k == "maxlag" for k, _ in pairs):
            send_pairs.append(("maxlag", str(self.maxlag)))
        hdrs = {"User-Agent": ua, "Accept-Encoding": "gzip", **(headers or {})}
        if method == "GET":
            send_url = _display_url(base, sorted(send_pairs))
            send_body = body
        else:
            send_url = base
            if body is None:
                send_body = urllib.parse.urlencode(sorted(send_pairs)).encode()
                hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
            else:
                send_url = _display_url(base, sorted(send_pairs))
                send_body = body
        with self._lock:
            resp = self._send_with_retries(
                method, send_url, shown, key, hdrs, send_body, timeout or self.timeout, validate
            )
            self._cache_write(key, method, shown, resp)
        return resp

    # -- internals -------------------------------------------------------------------------

    def _wait_turn(self) -> None:
        if self._last_start is not None and self.min_interval > 0:
            gap = self._last_start + self.min_interval - self.clock()
            if gap > 0:
                self.sleep(gap)
        self._last_start = self.clock()

    def _backoff(self, attempt: int) -> float:
        delay = min(self.backoff_max, self.backoff_base * (2**attempt))
        return delay * (0.5 + self.rng.random())  # "equal jitter": 50–150 % of the delay

    def _send_with_retries(
        self,
        method: str,
        send_url: str,
        shown: str,
        key: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
        validate: Callable[[Response], None] | None,
    ) -> Response:
        last = ""
        last_status: int | None = None
        for attempt in range(self.max_retries + 1):
            self._wait_turn()
            self.stats["network"] += 1
            try:
                raw = self.transport(method, send_url, headers, body, timeout)
                last_status = raw.status
                resp = self._accept(raw, shown, key)
                if validate is not None:
                    validate(resp)
                return resp
            except TransientError as err:
                last, wait = err.reason, err.wait
            except TimeoutError as err:
                last, wait = f"timed out after {timeout:g} s ({err})", None
            except OSError as err:
                if _no_network(err):  # waiting will not help: say so at once
                    host = urllib.parse.urlsplit(send_url).hostname or send_url
                    raise HttpError(
                        f"{method} {short_url(shown)}: no network route to {host} ({type(err).__name__}: {err})",
                        "check the network connection (and HTTPS_PROXY if you need one), or build from "
                        "what is cached with --offline",
                        url=shown,
                    ) from None
                last, wait = f"connection failed: {type(err).__name__}: {err}", None
            except http.client.HTTPException as err:
                last, wait = f"connection failed: {type(err).__name__}: {err}", None
            if attempt == self.max_retries:
                break
            delay = self._backoff(attempt)
            if wait is not None:
                delay = min(max(wait, 0.0), self.max_retry_after) + self.rng.random()
            self.stats["retries"] += 1
            log.warning(
                "%s %s: %s; retry %d/%d in %.1f s", method, short_url(shown), last, attempt + 1, self.max_retries,
                delay,
            )
            self.sleep(delay)
        raise HttpError(
            f"{method} {short_url(shown)} failed after {self.max_retries + 1} attempts: {last}",
            "the service may be down or overloaded: retry later; what was fetched "
            "so far is cached, so a rerun resumes",
            status=last_status,
            url=shown,
        )

    def _accept(self, raw: RawResponse, shown: str, key: str) -> Response:
        headers = {k.lower(): v for k, v in raw.headers.items()}
        if raw.status in RETRY_STATUSES:
            raise TransientError(f"HTTP {raw.status}", _retry_after(headers.get("retry-after"), self.now()))
        if not 200 <= raw.status < 300:
            snippet = raw.body[:200].decode("utf-8", "replace")
            raise HttpError(
                f"HTTP {raw.status} for {short_url(shown)}: {snippet}",
                "check the request (ids, parameters); this status is not retried",
                status=raw.status,
                url=shown,
            )
        body = raw.body
        if headers.get("content-encoding", "").lower() in ("gzip", "x-gzip"):
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError, zlib.error) as err:
                raise TransientError(f"corrupt or truncated gzip body ({err})") from err
        kept = {k: headers[k] for k in ("content-type", "last-modified", "etag", "date") if k in headers}
        return Response(raw.status, kept, body, shown, self.now().isoformat(timespec="seconds"), False, key)

    def _path(self, key: str) -> Path:
        assert self.cache_dir is not None
        return self.cache_dir / key[:2] / f"{key}.json"

    def _cache_read(self, key: str, shown: str) -> Response | None:
        if self.cache_dir is None:
            return None
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            head, _, body = data.partition(b"\n")
            meta = json.loads(head)
            if meta.get("format") != CACHE_FORMAT or len(body) != meta["length"]:
                raise ValueError("bad cache entry")
        except (ValueError, KeyError) as err:
            log.warning("ignoring unreadable cache entry %s (%s)", path, err)
            return None
        return Response(
            meta["status"],
            meta.get("headers", {}),
            body,
            meta.get("url", shown),
            meta["retrieved"],
            True,
            key,
        )

    def _cache_write(self, key: str, method: str, shown: str, resp: Response) -> None:
        if self.cache_dir is None:
            return
        meta = {
            "format": CACHE_FORMAT,
            "method": method,
            "url": shown,
            "status": resp.status,
            "headers": dict(resp.headers),
            "retrieved": resp.retrieved,
            "length": len(resp.body),
        }
        # private (0600), like any cache of responses
        write_atomic(self._path(key), json.dumps(meta, ensure_ascii=False).encode() + b"\n" + resp.body, mode=None)


def _retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _validate_json(resp: Response) -> None:
    """Reject malformed JSON and Action API maxlag / rate-limit errors (retried, not cached)."""
    try:
        doc = json.loads(resp.body)
    except ValueError as err:
        raise TransientError(f"malformed JSON body ({err})") from err
    if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
        code = doc["error"].get("code")
        if code == "maxlag":
            lag = doc["error"].get("lag")
            info = doc["error"].get("info", "")
            wait = float(lag) if isinstance(lag, (int, float)) else 5.0
            raise TransientError(f"maxlag: {info}".strip(), wait)
        if code in ("ratelimited", "internal_api_error_DBQueryTimeoutError"):
            raise TransientError(f"API error {code}")
        raise HttpError(
            f"API error {code} for {resp.url}: {doc['error'].get('info', '')}",
            "check the request parameters (ids, languages, props)",
            url=resp.url,
        )


def default_cache_dir() -> Path:
    """``$KCDATA_CACHE_DIR``, else ``$XDG_CACHE_HOME/kcdata/http``, else ``~/.cache/kcdata/http``."""
    env = os.environ.get("KCDATA_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "kcdata" / "http"


def client_from_config(config: Any, **overrides: Any) -> HttpClient:
    """The HTTP client of a build config (``user_agent``, ``cache_dir``, ``offline``).

    The cache is always on: ``cache_dir`` or :func:`default_cache_dir`, so a rebuild makes no
    request twice and ``offline`` can rebuild from it.

    Args:
        config: A ``kcdata.config.BuildConfig`` (or anything with those attributes).
        **overrides: Other :class:`HttpClient` arguments (e.g. ``min_interval``, ``transport``).
    """
    cache = getattr(config, "cache_dir", None)
    opts: dict[str, Any] = {
        "user_agent": getattr(config, "user_agent", None),
        "cache_dir": Path(cache).expanduser() if cache else default_cache_dir(),
        "offline": bool(getattr(config, "offline", False)),
    }
    opts.update(overrides)
    return HttpClient(**opts)
