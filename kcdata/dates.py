"""Calendar dates given by users (``--as-of``, config ``as_of``)."""

from __future__ import annotations

import datetime as dt

from kcdata.errors import ConfigError


def parse_date(text: str) -> dt.date:
    """Parse YYYY-MM-DD, raising ConfigError with the expected form."""
    try:
        return dt.date.fromisoformat(text)
    except (ValueError, TypeError):
        raise ConfigError(f"bad date {text!r}", "use YYYY-MM-DD, e.g. 2024-01-31") from None
