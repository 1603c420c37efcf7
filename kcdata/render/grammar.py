"""How a name or a date fits into a sentence, per language (``contexts_v3``).

A label alone ("United Kingdom", "Vereinigtes Königreich") is not what a sentence needs: English
wants "the United Kingdom", German "des Vereinigten Königreichs", French "au Royaume-Uni", Russian
"в Великобритании". The forms come from ``templates/grammar/<lang>.yaml`` (versioned, checked
against ``schemas/grammar.schema.json``):

- ``entities``: forms written for one item, used only while its label is still the one they were
  written for (a renamed item falls back rather than get stale forms);
- ``rules``: forms derived from the label for items of known kinds (P31 classes, the relation's
  object class, gender, a label pattern): people's names, cities, English proper names.

Dates get their phrases from code (``on``: "on 22 February 1732", "am 22. Februar 1732",
"le 22 février 1732", "22 февраля 1732 года"; ``since``; ``nom``). A form that is not known is
absent: a template that needs it is not used, and the row falls back to a construction that is
correct without it (:mod:`kcdata.render.rows`). Nothing is guessed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from kcdata.errors import ConfigError
from kcdata.relations import RelationSpec
from kcdata.render import (
    BCE_SUFFIX,
    DATE_LANGUAGES,
    _roman,
    _year_digits,
    date_reading,
    format_date,
    span_end,
)
from kcdata.resources import templates_dir
from kcdata.schemas import check_document, load_yaml_file
from kcdata.types import TimeValue

VARIABLE = re.compile(r"\{\{ (subject|object|start)(?:_([A-Za-z]+))? \}\}")
"""A template placeholder: a role and, in grammatical templates, one of its forms."""

DATE_FORMS = ("on", "since", "nom")


def initial(text: str) -> str:
    """The form at the start of a sentence: its first letter upper-cased."""
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Rule:
    """Forms derived from a label for items of one kind."""

    name: str
    classes: frozenset[str]
    """P31 classes, any of which the item must have (empty: any)."""
    object_classes: frozenset[str]
    """Relation object classes (``human``, ``country``), for objects whose P31 is not in the data."""
    genders: frozenset[str]
    """P21 items, one of which the item must have (empty: any)."""
    pattern: re.Pattern[str] | None
    """Regular expression the whole label must match; its named groups are usable in the forms."""
    forms: dict[str, str]

    def fits_kind(self, classes: tuple[str, ...], gender: str | None, object_class: str | None) -> bool:
        """Whether an item of these classes and gender (or an object of this relation class) is
        of the rule's kind."""
        kinds = self.classes or self.object_classes
        if kinds and not (self.classes & set(classes) or (object_class is not None and object_class in self.object_classes)):
            return False
        return not (self.genders and gender not in self.genders)

    def matches(self, label: str) -> re.Match | None:
        """The match of the whole label, or None."""
        if self.pattern is None:
            return _ANY.match(label)
        return self.pattern.fullmatch(label)


_ANY = re.compile(r"(?s).*")


@dataclass(frozen=True)
class Grammar:
    """One language's grammar data."""

    language: str
    version: int
    forms: tuple[str, ...]
    entities: dict[str, dict[str, str]]
    rules: tuple[Rule, ...]
    answer_forms: tuple[str, ...] = ()
    function_words: tuple[str, ...] = ()
    _kind_rules: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def id(self) -> str:
        return f"grammar/{self.language}@{self.version}"

    def entity_forms(self, qid: str | None, label: str, classes: tuple[str, ...] = (),
                     gender: str | None = None, object_class: str | None = None) -> dict[str, str]:
        """The known forms of an item with this ``label`` (an empty dict when none are known)."""
        entry = self.entities.get(qid or "")
        if entry is not None and entry["label"] == label:
            return {k: v for k, v in entry.items() if k != "label"}
        for rule in self._rules_for(classes, gender, object_class):
            m = rule.matches(label)
            if m is not None:
                groups = {k: v for k, v in m.groupdict().items() if v is not None}
                return {k: v.format(label=label, **groups) for k, v in rule.forms.items()}
        return {}

    def _rules_for(self, classes: tuple[str, ...], gender: str | None, object_class: str | None) -> tuple[Rule, ...]:
        """The rules, in order, of an item's kind; once per kind (kinds recur: people, cities)."""
        key = (classes, gender, object_class)
        found = self._kind_rules.get(key)
        if found is None:
            if len(self._kind_rules) >= 4096:
                self._kind_rules.clear()
            found = self._kind_rules[key] = tuple(r for r in self.rules if r.fits_kind(classes, gender, object_class))
        return found

    def answer_texts(self, forms: dict[str, str]) -> list[str]:
        """The ``answer_forms`` of an item without their leading function words, in form order
        ("des Vereinigten Königreichs" gives "Vereinigten Königreichs", "l'Écosse" "Écosse")."""
        out = []
        for name in self.answer_forms:
            text = forms.get(name)
            if not text:
                continue
            changed = True
            while changed:
                changed = False
                for w in self.function_words:
                    sep = "" if w.endswith("'") else " "
                    if text.startswith(w + sep) and len(text) > len(w + sep):
                        text, changed = text[len(w + sep):], True
            if text not in out:
                out.append(text)
        return out


def load_grammar_file(path: Path) -> Grammar:
    """Load and check one grammar file."""
    data = load_yaml_file(path)
    check_document(data, "grammar", str(path))
    if data["language"] != path.stem:
        raise ConfigError(f"{path}: language {data['language']!r} does not match the file name")
    forms = tuple(data["forms"])
    where = str(path)

    def checked(name: str, mapping: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(mapping) - set(forms) - {"label"})
        if unknown:
            raise ConfigError(f"{where}: {name} uses forms not declared in 'forms': {', '.join(unknown)}")
        return dict(mapping)

    rules = []
    for r in data.get("rules") or ():
        try:
            pattern = re.compile(r["label_pattern"]) if "label_pattern" in r else None
        except re.error as e:
            raise ConfigError(f"{where}: rule {r['name']}: bad label_pattern ({e})") from None
        rule_forms = checked(f"rule {r['name']}", r["forms"])
        names = set(pattern.groupindex) if pattern else set()
        for form, text in rule_forms.items():
            used = set(re.findall(r"\{(\w+)\}", text)) - {"label"}
            if used - names:
                raise ConfigError(f"{where}: rule {r['name']} form {form} uses {sorted(used - names)}, "
                                  "not a named group of its label_pattern")
        rules.append(Rule(name=r["name"], classes=frozenset(r.get("classes") or ()),
                          object_classes=frozenset(r.get("object_classes") or ()),
                          genders=frozenset(r.get("genders") or ()), pattern=pattern, forms=rule_forms))
    entities = {qid: checked(qid, e) for qid, e in (data.get("entities") or {}).items()}
    unknown = sorted(set(data.get("answer_forms") or ()) - set(forms))
    if unknown:
        raise ConfigError(f"{where}: answer_forms names forms not declared in 'forms': {', '.join(unknown)}")
    return Grammar(language=data["language"], version=int(data["version"]), forms=forms,
                   entities=entities, rules=tuple(rules), answer_forms=tuple(data.get("answer_forms") or ()),
                   function_words=tuple(data.get("function_words") or ()))


@functools.lru_cache(maxsize=16)
def load_grammar(language: str, root: Path | None = None) -> Grammar | None:
    """The shipped grammar of ``language`` (``templates/grammar/<lang>.yaml``), or None."""
    path = (root or templates_dir() / "grammar") / f"{language}.yaml"
    return load_grammar_file(path) if path.is_file() else None


def undeclared_forms(spec: RelationSpec) -> list[str]:
    """``P6-head-of-government/de.yaml: subject_gen`` for every form a grammatical template of
    ``spec`` names that its language's grammar does not declare (dates: on, since, nom)."""
    out = []
    for lang, lt in sorted(spec.languages.items()):
        if lt.grammatical is None:
            continue
        grammar = load_grammar(lang)
        declared = set(grammar.forms if grammar else ())
        texts = (*lt.grammatical.questions, *lt.grammatical.contexts, *lt.grammatical.dated_contexts)
        for role, form in sorted({v for t in texts for v in VARIABLE.findall(t)}):
            if not form:
                continue
            allowed = set(DATE_FORMS) if role == "start" else declared | (set(DATE_FORMS) if role == "object" else set())
            if form not in allowed and form[:1].lower() + form[1:] not in allowed:
                out.append(f"{spec.slug}/{lang}.yaml: {role}_{form}")
    return out


def check_forms(specs: list[RelationSpec]) -> None:
    """Raise ConfigError naming every undeclared form (a typo would silently never match)."""
    bad = [x for spec in specs for x in undeclared_forms(spec)]
    if bad:
        raise ConfigError(f"grammatical templates name forms no grammar file declares: {', '.join(bad)}",
                          "declare them in templates/grammar/<lang>.yaml 'forms' or fix the template")


# ---------------------------------------------------------------- dates

_RU_GENITIVE = "января февраля марта апреля мая июня июля августа сентября октября ноября декабря".split()
_RU_PREPOSITIONAL = "январе феврале марте апреле мае июне июле августе сентябре октябре ноябре декабре".split()
_RU_NOMINATIVE = "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь".split()


_ERA = {"en": "AD {y}", "de": "{y} n. Chr.", "fr": "{y} apr. J.-C.", "ru": "{y}"}


def date_forms(t: TimeValue, language: str) -> dict[str, str]:
    """:func:`_date_forms`, worked out once per date and language (dates recur: a census year, a
    birthday); the caller's own dict."""
    return dict(_date_forms(t, language))


@functools.lru_cache(maxsize=8192)
def _date_forms(t: TimeValue, language: str) -> dict[str, str]:
    """``on`` / ``since`` / ``nom`` phrases of a date at its precision, or {} for another language.

    en: "on 22 February 1732", "since March 2006", "in the 1850s", "in the 5th century BC",
    "around 10,000 BC"; de: "am 22. Februar 1732", "seit dem 6. Februar 2006", "im Jahr 1850",
    "im 2. Jahrtausend"; fr: "le 22 février 1732", "depuis mars 2006", "en 1850", "au Ier siècle";
    ru: "22 февраля 1732 года", "с марта 2006 года", "в 1850 году", "в V веке до н. э.". The
    value is read as :func:`kcdata.render.date_reading` reads it (an impossible day as its month,
    year 0 as 1 BC), so the phrases always agree with :func:`kcdata.render.format_date`; ``nom`` is
    the date as a noun phrase, mostly its label.
    """
    if language not in DATE_LANGUAGES:
        return {}
    r = date_reading(t)
    label = format_date(t, language)
    if 0 < r.year < 1000 and r.kind == "year" and language in _ERA:
        label = _ERA[language].format(y=r.year)  # "in 43" reads as a broken number: "in AD 43"
    julian = label[label.index(" ("):] if r.kind == "day" and r.julian and " (" in label else ""
    y = abs(r.year)
    n = r.number
    era = BCE_SUFFIX[language] if r.bce else ""
    if r.kind == "span":
        a, b = span_end(r.first, language), span_end(r.last, language)
        on, since = {"en": ("between {a} and {b}", "since some time between {a} and {b}"),
                     "de": ("zwischen {a} und {b}", "seit einem Zeitpunkt zwischen {a} und {b}"),
                     "fr": ("entre {a} et {b}", "depuis une date entre {a} et {b}"),
                     "ru": ("между {a} и {b}", "начиная с периода между {a} и {b}")}[language]
        return {"on": on.format(a=a, b=b), "since": since.format(a=a, b=b), "nom": label}
    if r.kind == "about":
        # the rounded year with its era: "10,000 BC", "AD 10,000", "10 000 года до н. э."
        about = (f"{_year_digits(n, language)} года{era or ' н. э.'}" if language == "ru"
                 else span_end(n if r.year > 0 else -n, language))
        on, since = {"en": ("around {x}", "since about {x}"), "de": ("um {x}", "seit etwa {x}"),
                     "fr": ("vers {x}", "depuis environ {x}"), "ru": ("около {x}", "примерно с {x}")}[language]
        return {"on": on.format(x=about), "since": since.format(x=about), "nom": label}
    if language == "en":
        return {"on": f"{'on' if r.kind == 'day' else 'in'} {label}", "since": f"since {label}", "nom": label}
    if language == "de":
        if r.kind == "day":
            return {"on": f"am {label}", "since": f"seit dem {label}", "nom": f"der {label}"}
        if r.kind == "month":
            return {"on": f"im {label}", "since": f"seit {label}", "nom": label}
        if r.kind == "decade":
            return {"on": f"in den {n}er Jahren{era}", "since": f"seit den {n}er Jahren{era}", "nom": label}
        if r.kind == "century":
            return {"on": f"im {n}. Jahrhundert{era}", "since": f"seit dem {n}. Jahrhundert{era}", "nom": label}
        if r.kind == "millennium":
            return {"on": f"im {n}. Jahrtausend{era}", "since": f"seit dem {n}. Jahrtausend{era}", "nom": label}
        return {"on": f"im Jahr {label}", "since": f"seit {label}", "nom": label}
    if language == "fr":
        if r.kind == "day":
            return {"on": f"le {label}", "since": f"depuis le {label}", "nom": f"le {label}"}
        if r.kind == "decade":
            return {"on": f"dans {label}", "since": f"depuis {label}", "nom": label}
        if r.kind in ("century", "millennium"):
            ordinal = _roman(n) + ("er" if n == 1 else "e")
            unit = "siècle" if r.kind == "century" else "millénaire"
            return {"on": f"au {ordinal} {unit}{era}", "since": f"depuis le {ordinal} {unit}{era}", "nom": label}
        return {"on": f"en {label}", "since": f"depuis {label}", "nom": label}
    # ru
    if r.kind == "day":
        text = f"{r.day} {_RU_GENITIVE[r.month - 1]} {y} года{julian}"
        return {"on": text, "since": f"с {text}", "nom": text}
    if r.kind == "month":
        m = r.month - 1
        return {"on": f"в {_RU_PREPOSITIONAL[m]} {y} года", "since": f"с {_RU_GENITIVE[m]} {y} года",
                "nom": f"{_RU_NOMINATIVE[m]} {y} года"}
    if r.kind == "decade":
        return {"on": f"в {n}-е годы{era}", "since": f"с {n}-х годов{era}", "nom": f"{n}-е годы{era}"}
    if r.kind == "century":
        return {"on": f"в {_roman(n)} веке{era}", "since": f"с {_roman(n)} века{era}", "nom": f"{_roman(n)} век{era}"}
    if r.kind == "millennium":
        return {"on": f"в {_roman(n)} тысячелетии{era}", "since": f"с {_roman(n)} тысячелетия{era}",
                "nom": f"{_roman(n)} тысячелетие{era}"}
    era = " до н. э." if r.bce else (" н. э." if r.year < 1000 else "")
    return {"on": f"в {y} году{era}", "since": f"с {y} года{era}", "nom": f"{y} год{era}"}


def date_answer_forms(t: TimeValue, language: str, forms: list[str]) -> list[str]:
    """``forms`` plus the date as the contexts write it, when no accepted form is already inside
    it (ru "22 февраля 1732 года" beside "22.02.1732"), so that an answer copied from a context
    is recognised."""
    out = list(forms)
    phrases = date_forms(t, language)
    for key in ("nom", "on"):
        phrase = phrases.get(key)
        if phrase and not any(f in phrase for f in out):
            out.append(phrase)
    return out


__all__ = ["Grammar", "Rule", "load_grammar", "load_grammar_file", "date_forms", "date_answer_forms",
           "initial", "undeclared_forms", "check_forms", "VARIABLE", "DATE_FORMS"]
