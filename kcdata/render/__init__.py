"""How a fact reads: relation templates per language, Jinja with StrictUndefined, dates and numbers.

Templates are versioned data under ``templates/relations/<PID>-<slug>/``: ``relation.yaml`` describes
the relation, ``<lang>.yaml`` holds question paraphrases and evidence (context) templates.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import jinja2
import jinja2.sandbox
import yaml

from kcdata.errors import ConfigError
from kcdata.resources import templates_dir
from kcdata.types import PRECISION_CENTURY, PRECISION_DAY, PRECISION_DECADE, PRECISION_MONTH, TimeValue


@dataclass(frozen=True)
class LanguageTemplates:
    """The templates of one relation in one language."""

    language: str
    version: int
    questions: tuple[str, ...]
    contexts: tuple[str, ...]
    dated_contexts: tuple[str, ...] = ()


@dataclass(frozen=True)
class RelationSpec:
    """A relation's description and its per-language templates."""

    id: str
    """Property id, e.g. P6."""
    slug: str
    """Folder name, e.g. P6-head-of-government."""
    label: str
    version: int
    cardinality: str
    """single or multi: how many values can be true at one time."""
    changes_over_time: bool
    """Whether the value changes by nature (a weak temporal signal when no qualifier says so)."""
    object_type: str
    """item, quantity or time."""
    object_class: str
    """Substitution pool key: counterfactual items come from objects of the same class."""
    languages: dict[str, LanguageTemplates]

    def template_version(self, language: str) -> str:
        """``P6@1/en@1``: the relation and language template versions used for a row."""
        lt = self.languages[language]
        return f"{self.id}@{self.version}/{language}@{lt.version}"


def _load_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: invalid YAML ({e})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def load_relation(folder: Path) -> RelationSpec:
    """Load one relation folder, validating its files against the JSON Schemas."""
    from kcdata.validate import check_document

    rel = _load_yaml(folder / "relation.yaml")
    check_document(rel, "relation", str(folder / "relation.yaml"))
    langs: dict[str, LanguageTemplates] = {}
    for f in sorted(folder.glob("*.yaml")):
        if f.name == "relation.yaml":
            continue
        data = _load_yaml(f)
        check_document(data, "template", str(f))
        lang = data["language"]
        if lang != f.stem:
            raise ConfigError(f"{f}: language {lang!r} does not match the file name")
        langs[lang] = LanguageTemplates(
            language=lang,
            version=int(data["version"]),
            questions=tuple(data["questions"]),
            contexts=tuple(data["contexts"]),
            dated_contexts=tuple(data.get("dated_contexts") or ()),
        )
    return RelationSpec(
        id=rel["id"],
        slug=folder.name,
        label=rel["label"],
        version=int(rel["version"]),
        cardinality=rel["cardinality"],
        changes_over_time=bool(rel["changes_over_time"]),
        object_type=rel["object_type"],
        object_class=rel["object_class"],
        languages=langs,
    )


@functools.lru_cache(maxsize=8)
def load_relations(root: Path | None = None) -> dict[str, RelationSpec]:
    """All relations under ``root`` (default: the shipped ``templates/relations``), by property id."""
    root = root or templates_dir() / "relations"
    out: dict[str, RelationSpec] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        spec = load_relation(folder)
        if spec.id in out:
            raise ConfigError(f"{folder}: relation {spec.id} is defined twice")
        out[spec.id] = spec
    return out


def resolve_relations(names: list[str] | None, available: dict[str, RelationSpec]) -> list[str]:
    """Check requested relation ids, with a "did you mean" for unknown ones."""
    if not names:
        return sorted(available, key=lambda p: int(p[1:]))
    out = []
    for name in names:
        pid = name.split("-", 1)[0].upper()
        if pid not in available:
            close = difflib.get_close_matches(name, list(available) + [s.slug for s in available.values()])
            hint = f"did you mean {', '.join(close)}?" if close else "see templates/relations/"
            raise ConfigError(f"unknown relation {name!r}", hint)
        out.append(pid)
    return out


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


def format_number(amount: str, language: str) -> str:
    """Format a decimal string with the language's digit grouping: 38,005,238 / 38.005.238."""
    try:
        d = Decimal(amount)
    except InvalidOperation:
        return amount
    sign = "-" if d < 0 else ""
    text = format(abs(d), "f")
    whole, _, frac = text.partition(".")
    group = _GROUP.get(language, ",")
    parts = []
    while len(whole) > 3:
        parts.insert(0, whole[-3:])
        whole = whole[:-3]
    parts.insert(0, whole)
    out = sign + group.join(parts)
    if frac:
        out += _DECIMAL.get(language, ".") + frac
    return out


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
