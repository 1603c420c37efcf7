"""Property tests of :func:`kcdata.render.format_date` and the date phrases of
:func:`kcdata.render.grammar.date_forms` over every precision, both calendars, BCE and CE.

They are checked against a reference written here from the rules alone (tables and plain
arithmetic, none of the code under test), and for properties that hold whatever the wording: no
year 0, nothing finer than the precision, never empty, deterministic.
"""

from __future__ import annotations

import calendar
import dataclasses
import math
import re
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from kcdata.render import format_date
from kcdata.render.grammar import date_forms
from kcdata.types import GREGORIAN, JULIAN, TimeValue

LANGS = ("en", "de", "fr", "ru")
NEUTRAL = ("es", "it")

# ---------------------------------------------------------------- the reference

MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
}
RU_GEN = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
          "ноября", "декабря"]
RU_PREP = ["январе", "феврале", "марте", "апреле", "мае", "июне", "июле", "августе", "сентябре", "октябре",
           "ноябре", "декабре"]
RU_NOM = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь",
          "ноябрь", "декабрь"]
JULIAN_NOTE = {"en": " (Julian calendar)", "de": " (julianischer Kalender)", "fr": " (calendrier julien)",
               "ru": " (по юлианскому календарю)", None: " (Julian)"}
BC = {"en": " BC", "de": " v. Chr.", "fr": " av. J.-C.", "ru": " до н. э."}


def roman(n: int) -> str:
    ones = ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"]
    tens = ["", "X", "XX", "XXX", "XL", "L", "LX", "LXX", "LXXX", "XC"]
    hundreds = ["", "C", "CC", "CCC", "CD", "D", "DC", "DCC", "DCCC", "CM"]
    return "M" * (n // 1000) + hundreds[n // 100 % 10] + tens[n // 10 % 10] + ones[n % 10]


def ordinal(n: int) -> str:
    if n % 100 in (11, 12, 13):
        return f"{n}th"
    return f"{n}" + {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def digits(n: int, lang: str | None) -> str:
    """Years to 9999 plain, larger ones grouped the language's way."""
    if n < 10000 or lang is None:
        return str(n)
    return f"{n:,}".replace(",", {"en": ",", "de": ".", "fr": "\u202f", "ru": "\u00a0"}[lang])


def days_in(year: int, month: int, julian: bool) -> int:
    leap = year % 4 == 0 if julian else calendar.isleap(year)
    return 29 if month == 2 and leap else calendar.mdays[month]


def reading(t: TimeValue) -> tuple:
    """(kind, signed year never 0, ...): what the value says at the precision it can be shown at."""
    y = t.year if t.year != 0 else -1  # year 0 is astronomical: 1 BC
    a, p = abs(y), t.precision
    if p >= 9:
        if y > 0 and p >= 10 and 1 <= t.month <= 12:
            if p >= 11 and 1 <= t.day <= days_in(y, t.month, t.is_julian):
                return ("day", y, t.month, t.day)
            return ("month", y, t.month)
        return ("year", y)
    if p == 8:
        start = a - a % 10
        if start == 0:
            return ("span", 1, 9) if y > 0 else ("span", -9, -1)
        return ("decade", y, start)
    if p in (6, 7):
        size = 100 if p == 7 else 1000
        n = math.ceil(a / size)
        if n < 4000:  # Roman numerals end at MMMCMXCIX
            return ("century" if p == 7 else "millennium", y, n)
        unit = size
    else:
        unit = 10 ** (9 - max(p, 0))
    rounded = int((Decimal(a) / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * unit
    if rounded == 0:
        return ("span", -unit // 2, unit // 2)
    return ("about", y, rounded, unit)


def covered(r: tuple) -> tuple[int, int]:
    """First and last signed year a coarse reading covers."""
    kind, y = r[0], r[1]
    if kind == "span":
        return r[1], r[2]
    if kind == "decade":
        lo, hi = r[2], r[2] + 9
    elif kind == "century":
        lo, hi = r[2] * 100 - 99, r[2] * 100
    elif kind == "millennium":
        lo, hi = r[2] * 1000 - 999, r[2] * 1000
    else:  # about
        lo, hi = r[2] - r[3] // 2, r[2] + r[3] // 2
    return (lo, hi) if y > 0 else (-hi, -lo)


def era_year(year: int, lang: str) -> str:
    g = digits(abs(year), lang)
    if year < 0:
        return {"en": f"{g} BC", "de": f"{g} v. Chr.", "fr": f"{g} av. J.-C.", "ru": f"{g} г. до н. э."}[lang]
    return {"en": f"AD {g}", "de": f"{g} n. Chr.", "fr": f"{g} apr. J.-C.", "ru": f"{g} г. н. э."}[lang]


def iso_year(year: int) -> str:
    return ("-" if year < 0 else "") + str(abs(year)).zfill(4)


def ref_label(t: TimeValue, lang: str) -> str:
    r = reading(t)
    kind, y = r[0], r[1]
    a = abs(y)
    if lang not in LANGS:
        if kind == "day":
            return f"{iso_year(y)}-{r[2]:02d}-{r[3]:02d}" + (JULIAN_NOTE[None] if t.is_julian else "")
        if kind == "month":
            return f"{iso_year(y)}-{r[2]:02d}"
        if kind == "year":
            return iso_year(y)
        lo, hi = covered(r)
        return f"{iso_year(lo)}/{iso_year(hi)}"
    bc = BC[lang] if y < 0 else ""
    if kind == "day":
        d, m = r[3], r[2]
        text = {"en": lambda: f"{d} {MONTHS['en'][m - 1]} {a}",
                "de": lambda: f"{d}. {MONTHS['de'][m - 1]} {a}",
                "fr": lambda: f"{'1er' if d == 1 else d} {MONTHS['fr'][m - 1]} {a}",
                "ru": lambda: f"{d:02d}.{m:02d}.{a}"}[lang]()
        return text + (JULIAN_NOTE[lang] if t.is_julian else "")
    if kind == "month":
        return f"{r[2]:02d}.{a}" if lang == "ru" else f"{MONTHS[lang][r[2] - 1]} {a}"
    if kind == "year":
        return f"{a}{bc}"
    if kind == "decade":
        s = r[2]
        return {"en": f"the {s}s", "de": f"die {s}er Jahre", "fr": f"les années {s}", "ru": f"{s}-е годы"}[lang] + bc
    if kind in ("century", "millennium"):
        n = r[2]
        fr_n = roman(n) + ("er" if n == 1 else "e")
        words = {"century": {"en": f"the {ordinal(n)} century", "de": f"das {n}. Jahrhundert",
                             "fr": f"le {fr_n} siècle", "ru": f"{roman(n)} век"},
                 "millennium": {"en": f"the {ordinal(n)} millennium", "de": f"das {n}. Jahrtausend",
                                "fr": f"le {fr_n} millénaire", "ru": f"{roman(n)} тысячелетие"}}
        return words[kind][lang] + bc
    if kind == "about":
        g = digits(r[2], lang)
        if lang == "ru":
            return f"около {g} года {'до н. э.' if y < 0 else 'н. э.'}"
        return {"en": "c. ", "de": "ca. ", "fr": "vers "}[lang] + era_year(r[2] if y > 0 else -r[2], lang)
    lo, hi = r[1], r[2]  # span
    if (lo < 0) != (hi < 0):
        return f"{era_year(lo, lang)} – {era_year(hi, lang)}"
    a_, b_ = digits(abs(lo), lang), digits(abs(hi), lang)
    if lo < 0:
        return {"en": f"{a_}–{b_} BC", "de": f"{a_}–{b_} v. Chr.", "fr": f"{a_}–{b_} av. J.-C.",
                "ru": f"{a_}–{b_} гг. до н. э."}[lang]
    return {"en": f"AD {a_}–{b_}", "de": f"{a_}–{b_} n. Chr.", "fr": f"{a_}–{b_} apr. J.-C.",
            "ru": f"{a_}–{b_} гг. н. э."}[lang]


def ref_forms(t: TimeValue, lang: str) -> dict[str, str]:
    if lang not in LANGS:
        return {}
    r = reading(t)
    kind, y = r[0], r[1]
    a = abs(y)
    bc = BC[lang] if y < 0 else ""
    label = ref_label(t, lang)
    if kind == "year" and 0 < y < 1000 and lang != "ru":
        label = {"en": f"AD {y}", "de": f"{y} n. Chr.", "fr": f"{y} apr. J.-C."}[lang]
    if kind == "span":
        A, B = era_year(r[1], lang), era_year(r[2], lang)
        on, since = {"en": (f"between {A} and {B}", f"since some time between {A} and {B}"),
                     "de": (f"zwischen {A} und {B}", f"seit einem Zeitpunkt zwischen {A} und {B}"),
                     "fr": (f"entre {A} et {B}", f"depuis une date entre {A} et {B}"),
                     "ru": (f"между {A} и {B}", f"начиная с периода между {A} и {B}")}[lang]
        return {"on": on, "since": since, "nom": label}
    if kind == "about":
        g = digits(r[2], lang)
        x = (f"{g} года {'до н. э.' if y < 0 else 'н. э.'}" if lang == "ru"
             else era_year(r[2] if y > 0 else -r[2], lang))
        on, since = {"en": ("around ", "since about "), "de": ("um ", "seit etwa "), "fr": ("vers ", "depuis environ "),
                     "ru": ("около ", "примерно с ")}[lang]
        return {"on": on + x, "since": since + x, "nom": label}
    if lang == "en":
        return {"on": ("on " if kind == "day" else "in ") + label, "since": "since " + label, "nom": label}
    n = r[2] if kind in ("decade", "century", "millennium") else None
    if lang == "de":
        table = {"day": (f"am {label}", f"seit dem {label}", f"der {label}"),
                 "month": (f"im {label}", f"seit {label}", label),
                 "decade": (f"in den {n}er Jahren{bc}", f"seit den {n}er Jahren{bc}", label),
                 "century": (f"im {n}. Jahrhundert{bc}", f"seit dem {n}. Jahrhundert{bc}", label),
                 "millennium": (f"im {n}. Jahrtausend{bc}", f"seit dem {n}. Jahrtausend{bc}", label),
                 "year": (f"im Jahr {label}", f"seit {label}", label)}
    elif lang == "fr":
        fr_n = roman(n) + ("er" if n == 1 else "e") if n else ""
        table = {"day": (f"le {label}", f"depuis le {label}", f"le {label}"),
                 "decade": (f"dans {label}", f"depuis {label}", label),
                 "century": (f"au {fr_n} siècle{bc}", f"depuis le {fr_n} siècle{bc}", label),
                 "millennium": (f"au {fr_n} millénaire{bc}", f"depuis le {fr_n} millénaire{bc}", label),
                 "month": (f"en {label}", f"depuis {label}", label),
                 "year": (f"en {label}", f"depuis {label}", label)}
    else:
        R = roman(n) if n else ""
        day_text = (f"{r[3]} {RU_GEN[r[2] - 1]} {a} года" + (JULIAN_NOTE["ru"] if t.is_julian else "")
                    if kind == "day" else "")
        era = " до н. э." if y < 0 else (" н. э." if a < 1000 else "")
        m = r[2] - 1 if kind == "month" else 0
        table = {"day": (day_text, f"с {day_text}", day_text),
                 "month": (f"в {RU_PREP[m]} {a} года", f"с {RU_GEN[m]} {a} года", f"{RU_NOM[m]} {a} года"),
                 "decade": (f"в {n}-е годы{bc}", f"с {n}-х годов{bc}", f"{n}-е годы{bc}"),
                 "century": (f"в {R} веке{bc}", f"с {R} века{bc}", f"{R} век{bc}"),
                 "millennium": (f"в {R} тысячелетии{bc}", f"с {R} тысячелетия{bc}", f"{R} тысячелетие{bc}"),
                 "year": (f"в {a} году{era}", f"с {a} года{era}", f"{a} год{era}")}
    on, since, nom = table[kind]
    return {"on": on, "since": since, "nom": nom}


# ---------------------------------------------------------------- strategies

YEARS = st.integers(-10000, 10000)


@st.composite
def time_values(draw, years=YEARS):
    year = draw(years)
    precision = draw(st.integers(0, 14))
    month = draw(st.integers(0, 12)) if precision >= 10 else draw(st.sampled_from([0, 0, 0, 1, 7]))
    day = draw(st.integers(0, 31)) if precision >= 11 else draw(st.sampled_from([0, 0, 0, 1, 15]))
    cal = draw(st.sampled_from([GREGORIAN, JULIAN]))
    return TimeValue(year, month, day, precision, cal)


HUGE = st.one_of(st.integers(-14_000_000_000, -10_001), st.integers(10_001, 1_000_000_000))
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True)
ZERO_YEAR = re.compile(r"(?<![\d.,\u202f\u00a0])0+(?!\d)")
"""A number that is zero: not a digit group of a larger number ("10,000", "10 000")."""


def _texts(t: TimeValue) -> list[str]:
    out = []
    for lang in (*LANGS, *NEUTRAL):
        out.append(format_date(t, lang))
        out.extend(date_forms(t, lang).values())
    return out


# ---------------------------------------------------------------- properties

EDGES = [TimeValue(1900, 2, 29, 11, JULIAN), TimeValue(1900, 2, 29, 11), TimeValue(2000, 2, 29, 11),
         TimeValue(1999, 2, 30, 14), TimeValue(1999, 4, 31, 11, JULIAN), TimeValue(0, 0, 0, 9), TimeValue(0, 1, 1, 11),
         TimeValue(0, 0, 0, 8), TimeValue(-5, 0, 0, 8), TimeValue(9, 0, 0, 8), TimeValue(10, 0, 0, 8),
         TimeValue(1100, 0, 0, 7), TimeValue(1200, 0, 0, 7), TimeValue(1300, 0, 0, 7), TimeValue(11100, 0, 0, 7),
         TimeValue(100, 0, 0, 7), TimeValue(-100, 0, 0, 7), TimeValue(-101, 0, 0, 7), TimeValue(1000, 0, 0, 6),
         TimeValue(-5000, 0, 0, 5), TimeValue(-4999, 0, 0, 5), TimeValue(-15000, 0, 0, 5), TimeValue(5000, 0, 0, 5),
         TimeValue(-10000, 0, 0, 4), TimeValue(999, 0, 0, 9), TimeValue(1000, 0, 0, 9), TimeValue(43, 0, 0, 10),
         TimeValue(2016, 1, 1, 11), TimeValue(1732, 2, 22, 13, JULIAN), TimeValue(1999, 13, 5, 11),
         TimeValue(-399900, 0, 0, 7), TimeValue(-399901, 0, 0, 7), TimeValue(3_999_000, 0, 0, 6),
         TimeValue(3_999_001, 0, 0, 6), TimeValue(-13_800_000_000, 0, 0, 7)]


def with_edges(test):
    for t in EDGES:
        test = example(t)(test)
    return test


@SETTINGS
@given(time_values())
@with_edges
def test_equals_the_reference(t):
    for lang in (*LANGS, *NEUTRAL):
        assert format_date(t, lang) == ref_label(t, lang), (t, lang)
        assert date_forms(t, lang) == ref_forms(t, lang), (t, lang)


@SETTINGS
@given(time_values(HUGE))
def test_equals_the_reference_for_huge_years(t):
    for lang in (*LANGS, *NEUTRAL):
        assert format_date(t, lang) == ref_label(t, lang), (t, lang)
        assert date_forms(t, lang) == ref_forms(t, lang), (t, lang)


@SETTINGS
@given(time_values())
def test_never_year_zero_never_empty_never_a_placeholder(t):
    for text in _texts(t):
        assert text and text == text.strip(), (t, text)
        assert not ZERO_YEAR.search(text.replace("-", " ")), (t, text)
        assert "{" not in text and "}" not in text, (t, text)


@SETTINGS
@given(time_values(), st.integers(0, 31), st.integers(0, 12))
def test_never_finer_than_the_precision(t, other_day, other_month):
    """The rendering depends on nothing the precision does not state: not the day at month
    precision, not the month at year precision, not the year inside its decade, century,
    millennium or rounding unit, and not the hour at 12-14."""
    same = [dataclasses.replace(t, precision=11)] if t.precision > 11 else []
    if t.precision <= 10:
        same.append(dataclasses.replace(t, day=other_day))
    if t.precision <= 9:
        same.append(dataclasses.replace(t, day=other_day, month=other_month))
    if t.precision <= 8:
        lo, hi = covered(reading(t))
        for year in (lo, hi, (lo + hi) // 2 or 1):
            if same_unit(reading(dataclasses.replace(t, year=year)), reading(t)):
                same.append(dataclasses.replace(t, year=year, day=other_day, month=other_month))
    for u in same:
        assert _texts(u) == _texts(t), (t, u)


def same_unit(r1: tuple, r2: tuple) -> bool:
    """Whether two coarse readings name the same decade, century, millennium, rounded year or span."""
    if r1[0] == "span" or r2[0] == "span":
        return r1 == r2
    return (r1[0], r1[1] < 0, *r1[2:]) == (r2[0], r2[1] < 0, *r2[2:])


@SETTINGS
@given(time_values())
def test_deterministic(t):
    copy = TimeValue(t.year, t.month, t.day, t.precision, t.calendar)
    assert _texts(t) == _texts(copy) == _texts(t)


@SETTINGS
@given(time_values())
def test_a_julian_day_says_so_and_nothing_coarser_does(t):
    shown_day = reading(t)[0] == "day"
    for lang in (*LANGS, *NEUTRAL):
        marked = JULIAN_NOTE[lang if lang in LANGS else None] in format_date(t, lang)
        assert marked == (shown_day and t.is_julian), (t, lang)
