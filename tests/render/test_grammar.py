"""contexts_v3: grammatical forms of names and dates per language (templates/grammar/<lang>.yaml),
used only where known, with a construction correct for any label otherwise; checked on the forms
themselves, on bad grammar files, and on a real build of the sample."""

from __future__ import annotations

import dataclasses
import re

import pyarrow.parquet as pq
import pytest

from kcdata.errors import ConfigError
from kcdata.relations import GrammaticalTemplates, load_relations
from kcdata.render.grammar import (
    VARIABLE,
    check_forms,
    date_answer_forms,
    date_forms,
    load_grammar,
    load_grammar_file,
    undeclared_forms,
)
from kcdata.types import (
    PRECISION_CENTURY,
    PRECISION_DAY,
    PRECISION_DECADE,
    PRECISION_MONTH,
    PRECISION_YEAR,
    TimeValue,
)

MALE, FEMALE = "Q6581097", "Q6581072"


def _t(year, month=0, day=0, precision=PRECISION_DAY):
    return TimeValue(year=year, month=month, day=day, precision=precision)


@pytest.mark.parametrize("lang,t,on,since,nom", [
    ("en", _t(1732, 2, 22), "on 22 February 1732", "since 22 February 1732", "22 February 1732"),
    ("en", _t(2006, 3, precision=PRECISION_MONTH), "in March 2006", "since March 2006", "March 2006"),
    ("en", _t(1850, precision=PRECISION_YEAR), "in 1850", "since 1850", "1850"),
    ("en", _t(1850, precision=PRECISION_DECADE), "in the 1850s", "since the 1850s", "the 1850s"),
    ("en", _t(-753, precision=PRECISION_YEAR), "in 753 BC", "since 753 BC", "753 BC"),
    ("en", _t(43, precision=PRECISION_YEAR), "in AD 43", "since AD 43", "AD 43"),
    ("de", _t(43, precision=PRECISION_YEAR), "im Jahr 43 n. Chr.", "seit 43 n. Chr.", "43 n. Chr."),
    ("ru", _t(43, precision=PRECISION_YEAR), "в 43 году н. э.", "с 43 года н. э.", "43 год н. э."),
    ("de", _t(1732, 2, 22), "am 22. Februar 1732", "seit dem 22. Februar 1732", "der 22. Februar 1732"),
    ("de", _t(2006, 3, precision=PRECISION_MONTH), "im März 2006", "seit März 2006", "März 2006"),
    ("de", _t(1850, precision=PRECISION_YEAR), "im Jahr 1850", "seit 1850", "1850"),
    ("de", _t(1850, precision=PRECISION_DECADE), "in den 1850er Jahren", "seit den 1850er Jahren", "die 1850er Jahre"),
    ("de", _t(1850, precision=PRECISION_CENTURY), "im 19. Jahrhundert", "seit dem 19. Jahrhundert", "das 19. Jahrhundert"),
    ("fr", _t(1732, 2, 22), "le 22 février 1732", "depuis le 22 février 1732", "le 22 février 1732"),
    ("fr", _t(2016, 1, 1), "le 1er janvier 2016", "depuis le 1er janvier 2016", "le 1er janvier 2016"),
    ("fr", _t(1850, precision=PRECISION_YEAR), "en 1850", "depuis 1850", "1850"),
    ("fr", _t(1850, precision=PRECISION_CENTURY), "au XIXe siècle", "depuis le XIXe siècle", "le XIXe siècle"),
    ("ru", _t(1732, 2, 22), "22 февраля 1732 года", "с 22 февраля 1732 года", "22 февраля 1732 года"),
    ("ru", _t(2006, 3, precision=PRECISION_MONTH), "в марте 2006 года", "с марта 2006 года", "март 2006 года"),
    ("ru", _t(1850, precision=PRECISION_YEAR), "в 1850 году", "с 1850 года", "1850 год"),
    ("ru", _t(1850, precision=PRECISION_DECADE), "в 1850-е годы", "с 1850-х годов", "1850-е годы"),
    ("ru", _t(1850, precision=PRECISION_CENTURY), "в XIX веке", "с XIX века", "XIX век"),
    ("ru", _t(-753, precision=PRECISION_YEAR), "в 753 году до н. э.", "с 753 года до н. э.", "753 год до н. э."),
])
def test_date_phrases_at_their_precision(lang, t, on, since, nom):
    assert date_forms(t, lang) == {"on": on, "since": since, "nom": nom}


def test_dates_are_accepted_as_the_contexts_write_them():
    t = _t(1742, 2, 22)
    assert date_answer_forms(t, "ru", ["22.02.1742", "1742-02-22"]) == ["22.02.1742", "1742-02-22", "22 февраля 1742 года"]
    # a phrase that already contains an accepted form adds nothing
    assert date_answer_forms(t, "en", ["22 February 1742", "1742-02-22"]) == ["22 February 1742", "1742-02-22"]


def test_entity_forms_from_entries_and_rules():
    en, de, fr, ru = (load_grammar(lang) for lang in ("en", "de", "fr", "ru"))
    assert en.entity_forms("Q145", "United Kingdom", ("Q6256",))["of"] == "of the United Kingdom"
    assert en.entity_forms("Q16", "Canada", ("Q6256",))["in"] == "in Canada"
    assert en.entity_forms("Q1299", "The Beatles")["nom"] == "the Beatles"
    assert en.entity_forms("Q275", "Forth Bridge")["nom"] == "the Forth Bridge"  # an entry
    assert en.entity_forms("Q43274", "Charles III of the United Kingdom")["nom"] == "Charles III"  # no disambiguator
    assert en.entity_forms("Q1", "Tower Bridge") == {}  # structures: "Tower Bridge" but "the Forth Bridge"
    # a person's name takes no article even when it contains a definite name
    assert en.entity_forms("Q1", "Charles III of the United Kingdom", (), None, "human")["nom"] == \
        "Charles III of the United Kingdom"
    assert de.entity_forms("Q145", "Vereinigtes Königreich")["of"] == "des Vereinigten Königreichs"
    assert de.entity_forms("Q30", "Vereinigte Staaten").get("sg") is None  # plural: no singular verb
    assert de.entity_forms("Q64", "Berlin", ("Q515",))["in"] == "in Berlin"
    assert de.entity_forms("Q39", "Schweiz", ("Q6256",)) == {}  # takes an article: not guessed
    assert de.entity_forms("Q8413", "Konstantin der Große", ("Q5",)) == {}  # declined epithet
    assert fr.entity_forms("Q328212", "Veronica Roth", ("Q5",), FEMALE) == {
        "nom": "Veronica Roth", "sg": "Veronica Roth", "of": "de Veronica Roth", "il": "elle", "e": "e"}
    assert fr.entity_forms("Q53713", "Olof Palme", ("Q5",), MALE)["of"] == "d'Olof Palme"
    assert "il" not in fr.entity_forms("Q1", "Jo Doe", ("Q5",), None)  # gender unknown: no agreement
    assert fr.entity_forms("Q646148", "Henning Christophersen", ("Q5",), MALE) == {}  # h: elision unknown
    assert fr.entity_forms("Q1", "Le Havre", ("Q515",)) == {}
    assert ru.entity_forms("Q16", "Канада")["in"] == "в Канаде"
    assert ru.entity_forms("Q131261", "Кан, Оливер", ("Q5",), MALE) == {}
    assert ru.entity_forms("Q42", "Дуглас Адамс", ("Q5",), MALE)["born"] == "родился"


def test_an_entry_is_used_only_for_the_label_it_was_written_for():
    de = load_grammar("de")
    assert de.entity_forms("Q145", "Vereinigtes Königreich")["nom"] == "das Vereinigte Königreich"
    assert de.entity_forms("Q145", "Großbritannien und Nordirland") == {}


def test_answer_texts_drop_articles_and_prepositions():
    de, fr = load_grammar("de"), load_grammar("fr")
    assert de.answer_texts(de.entity_forms("Q145", "Vereinigtes Königreich")) == [
        "Vereinigte Königreich", "Vereinigten Königreichs", "Vereinigten Königreich"]
    assert fr.answer_texts(fr.entity_forms("Q22", "Écosse")) == ["Écosse"]


def _write(tmp_path, lang, text):
    path = tmp_path / f"{lang}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("body,message", [
    ("forms: [nom]\nentities:\n  Q1: {label: A, gen: B}\n", "Q1 uses forms not declared in 'forms': gen"),
    ("forms: [nom]\nrules:\n  - {name: r, label_pattern: '(', forms: {nom: x}}\n", "bad label_pattern"),
    ("forms: [nom]\nrules:\n  - {name: r, label_pattern: '(?P<a>.+)', forms: {nom: '{b}'}}\n", "not a named group"),
    ("forms: [nom]\nanswer_forms: [of]\n", "answer_forms names forms not declared"),
    ("forms: nom\n", "does not match schemas/grammar.schema.json"),
])
def test_bad_grammar_files_are_clear_errors(tmp_path, body, message):
    path = _write(tmp_path, "de", "language: de\nversion: 1\n" + body)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_grammar_file(path)
    with pytest.raises(ConfigError, match="does not match the file name"):
        load_grammar_file(_write(tmp_path, "fr", "language: de\nversion: 1\nforms: [nom]\n"))


def test_every_shipped_template_names_declared_forms_and_a_typo_is_caught():
    specs = load_relations()
    assert [x for spec in specs.values() for x in undeclared_forms(spec)] == []
    spec = specs["P36"]
    de = spec.languages["de"]
    typo = dataclasses.replace(de, grammatical=GrammaticalTemplates(
        version=1, questions=de.grammatical.questions, contexts=("Die Hauptstadt {{ subject_gen }} ist {{ object }}.",)))
    broken = dataclasses.replace(spec, languages={**spec.languages, "de": typo})
    assert undeclared_forms(broken) == ["P36-capital/de.yaml: subject_gen"]
    with pytest.raises(ConfigError, match="subject_gen"):
        check_forms([broken])


# ---------------------------------------------------------------- the sample build

def _rows(folder):
    return [r for f in sorted(folder.glob("*/test-*.parquet")) for r in pq.read_table(f).to_pylist()]


def _template(specs, template_id):
    slug_lang, _, where = template_id.partition("#")
    slug, lang = slug_lang.split("/")
    lt = next(s for s in specs.values() if s.slug == slug).languages[lang.removesuffix(".yaml")]
    block, _, rest = where.partition(".")
    name, idx = re.fullmatch(r"(\w+)\[(\d+)\]", rest).groups()
    assert block == "grammatical"
    return getattr(lt.grammatical, name)[int(idx)]


def _uses_item_forms(text, item_object):
    return any(form and (role == "subject" or (role == "object" and item_object)) for role, form in VARIABLE.findall(text))


def test_sample_rows_come_from_grammatical_templates_of_one_tier(sample_build):
    specs = load_relations()
    rows = _rows(sample_build)
    rich = 0
    for r in rows:
        prov = r["provenance"]
        assert "#grammatical." in prov["template_id"], r["id"]
        assert prov["template_version"].endswith("/grammar@1"), r["id"]
        item = r["object"]["value_type"] == "item"
        tiers = {_uses_item_forms(_template(specs, prov[k]), item) for k in ("template_id", "counter_template_id")}
        assert len(tiers) == 1, (r["id"], r["context_original"], r["context_counter"])  # no form cue
        rich += tiers == {True}
        for text in (r["question"], *r["paraphrases"], r["context_original"], r["context_counter"]):
            assert "{" not in text and "  " not in text, (r["id"], text)
    assert rich / len(rows) > 0.7


BARE = {
    "en": r"\b(?:of|in) (?:United Kingdom|United States of America|People's Republic of China|Kingdom of Denmark)\b",
    "de": r"\bvon (?:Vereinigtes Königreich|Vereinigte Staaten)\b|\bist \d+\. [A-ZÄÖÜ][a-zä]+ \d{3,4}\b|\bin Vereinigte",
    "fr": r"\b(?:de|à) (?:Canada|France|Royaume-Uni|États-Unis|Danemark)\b|\bremonte à \d",
    "ru": r"\b\d\d\.\d\d\.\d{3,4}\b|\bв \d{4}\b(?! году)",
}


def test_sample_rows_carry_articles_case_and_date_phrases(sample_build):
    rows = _rows(sample_build)
    seen = {lang: 0 for lang in BARE}
    for r in rows:
        lang = r["language"]
        for text in (r["question"], r["context_original"], r["context_counter"]):
            assert not re.search(BARE[lang], text), (r["id"], text)
        seen[lang] += 1
    assert min(seen.values()) >= 40
    texts = {r["language"]: " ".join(r["context_original"] for r in rows if r["language"] == r["language"]) for r in rows}
    assert "of the United Kingdom" in texts["en"] or "in the United Kingdom" in texts["en"]
    assert "des Vereinigten Königreichs" in texts["de"] or "im Vereinigten Königreich" in texts["de"]
    assert "au Royaume-Uni" in texts["fr"] or "du Royaume-Uni" in texts["fr"]
    assert re.search(r"\d+ (?:января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря) \d+ года", texts["ru"])


def test_an_answer_copied_from_a_context_is_accepted(sample_build):
    """The counter context writes the counter answer in a form the counter answers accept (and
    the original context likewise), inflected or as a date phrase."""
    rows = _rows(sample_build)
    for r in rows:
        assert any(a in r["context_counter"] for a in r["counter_answers"]), (r["id"], r["context_counter"], r["counter_answers"])
        assert any(a in r["context_original"] for a in r["answers"]), (r["id"], r["context_original"], r["answers"])
