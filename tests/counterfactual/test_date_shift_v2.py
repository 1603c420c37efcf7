"""``date_shift_v2``: real calendar days only, no year 0, never past ``as_of`` as a whole date,
deterministic; and ``date_shift_v1`` keeps its old (faulty) output so old names reproduce."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from cf_helpers import AS_OF, fact, item, judged, store, time_statement

from kcdata.counterfactual import PLANS, STRATEGIES, Pool, Request, choose, get_strategy, plan, rng_for
from kcdata.counterfactual.strategies import shift_date
from kcdata.counterfactual.strategies_v2 import shift_date_v2
from kcdata.types import GREGORIAN, JULIAN, TimeValue

LABELS = store(("Q1", {"en": "Someone"}, {}, None))
SEEDS = range(300)


class Fixed(random.Random):
    """A generator whose draws are given: ``years`` for randint, forward or backward for random."""

    def __init__(self, years: int, forward: bool):
        super().__init__(0)
        self.years, self.forward = years, forward

    def randint(self, a, b):
        assert (a, b) == (3, 30)
        return self.years

    def random(self):
        return 0.1 if self.forward else 0.9


def _shifts(t: TimeValue, as_of: dt.date = AS_OF, version: str = "v2", seeds=SEEDS):
    """(seed, counterfactual) for each seed, through the real plan and Request."""
    f = fact("Q1", "P569", time_statement(t))
    spec, cls = judged(f, as_of)
    assert cls.fact_type == "static" and cls.current[0].value.time == t
    return [(seed, choose(f, cls, spec, Pool(), LABELS, ["en"], seed, version)) for seed in seeds]


def _astronomical(year: int) -> int:
    return year if year > 0 else year + 1


def _is_leap_gregorian(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# ---------------------------------------------------------------- the plan


def test_v2_plan_uses_date_shift_v2_and_v1_keeps_v1():
    assert "date_shift_v2" in STRATEGIES and get_strategy("date_shift_v2").name == "date_shift_v2"
    assert PLANS["v2"]["by_value_type"]["time"] == "date_shift_v2"
    assert PLANS["v1"]["by_value_type"]["time"] == "date_shift_v1"
    assert plan("static", "time", "v2") == ("date_shift_v2",)
    assert plan("static", "time", "v1") == ("date_shift_v1",)


def test_declines_a_value_that_is_not_a_time():
    f = fact("Q1", "P36", item("Q10"))
    spec, cls = judged(f)
    request = Request(f, cls, spec, Pool(), LABELS, ("en",), rng_for(0, f.id))
    assert get_strategy("date_shift_v2").propose(request) is None


# ---------------------------------------------------------------- real calendar days


def test_leap_day_never_gives_an_impossible_date():
    t = TimeValue(1980, 2, 29, 11)
    days = set()
    for seed, cf in _shifts(t):
        new = cf.value.time
        assert cf.strategy == "date_shift_v2"
        assert cf.original.time == t
        day = dt.date(new.year, new.month, new.day)  # raises on 29 February of a common year
        assert day <= AS_OF
        assert (new.month, new.precision, new.calendar) == (2, 11, GREGORIAN)
        # The rule: the day is clamped to the month's length, so 28 only in a common year.
        assert new.day == (29 if _is_leap_gregorian(new.year) else 28), (seed, new)
        assert 3 <= abs(new.year - t.year) <= 30
        days.add(new.day)
    assert days == {28, 29}  # both a leap and a common target year were met


def test_leap_day_rule_with_fixed_draws():
    back3 = shift_date_v2(TimeValue(1980, 2, 29, 11), Fixed(3, False), AS_OF).time
    assert (back3.year, back3.month, back3.day) == (1977, 2, 28)
    back4 = shift_date_v2(TimeValue(1980, 2, 29, 11), Fixed(4, False), AS_OF).time
    assert (back4.year, back4.month, back4.day) == (1976, 2, 29)
    # Gregorian 1700 is a common year, Julian 1700 a leap year: the value's own calendar decides.
    greg = shift_date_v2(TimeValue(1704, 2, 29, 11), Fixed(4, False), AS_OF).time
    assert (greg.year, greg.month, greg.day, greg.calendar) == (1700, 2, 28, GREGORIAN)
    jul = shift_date_v2(TimeValue(1704, 2, 29, 11, JULIAN), Fixed(4, False), AS_OF).time
    assert (jul.year, jul.month, jul.day, jul.calendar) == (1700, 2, 29, JULIAN)
    # Other days are never moved: 31 December stays 31 December.
    dec = shift_date_v2(TimeValue(1990, 12, 31, 11), Fixed(7, False), AS_OF).time
    assert (dec.year, dec.month, dec.day) == (1983, 12, 31)


def test_julian_leap_day_is_kept_in_julian_leap_years():
    t = TimeValue(1704, 2, 29, 11, JULIAN)
    for _, cf in _shifts(t):
        new = cf.value.time
        assert new.calendar == JULIAN and new.precision == 11 and new.month == 2
        assert new.day == (29 if new.year % 4 == 0 else 28), new


# ---------------------------------------------------------------- no year 0


@pytest.mark.parametrize("year", [1, 2, 3, -1, -2, -3, 10, -10])
def test_no_year_zero_across_the_era_boundary(year):
    t = TimeValue(year, 0, 0, 9)
    eras = set()
    for seed, cf in _shifts(t):
        new = cf.value.time
        assert new.year != 0, seed
        assert (new.month, new.day, new.precision) == (0, 0, 9)
        # Real years: AD 1 follows 1 BC (Wikidata -1) directly.
        assert 3 <= abs(_astronomical(new.year) - _astronomical(year)) <= 30, (seed, new.year)
        eras.add(new.year > 0)
    assert eras == {True, False}  # the shifts did cross the boundary


@pytest.mark.parametrize(
    ("year", "years", "forward", "want"),
    [
        (-3, 3, True, 1),  # 3 BC + 3 years = AD 1 (v1 writes year 0)
        (-2, 5, True, 4),
        (-1, 3, True, 3),
        (3, 5, False, -3),  # AD 3 - 5 years = 3 BC
        (1, 3, False, -3),
        (2, 3, False, -2),
        (-5, 10, False, -15),
    ],
)
def test_era_arithmetic_with_fixed_draws(year, years, forward, want):
    assert shift_date_v2(TimeValue(year, 0, 0, 9), Fixed(years, forward), AS_OF).time.year == want


# ---------------------------------------------------------------- never past as_of


@pytest.mark.parametrize(
    ("t", "as_of"),
    [
        (TimeValue(1980, 2, 29, 11), dt.date(1983, 1, 15)),  # +3 is 28 Feb 1983: after as_of, same year
        (TimeValue(1990, 3, 7, 11), dt.date(1993, 3, 6)),  # +3 is one day after as_of
        (TimeValue(1990, 3, 7, 11), dt.date(1990, 3, 7)),  # the date is as_of itself
    ],
)
def test_day_precision_never_after_as_of(t, as_of):
    got = set()
    for seed, cf in _shifts(t, as_of):
        new = cf.value.time
        day = dt.date(new.year, new.month, new.day)
        assert day <= as_of, (seed, day, as_of)
        assert new.precision == 11
        got.add(day)
    assert len(got) > 10


def test_v1_did_land_after_as_of_where_v2_does_not():
    t, as_of = TimeValue(1990, 3, 7, 11), dt.date(1993, 3, 6)
    v1 = {seed: cf.value.time for seed, cf in _shifts(t, as_of, "v1")}
    v2 = {seed: cf.value.time for seed, cf in _shifts(t, as_of, "v2")}
    late = [s for s, v in v1.items() if dt.date(v.year, v.month, v.day) > as_of]
    assert late  # the year-only guard lets 7 March 1993 through for some seeds
    for s in late:
        assert (v2[s].year, v2[s].month, v2[s].day) == (1987, 3, 7)  # the same draw, backward
    # Every other seed gives the same date under both (same draws, same order).
    assert all(v1[s] == v2[s] for s in v1 if s not in late)


def test_month_and_year_precision_span_starts_by_as_of():
    month = TimeValue(1990, 6, 0, 10)
    as_of = dt.date(1993, 5, 31)
    for seed, cf in _shifts(month, as_of):
        new = cf.value.time
        assert (new.month, new.day, new.precision) == (6, 0, 10)
        assert dt.date(new.year, new.month, 1) <= as_of, (seed, new)
    yearly = TimeValue(2017, 0, 0, 9)
    assert shift_date_v2(yearly, Fixed(3, True), dt.date(2020, 1, 1)).time.year == 2020  # 1 Jan 2020 <= as_of
    assert shift_date_v2(yearly, Fixed(3, True), dt.date(2019, 12, 31)).time.year == 2014
    assert shift_date_v2(TimeValue(2017, 6, 0, 10), Fixed(3, True), dt.date(2020, 5, 31)).time.year == 2014
    assert shift_date_v2(TimeValue(2017, 6, 0, 10), Fixed(3, True), dt.date(2020, 6, 1)).time.year == 2020


def test_a_date_after_as_of_is_not_forced_before_it():
    # Like v1: the guard protects dates on or before as_of; a later one may move either way.
    new = shift_date_v2(TimeValue(2030, 5, 1, 11), Fixed(3, True), dt.date(2020, 1, 1)).time
    assert (new.year, new.month, new.day) == (2033, 5, 1)


# ---------------------------------------------------------------- determinism and precision


def test_same_seed_same_shift_other_seeds_other_shifts():
    t = TimeValue(1980, 2, 29, 11)
    first = [cf.value for _, cf in _shifts(t)]
    again = [cf.value for _, cf in _shifts(t)]
    assert first == again
    assert len({v.time.year for v in first}) > 20
    f = fact("Q1", "P569", time_statement(t))
    spec, cls = judged(f)
    request = lambda: Request(f, cls, spec, Pool(), LABELS, ("en",), rng_for(7, f.id))  # noqa: E731
    strategy = get_strategy("date_shift_v2")
    assert strategy.propose(request()) == strategy.propose(request())
    assert strategy.propose(request()).value == first[7]


@pytest.mark.parametrize(
    "t",
    [
        TimeValue(1990, 3, 7, 11),
        TimeValue(1850, 3, 0, 10),
        TimeValue(2015, 0, 0, 9),
        TimeValue(1985, 0, 0, 8),
        TimeValue(1501, 0, 0, 7),
        TimeValue(1601, 8, 15, 11, JULIAN),
        TimeValue(-44, 3, 15, 11, JULIAN),
    ],
)
def test_precision_month_and_calendar_kept(t):
    for seed, cf in _shifts(t, seeds=range(60)):
        new = cf.value.time
        assert (new.month, new.day, new.precision, new.calendar) == (t.month, t.day, t.precision, t.calendar), seed
        assert new.year != t.year and new.year != 0


# ---------------------------------------------------------------- v1 stays as it was


def test_date_shift_v1_output_unchanged():
    # Recorded from date_shift_v1 before date_shift_v2 existed: old names must reproduce, faults
    # (29 February 1971, a common year) included.
    got = [(cf.strategy, cf.value.time.year, cf.value.time.month, cf.value.time.day)
           for _, cf in _shifts(TimeValue(1980, 2, 29, 11), version="v1", seeds=range(6))]
    assert got == [("date_shift_v1", 1971, 2, 29), ("date_shift_v1", 1994, 2, 29), ("date_shift_v1", 1954, 2, 29),
                   ("date_shift_v1", 1989, 2, 29), ("date_shift_v1", 1952, 2, 29), ("date_shift_v1", 1954, 2, 29)]
    years = [cf.value.time.year for _, cf in _shifts(TimeValue(-2, 0, 0, 9), version="v1", seeds=range(6))]
    assert years == [-11, 12, -28, 7, -30, -28]
    # Its guard compares years, and BCE to CE does not skip year 0: kept.
    late = shift_date(TimeValue(2017, 6, 1, 11), Fixed(3, True), 2020).time
    assert (late.year, late.month, late.day) == (2020, 6, 1)
    assert shift_date(TimeValue(-3, 0, 0, 9), Fixed(3, True), 2020).time.year == 0
    assert shift_date(TimeValue(3, 0, 0, 9), Fixed(5, False), 2020).time.year == -3
