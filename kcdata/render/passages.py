"""Wikipedia passages as row contexts: a real passage that mentions a fact's object, and its
counter version.

Sentences come from spaCy (``spacy.blank(lang)`` plus the rule-based ``sentencizer``; no model
download). :func:`find_passage` picks 1-3 consecutive sentences that mention the object under
any alias (case-insensitive, on word boundaries), preferring a window that also names the
subject; :func:`counter_passage` replaces every object mention with the counterfactual label.
:func:`attach_passages` fills the rows' ``wiki_*`` fields, with articles found by
:func:`kcdata.sources.wikipedia.article_finder` (fetching and markup stay in the source).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from kcdata.errors import ConfigError
from kcdata.sources.wikipedia import LICENSE, Article, article_url

log = logging.getLogger(__name__)

MAX_SENTENCES = 3
"""Longest passage, in sentences."""


@dataclass(frozen=True)
class Passage:
    """A passage of an article that mentions the object, with its counter version."""

    text: str
    """The original passage (1–3 sentences)."""
    counter_text: str | None
    """The passage with every object mention replaced (``None`` until a replacement is given)."""
    title: str
    """Article title."""
    language: str
    """Article language."""
    revision_id: int | None
    """Article revision."""
    url: str
    """Article URL."""
    license: str = LICENSE
    """Text licence."""
    mentions: tuple[str, ...] = ()
    """Object surface forms found in the passage, in order."""
    mentions_subject: bool = False
    """Whether the passage also names the subject (else the subject is only implicit)."""
    n_sentences: int = 1
    """Sentences in the passage."""
    replacement: str | None = field(default=None, compare=False)
    """The counterfactual label used for ``counter_text``."""

    def source(self) -> dict[str, Any]:
        """The ``wiki_source`` row field: title, language, revision_id, url, license."""
        return {
            "title": self.title,
            "language": self.language,
            "revision_id": self.revision_id,
            "url": self.url,
            "license": self.license,
        }



@lru_cache(maxsize=16)
def _nlp(lang: str) -> Any:
    try:
        import spacy
    except ImportError as err:  # pragma: no cover - spacy is a dependency
        raise ConfigError(
            "spaCy is needed for Wikipedia passages", "pip install spacy, or build without --wikipedia"
        ) from err
    try:
        nlp = spacy.blank(lang)
    except (ImportError, KeyError, ValueError, OSError):
        log.warning("spaCy has no language %r; using the multi-language tokenizer", lang)
        nlp = spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    nlp.max_length = max(nlp.max_length, 5_000_000)
    return nlp


_SENTENCE_END = (".", "!", "?", ":", ";", "。", "…", '"', "»", "”", ")")


def split_sentences(text: str, language: str) -> list[str]:
    """Sentences of ``text``; a line break always ends a sentence.

    Short lines without final punctuation (section headings of API extracts such as
    ``History``) are left out.

    Args:
        text: Plain text, one paragraph per line (blank lines between them are fine).
        language: Language code for ``spacy.blank``.

    Returns:
        Sentences, stripped.
    """
    nlp = _nlp(language)
    out: list[str] = []
    for para in text.splitlines():
        para = para.strip()
        if not para or (len(para) < 80 and not para.endswith(_SENTENCE_END)):
            continue
        out.extend(s.text.strip() for s in nlp(para).sents if s.text.strip())
    return out


@lru_cache(maxsize=128)
def article_sentences(article: Article) -> list[str]:
    """Sentences of an article, computed once per article (a build asks once per fact)."""
    return split_sentences(article.text, article.language)


def mention_regex(surface_forms: Iterable[str]) -> re.Pattern[str] | None:
    """Case-insensitive regex matching any surface form on word boundaries (longest first)."""
    forms = sorted({f.strip() for f in surface_forms if f and f.strip()}, key=lambda s: (-len(s), s))
    if not forms:
        return None
    body = "|".join(re.escape(f) for f in forms)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


_WORD_BEFORE = re.compile(r"(\w[\w'-]*) $")
_WORD_AFTER = re.compile(r"^ (\w[\w'-]*)")


def _embedded(text: str, m: re.Match[str]) -> bool:
    """Whether a one-word mention is part of a longer capitalised name.

    "Ireland" in "Northern Ireland", "English" in "English Channel": the neighbouring word is
    capitalised (and the mention does not open the sentence), so it names something else.
    Multi-word forms ("Donald Trump") are specific enough to be taken as they are.
    """
    if " " in m.group(0).strip():
        return False
    before = _WORD_BEFORE.search(text[max(0, m.start() - 40) : m.start()])
    if before and before.group(1)[:1].isupper():
        head = text[: m.start() - len(before.group(0))].rstrip()
        if head and head[-1] not in ".!?":  # a capitalised sentence opener is not a name part
            return True
    after = _WORD_AFTER.search(text[m.end() : m.end() + 40])
    return bool(after and after.group(1)[:1].isupper())


def mentions(text: str, pattern: re.Pattern[str]) -> list[re.Match[str]]:
    """Matches of ``pattern`` in ``text`` that are real mentions (not parts of longer names)."""
    return [m for m in pattern.finditer(text) if not _embedded(text, m)]


def find_passage(
    article: Article,
    object_forms: Sequence[str],
    subject_forms: Sequence[str] = (),
    *,
    replacement: str | None = None,
    max_sentences: int = MAX_SENTENCES,
    counter_forms: Sequence[str] = (),
) -> Passage | None:
    """The first passage of ``article`` that mentions the object and names the subject.

    Sentences mentioning the object are tried in order; for each, the window of 1, 2, then 3
    sentences ending with it is taken if it names the subject. With no such window, the first
    sentence mentioning the object is returned (``mentions_subject=False``: the subject is
    implicit, as usual in its own article).

    Args:
        article: The subject's article.
        object_forms: Object label and aliases in the article's language.
        subject_forms: Subject label and aliases (a window naming it is preferred).
        replacement: Counterfactual label; when given, ``counter_text`` is filled.
        max_sentences: Longest window (1–3 by default).
        counter_forms: Surface forms of the counterfactual: a window that already names it is
            skipped (replacing the object there would make the passage contradict itself).

    Returns:
        The passage, or ``None`` when no sentence mentions the object.
    """
    obj_re = mention_regex(object_forms)
    if obj_re is None:
        return None
    subj_re = mention_regex(subject_forms)
    cf_re = mention_regex([*counter_forms, *([replacement] if replacement else [])])
    sentences = article_sentences(article)
    fallback: Passage | None = None
    for i, sent in enumerate(sentences):
        if not mentions(sent, obj_re):
            continue
        for size in range(1, max_sentences + 1):
            start = i - size + 1
            if start < 0:
                break
            window = " ".join(sentences[start : i + 1])
            if cf_re is not None and cf_re.search(window):
                break
            if subj_re is not None and subj_re.search(window):
                return _passage(article, window, obj_re, size, True, replacement)
        if fallback is None and not (cf_re is not None and cf_re.search(sent)):
            fallback = _passage(article, sent, obj_re, 1, False, replacement)
        if subj_re is None:
            return fallback
    return fallback


def _passage(
    article: Article, text: str, obj_re: re.Pattern[str], n: int, with_subject: bool, replacement: str | None
) -> Passage:
    found = tuple(m.group(0) for m in mentions(text, obj_re))
    counter = replace_mentions(text, obj_re, replacement) if replacement is not None else None
    return passage_of(article, text, found, n, with_subject, counter, replacement)


def passage_of(article: Article, text: str, found: tuple[str, ...], n: int, with_subject: bool,
               counter: str | None = None, replacement: str | None = None) -> Passage:
    """A :class:`Passage` of ``article``: ``text`` with its object mentions ``found``."""
    return Passage(
        text=text,
        counter_text=counter,
        title=article.title,
        language=article.language,
        revision_id=article.revision_id,
        url=article.url or article_url(article.title, article.language, article.revision_id),
        license=article.license,
        mentions=found,
        mentions_subject=with_subject,
        n_sentences=n,
        replacement=replacement,
    )


def replace_mentions(text: str, pattern: re.Pattern[str], replacement: str) -> str:
    """Replace every match of ``pattern`` by ``replacement``.

    A surface form that ends with a period (``Washington, D.C.``) and closes its sentence keeps
    the sentence's period when the replacement has none: ``…, D.C. The …`` becomes
    ``…, Philadelphia. The …``.
    """

    def sub(m: re.Match[str]) -> str:
        if _embedded(text, m):
            return m.group(0)  # "Northern Ireland" is not a mention of Ireland
        if m.group(0).endswith(".") and not replacement.endswith("."):
            rest = text[m.end() :]
            if not rest.strip() or (rest[:1].isspace() and rest.lstrip()[:1].isupper()):
                return replacement + "."
        return replacement

    return pattern.sub(sub, text)


def counter_passage(passage: Passage, object_forms: Sequence[str], replacement: str) -> Passage:
    """The same passage with every mention of the object replaced by ``replacement``.

    Every surface form (label and aliases, any case) is replaced by the same label, so the
    counter passage asserts the counterfactual consistently.
    """
    obj_re = mention_regex(object_forms)
    if obj_re is None:
        return replace(passage, counter_text=passage.text, replacement=replacement)
    return replace(
        passage, counter_text=replace_mentions(passage.text, obj_re, replacement), replacement=replacement
    )


# -- the pipeline hook --------------------------------------------------------------------------


def attach_passages(
    rows: list[dict[str, Any]],
    find_article: Callable[[dict[str, Any], str], Article | None],
    rejects: Any = None,
    quiet: bool = False,
) -> list[dict[str, Any]]:
    """Fill ``wiki_context_original`` / ``wiki_context_counter`` / ``wiki_source`` of rows.

    Only rows whose object is an item are looked for. Rows without a passage keep their template
    contexts; their number is logged and, when ``rejects`` has a ``counts`` counter, counted
    under ``no_wikipedia_passage`` (informational, the row is kept).

    Args:
        rows: Built rows (see ``kcdata.render.rows.build_row``).
        find_article: ``(row subject, language) -> Article | None`` (see
            :func:`kcdata.sources.wikipedia.article_finder`).
        rejects: The build's rejects (optional).
        quiet: Count without logging (a build's batches: :class:`BatchPassages` logs once).

    Returns:
        The rows, with Wikipedia fields filled where a passage was found.
    """
    missing = 0
    for row in rows:
        obj = row.get("object") or {}
        if obj.get("value_type") != "item" or not obj.get("label"):
            continue
        subj = row["subject"]
        article = find_article(subj, row["language"])
        passage = None
        if article is not None:
            passage = find_passage(
                article,
                [obj["label"], *obj.get("aliases", [])],
                [subj["label"], *subj.get("aliases", [])],
                replacement=row["counterfactual"]["label"],
                counter_forms=row.get("counter_answers") or (),
            )
        if passage is None:
            missing += 1
            continue
        row["wiki_context_original"] = passage.text
        row["wiki_context_counter"] = passage.counter_text
        row["wiki_source"] = passage.source()
    if missing:
        if not quiet:
            log.info("%d rows have no Wikipedia passage and keep their template contexts", missing)
        counts = getattr(rejects, "counts", None)
        if counts is not None:
            counts["no_wikipedia_passage"] += missing
    return rows


class BatchPassages:
    """``passages_v1`` over a build's batches of rows: each batch gets its passages after
    validation (:func:`attach_passages`), and :meth:`close` logs once how many rows of the whole
    build kept their template contexts."""

    def __init__(self, find_article: Callable[[dict[str, Any], str], Article | None]) -> None:
        self.find_article = find_article
        self.counts: Counter[str] = Counter()
        self._logged = False

    def __call__(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return attach_passages(rows, self.find_article, self, quiet=True)

    def close(self) -> None:
        missing = self.counts["no_wikipedia_passage"]
        if missing and not self._logged:
            self._logged = True
            log.info("%d rows have no Wikipedia passage and keep their template contexts", missing)
