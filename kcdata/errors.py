"""Errors grouped by consequence, each with an exit code and a remedy.

* ``ConfigError``: the user asked for something impossible (bad flag, bad file). Fix the input.
* ``InputError``: an input file is malformed. The message names the file and line.
* ``SourceError``: a remote source failed after retries. Retry later or use the cache.
* ``ValidationError``: rows or files do not match their schema.
* ``SkipItem``: not fatal; the current item is dropped with a named reason (counted).
"""

from __future__ import annotations


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
        return self.message


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
