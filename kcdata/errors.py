"""Errors grouped by consequence, each with an exit code and a remedy.

* ``ConfigError``: the user asked for something impossible (bad flag, bad file). Fix the input.
* ``InputError``: an input file is malformed. The message names the file and line.
* ``SourceError``: a remote source failed after retries. Retry later or use the cache.
* ``ValidationError``: rows or files do not match their schema.
* ``SkipItem``: not fatal; the current item is dropped with a named reason (counted).
* ``DiskFullError``: a write failed for lack of space; the message names the file.

Secrets (tokens, URL passwords) never reach the user: :func:`redact` masks them in a text and
:func:`install_redaction` in every log record and warning.
"""

from __future__ import annotations

import logging
import os
import re


class KcdataError(Exception):
    """Base of every error kcdata reports to the user (exit code 1, no traceback)."""

    exit_code = 1

    def __init__(self, message: str, remedy: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.remedy = remedy

    def __str__(self) -> str:
        if self.remedy:
            return f"{self.message}\n  hint: {self.remedy}"
        return str(self.message)

    def __reduce__(self):
        # Pickled across worker processes with its remedy and attributes (``args`` holds only the
        # message, and a subclass may take other arguments).
        return _rebuild_error, (type(self), dict(self.__dict__))


class ConfigError(KcdataError):
    """A configuration value or command-line flag is invalid."""


class InputError(KcdataError):
    """An input file could not be read or parsed."""


class SourceError(KcdataError):
    """A network or dump source failed for good."""


class ValidationError(KcdataError):
    """Data does not conform to its JSON Schema or to a semantic rule."""


class SkipItem(Exception):
    """Drop the current item with a named, counted reason (never shown as an error)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def _rebuild_error(cls: type, state: dict) -> KcdataError:
    err = cls.__new__(cls)
    Exception.__init__(err, state.get("message"))
    err.__dict__.update(state)
    return err


# ---------------------------------------------------------------- secrets never reach the user

MASK = "***"
"""What a secret is replaced with in messages and logs."""

#: Loggers whose records are redacted (their handlers get the filter too; a record of any other
#: logger is redacted as it is made, see :func:`install_redaction`).
REDACTED_LOGGERS = ("kcdata", "huggingface_hub", "httpx", "httpx2", "httpcore", "httpcore2", "urllib3",
                    "requests", "datasets", "fsspec", "filelock")

#: Environment variables that hold a token (read by huggingface_hub).
TOKEN_ENV = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")

_SECRETS: set[str] = set()
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\s'\"<>]+@")
_AUTH = re.compile(r"(?i)(?P<head>\b(?:proxy-)?authorization\b['\"]?\s*[:=,]\s*(?:b?['\"])?\s*"
                   r"(?:(?:bearer|basic|token|digest)\s+)?)"
                   r"(?P<value>[^\s'\",)<>]+)")
_HF_TOKEN = re.compile(r"\bhf_[A-Za-z0-9]{16,}\b")


def add_secret(value: str | None) -> None:
    """Register a secret (a token, a password) to be masked in every message and log record, with
    the forms it takes on the wire (URL-quoted)."""
    if not value or len(value) < 4:
        return
    from urllib.parse import quote, unquote

    _SECRETS.update({value, quote(value, safe=""), unquote(value)} - {""})


def secrets_from_url(url: str | None) -> None:
    """Register the password (and the ``user:password`` pair, also base64 as in Basic auth) of a
    URL's userinfo, e.g. ``HF_ENDPOINT=https://user:secret@host``."""
    import base64
    from urllib.parse import unquote, urlsplit

    try:
        parts = urlsplit(url or "")
    except ValueError:
        return
    if parts.password:
        pair = f"{unquote(parts.username or '')}:{unquote(parts.password)}"
        add_secret(parts.password)
        add_secret(pair)
        add_secret(base64.b64encode(pair.encode()).decode())


def secrets_from_env(environ: dict[str, str] | None = None) -> None:
    """Register the tokens in ``HF_TOKEN`` / ``HUGGING_FACE_HUB_TOKEN`` and the credentials of URLs
    in ``HF_ENDPOINT`` and the proxy variables."""
    env = os.environ if environ is None else environ
    for name in TOKEN_ENV:
        add_secret(env.get(name))
    for name in ("HF_ENDPOINT", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                 "all_proxy"):
        secrets_from_url(env.get(name))


def redact(text: object, *extra: str | None) -> str:
    """``text`` with every registered secret (and ``extra``), the userinfo of URLs, the value of
    ``Authorization`` headers and anything shaped like a Hugging Face token replaced by ``***``."""
    out = str(text)
    for secret in sorted(_SECRETS | {s for s in extra if s and len(s) >= 4}, key=len, reverse=True):
        out = out.replace(secret, MASK)
    out = _USERINFO.sub(lambda m: m.group("scheme") + MASK + "@", out)
    out = _AUTH.sub(lambda m: m.group("head") + MASK, out)
    return _HF_TOKEN.sub("hf_" + MASK, out)


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in a record (message, arguments, traceback) in place;
    it never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_kcdata_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string: keep the raw text, masked
            message = f"{record.msg} {record.args}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record._kcdata_redacted = True
        return True


_FILTER = RedactingFilter()
_installed = False


def install_redaction() -> None:
    """Mask secrets in all log output and warnings from now on (idempotent).

    The filter sits on :data:`REDACTED_LOGGERS`, on their handlers and the root logger's (records
    of child loggers reach handlers without passing their parents' filters), and in the log record
    factory, so a record is masked as it is made, whatever logger or handler it goes to. Tokens in
    the environment and credentials in ``HF_ENDPOINT`` are registered first.
    """
    global _installed
    secrets_from_env()
    for name in (None, *REDACTED_LOGGERS):
        target = logging.getLogger(name)
        for obj in (target, *target.handlers):
            if _FILTER not in obj.filters:
                obj.addFilter(_FILTER)
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        _FILTER.filter(record)
        return record

    logging.setLogRecordFactory(factory)
    import warnings

    format_warning = warnings.formatwarning

    def formatwarning(*args, **kwargs) -> str:
        return redact(format_warning(*args, **kwargs))

    warnings.formatwarning = formatwarning


# ---------------------------------------------------------------- a full disk


class DiskFullError(KcdataError):
    """A write failed for lack of space (``ENOSPC``), quota (``EDQUOT``) or over the file size limit
    (``EFBIG``, ``ulimit -f``). The message names the file and, where known, the space needed."""
