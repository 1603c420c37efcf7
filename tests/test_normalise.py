"""The answer normaliser, rule by rule as the README lists them, and the build's v1 collision key."""

from __future__ import annotations

import pytest

from kcdata.normalise import collision_key_v1, normalize_answer


@pytest.mark.parametrize(
    ("text", "lang", "want"),
    [
        ("The Eiffel Tower!", "en", "eiffel tower"),
        ("Ｐａｒｉｓ", "en", "paris"),  # full-width, NFKC
        ("ﬁnland", "en", "finland"),  # ligature, NFKC
        ("  Saint-Denis ", "en", "saint denis"),
        ("Die Hauptstadt", "de", "hauptstadt"),
        ("l'Italie", "fr", "italie"),
        ("La Paz", "fr", "paz"),
        ("Москва.", "ru", "москва"),
        ("STRASSE", "de", "strasse"),
        ("", "en", ""),
        ("?!", "en", ""),
        ("qu’Ottawa", "fr", "ottawa"),  # rule 3: qu' with a curly apostrophe
        ("d'Artagnan", "fr", "artagnan"),
        ("l'Italie", "en", "l italie"),  # elision only for fr / it
        ("(l'Italie)", "fr", "l italie"),  # elision only at the start or after whitespace
        ("A$AP Rocky", "en", "a$ap rocky"),  # symbols stay, articles go only as whole words
        ("The The", "en", ""),
        ("La Paz", "fr-CA", "paz"),  # region suffix ignored
        ("Der Spiegel", "nl", "der spiegel"),  # unlisted language: English articles
        ("Соединённые  Штаты", "ru", "соединённые штаты"),  # no articles in ru; spaces collapsed
    ],
)
def test_normalize_answer(text, lang, want):
    assert normalize_answer(text, lang) == want



def test_collision_key_v1_only_strips_the_ends():
    assert collision_key_v1("«Paris»") == "paris"
    assert collision_key_v1("the Hague") == "the hague"
    assert collision_key_v1("U.S.") == "u.s"
    assert collision_key_v1(" «Alpha City.» ") == "alpha city"
    assert collision_key_v1("Ｐａｒｉｓ") == "paris"


def test_stop_words_are_spacys_without_importing_spacy():
    import importlib
    import subprocess
    import sys

    from kcdata.normalise import stop_words

    for lang in ("en", "de", "fr", "ru", "it"):
        module = importlib.import_module(f"spacy.lang.{lang}.stop_words")
        assert stop_words(lang) == frozenset(w.casefold() for w in module.STOP_WORDS) and stop_words(lang)
    assert stop_words("xx") == frozenset()
    code = ("import sys; from kcdata.normalise import stop_words; assert stop_words('de'); "
            "assert 'spacy' not in sys.modules and 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def _reference(text: str, language: str) -> str:
    """The normaliser as first written (one character at a time), to hold the tables to it."""
    import unicodedata

    from kcdata.normalise import _ELISION, ARTICLES

    lang = (language or "en").split("-")[0].lower()
    text = unicodedata.normalize("NFKC", text).casefold()
    if lang in {"fr", "it"}:
        text = _ELISION.sub(" ", text)
    text = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text)
    articles = ARTICLES.get(lang, ARTICLES["en"])
    return " ".join(tok for tok in text.split() if tok not in articles)


def test_punctuation_tables_agree_with_the_character_loop():
    import random

    from kcdata.normalise import _normalize

    rnd = random.Random(14)
    alphabets = [range(32, 127), range(0x80, 0x3100), range(0x2000, 0x2070), range(0x10000, 0x1F700)]
    texts = ["‹Québec›, l'île", "«Москва» — столица", "Saint-Denis (93)", "\ud800 lone", "x\u00a0y", "¿Qué?"]
    for _ in range(5000):
        texts.append("".join(chr(rnd.choice(rnd.choice(alphabets))) for _ in range(rnd.randrange(0, 25))))
    for text in texts:
        for lang in ("en", "fr", "ru"):
            assert _normalize(text, lang) == _reference(text, lang), (text, lang)


def test_padded_forms_and_overlap_padded_are_any_overlap():
    from kcdata.normalise import any_overlap, overlap_padded, overlaps, padded_forms

    forms = ["United Kingdom", "the UK", "Paris", "Parisian", "", "?!", "United Kingdom of Great Britain and Ireland",
             "Kingdom", "La Paz", "Paz"]
    assert padded_forms(["The UK", "", "?!", "Paris."], "en") == (" uk ", " paris ")
    for lang in ("en", "fr"):
        for i in range(len(forms)):
            for j in range(len(forms)):
                a, b = forms[i:i + 3], forms[j:j + 2]
                want = any(overlaps(x, y, lang) for x in a for y in b)
                assert any_overlap(a, b, lang) is want
                assert overlap_padded(padded_forms(a, lang), padded_forms(b, lang)) is want
