"""Where a row is born: render one (fact, language) into a dataset row dict.

The row's fields and their order are those of ``schemas/row.schema.json`` (:func:`kcdata.schemas.row_fields`);
a test holds :func:`build_row` to it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from typing import Any

from kcdata import __version__
from kcdata.errors import SkipItem
from kcdata.labels import LabelStore
from kcdata.normalise import any_overlap, matchable_alias, names
from kcdata.relations import RelationSpec
from kcdata.render import format_date, format_number, number_forms, render
from kcdata.render.grammar import VARIABLE, date_answer_forms, date_forms, initial, load_grammar
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


def _forms(value: Value, lang: str, store: LabelStore, v2: bool, v3: bool = False,
           object_class: str | None = None) -> tuple[str | None, list[str]]:
    """The label and accepted forms; ``v3`` (contexts_v3) adds the forms its contexts write:
    date phrases, and inflected names without their articles and prepositions. An item's are
    worked out once per store (objects recur: a country is the answer of thousands of rows)."""
    if value.type != "item":
        return _forms_of(value, lang, store, v2, v3, object_class)

    def make() -> tuple[str | None, tuple[str, ...]]:
        label, forms = _forms_of(value, lang, store, v2, v3, object_class)
        return label, tuple(forms)  # kept; each caller gets its own list

    label, forms = store.remember(("forms", value.item, lang, v2, v3, object_class), make)
    return label, list(forms)


def _forms_of(value: Value, lang: str, store: LabelStore, v2: bool, v3: bool,
              object_class: str | None) -> tuple[str | None, list[str]]:
    label, forms = value_forms(value, lang, store)
    if v3 and value.type == "time" and value.time is not None:
        forms = date_answer_forms(value.time, lang, forms)
    forms = _safe(forms, lang) if v2 and value.type == "item" else forms
    grammar = load_grammar(lang) if v3 and value.type == "item" and label else None
    if grammar is not None:
        known = grammar.entity_forms(value.item, label, store.classes(value.item), store.gender(value.item), object_class)
        forms = forms + [t for t in grammar.answer_texts(known) if t not in forms and not any(f in t for f in forms)]
    return label, forms


# ---------------------------------------------------------------- contexts_v3: grammatical forms


def _role(role: str, text: str, forms: dict[str, str]) -> dict[str, str]:
    """Template variables of one role: the bare text, each known form, and its sentence-initial
    variant (``subject_of``, ``subject_Of``)."""
    out = {role: text}
    for name, form in forms.items():
        out[f"{role}_{name}"] = form
        out[f"{role}_{name[:1].upper()}{name[1:]}"] = initial(form)
    return out


def _value_variables(role: str, value: Value, label: str, lang: str, store: LabelStore,
                     object_class: str | None) -> dict[str, str]:
    if role == "object" and value.type == "item":  # an object recurs, a subject hardly
        return dict(store.remember(("variables", value.item, label, lang, object_class),
                                   lambda: _variables_of(role, value, label, lang, store, object_class)))
    return _variables_of(role, value, label, lang, store, object_class)


def _variables_of(role: str, value: Value, label: str, lang: str, store: LabelStore,
                  object_class: str | None) -> dict[str, str]:
    grammar = load_grammar(lang)
    if value.type == "item" and grammar is not None:
        forms = grammar.entity_forms(value.item, label, store.classes(value.item), store.gender(value.item),
                                     object_class)
    elif value.type == "time" and value.time is not None:
        forms = date_forms(value.time, lang)
    elif value.type == "quantity":
        forms = {"nom": label}
    else:
        forms = {}
    return _role(role, label, forms)


@functools.lru_cache(maxsize=4096)
def _variables(template: str) -> tuple[tuple[str, str], ...]:
    """The (role, form) pairs a template names, once per template."""
    return tuple(VARIABLE.findall(template))


@functools.lru_cache(maxsize=4096)
def _needs(pool: tuple[str, ...], item_roles: frozenset[str]) -> tuple[tuple[frozenset[str], bool], ...]:
    """Per template of ``pool``: the variable names it needs (``subject_gen``, ``object``) and
    whether it names a grammatical form of an item (the subject, an item object): the forms that
    can be unknown. Date and number forms are always known. Once per pool."""
    return tuple((frozenset(role + (f"_{form}" if form else "") for role, form in _variables(t)),
                  any(form and role in item_roles for role, form in _variables(t))) for t in pool)


def _eligible(pool: tuple[str, ...], variables: dict[str, str], rich: bool,
              item_roles: frozenset[str] = frozenset({"subject"})) -> list[int]:
    """Indices of the templates in ``pool`` whose every variable is known, of one tier: those
    naming forms of items (``rich``) or the fallback naming none, correct for any label."""
    return list(_eligible_for(pool, frozenset(variables), rich, item_roles))


@functools.lru_cache(maxsize=4096)  # the forms known of a name recur: a pool's choice once per set
def _eligible_for(pool: tuple[str, ...], known: frozenset[str], rich: bool, item_roles: frozenset[str]) -> tuple[int, ...]:
    return tuple(i for i, (need, uses_forms) in enumerate(_needs(pool, item_roles)) if uses_forms == rich and known >= need)


def _grammatical_questions(spec: RelationSpec, templates: Any, lang: str, subject_vars: dict[str, str]) -> list[str] | None:
    """The grammatical questions the subject's known forms allow, those naming forms first, then
    the fallback ones (correct for any label); None without a grammatical block."""
    block = templates.grammatical
    if block is None:
        return None
    chosen = _eligible(block.questions, subject_vars, True) + _eligible(block.questions, subject_vars, False)
    return [_sentence_start(render(block.questions[i], f"{spec.slug}/{lang}.yaml#grammatical.questions[{i}]", **subject_vars))
            for i in chosen] or None


def _grammatical_contexts(spec: RelationSpec, templates: Any, lang: str, fact_id: str,
                          sides: list[tuple[dict[str, str], bool]], item_roles: frozenset[str]) -> list[tuple[str, str]] | None:
    """One grammatical context per side (its variables, and whether it is dated), all of the same
    tier so that the counter context never differs from the original in form; None when the
    block has no template every side can use."""
    block = templates.grammatical
    if block is None:
        return None
    for rich in (True, False):
        picks = []
        for variables, dated in sides:
            pool, name = (block.dated_contexts, "dated_contexts") if dated else (block.contexts, "contexts")
            chosen = _eligible(pool, variables, rich, item_roles)
            if not chosen:
                break
            idx = chosen[_pick(tuple(chosen), fact_id)]
            picks.append((pool, name, idx, variables))
        else:
            return [(_sentence_start(_tidy(render(pool[idx], f"{spec.slug}/{lang}.yaml#grammatical.{name}[{idx}]", **variables))),
                     f"{spec.slug}/{lang}.yaml#grammatical.{name}[{idx}]") for pool, name, idx, variables in picks]
    return None


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


_LOWER_WORD = re.compile(r"[^\W\d_]+(?=[\W]|$)")


def _sentence_start(text: str) -> str:
    """contexts_v3: a sentence starts with a capital even when a label does not ("pont du Forth :
    ..."); a word in mixed case (iPhone, eBay) is left as written."""
    m = _LOWER_WORD.match(text)
    if m and m.group(0).islower():
        return text[:1].upper() + text[1:]
    return text


def _pick(options: tuple[str, ...], fact_id: str) -> int:
    # Seed-independent choice so that a new seed changes only counterfactuals.
    return _fact_number(fact_id) % len(options)


@functools.lru_cache(maxsize=1024)  # asked for each language and side of a fact in a row
def _fact_number(fact_id: str) -> int:
    return int(hashlib.sha256(fact_id.encode()).hexdigest(), 16)


def _coarse(t: Any, precision: int | None) -> Any:
    """``t`` no finer than ``precision`` (a shared precision for two dates)."""
    if t is None or precision is None or t.precision <= precision:
        return t
    return dataclasses.replace(t, precision=precision)


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
            double full stops are tidied) or ``contexts_v3`` (v2, with questions and contexts from
            the ``grammatical`` templates where the grammar of every name and date they need is
            known, :mod:`kcdata.render.grammar`; dates also accepted as the contexts write them).

    Raises:
        SkipItem: with the reason the fact cannot be rendered in ``lang`` (missing label or
            template); rows never fall back to another language silently.
    """
    v2 = answers_version == "answers_v2"
    v3 = contexts_version == "contexts_v3"
    cf_statement = next((st for st in (*cls.former, *cls.rivals) if st.value.key() == cf.value.key()), None)
    templates = spec.languages.get(lang)
    if templates is None:
        raise SkipItem("no_template_for_language", f"{spec.slug} has no {lang}.yaml")
    subject = store.label(fact.subject, lang)
    if not subject:
        raise SkipItem("missing_subject_label", f"{fact.subject} has no {lang} label")
    main = cls.current[0]
    obj_label, obj_forms = _forms(main.value, lang, store, v2, v3, spec.object_class)
    if not obj_label:
        raise SkipItem("missing_object_label", f"{main.value.key()} has no {lang} label")
    cf_label, cf_forms = _forms(cf.value, lang, store, v2, v3, spec.object_class)
    if not cf_label:
        raise SkipItem("missing_counterfactual_label", f"{cf.value.key()} has no {lang} label")

    answers: list[str] = []
    # A disputable row's answer is the original party's value; the others are rival answers.
    for s in (main,) if cls.fact_type == "disputable" else cls.current:
        label, forms = ((obj_label, obj_forms) if s is main
                        else _forms(s.value, lang, store, v2, v3, spec.object_class))
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
        _, forms = _forms(s.value, lang, store, v2, v3, spec.object_class)
        rival_answers.extend(f for f in forms if f not in rival_answers)

    start = _start_of(main)
    original_dated = cls.fact_type == "temporal" and start is not None and bool(templates.dated_contexts)
    tidy = contexts_version in ("contexts_v2", "contexts_v3")
    # The counter document carries the counterfactual's own dates, never the original's: an
    # outdated value its own start (or point in time), any other counterfactual none.
    cf_start = _start_of(cf_statement) if cf_statement is not None else None
    cf_dated = cf_start is not None and bool(templates.dated_contexts)
    questions = grammatical = None
    if contexts_version == "contexts_v3":
        subject_vars = _value_variables("subject", Value(type="item", item=fact.subject), subject, lang, store, None)
        questions = _grammatical_questions(spec, templates, lang, subject_vars)
        # Both documents dated, or neither: a dated original beside an undated counter (a number
        # or a substitute, which have no dates of their own) would tell them apart by form.
        both_dated = original_dated and cf_dated
        # ... and at one precision: "1 January 2016" beside "2010" would as well.
        shared = min(start.precision, cf_start.precision) if both_dated else None
        sides = []
        for value, label, when, dated in ((main.value, obj_label, _coarse(start, shared), both_dated),
                                          (cf.value, cf_label, _coarse(cf_start, shared), both_dated)):
            variables = {**subject_vars, **_value_variables("object", value, label, lang, store, spec.object_class)}
            if dated:
                variables.update(_role("start", format_date(when, lang), date_forms(when, lang)))
            sides.append((variables, dated))
        item_roles = frozenset({"subject", "object"} if main.value.type == "item" else {"subject"})
        grammatical = _grammatical_contexts(spec, templates, lang, fact.id, sides, item_roles)
    uses_block = questions is not None or grammatical is not None
    grammar = load_grammar(lang) if uses_block else None
    grammar_version = grammar.version if grammar is not None else (0 if uses_block else None)
    if questions is None:
        questions = [render(q, f"{spec.slug}/{lang}.yaml#questions[{i}]", subject=subject)
                     for i, q in enumerate(templates.questions)]
    if grammatical is not None:
        (context_original, template_id), (context_counter, counter_template_id) = grammatical
    else:
        context_original, template_id = _context(spec, templates, lang, fact.id, subject, obj_label,
                                                 start if original_dated else None, tidy)
        if tidy:
            context_counter, counter_template_id = _context(spec, templates, lang, fact.id, subject, cf_label,
                                                            cf_start if cf_dated else None, tidy)
        else:
            context_counter, counter_template_id = _context(spec, templates, lang, fact.id, subject, cf_label,
                                                            start if original_dated else None, tidy)
    if tidy:
        names_original = [f for f in answers if names(context_counter, f, lang)]
        if names_original:
            raise SkipItem("counter_context_names_original",
                           f"{lang} counter context names {names_original[0]!r}: {context_counter}")

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
            template_version=spec.template_version(lang, grammar_version),
            tool_version=__version__,
        ).as_dict(),
    }


__all__ = ["build_row", "value_forms", "format_number"]
