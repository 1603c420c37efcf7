"""Answer normalisation: the one place that decides when two surface forms are the same answer.

:func:`normalize_answer` is the normaliser of scoring (exact and contains match, clustering) and
of any check that must agree with scoring. :func:`collision_key_v1` is the weaker key the build's
``substitute_v1`` still uses to reject a substitute that collides with an answer's forms; moving the
build onto :func:`normalize_answer` changes which substitutes are chosen, so it comes with a new
strategy version, not silently.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

#: Articles removed by :func:`normalize_answer`, per language (SQuAD removes English ones).
ARTICLES: dict[str, frozenset[str]] = {
    "en": frozenset({"a", "an", "the"}),
    "de": frozenset(
        {"der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines"}
    ),
    "fr": frozenset({"le", "la", "les", "un", "une", "des", "du"}),
    "es": frozenset({"el", "la", "los", "las", "un", "una", "unos", "unas"}),
    "it": frozenset({"il", "lo", "la", "i", "gli", "le", "un", "uno", "una"}),
    "ru": frozenset(),
}

# French/Italian elided articles ("l'Italie", "l’Aquila") are glued to the next word.
_ELISION = re.compile(r"(?:(?<=\s)|^)(?:l|d|qu)['’]", re.IGNORECASE)


def normalize_answer(text: str, language: str | None = "en") -> str:
    """Normalise an answer string for matching (scoring; the rules are listed in the README).

    Rules, in order:

    1. Unicode NFKC (full-width letters, ligatures and compatibility forms to plain ones).
    2. Case folding (``str.casefold``: ``STRASSE`` and ``Straße`` both give ``strasse``).
    3. For ``fr`` and ``it`` only: an elided ``l'``, ``d'`` or ``qu'`` (straight ``'`` or curly
       ``’`` apostrophe) that opens the text or follows whitespace becomes a space
       (``l'Italie`` gives ``italie``).
    4. Every punctuation character (Unicode category ``P*``: hyphens, apostrophes, quotes,
       brackets, full stops...) becomes a space. Symbols (``S*``, e.g. ``$`` or ``+``) stay.
    5. The language's articles (:data:`ARTICLES`; English for a language not listed there, none
       for ``ru``) are removed as whole words, anywhere in the text.
    6. Whitespace is collapsed to single spaces and trimmed.

    Extends the SQuAD v1.1 evaluation script (Rajpurkar et al. 2016), which lower-cases, strips
    punctuation and English articles.

    Args:
        text: Any string, possibly empty.
        language: Row language code (a region suffix such as ``fr-CA`` is ignored); picks the
            article list and the elision rule.

    Returns:
        The normalised string, ``""`` for empty or punctuation-only input.
    """
    text = text or ""
    return (_normalize_short if len(text) <= SHORT_TEXT else _normalize_long)(text, language)


SHORT_TEXT = 200
"""Texts up to this length (labels, aliases, answers) are normalised through a large cache, longer
ones (contexts, passages) through a smaller one, large enough for a batch's contexts, which
the build and then its audit read: a build compares every candidate substitute's forms with the
true ones and with the row's passage, fact after fact, and would otherwise normalise each again."""


@functools.lru_cache(maxsize=1 << 16)
def _normalize_short(text: str, language: str | None) -> str:
    return _normalize(text, language)


@functools.lru_cache(maxsize=8192)
def _normalize_long(text: str, language: str | None) -> str:
    return _normalize(text, language)


def _normalize(text: str, language: str | None) -> str:
    lang = (language or "en").split("-")[0].lower()
    text = unicodedata.normalize("NFKC", text).casefold()
    if lang in {"fr", "it"}:
        text = _ELISION.sub(" ", text)
    text = text.encode("ascii").translate(_ASCII_PUNCTUATION).decode("ascii") if text.isascii() \
        else text.translate(_PUNCTUATION)
    articles = ARTICLES.get(lang, ARTICLES["en"])
    return " ".join(tok for tok in text.split() if tok not in articles)


class _Punctuation(dict):
    """``str.translate`` table: a punctuation character (category ``P*``) to a space, any other
    to itself, each code point looked up in :mod:`unicodedata` the first time it is met."""

    def __missing__(self, code: int) -> str | int:
        out = self[code] = " " if unicodedata.category(chr(code)).startswith("P") else code
        return out


_PUNCTUATION = _Punctuation()
_ASCII_PUNCTUATION = bytes(32 if unicodedata.category(chr(c)).startswith("P") else c for c in range(256))
"""The same for ASCII text, as a ``bytes.translate`` table (the first 128 entries are used)."""


_COLLISION_STRIP = " .,;:!?\"'«»()"


def collision_key_v1(text: str) -> str:
    """The build's alias-collision key (``substitute_v1``): NFKC, case folding, then the characters
    ``space . , ; : ! ? " ' « » ( )`` stripped from both ends. Nothing inside the text changes (no
    articles removed, inner punctuation kept), so it is weaker than :func:`normalize_answer`."""
    return unicodedata.normalize("NFKC", text).casefold().strip(_COLLISION_STRIP)


def overlaps(a: str, b: str, language: str | None = "en") -> bool:
    """Whether two surface forms name the same answer or one contains the other, as whole words,
    after :func:`normalize_answer` (``United Kingdom`` overlaps ``United Kingdom of Great Britain
    and Ireland``; ``Paris`` does not overlap ``Parisian``). An empty form overlaps nothing."""
    x, y = _padded(a, language), _padded(b, language)
    return bool(x and y) and (x in y or y in x)


@functools.lru_cache(maxsize=1 << 14)  # the forms of a name are compared with many others
def _padded(form: str, language: str | None) -> str:
    """`` normalised form `` (whole words can be looked for with ``in``), ``""`` when it is empty."""
    norm = normalize_answer(form, language)
    return f" {norm} " if norm else ""


def any_overlap(forms_a: list[str] | tuple[str, ...], forms_b: list[str] | tuple[str, ...],
                language: str | None = "en") -> bool:
    """Whether some form of ``forms_a`` :func:`overlaps` some form of ``forms_b`` (each form
    normalised once, not once per pair)."""
    right = padded_forms(forms_b, language)
    return bool(right) and overlap_padded(padded_forms(forms_a, language), right)


def padded_forms(forms: list[str] | tuple[str, ...], language: str | None = "en") -> tuple[str, ...]:
    """The non-empty :func:`normalize_answer` forms of ``forms``, each between spaces, for
    :func:`overlap_padded` (a form compared with many is normalised once)."""
    return tuple(y for f in forms if (y := _padded(f, language)))


def overlap_padded(left: tuple[str, ...], right: tuple[str, ...]) -> bool:
    """:func:`any_overlap` of forms already :func:`padded_forms`."""
    return any(x in y or y in x for x in left for y in right)


def names(text: str, form: str, language: str | None = "en") -> bool:
    """Whether ``text`` names ``form``: the form's normalised words occur in the normalised text as
    whole words (:func:`normalize_answer`)."""
    norm = normalize_answer(form, language)
    # the text (a context, a passage) is met once per row: its own small cache, not the forms' one
    return bool(norm) and f" {norm} " in f" {_normalize_long(text or '', language)} "


MIN_ALIAS_CHARS = 3
"""``answers_v2``: an alias whose normalised form is shorter than this is left out of matching lists."""


@functools.lru_cache(maxsize=16)
def stop_words(language: str) -> frozenset[str]:
    """spaCy's stop-word list of a language (empty where spaCy has none).

    The list is read from spaCy's ``lang/<language>/stop_words.py`` (a file of plain data) without
    importing spaCy itself, which would load thinc and torch: about 3 s and 250 MB for a build that
    needs a word list. Where that file is not plain data, spaCy's module is imported as before.
    """
    import importlib
    import importlib.util

    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.origin:
        return frozenset()
    path = Path(spec.origin).parent / "lang" / language / "stop_words.py"
    if not path.is_file():
        return frozenset()
    namespace: dict[str, object] = {"__builtins__": {"set": set, "frozenset": frozenset, "list": list,
                                                     "tuple": tuple, "str": str, "len": len}}
    try:
        exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)  # noqa: S102 (spaCy's data file)
        words = namespace.get("STOP_WORDS")
    except Exception:  # not plain data in this spaCy version
        words = None
    if words is None:
        try:
            words = getattr(importlib.import_module(f"spacy.lang.{language}.stop_words"), "STOP_WORDS", ())
        except ImportError:
            return frozenset()
    return frozenset(w.casefold() for w in words)


def matchable_alias(alias: str, language: str | None = "en") -> bool:
    """Whether an alias is safe in a contains-match list (``answers_v2``).

    An alias is left out when its normalised form (:func:`normalize_answer`) is shorter than
    :data:`MIN_ALIAS_CHARS` characters (``us``, ``UK``, two-letter codes) or is one word of
    spaCy's stop-word list of the language (``can``, ``be``, ``will``), because a prediction
    containing it says nothing about the answer. A label is never left out.
    """
    lang = (language or "en").split("-")[0].lower()
    norm = normalize_answer(alias, lang)
    if len(norm) < MIN_ALIAS_CHARS:
        return False
    return norm not in stop_words(lang)
