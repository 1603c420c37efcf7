"""Labels, aliases, popularity and kind of entities: what every stage asks about an id.

Filled by the sources (entity files, the dump's second pass, label tables); read by
counterfactuals (alias collisions, language coverage, substitutes of the same kind: classes,
gender, lifetime), rendering (labels in the row's language) and the CLI. Never falls back to
another language, except Wikidata's own ``mul`` label.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kcdata.types import Entity

MEMO_ENTRIES = 16_384
"""At most this many derived values are kept in :attr:`LabelStore.memo` (then it starts over)."""
MUL = "mul"  # Wikidata's "multiple languages" label, valid in every language without its own


@dataclass
class LabelStore:
    """Labels, aliases, popularity and kind of entities, from entity files and label tables."""

    entities: dict[str, Entity] = field(default_factory=dict)
    memo: dict = field(default_factory=dict, compare=False, repr=False)
    """What the stages derive from an entity's labels and reuse (the forms rendering names an
    object by): emptied whenever an entity is added, and past :data:`MEMO_ENTRIES`."""

    def remember(self, key: tuple, make):
        """``make()``, worked out once per ``key`` while the store is unchanged."""
        memo = self.memo
        out = memo.get(key)
        if out is None:
            if len(memo) >= MEMO_ENTRIES:
                memo.clear()
            out = memo[key] = make()
        return out

    def add(self, entity: Entity) -> None:
        """Add or merge an entity; existing labels win (entity files before label tables).

        Every other field too: an existing known value (sitelinks, classes, gender, born, died)
        wins, an unknown one (``None``, no classes) is filled from ``entity``.
        """
        self.memo.clear()
        cur = self.entities.get(entity.id)
        if cur is None:
            self.entities[entity.id] = entity
            return
        labels = {**entity.labels, **cur.labels}
        aliases = {**entity.aliases, **cur.aliases}
        self.entities[entity.id] = Entity(
            id=cur.id, labels=labels, aliases=aliases,
            sitelinks=cur.sitelinks if cur.sitelinks is not None else entity.sitelinks,
            lastrevid=cur.lastrevid or entity.lastrevid, modified=cur.modified or entity.modified,
            classes=cur.classes or entity.classes,
            gender=cur.gender if cur.gender is not None else entity.gender,
            born=cur.born if cur.born is not None else entity.born,
            died=cur.died if cur.died is not None else entity.died,
        )

    def add_label(self, qid: str, lang: str, label: str) -> None:
        """Add one label from a label table (never overrides an entity file's label).

        A label table knows no classes, gender or lifetime: an entity it adds has them unknown.
        """
        self.memo.clear()
        cur = self.entities.get(qid)
        if cur is None:
            self.entities[qid] = Entity(id=qid, labels={lang: label})
        elif lang not in cur.labels:
            cur.labels[lang] = label

    def label(self, qid: str | None, lang: str) -> str | None:
        """The label of ``qid`` in ``lang``, or None.

        Never a fallback to another language, except Wikidata's own ``mul`` label, which by
        Wikidata's definition is the label in every language that has none of its own.
        """
        e = self.entities.get(qid or "")
        if not e:
            return None
        return e.labels.get(lang) or e.labels.get(MUL)

    def aliases(self, qid: str | None, lang: str) -> tuple[str, ...]:
        """Aliases of ``qid`` in ``lang`` (the label not included), plus ``mul`` aliases."""
        e = self.entities.get(qid or "")
        if not e:
            return ()
        return e.aliases.get(lang, ()) + tuple(a for a in e.aliases.get(MUL, ()) if a not in e.aliases.get(lang, ()))

    def forms(self, qid: str | None, lang: str) -> list[str]:
        """Label then aliases, deduplicated."""
        out: list[str] = []
        for f in ((self.label(qid, lang) or ""), *self.aliases(qid, lang)):
            if f and f not in out:
                out.append(f)
        return out

    def sitelinks(self, qid: str | None) -> int | None:
        """Sitelink count, a popularity proxy, when known."""
        e = self.entities.get(qid or "")
        return e.sitelinks if e else None

    def classes(self, qid: str | None) -> tuple[str, ...]:
        """``P31`` (instance of) item ids of ``qid``, ``()`` when unknown."""
        e = self.entities.get(qid or "")
        return e.classes if e else ()

    def gender(self, qid: str | None) -> str | None:
        """``P21`` (sex or gender) item id of ``qid``, when known."""
        e = self.entities.get(qid or "")
        return e.gender if e else None

    def lifetime(self, qid: str | None) -> tuple[int | None, int | None]:
        """``(born, died)``: the signed years of ``P569`` and ``P570`` of ``qid``, each None when
        unknown (or known only coarser than a year)."""
        e = self.entities.get(qid or "")
        return (e.born, e.died) if e else (None, None)
