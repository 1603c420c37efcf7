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
