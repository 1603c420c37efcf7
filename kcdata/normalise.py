"""Answer normalisation: the one place that decides when two surface forms are the same answer.

:func:`normalize_answer` is the normaliser of scoring (exact and contains match, clustering) and
of any check that must agree with scoring. :func:`collision_key_v1` is the weaker key the build's
``substitute_v1`` still uses to reject a substitute that collides with an answer's forms; moving the
build onto :func:`normalize_answer` changes which substitutes are chosen, so it comes with a new
strategy version, not silently.
"""

from __future__ import annotations

import re
import unicodedata

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
    lang = (language or "en").split("-")[0].lower()
    text = unicodedata.normalize("NFKC", text or "").casefold()
    if lang in {"fr", "it"}:
        text = _ELISION.sub(" ", text)
    text = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text)
    articles = ARTICLES.get(lang, ARTICLES["en"])
    return " ".join(tok for tok in text.split() if tok not in articles)


_COLLISION_STRIP = " .,;:!?\"'«»()"


def collision_key_v1(text: str) -> str:
    """The build's alias-collision key (``substitute_v1``): NFKC, case folding, then the characters
    ``space . , ; : ! ? " ' « » ( )`` stripped from both ends. Nothing inside the text changes (no
    articles removed, inner punctuation kept), so it is weaker than :func:`normalize_answer`."""
    return unicodedata.normalize("NFKC", text).casefold().strip(_COLLISION_STRIP)
