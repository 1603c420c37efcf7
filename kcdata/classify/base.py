"""What every rules version shares: the rules file, validity at a date, small statement helpers."""

from __future__ import annotations

import datetime as dt
import difflib
import functools
from dataclasses import dataclass

from kcdata.errors import ConfigError
from kcdata.resources import templates_dir
from kcdata.schemas import load_yaml
from kcdata.types import Statement, TimeValue

RULES = "rules_v2"
"""The default rules version."""
AVAILABLE = ("rules_v1", "rules_v2")


@dataclass(frozen=True)
class RuleConfig:
    """The settings of a rules version (``templates/rules/<name>.yaml``)."""

    name: str
    dispute_qualifiers: tuple[str, ...]
    marker_qualifiers: tuple[str, ...]
    dispute_markers: dict[str, str]
    temporal_window_years: int | None = None
    """``rules_v2``: a change older than this many years before ``as_of`` is settled (static)."""

    @property
    def qualifiers(self) -> frozenset[str]:
        """Every qualifier property the rules read: the sources may drop the others."""
        return frozenset(("P580", "P582", "P585", *self.dispute_qualifiers, *self.marker_qualifiers))


@functools.lru_cache(maxsize=4)
def load_rules(name: str = RULES) -> RuleConfig:
    """Load ``templates/rules/<name>.yaml``."""
    path = templates_dir() / "rules" / f"{name}.yaml"
    if not path.is_file():
        close = difflib.get_close_matches(name, AVAILABLE, n=1)
        hint = f"did you mean {close[0]}?" if close else f"available: {', '.join(AVAILABLE)}"
        raise ConfigError(f"unknown classification rules {name!r}", hint)
    data = load_yaml(path.read_text(encoding="utf-8"), str(path))
    return RuleConfig(
        name=data["name"],
        dispute_qualifiers=tuple(data["dispute_qualifiers"]),
        marker_qualifiers=tuple(data["marker_qualifiers"]),
        dispute_markers=dict(data["dispute_markers"]),
        temporal_window_years=data.get("temporal_window_years"),
    )


def start_day(t: TimeValue | None) -> dt.date | None:
    b = t.bounds() if t else None
    return b[0] if b else None


def end_day(t: TimeValue | None) -> dt.date | None:
    b = t.bounds() if t else None
    return b[1] if b else None


def valid_at(s: Statement, day: dt.date) -> bool:
    """Whether a statement's P580/P582 interval contains ``day`` (open ends are unbounded).

    A start stated at year precision counts from the year's first day, an end to its last day, so a
    coarse date never makes a value look valid or invalid on evidence finer than it gives.
    """
    if s.ended_without_date():
        return False
    start = s.start
    if start is not None:
        if start.year < 1:
            pass  # BCE start: began long before any as_of date datetime can hold
        else:
            b = start_day(start)
            if b is not None and b > day:
                return False
    end = s.end
    if end is not None:
        if end.year < 1:
            return False
        b = end_day(end)
        if b is not None and b < day:
            return False
    return True


def dispute_evidence(current: tuple[Statement, ...], rules: RuleConfig) -> list[tuple[str, str]]:
    """The (qualifier, value) pairs of the current statements that mark a dispute."""
    evidence: list[tuple[str, str]] = []
    for s in current:
        for pid in rules.dispute_qualifiers:
            for v in s.qualifiers.get(pid, ()):
                evidence.append((pid, v.item or v.type))
        for pid in rules.marker_qualifiers:
            for v in s.qualifiers.get(pid, ()):
                if v.item in rules.dispute_markers:
                    evidence.append((pid, v.item))
    return evidence


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` years earlier (28 February for a 29 February; 1 January of year 1,
    the earliest date Python has, when that is earlier still)."""
    if day.year - years < dt.MINYEAR:
        return dt.date.min
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def series_state(timed: list[Statement], as_of: dt.date) -> tuple[list[Statement], list[Statement], list[Statement]] | None:
    """A series of measurements (P585) at ``as_of``: the points at the latest date at or before it
    and the earlier ones, most recent first; None when every point is later."""
    past = [s for s in timed if (start_day(s.point_in_time) or dt.date.max) <= as_of]
    if not past:
        return None
    latest = max(time_key(s.point_in_time) for s in past)
    at_latest = [s for s in past if time_key(s.point_in_time) == latest]
    earlier = sorted((s for s in past if s not in at_latest), key=lambda s: time_key(s.point_in_time), reverse=True)
    return past, at_latest, earlier


def ended_by(s: Statement, day: dt.date) -> bool:
    """Whether the statement certainly ended on or before ``day`` (its P582 at every reading of
    its precision; a BCE end always)."""
    if s.end is None:
        return False
    if s.end.year < 1:
        return True
    b = end_day(s.end)
    return b is not None and b <= day


def dedupe(statements) -> tuple[Statement, ...]:
    seen: set[str] = set()
    out = []
    for s in statements:
        k = s.value.key()
        if k not in seen:
            seen.add(k)
            out.append(s)
    return tuple(out)


def best(statements: list[Statement]) -> list[Statement]:
    preferred = [s for s in statements if s.rank == "preferred"]
    return preferred or statements


def time_key(t: TimeValue | None) -> tuple:
    return (t.year, t.month, t.day) if t else (-10**9, 0, 0)


