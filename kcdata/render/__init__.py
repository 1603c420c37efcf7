"""How a fact reads: Jinja with StrictUndefined, and dates and numbers in each language.

The templates themselves are versioned data loaded by :mod:`kcdata.relations`
(``templates/relations/<PID>-<slug>/``); :mod:`kcdata.render.rows` turns a fact into a row with
them.
"""

from __future__ import annotations

import functools
import re
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_EVEN, Context, Decimal, InvalidOperation

import jinja2
import jinja2.sandbox

from kcdata.errors import ConfigError
from kcdata.types import PRECISION_CENTURY, PRECISION_DAY, PRECISION_DECADE, PRECISION_MONTH, TimeValue

# ---------------------------------------------------------------- Jinja


@functools.lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    # Sandboxed: relation templates may come from users; StrictUndefined: a missing variable fails.
    return jinja2.sandbox.SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False
    )


@functools.lru_cache(maxsize=4096)
def _compile(source: str) -> jinja2.Template:
    return _env().from_string(source)


def render(source: str, template_id: str, **variables: str) -> str:
    """Render one template string; a missing variable raises ConfigError naming the template."""
    try:
        text = _compile(source).render(**variables)
    except jinja2.UndefinedError as e:
        raise ConfigError(f"template {template_id}: {e.message}") from None
    except jinja2.TemplateError as e:
        raise ConfigError(f"template {template_id}: {e}") from None
    # Collapse ASCII whitespace only: the no-break spaces of fr/ru digit groups must survive.
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


# ---------------------------------------------------------------- dates and numbers

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
}
_BCE = {"en": "{y} BC", "de": "{y} v. Chr.", "fr": "{y} av. J.-C.", "ru": "{y} до н. э."}
_DECADE = {"en": "the {y}s", "de": "die {y}er Jahre", "fr": "les années {y}", "ru": "{y}-е годы"}
_CENTURY = {"en": "the {n} century", "de": "das {n}. Jahrhundert", "fr": "le {n}e siècle", "ru": "{n} век"}
_JULIAN = {"en": " (Julian calendar)", "de": " (julianischer Kalender)", "fr": " (calendrier julien)",
           "ru": " (по юлианскому календарю)"}


def _ordinal_en(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def format_date(t: TimeValue, language: str) -> str:
    """Render a time value in ``language`` no finer than its precision.

    Year precision gives "1850", month "March 1850", day "7 March 1850"; BCE years get the
    language's era marker; a Julian-calendar day says so. Languages without month names here
    (e.g. ru, where the case of a month name depends on the sentence) get numeric forms
    ("03.1850", "07.03.1850") that read correctly in any sentence.
    """
    y = abs(t.year)
    if t.year < 0:
        return _BCE.get(language, "{y} BCE").format(y=y)
    if t.precision == PRECISION_DECADE:
        return _DECADE.get(language, "{y}s").format(y=(t.year // 10) * 10)
    if t.precision <= PRECISION_CENTURY:
        n = (t.year - 1) // 100 + 1
        if language == "en":
            return _CENTURY["en"].format(n=_ordinal_en(n))
        if language in _CENTURY:
            roman = _roman(n) if language in ("fr", "ru") else str(n)
            return _CENTURY[language].format(n=roman)
        return str(t.year)
    months = _MONTHS.get(language)
    if t.precision >= PRECISION_DAY and t.month and t.day:
        if months:
            name = months.split()[t.month - 1]
            text = {"en": f"{t.day} {name} {y}", "de": f"{t.day}. {name} {y}"}.get(
                language, f"{'1er' if t.day == 1 else t.day} {name} {y}"
            )
        else:
            text = f"{t.day:02d}.{t.month:02d}.{y}"
        return text + (_JULIAN.get(language, " (Julian)") if t.is_julian else "")
    if t.precision >= PRECISION_MONTH and t.month:
        if months:
            return f"{months.split()[t.month - 1]} {y}"
        return f"{t.month:02d}.{y}"
    return str(y)


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
