"""Wikipedia passages v2 (``passages: passages_v2``): a passage that states the relation, and a
counter version that reads as a consistent document.

What changed from :mod:`kcdata.render.passages` (``passages_v1``, still selectable):

* **States the relation.** The sentence naming the object also has one of the relation's cue
  words in that language (``passage_cues`` in ``<lang>.yaml``: "capital", "prime minister", ...;
  a language without cues gets no passages), and it names the subject, or continues a sentence
  that does, opening with a pronoun ("Its capital is ...") or with a definite article and the cue
  ("The capital is Washington, D.C."). "The Royal Academy in London ..." states no capital.
* **Real mentions only.** Forms are matched on word boundaries; short forms (4 characters or
  fewer) and all-capital acronyms case-sensitively ("US" never matches "us"); never inside a longer
  name: a capitalised word right before or after a mention, other than a sentence opener, makes it
  part of another name ("Northern Ireland", "Queen Elizabeth II", "Republican Donald Trump").
* **Nothing of the original left.** The sentences naming the object state no number and no date:
  those would be facts of the original ("since 13 July 2016", "a population of 10.3 million"). Every
  mention is replaced; in English "a"/"an" before it is made to agree; in languages whose articles
  agree in gender (de, fr, ...) a mention right after an article drops the passage; a form of the
  original left over after the replacement drops it too.
* **Chosen before the counterfactual.** The passage is found from the subject and the object
  alone, so it does not depend on the seed; ``substitute_v2`` then avoids candidates the passage
  names, and a passage naming an outdated or rival counterfactual is dropped.

Every drop has a named reason (``passage_*``), counted in the manifest and listed in
``rejects.jsonl``; the row keeps its template contexts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from kcdata.normalise import matchable_alias
from kcdata.render.passages import Passage, article_sentences, passage_of
from kcdata.sources.wikipedia import Article

SHORT_FORM = 4
"""Forms this short (or all capitals) are matched case-sensitively."""

PRONOUNS = {
    "en": ("He", "She", "It", "They", "Its", "His", "Her", "Their"),
    "de": ("Er", "Sie", "Es", "Sein", "Seine", "Ihr", "Ihre"),
    "fr": ("Il", "Elle", "Ils", "Elles", "Son", "Sa", "Ses", "Leur"),
    "ru": ("Он", "Она", "Оно", "Они", "Его", "Её", "Их"),
}
"""Sentence openers that continue a sentence naming the subject."""

AGREEING_ARTICLES = {
    "de": {"der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines"},
    "fr": {"le", "la", "les", "l'", "un", "une", "du", "au", "aux"},
    "es": {"el", "la", "los", "las", "un", "una", "del", "al"},
    "it": {"il", "lo", "la", "i", "gli", "le", "un", "uno", "una"},
}
"""Articles that agree with the noun after them: replacing that noun could break agreement."""

_NUMBER = re.compile(r"\d")
_WORD_BEFORE = re.compile(r"(\w[\w'’-]*)\s*$")
_WORD_AFTER = re.compile(r"^\s+(\w[\w'’-]*)")


def mention_regex(surface_forms: Iterable[str]) -> re.Pattern[str] | None:
    """One regex over the forms, longest first, on word boundaries; short forms and acronyms
    case-sensitive, the others case-insensitive."""
    forms = sorted({f.strip() for f in surface_forms if f and f.strip()}, key=lambda s: (-len(s), s))
    if not forms:
        return None
    parts = [re.escape(f) if len(f) <= SHORT_FORM or f.isupper() else f"(?i:{re.escape(f)})" for f in forms]
    return re.compile(rf"(?<!\w)(?:{'|'.join(parts)})(?!\w)")


def embedded(text: str, m: re.Match[str], language: str = "en") -> bool:
    """Whether a mention is part of a longer name: a capitalised neighbour word that is not a
    function word ("Queen Elizabeth II", "Northern Ireland", "Republican Donald Trump", "Donald
    Trump Tower"); "The", "In" or a sentence's first word after a full stop are no name parts."""
    before = _WORD_BEFORE.search(text[max(0, m.start() - 40) : m.start()])
    if before and before.group(1)[:1].isupper() and text[m.start() - 1 : m.start()] == " ":
        if not _function_word(before.group(1), language):
            return True
    after = _WORD_AFTER.search(text[m.end() : m.end() + 40])
    return bool(after and text[m.end() : m.end() + 1] == " " and after.group(1)[:1].isupper()
                and not _function_word(after.group(1), language))


def _function_word(word: str, language: str) -> bool:
    from kcdata.normalise import stop_words

    return word.casefold() in stop_words(language)


def real_mentions(text: str, pattern: re.Pattern[str] | None, language: str = "en") -> list[re.Match[str]]:
    """The matches of ``pattern`` in ``text`` that are mentions in their own right."""
    return [] if pattern is None else [m for m in pattern.finditer(text) if not embedded(text, m, language)]


DEFINITE = {"en": ("The",), "de": ("Der", "Die", "Das"), "fr": ("Le", "La", "Les"), "es": ("El", "La"), "it": ("Il", "La")}


def find_passage(article: Article, object_forms: Sequence[str], subject_forms: Sequence[str],
                 language: str, cues: Sequence[str] = ()) -> tuple[Passage | None, str]:
    """The first passage of ``article`` that states the relation (see the module docstring).

    Returns:
        ``(passage, "")``, or ``(None, reason)``: ``passage_no_relation_cue`` (no cues in this
        language), ``passage_no_object_mention``, ``passage_no_subject_sentence`` or
        ``passage_states_numbers``.
    """
    if not cues:
        return None, "passage_no_relation_cue"
    obj_re, subj_re = mention_regex(object_forms), mention_regex(subject_forms)
    cue_re = re.compile(rf"(?<!\w)(?:{'|'.join(re.escape(c) for c in cues)})(?!\w)", re.IGNORECASE)
    sentences = article_sentences(article)
    reason = "passage_no_object_mention"
    for i, sent in enumerate(sentences):
        if not real_mentions(sent, obj_re, language):
            continue
        reason = "passage_no_subject_sentence" if reason == "passage_no_object_mention" else reason
        cue = cue_re.search(sent)
        if cue is None:
            continue
        opener = sent.split(" ", 1)[0]
        continues = opener in PRONOUNS.get(language, ()) or (
            opener in DEFINITE.get(language, ()) and len(sent[: cue.start()].split()) <= 3)
        window: list[str] | None = None
        if real_mentions(sent, subj_re, language):
            window = [sent]
        elif i > 0 and continues and real_mentions(sentences[i - 1], subj_re, language):
            window = [sentences[i - 1], sent]
        if window is None:
            continue
        if _NUMBER.search(sent):
            reason = "passage_states_numbers"
            continue
        text = " ".join(window)
        found = tuple(m.group(0) for m in real_mentions(text, obj_re, language))
        return passage_of(article, text, found, len(window), True), ""
    return None, reason


def counter_text(passage: Passage, object_forms: Sequence[str], replacement: str, language: str) -> tuple[str | None, str]:
    """The passage with every mention of the object replaced by ``replacement``.

    Returns:
        ``(text, "")``, or ``(None, reason)``: ``passage_article_agreement`` (a gendered article
        before a mention) or ``passage_original_left`` (a form of the object still there).
    """
    obj_re = mention_regex(object_forms)
    text = passage.text
    out: list[str] = []
    pos = 0
    for m in real_mentions(text, obj_re, language):
        head = text[pos : m.start()]
        before = _WORD_BEFORE.search(head)
        word = before.group(1).casefold() if before else ""
        if word in AGREEING_ARTICLES.get(language, set()):
            return None, "passage_article_agreement"
        if language == "en" and word in ("a", "an") and before is not None:
            article = "an" if replacement[:1].casefold() in "aeiou" else "a"
            if before.group(1)[:1].isupper():
                article = article.capitalize()
            head = head[: before.start(1)] + article + head[before.end(1) :]
        out.append(head)
        sep = "" if not m.group(0).endswith(".") or replacement.endswith(".") else "."
        rest = text[m.end() :]
        out.append(replacement + (sep if sep and (not rest.strip() or rest[:1].isspace() and rest.lstrip()[:1].isupper()) else ""))
        pos = m.end()
    out.append(text[pos:])
    new = "".join(out)
    if real_mentions(new, obj_re, language):
        return None, "passage_original_left"
    return new, ""


# -- the build's hooks: passages before the counterfactual, counter text after it ---------------


def matchable_forms(store: Any, qid: str | None, language: str) -> list[str]:
    """The label and the aliases safe to look for in running text (:func:`matchable_alias`)."""
    forms = store.forms(qid, language)
    return forms[:1] + [f for f in forms[1:] if matchable_alias(f, language)]


def choose_passages(
    subject: str, object_item: str | None, store: Any, languages: Sequence[str],
    find_article: Callable[[dict[str, Any], str], Article | None], cues: Any = None,
) -> tuple[dict[str, Passage], list[tuple[str, str]]]:
    """The passage of each row language for a fact, found before its counterfactual.

    Returns:
        ``({language: passage}, [(language, reason), ...])`` for the languages without one
        (``passage_no_article`` or a reason of :func:`find_passage`). ``cues`` maps a language to
        the relation's cue words.
    """
    found: dict[str, Passage] = {}
    missing: list[tuple[str, str]] = []
    if object_item is None:
        return found, missing
    for lang in languages:
        label = store.label(subject, lang)
        object_forms = matchable_forms(store, object_item, lang)
        if not label or not object_forms:
            continue
        subject_forms = matchable_forms(store, subject, lang)
        article = find_article({"id": subject, "label": label, "aliases": subject_forms[1:]}, lang)
        if article is None:
            missing.append((lang, "passage_no_article"))
            continue
        passage, reason = find_passage(article, object_forms, subject_forms, lang, (cues or {}).get(lang, ()))
        if passage is None:
            missing.append((lang, reason))
        else:
            found[lang] = passage
    return found, missing


def attach(row: dict[str, Any], passage: Passage, store: Any, object_item: str, counter_item: str | None) -> str:
    """Fill a row's ``wiki_*`` fields from its passage; ``""`` when done, else the reason it was
    left out (``passage_names_counterfactual`` or a reason of :func:`counter_text`)."""
    lang = row["language"]
    replacement = row["counterfactual"]["label"]
    counter_forms = matchable_forms(store, counter_item, lang) if counter_item else [replacement]
    if real_mentions(passage.text, mention_regex(counter_forms), lang):
        return "passage_names_counterfactual"
    text, reason = counter_text(passage, matchable_forms(store, object_item, lang), replacement, lang)
    if text is None:
        return reason
    row["wiki_context_original"] = passage.text
    row["wiki_context_counter"] = text
    row["wiki_source"] = passage.source()
    return ""
