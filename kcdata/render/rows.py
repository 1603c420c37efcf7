"""Where a row is born: render one (fact, language) into a dataset row dict.

The row's fields and their order are those of ``schemas/row.schema.json`` (:func:`kcdata.schemas.row_fields`);
a test holds :func:`build_row` to it.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from kcdata import __version__
from kcdata.errors import SkipItem
from kcdata.labels import LabelStore
from kcdata.normalise import any_overlap, matchable_alias, names
from kcdata.relations import RelationSpec
from kcdata.render import format_date, format_number, number_forms, render
from kcdata.types import Classification, Counterfactual, Fact, Provenance, Statement, Value


def value_forms(value: Value, lang: str, store: LabelStore) -> tuple[str | None, list[str]]:
    """The label and every accepted surface form of a value in ``lang`` (label first)."""
    if value.type == "item":
        forms = store.forms(value.item, lang)
        return (forms[0] if forms else None), forms
    if value.type == "quantity" and value.quantity is not None:
        forms = number_forms(value.quantity.amount, lang)
        return forms[0], forms
    if value.type == "time" and value.time is not None:
        label = format_date(value.time, lang)
        forms = [label] + ([value.time.iso()] if value.time.iso() != label else [])
        return label, forms
    if value.type in ("string", "monolingualtext") and value.text:
        if value.type == "monolingualtext" and value.language and value.language.split("-")[0] != lang:
            return None, []
        return value.text, [value.text]
    return None, []


def _safe(forms: list[str], lang: str) -> list[str]:
    """The label, then the aliases safe in a contains-match list (:func:`matchable_alias`)."""
    return forms[:1] + [f for f in forms[1:] if matchable_alias(f, lang)]


def _forms(value: Value, lang: str, store: LabelStore, v2: bool) -> tuple[str | None, list[str]]:
    label, forms = value_forms(value, lang, store)
    return label, (_safe(forms, lang) if v2 and value.type == "item" else forms)


def _context(spec: RelationSpec, templates: Any, lang: str, fact_id: str, subject: str, obj: str,
             start: Any, tidy: bool) -> tuple[str, str]:
    """One context and its template id: a dated template with ``start`` when given, else an
    undated one; the template is picked by the fact id (seed-independent). ``tidy`` mends the
    punctuation a label can bring (``v. Chr..``: one full stop)."""
    pool, pool_name = (templates.dated_contexts, "dated_contexts") if start is not None else (templates.contexts, "contexts")
    idx = _pick(pool, fact_id)
    template_id = f"{spec.slug}/{lang}.yaml#{pool_name}[{idx}]"
    variables = {"subject": subject, "object": obj}
    if start is not None:
        variables["start"] = format_date(start, lang)
    text = render(pool[idx], template_id, **variables)
    return (_tidy(text) if tidy else text), template_id


_DOUBLE_STOP = re.compile(r"(?<=[^.\s])\.\.(?!\.)")


def _tidy(text: str) -> str:
    """One full stop where a label ending in one meets the template's (``D.C..`` becomes ``D.C.``)."""
    return _DOUBLE_STOP.sub(".", text)


def _pick(options: tuple[str, ...], fact_id: str) -> int:
    # Seed-independent choice so that a new seed changes only counterfactuals.
    return int(hashlib.sha256(fact_id.encode()).hexdigest(), 16) % len(options)


def _start_of(s: Statement):
    return s.start or s.point_in_time


def build_row(
    fact: Fact,
    cls: Classification,
    cf: Counterfactual,
    spec: RelationSpec,
    lang: str,
    store: LabelStore,
    source: str,
    dump_date: str | None = None,
    retrieved: str | None = None,
    snapshot_date: str | None = None,
    snapshot_basis: str | None = None,
    answers_version: str = "answers_v1",
    contexts_version: str = "contexts_v1",
) -> dict[str, Any]:
    """Render one dataset row.

    Args:
        snapshot_date: YYYY-MM-DD the subject's data was recorded (its knowledge horizon).
        snapshot_basis: what ``snapshot_date`` rests on (``modified``, ``dump_date``, ...).
        answers_version: ``answers_v1`` or ``answers_v2`` (every current value named, unsafe
            aliases left out of the alias lists, overlaps judged by the scorer's normaliser).
        contexts_version: ``contexts_v1`` (the counter context is the original's template with
            the counterfactual put in, dates included) or ``contexts_v2`` (the counter context
            carries the counterfactual's own dates or none, never names an original form, and
            double full stops are tidied).

    Raises:
        SkipItem: with the reason the fact cannot be rendered in ``lang`` (missing label or
            template); rows never fall back to another language silently.
    """
    v2 = answers_version == "answers_v2"
    cf_statement = next((st for st in (*cls.former, *cls.rivals) if st.value.key() == cf.value.key()), None)
    templates = spec.languages.get(lang)
    if templates is None:
        raise SkipItem("no_template_for_language", f"{spec.slug} has no {lang}.yaml")
    subject = store.label(fact.subject, lang)
    if not subject:
        raise SkipItem("missing_subject_label", f"{fact.subject} has no {lang} label")
    main = cls.current[0]
    obj_label, obj_forms = _forms(main.value, lang, store, v2)
    if not obj_label:
        raise SkipItem("missing_object_label", f"{main.value.key()} has no {lang} label")
    cf_label, cf_forms = _forms(cf.value, lang, store, v2)
    if not cf_label:
        raise SkipItem("missing_counterfactual_label", f"{cf.value.key()} has no {lang} label")

    answers: list[str] = []
    # A disputable row's answer is the original party's value; the others are rival answers.
    for s in (main,) if cls.fact_type == "disputable" else cls.current:
        label, forms = _forms(s.value, lang, store, v2)
        if v2 and not label:
            # answers_v2: a row that cannot name every current value would mark a true answer wrong
            raise SkipItem("missing_answer_label", f"{s.value.key()} (a current value) has no {lang} label")
        answers.extend(f for f in forms if f not in answers)
    if v2 and any_overlap(cf_forms, answers, lang):
        raise SkipItem("counterfactual_collides", f"{cf_label!r} overlaps an accepted answer in {lang}")
    if not v2 and (cf_label in answers or any(f in answers for f in cf_forms)):
        raise SkipItem("counterfactual_collides", f"{cf_label!r} is an accepted answer in {lang}")
    rival_answers: list[str] = []
    for s in cls.rivals:
        _, forms = _forms(s.value, lang, store, v2)
        rival_answers.extend(f for f in forms if f not in rival_answers)

    questions = [render(q, f"{spec.slug}/{lang}.yaml#questions[{i}]", subject=subject)
                 for i, q in enumerate(templates.questions)]
    start = _start_of(main)
    original_dated = cls.fact_type == "temporal" and start is not None and bool(templates.dated_contexts)
    tidy = contexts_version == "contexts_v2"
    context_original, template_id = _context(spec, templates, lang, fact.id, subject, obj_label,
                                             start if original_dated else None, tidy)
    if tidy:
        # The counter document carries the counterfactual's own dates, never the original's: an
        # outdated value its own start (or point in time), any other counterfactual none.
        cf_start = _start_of(cf_statement) if cf_statement is not None else None
        cf_dated = cf_start is not None and bool(templates.dated_contexts)
        context_counter, counter_template_id = _context(spec, templates, lang, fact.id, subject, cf_label,
                                                        cf_start if cf_dated else None, tidy)
        names_original = [f for f in answers if names(context_counter, f, lang)]
        if names_original:
            raise SkipItem("counter_context_names_original",
                           f"{lang} counter context names {names_original[0]!r}: {context_counter}")
    else:
        context_counter, counter_template_id = _context(spec, templates, lang, fact.id, subject, cf_label,
                                                        start if original_dated else None, tidy)

    obj_id = main.value.item if main.value.type == "item" else None
    subject_forms = store.forms(fact.subject, lang)
    if v2:
        subject_forms = _safe(subject_forms, lang)
    valid_from = start.iso() if start is not None else None
    valid_until = main.end.iso() if main.end is not None else None
    return {
        "id": f"{fact.id}:{lang}",
        "fact_id": fact.id,
        "language": lang,
        "kind": cls.fact_type,
        "relation": fact.relation,
        "relation_label": spec.label,
        "subject": {"id": fact.subject, "label": subject, "aliases": subject_forms[1:]},
        "object": {
            "id": obj_id,
            "label": obj_label,
            "aliases": [f for f in obj_forms if f != obj_label],
            "value_type": main.value.type,
        },
        "answers": answers,
        "question": questions[0],
        "paraphrases": questions,
        "context_original": context_original,
        "context_counter": context_counter,
        "wiki_context_original": None,
        "wiki_context_counter": None,
        "wiki_source": None,
        "counterfactual": {
            "id": cf.value.item if cf.value.type == "item" else None,
            "label": cf_label,
            "aliases": [f for f in cf_forms if f != cf_label],
            "strategy": cf.strategy,
        },
        "counter_answers": cf_forms,
        "rival_answers": rival_answers,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "last_change": cls.last_change.iso() if cls.last_change is not None else None,
        "as_of": cls.as_of,
        "snapshot_date": snapshot_date,
        "rule": cls.rule,
        "evidence": [{"property": p, "value": v} for p, v in cls.evidence],
        "popularity": store.sitelinks(fact.subject),
        "provenance": Provenance(
            source=source,
            entity_revision=fact.revision,
            dump_date=dump_date,
            retrieved=retrieved,
            snapshot_basis=snapshot_basis,
            template_id=template_id,
            counter_template_id=counter_template_id,
            template_version=spec.template_version(lang),
            tool_version=__version__,
        ).as_dict(),
    }


__all__ = ["build_row", "value_forms", "format_number"]
