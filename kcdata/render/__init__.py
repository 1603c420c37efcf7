"""How a fact reads: Jinja with StrictUndefined, and dates and numbers in each language.

The templates themselves are versioned data loaded by :mod:`kcdata.relations`
(``templates/relations/<PID>-<slug>/``); :mod:`kcdata.render.rows` turns a fact into a row with
them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_EVEN, Context, Decimal, InvalidOperation

import jinja2
import jinja2.nodes
import jinja2.runtime
import jinja2.sandbox

from kcdata.errors import ConfigError
from kcdata.types import (
    PRECISION_CENTURY,
    PRECISION_DAY,
    PRECISION_DECADE,
    PRECISION_MILLENNIUM,
    PRECISION_MONTH,
    PRECISION_YEAR,
    TimeValue,
)

# ---------------------------------------------------------------- Jinja


@functools.lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    # Sandboxed: relation templates may come from users; StrictUndefined: a missing variable fails.
    return jinja2.sandbox.SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False
    )


@functools.lru_cache(maxsize=4096)
def _compile(source: str) -> tuple[jinja2.Template, dict]:
    """The compiled template and its globals as one plain dict (``Template.globals`` is a
    ChainMap: copying it is most of the cost of a render)."""
    template = _env().from_string(source)
    return template, dict(template.globals)


@functools.lru_cache(maxsize=4096)
def _plain(source: str) -> tuple[tuple[bool, str], ...] | None:
    """A template of text and ``{{ name }}`` only (every shipped one) as its pieces: ``(False,
    text)`` or ``(True, variable name)``, which :func:`render` joins without Jinja's machinery
    (the same text); None for any other template (filters, blocks, expressions)."""
    try:
        tree = _env().parse(source)
    except jinja2.TemplateError:
        return None
    pieces: list[tuple[bool, str]] = []
    for node in tree.body:
        if not isinstance(node, jinja2.nodes.Output):
            return None
        for item in node.nodes:
            if isinstance(item, jinja2.nodes.TemplateData):
                pieces.append((False, item.data))
            elif isinstance(item, jinja2.nodes.Name) and item.ctx == "load":
                pieces.append((True, item.name))
            else:
                return None
    return tuple(pieces)


_ASCII_SPACE = re.compile(r"[ \t\r\n]+")


def render(source: str, template_id: str, **variables: str) -> str:
    """Render one template string; a missing variable raises ConfigError naming the template.

    What ``Template.render`` does, without its per-call copy of the template's globals (a
    ChainMap): the context's variables are those globals, copied once per template, and
    ``variables``, in one new dict as ``render`` builds them, handed to the compiled render
    function (about 3x faster per call; the same text: the golden build is unchanged). A
    template of text and plain ``{{ name }}`` substitutions only (:func:`_plain`) is joined
    directly, without Jinja.
    """
    pieces = _plain(source)
    if pieces is not None:
        try:
            text = "".join(variables[v] if name else v for name, v in pieces)
        except (KeyError, TypeError):  # a missing or non-text variable: Jinja says what is wrong
            pass
        else:
            return _spaced(text)
    template, globals_ = _compile(source)
    try:
        # the plain dict as the context's globals too (a Context makes a set of their keys)
        ctx = jinja2.runtime.new_context(template.environment, template.name, template.blocks,
                                         {**globals_, **variables}, True, globals_)
        text = template.environment.concat(template.root_render_func(ctx))  # type: ignore[attr-defined]
    except jinja2.UndefinedError as e:
        raise ConfigError(f"template {template_id}: {e.message}") from None
    except jinja2.TemplateError as e:
        raise ConfigError(f"template {template_id}: {e}") from None
    return _spaced(text)


def _spaced(text: str) -> str:
    """Runs of ASCII whitespace collapsed to one space (only ASCII: the no-break spaces of fr/ru
    digit groups must survive), whitespace trimmed from both ends."""
    if "  " in text or "\t" in text or "\n" in text or "\r" in text:
        text = _ASCII_SPACE.sub(" ", text)
    return text.strip()


# ---------------------------------------------------------------- dates and numbers

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
}
DATE_LANGUAGES = ("en", "de", "fr", "ru")
"""Languages with date rules; any other gets the language-neutral ISO-like forms of :func:`format_date`."""
_BCE = {"en": "{y} BC", "de": "{y} v. Chr.", "fr": "{y} av. J.-C.", "ru": "{y} до н. э."}
BCE_SUFFIX = {"en": " BC", "de": " v. Chr.", "fr": " av. J.-C.", "ru": " до н. э."}
"""The era marker after a BCE decade, century or millennium ("the 5th century BC")."""
_DECADE = {"en": "the {y}s", "de": "die {y}er Jahre", "fr": "les années {y}", "ru": "{y}-е годы"}
_CENTURY = {"en": "the {n} century", "de": "das {n}. Jahrhundert", "fr": "le {n} siècle", "ru": "{n} век"}
_MILLENNIUM = {"en": "the {n} millennium", "de": "das {n}. Jahrtausend", "fr": "le {n} millénaire",
               "ru": "{n} тысячелетие"}
_ABOUT = {"en": ("c. {y} BC", "c. AD {y}"), "de": ("ca. {y} v. Chr.", "ca. {y} n. Chr."),
          "fr": ("vers {y} av. J.-C.", "vers {y} apr. J.-C."),
          "ru": ("около {y} года до н. э.", "около {y} года н. э.")}
# A span of years within one era ("AD 1–9", "9–1 BC"), and one year of a span across the eras.
_SPAN = {"en": ("{a}–{b} BC", "AD {a}–{b}"), "de": ("{a}–{b} v. Chr.", "{a}–{b} n. Chr."),
         "fr": ("{a}–{b} av. J.-C.", "{a}–{b} apr. J.-C."), "ru": ("{a}–{b} гг. до н. э.", "{a}–{b} гг. н. э.")}
_SPAN_END = {"en": ("{y} BC", "AD {y}"), "de": ("{y} v. Chr.", "{y} n. Chr."), "fr": ("{y} av. J.-C.", "{y} apr. J.-C."),
             "ru": ("{y} г. до н. э.", "{y} г. н. э.")}
_JULIAN = {"en": " (Julian calendar)", "de": " (julianischer Kalender)", "fr": " (calendrier julien)",
           "ru": " (по юлианскому календарю)"}
_JULIAN_NEUTRAL = " (Julian)"


MAX_ROMAN = 3999
"""The largest century or millennium named as one ("the 3999th century", "MMMCMXCIX век"): Roman
numerals stop here; a larger one reads as its year rounded to the century or millennium."""


def _ordinal_en(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True, slots=True)
class DateReading:
    """What a time value says, at the precision it can be rendered at (:func:`date_reading`)."""

    kind: str
    """``day``, ``month``, ``year``, ``decade``, ``century``, ``millennium``, ``about`` (a year
    rounded to the precision's 10,000 years or more), or ``span`` (years ``first``..``last``)."""
    year: int
    """Signed Wikidata year, never 0: -44 is 44 BC."""
    month: int = 0
    day: int = 0
    number: int = 0
    """decade: its first year ("1850", "500" for the 500s BC); century, millennium: its ordinal;
    about: the rounded year's magnitude."""
    first: int = 0
    """First and last signed years covered by a ``span`` or an ``about`` value (never 0)."""
    last: int = 0
    julian: bool = False

    @property
    def bce(self) -> bool:
        return self.year < 0


def _month_days(year: int, month: int, julian: bool) -> int:
    if month == 2:
        leap = year % 4 == 0 and (julian or year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def date_reading(t: TimeValue) -> DateReading:
    """How :func:`format_date` and the date phrases read ``t``; never finer than its precision.

    - Precision 12-14 (hours, minutes, seconds) reads as a day: no time of day is rendered.
    - A day that does not exist in its calendar (1999-02-30 Gregorian; 1900-02-29 exists in the
      Julian calendar only) reads at month precision, a month outside 1-12 at year precision.
    - BCE values finer than a year read as their year (as before: "44 BC").
    - Year 0, which Wikidata's JSON does not use, reads as astronomical year 0: 1 BC.
    - Decades are Wikibase's (1850 -> 1850-1859; -505 -> the 500s BC), centuries and millennia
      are counted from year 1 (1900 -> the 19th century; -500 -> the 5th century BC). The first
      decade of an era, which has no "0s" name, is a ``span``: AD 1-9, 9-1 BC.
    - Precision 5 and coarser (10,000 years, ..., a billion years) is ``about`` the year rounded
      half up to that unit (-12000 at 10,000 years -> c. 10,000 BC); a year that rounds to 0 is the
      ``span`` of the unit around the start of the era (5000 BC - AD 5000). So is a century or
      millennium beyond :data:`MAX_ROMAN` (-500000 at century precision -> c. 500,000 BC).
    """
    year = t.year or -1
    p = t.precision
    julian = t.is_julian
    a = abs(year)
    if p >= PRECISION_YEAR:
        if year > 0 and p >= PRECISION_MONTH and 1 <= t.month <= 12:
            if p >= PRECISION_DAY and 1 <= t.day <= _month_days(year, t.month, julian):
                return DateReading("day", year, t.month, t.day, julian=julian)
            return DateReading("month", year, t.month, julian=julian)
        return DateReading("year", year, julian=julian)
    if p == PRECISION_DECADE:
        d = a // 10 * 10
        if d == 0:
            first, last = (1, 9) if year > 0 else (-9, -1)
            return DateReading("span", year, first=first, last=last, julian=julian)
        return DateReading("decade", year, number=d, julian=julian)
    if p in (PRECISION_CENTURY, PRECISION_MILLENNIUM):
        size = 100 if p == PRECISION_CENTURY else 1000
        n = (a - 1) // size + 1
        if n <= MAX_ROMAN:
            return DateReading("century" if p == PRECISION_CENTURY else "millennium", year, number=n, julian=julian)
        unit = size  # the 4000th century has no Roman numeral: c. 400,000 BC
    else:
        unit = 10 ** (9 - max(p, 0))
    n = (a + unit // 2) // unit * unit
    if n == 0:
        return DateReading("span", year, first=-(unit // 2), last=unit // 2, julian=julian)
    sign = 1 if year > 0 else -1
    lo, hi = sign * (n - unit // 2), sign * (n + unit // 2)
    return DateReading("about", year, number=n, first=min(lo, hi), last=max(lo, hi), julian=julian)


def _year_digits(n: int, language: str) -> str:
    """A year's magnitude: plain up to 9999 ("1850"), grouped from 10,000 on ("10\u202f000" in fr)."""
    return str(n) if n < 10000 else format_number(str(n), language)


def _iso_year(year: int) -> str:
    return f"{'-' if year < 0 else ''}{abs(year):04d}"


def _century_number(n: int, language: str) -> str:
    if language == "en":
        return _ordinal_en(n)
    if language == "fr":
        return _roman(n) + ("er" if n == 1 else "e")
    if language == "ru":
        return _roman(n)
    return str(n)


def span_end(year: int, language: str) -> str:
    """One end of a span of years with its era: "AD 5000", "5000 BC", "5000 г. до н. э."."""
    return _SPAN_END[language][year > 0].format(y=_year_digits(abs(year), language))


def _neutral(r: DateReading) -> str:
    """Language-neutral ISO-like text (years as :meth:`TimeValue.iso` writes them, -0044 for 44 BC):
    ``1732-02-22``, ``1732-02``, ``1732``; a decade, century, millennium or span as the interval of
    years it covers (``1850/1859``, ``1801/1900``, ``-0500/-0401``); an ``about`` value as the
    interval of its precision around the rounded year (``-15000/-5000``)."""
    y = _iso_year(r.year)
    if r.kind == "day":
        return f"{y}-{r.month:02d}-{r.day:02d}" + (_JULIAN_NEUTRAL if r.julian else "")
    if r.kind == "month":
        return f"{y}-{r.month:02d}"
    if r.kind == "year":
        return y
    if r.kind == "decade":
        first, last = r.number, r.number + 9
    elif r.kind in ("century", "millennium"):
        size = 100 if r.kind == "century" else 1000
        first, last = (r.number - 1) * size + 1, r.number * size
    else:
        return f"{_iso_year(r.first)}/{_iso_year(r.last)}"
    if r.bce:
        first, last = -last, -first
    return f"{_iso_year(first)}/{_iso_year(last)}"


@functools.lru_cache(maxsize=8192)
def format_date(t: TimeValue, language: str) -> str:
    """Render a time value in ``language`` no finer than its precision (:func:`date_reading`).

    Day "7 March 1850", month "March 1850", year "1850"; decade "the 1850s", century "the 19th
    century", millennium "the 2nd millennium", 10,000 years and coarser "c. 10,000 BC"; BCE values
    get the language's era marker ("44 BC", "the 5th century BC", "V век до н. э."). A Julian
    calendar day says so; at month precision and coarser the calendar is not shown (the stated
    month or year is the source's own, as Wikidata gives it). Russian gets numeric day and month
    forms ("07.03.1850", "03.1850": the case of a month name depends on the sentence; the phrases
    of :func:`kcdata.render.grammar.date_forms` inflect it). A language without date rules here
    (not in :data:`DATE_LANGUAGES`) gets the language-neutral ISO-like forms: "1850-03-07",
    "1850-03", "1850", and intervals "1850/1859", "1801/1900".
    """
    r = date_reading(t)
    if language not in DATE_LANGUAGES:
        return _neutral(r)
    y = abs(r.year)
    era = BCE_SUFFIX[language] if r.bce else ""
    if r.kind == "day":
        months = _MONTHS.get(language)
        if months:
            name = months.split()[r.month - 1]
            text = {"en": f"{r.day} {name} {y}", "de": f"{r.day}. {name} {y}"}.get(
                language, f"{'1er' if r.day == 1 else r.day} {name} {y}"
            )
        else:
            text = f"{r.day:02d}.{r.month:02d}.{y}"
        return text + (_JULIAN[language] if r.julian else "")
    if r.kind == "month":
        months = _MONTHS.get(language)
        if months:
            return f"{months.split()[r.month - 1]} {y}"
        return f"{r.month:02d}.{y}"
    if r.kind == "year":
        return _BCE[language].format(y=y) if r.bce else str(y)
    if r.kind == "decade":
        return _DECADE[language].format(y=r.number) + era
    if r.kind == "century":
        return _CENTURY[language].format(n=_century_number(r.number, language)) + era
    if r.kind == "millennium":
        return _MILLENNIUM[language].format(n=_century_number(r.number, language)) + era
    if r.kind == "about":
        return _ABOUT[language][r.year > 0].format(y=_year_digits(r.number, language))
    # span
    if (r.first > 0) == (r.last > 0):
        a, b = abs(r.first), abs(r.last)
        return _SPAN[language][r.last > 0].format(a=_year_digits(a, language), b=_year_digits(b, language))
    return f"{span_end(r.first, language)} – {span_end(r.last, language)}"


def _roman(n: int) -> str:
    out = ""
    for value, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                       (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out += sym
            n -= value
    return out


_GROUP = {"en": ",", "de": ".", "fr": "\u202f", "ru": "\u00a0"}
_DECIMAL = {"en": ".", "de": ",", "fr": ",", "ru": ","}


MAX_PLAIN_EXPONENT = 60
""":func:`format_number` writes an amount out in full only if its adjusted exponent (the power of
ten of its first digit) is within ±this and ..."""
MAX_PLAIN_DIGITS = 60
"""... its coefficient has at most this many digits (trailing zeros count: they are written too).
Any other amount gets the short scientific form, so none (``+1E+999999``, a million digits) can
make a huge string."""


def format_number(amount: str, language: str) -> str:
    """Format a decimal string with the language's digit grouping: 38,005,238 / 38.005.238.

    The language's decimal mark separates the fraction ("-1.234,5" in de). An amount beyond
    :data:`MAX_PLAIN_EXPONENT` or :data:`MAX_PLAIN_DIGITS` is not expanded but written in
    scientific form, without grouping: the coefficient rounded (half even) to at most
    :data:`MAX_PLAIN_DIGITS` significant digits with trailing zeros dropped, the language's decimal
    mark after its first digit, then ``E`` and the signed exponent ("1E+999999", "-2,5E-70" in
    de; a million nines round to "1E+1000000"). Either way the digits are the amount's own, never
    rounded by the current decimal context. Text that is not a number, NaN and infinities come
    back unchanged.
    """
    try:
        d = Decimal(amount)
    except InvalidOperation:
        return amount
    if not d.is_finite():
        return amount
    sign = "-" if d.is_signed() and d else ""
    mark = _DECIMAL.get(language, ".")
    digits = len(d.as_tuple().digits)
    if digits > MAX_PLAIN_DIGITS or abs(d.adjusted()) > MAX_PLAIN_EXPONENT:
        return sign + _scientific(d.copy_abs(), mark)
    text = format(d.copy_abs(), "f")  # exact: copy_abs, unlike abs(), ignores the context's precision
    whole, _, frac = text.partition(".")
    group = _GROUP.get(language, ",")
    head = len(whole) % 3 or 3
    parts = [whole[:head], *(whole[i:i + 3] for i in range(head, len(whole), 3))]
    out = sign + group.join(parts)
    if frac:
        out += mark + frac
    return out


def _scientific(d: Decimal, mark: str) -> str:
    """A non-negative finite amount as ``<digit>[<mark><digits>]E<sign><exponent>``, at most
    :data:`MAX_PLAIN_DIGITS` significant digits (see :func:`format_number`)."""
    _, digits, exponent = d.as_tuple()
    # Round the coefficient alone (exponent 0, always within the context's range), then add the
    # amount's exponent as a Python int: no exponent the parser accepts can overflow here.
    context = Context(prec=MAX_PLAIN_DIGITS, rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN)
    rounded = context.plus(Decimal((0, digits, 0)))
    coefficient = "".join(map(str, rounded.as_tuple().digits)).rstrip("0") or "0"
    mantissa = coefficient[0] + (mark + coefficient[1:] if len(coefficient) > 1 else "")
    return f"{mantissa}E{rounded.adjusted() + exponent:+d}"


def number_forms(amount: str, language: str) -> list[str]:
    """Accepted surface forms of a number: grouped in the language's style, plain, English-grouped."""
    forms = [format_number(amount, language), amount, format_number(amount, "en")]
    if language in ("fr", "ru"):
        forms.append(format_number(amount, language).replace("\u202f", " ").replace("\u00a0", " "))
    seen: list[str] = []
    for f in forms:
        if f not in seen:
            seen.append(f)
    return seen
