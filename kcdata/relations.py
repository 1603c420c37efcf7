"""Relations and their per-language templates: the shared nouns every stage reads.

A relation is described in ``templates/relations/<PID>-<slug>/``: ``relation.yaml`` (cardinality,
whether it changes over time, object type and substitution class) and one ``<lang>.yaml`` per
language with question paraphrases and context templates. Classification reads the cardinality,
counterfactuals the object class, rendering the templates; all three take the same
:class:`RelationSpec` from here.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from pathlib import Path

from kcdata.errors import ConfigError
from kcdata.resources import templates_dir
from kcdata.schemas import check_document, load_yaml_file


@dataclass(frozen=True)
class LanguageTemplates:
    """The templates of one relation in one language."""

    language: str
    version: int
    version: int
    questions: tuple[str, ...]
    contexts: tuple[str, ...]
    dated_contexts: tuple[str, ...] = ()
    passage_cues: tuple[str, ...] = ()
    """Words that state the relation in running text (``passages_v2``)."""
    grammatical: GrammaticalTemplates | None = None
    """``contexts_v3``'s templates, which use grammatical forms of names and dates."""


@dataclass(frozen=True)
class GrammaticalTemplates:
    """``contexts_v3`` templates of one relation in one language: each may name forms
    (``{{ subject_of }}``, ``{{ start_since }}``) and is used only when they are known; those
    naming none are the fallback, correct for any label."""

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
    """Whether the value changes by nature (``rules_v1``'s weak temporal signal)."""
    object_type: str
    """item, quantity or time."""
    object_class: str
    """Substitution pool key: counterfactual items come from objects of the same class."""
    languages: dict[str, LanguageTemplates]
    changes_within_years: bool = False
    """``rules_v2``'s by-nature signal: the value really changes within a few years (office holders,
    population), never a list that only accumulates."""
    closed_world: bool = True
    """Whether the recorded values are the complete list, so another value contradicts them."""
    closed_world_reason: str = ""
    """Why the list is (or is not) complete, in one line."""
    object_gender: str | None = None
    """P21 item every object has (mother: female), ``same`` (a substitute has the original's
    known gender), or None."""
    substitute_kind: str = "relation"
    """``relation``: objects of the relation are of one kind; ``class``: of mixed kinds, so a
    substitute must share a known P31 class with the original."""

    def template_version(self, language: str, grammar_version: int | None = None) -> str:
        """``P6@1/en@1``: the relation and language template versions used for a row;
        ``P6@1/en@1+g1/grammar@1`` when its texts come from the grammatical block (version 1)
        with the language's grammar file (version 1)."""
        lt = self.languages[language]
        text = f"{self.id}@{self.version}/{language}@{lt.version}"
        if grammar_version is not None and lt.grammatical is not None:
            text += f"+g{lt.grammatical.version}/grammar@{grammar_version}"
        return text


def _grammatical(block: dict | None) -> GrammaticalTemplates | None:
    if not block:
        return None
    return GrammaticalTemplates(version=int(block["version"]), questions=tuple(block["questions"]), contexts=tuple(block["contexts"]),
                                dated_contexts=tuple(block.get("dated_contexts") or ()))


def load_relation(folder: Path) -> RelationSpec:
    """Load one relation folder, validating its files against the JSON Schemas."""
    rel = load_yaml_file(folder / "relation.yaml")
    check_document(rel, "relation", str(folder / "relation.yaml"))
    langs: dict[str, LanguageTemplates] = {}
    for f in sorted(folder.glob("*.yaml")):
        if f.name == "relation.yaml":
            continue
        data = load_yaml_file(f)
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
            passage_cues=tuple(data.get("passage_cues") or ()),
            grammatical=_grammatical(data.get("grammatical")),
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
        changes_within_years=bool(rel["changes_within_years"]),
        closed_world=bool(rel["closed_world"]),
        closed_world_reason=rel["closed_world_reason"],
        object_gender=rel.get("object_gender"),
        substitute_kind=rel.get("substitute_kind", "relation"),
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
