"""``format_number`` / ``number_forms``: ordinary numbers as before in every language, and amounts
that would expand without bound (``+1E+999999``, a million digits) in a short scientific form."""

from __future__ import annotations

import time

import pytest

from kcdata.render import MAX_PLAIN_DIGITS, format_number, number_forms

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize(
    ("amount", "language", "want"),
    [
        ("38005238", "en", "38,005,238"),
        ("38005238", "de", "38.005.238"),
        ("38005238", "fr", f"38{NNBSP}005{NNBSP}238"),
        ("38005238", "ru", f"38{NBSP}005{NBSP}238"),
        ("38005238", "es", "38,005,238"),  # a language without its own style: English
        ("+38005238", "en", "38,005,238"),
        ("-38005238", "de", "-38.005.238"),
        ("-1234.5", "de", "-1.234,5"),
        ("-1234.5", "en", "-1,234.5"),
        ("+1234567.891", "fr", f"1{NNBSP}234{NNBSP}567,891"),
        ("+1234567.891", "ru", f"1{NBSP}234{NBSP}567,891"),
        ("-0.25", "fr", "-0,25"),
        ("0.5", "de", "0,5"),
        ("+0.0001", "en", "0.0001"),
        ("12.000", "en", "12.000"),
        ("999", "en", "999"),
        ("1000", "en", "1,000"),
        ("100", "de", "100"),
        ("1234", "de", "1.234"),
        ("12345", "fr", f"12{NNBSP}345"),
        ("123456", "ru", f"123{NBSP}456"),
        ("1234567", "en", "1,234,567"),
        ("0", "en", "0"),
        ("-0", "en", "0"),
        ("1.5E+3", "en", "1,500"),
        ("1E-7", "de", "0,0000001"),
        ("+9999999999.5", "en", "9,999,999,999.5"),
        ("abc", "en", "abc"),
        ("", "de", ""),
        ("12,5", "de", "12,5"),  # not a decimal string: unchanged
        ("5E+59", "en", "500," + ",".join(["000"] * 19)),  # adjusted exponent 59: still written out
        ("1" + "0" * 59, "de", "100" + ".000" * 19),  # 60 digits: the most written out
    ],
)
def test_ordinary_numbers(amount, language, want):
    assert format_number(amount, language) == want


def test_grouping_every_length():
    for n in range(1, 61):
        digits = "123456789" * 7
        amount = digits[:n]
        got = format_number(amount, "en")
        assert got.replace(",", "") == amount
        groups = got.split(",")
        assert all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3, got
        assert format_number("-" + amount, "de") == "-" + got.replace(",", ".")


def test_long_exact_digits_are_not_rounded_by_the_decimal_context():
    amount = "123456789012345678901234567890"  # 30 digits: more than the context's 28
    assert format_number(amount, "en") == "123,456,789,012,345,678,901,234,567,890"


@pytest.mark.parametrize(
    ("amount", "language", "want"),
    [
        ("+1E+999999", "en", "1E+999999"),
        ("+1E+999999", "de", "1E+999999"),
        ("-1E+999999", "fr", "-1E+999999"),
        ("1E-999999", "ru", "1E-999999"),
        ("1.5E+61", "en", "1.5E+61"),
        ("1.5E+61", "de", "1,5E+61"),
        ("-2.5E-70", "fr", "-2,5E-70"),
        ("1" + "0" * 60, "en", "1E+60"),  # 61 digits
        ("9" * 1_000_000, "en", "1E+1000000"),  # rounded to 60 digits, half even
        ("0E+999999", "en", "0E+999999"),
        ("1." + "0" * 1_000_000, "en", "1E+0"),
    ],
)
def test_unbounded_amounts_in_scientific_form(amount, language, want):
    start = time.perf_counter()
    got = format_number(amount, language)
    assert time.perf_counter() - start < 1.0
    assert got == want


def test_a_million_digits_return_fast_and_short():
    for amount in ("+1E+999999", "9" * 1_000_000, "1234567890" * 100_000, "0." + "0" * 999_999 + "1"):
        start = time.perf_counter()
        for lang in ("en", "de", "fr", "ru"):
            got = format_number(amount, lang)
            assert len(got) <= MAX_PLAIN_DIGITS + 30, (lang, len(got))
            forms = number_forms(amount, lang)
            assert forms[0] == got and amount in forms
            assert all(len(f) <= MAX_PLAIN_DIGITS + 30 for f in forms if f != amount)
        assert time.perf_counter() - start < 1.0
    # 60 significant digits kept (the 61st, a 1, rounds down), the trailing 0 dropped.
    assert format_number("1234567890" * 100_000, "de") == "1,2345678901234567890123456789012345678901234567890123456789E+999999"


def test_non_finite_amounts_come_back_unchanged():
    for amount in ("NaN", "Infinity", "-Infinity", "sNaN"):
        assert format_number(amount, "en") == amount


@pytest.mark.parametrize(
    ("amount", "language", "want"),
    [
        ("38005238", "en", ["38,005,238", "38005238"]),
        ("38005238", "de", ["38.005.238", "38005238", "38,005,238"]),
        ("38005238", "fr", [f"38{NNBSP}005{NNBSP}238", "38005238", "38,005,238", "38 005 238"]),
        ("38005238", "ru", [f"38{NBSP}005{NBSP}238", "38005238", "38,005,238", "38 005 238"]),
        ("+38005238", "en", ["38,005,238", "+38005238"]),
        ("-1234.5", "de", ["-1.234,5", "-1234.5", "-1,234.5"]),
        ("999", "fr", ["999"]),
        ("+1E+999999", "de", ["1E+999999", "+1E+999999"]),
        ("1.5E+61", "fr", ["1,5E+61", "1.5E+61"]),
    ],
)
def test_number_forms(amount, language, want):
    assert number_forms(amount, language) == want
