"""Every relation × language renders on a real fact; dates and numbers at their precision."""

from __future__ import annotations

import datetime as dt

import pytest

from kcdata.classify import classify
from kcdata.counterfactual import Pool, choose
from kcdata.errors import ConfigError, SkipItem
from kcdata.facts import parse_entity
from kcdata.relations import load_relations, resolve_relations
from kcdata.render import format_date, format_number, render
from kcdata.render.rows import build_row
from kcdata.sources.snapshot import load_sample
from kcdata.types import JULIAN, TimeValue

LANGS = ("en", "de", "fr", "ru")


@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.fixture(scope="module")
def facts(sample):
    out = []
    for e in sample.entities:
        out.extend(parse_entity(e, "sample"))
    return out


def test_at_least_15_relations_in_4_languages():
    specs = load_relations()
    required = {"P6", "P35", "P36", "P17", "P1082", "P47", "P150", "P463", "P37", "P38", "P30", "P19",
                "P27", "P106"}
    assert required <= set(specs)
    for spec in specs.values():
        assert set(LANGS) <= set(spec.languages), spec.slug
        for lt in spec.languages.values():
            assert len(lt.questions) >= 3 and len(lt.contexts) >= 1
        if spec.changes_over_time:
            assert all(lt.dated_contexts for lt in spec.languages.values()), spec.slug


def test_every_relation_and_language_renders_on_a_real_fact(sample, facts):
    from kcdata.render.rows import value_forms

    specs = load_relations()
    pool = Pool.from_facts(facts, specs)
    as_of = dt.date.fromisoformat(sample.date)
    rows = 0
    for pid, spec in specs.items():
        real = [f for f in facts if f.relation == pid]
        assert real, f"no fact in the sample for {pid}"
        judged = []
        for fact in real:
            try:
                judged.append((fact, classify(fact, spec, as_of)))
            except SkipItem:
                continue
        named = [(f, c) for f, c in judged
                 if sample.labels.label(f.subject, "en") and value_forms(c.current[0].value, "en", sample.labels)[0]]
        # P30, P38, P122, P159, P421: the fixtures hold no label of any of their objects; those
        # templates are rendered with the real object's id in place of its label.
        fact, cls = (named or judged)[0]
        main = cls.current[0]
        for lang, lt in spec.languages.items():
            # The real fact's words in this language; where the label table lacks one, the
            # English label (this test checks the templates, not label coverage).
            subject = sample.labels.label(fact.subject, lang) or sample.labels.label(fact.subject, "en")
            obj = (value_forms(main.value, lang, sample.labels)[0]
                   or value_forms(main.value, "en", sample.labels)[0] or main.value.item)
            assert subject and obj, f"{fact.id}: no label at all"
            start = format_date(main.start or main.point_in_time or TimeValue(2001, 5, 3, 11), lang)
            for i, q in enumerate(lt.questions):
                text = render(q, f"{pid}/{lang}/q{i}", subject=subject)
                assert "{" not in text and "}" not in text and subject in text
            for i, c in enumerate(lt.contexts + lt.dated_contexts):
                text = render(c, f"{pid}/{lang}/c{i}", subject=subject, object=obj, start=start)
                assert "{" not in text and "}" not in text and obj in text and subject in text
        # Full rows, where the sample has every label the row needs.
        for fact, cls in judged:
            try:
                cf = choose(fact, cls, spec, pool, sample.labels, list(LANGS), 0)
            except SkipItem:
                continue
            for lang in LANGS:
                try:
                    row = build_row(fact, cls, cf, spec, lang, sample.labels, "sample")
                except SkipItem:
                    continue
                rows += 1
                for field in ("question", "context_original", "context_counter"):
                    assert "{" not in row[field] and "}" not in row[field]
                assert row["object"]["label"] in row["context_original"]
                assert row["counterfactual"]["label"] in row["context_counter"]
                assert row["counterfactual"]["label"] not in row["answers"]
    assert rows > 300


def test_missing_variable_fails_loudly_with_template_id():
    with pytest.raises(ConfigError, match="P6/en.yaml#contexts\\[0\\]"):
        render("{{ subject }} is led by {{ object }}", "P6/en.yaml#contexts[0]", subject="France")


def test_unknown_relation_did_you_mean():
    with pytest.raises(ConfigError) as e:
        resolve_relations(["P66"], load_relations())
    assert "unknown relation 'P66'" in str(e.value) and "did you mean" in str(e.value)


@pytest.mark.parametrize("t,lang,expected", [
    (TimeValue(1850, 0, 0, 9), "en", "1850"),
    (TimeValue(1850, 3, 0, 10), "en", "March 1850"),
    (TimeValue(1850, 3, 0, 10), "de", "März 1850"),
    (TimeValue(1850, 3, 0, 10), "fr", "mars 1850"),
    (TimeValue(1850, 3, 0, 10), "ru", "03.1850"),
    (TimeValue(1850, 3, 7, 11), "en", "7 March 1850"),
    (TimeValue(1850, 3, 7, 11), "de", "7. März 1850"),
    (TimeValue(1850, 3, 1, 11), "fr", "1er mars 1850"),
    (TimeValue(-44, 3, 15, 11, JULIAN), "en", "44 BC"),
    (TimeValue(-44, 0, 0, 9), "de", "44 v. Chr."),
    (TimeValue(272, 2, 27, 11, JULIAN), "en", "27 February 272 (Julian calendar)"),
    (TimeValue(1980, 0, 0, 8), "en", "the 1980s"),
    (TimeValue(1900, 0, 0, 7), "en", "the 19th century"),
    (TimeValue(300, 0, 0, 7), "fr", "le IIIe siècle"),
])
def test_dates_never_finer_than_precision(t, lang, expected):
    assert format_date(t, lang) == expected


def test_numbers_per_language():
    assert format_number("38005238", "en") == "38,005,238"
    assert format_number("38005238", "de") == "38.005.238"
    assert format_number("38005238", "fr") == "38\u202f005\u202f238"
    assert format_number("-1234.5", "de") == "-1.234,5"
    assert format_number("999", "en") == "999"


def test_plain_templates_are_joined_as_jinja_renders_them():
    """Every shipped template is text and ``{{ name }}`` only, joined without Jinja: the text
    equals Jinja's own render of it, whatever the values (spaces, braces, Jinja syntax)."""
    import random
    import re

    import jinja2

    from kcdata.render import _compile, _plain

    values = ["Paris", "  São  Paulo\t", "{{ x }}", "{% if %}", "a\nb", "", "Nouvelle-Calédonie", "1\u00a0000"]
    rnd = random.Random(3)
    checked = 0
    for spec in load_relations().values():
        for lt in spec.languages.values():
            sources = [*lt.questions, *lt.contexts, *lt.dated_contexts]
            if lt.grammatical is not None:
                g = lt.grammatical
                sources += [*g.questions, *g.contexts, *g.dated_contexts]
            for source in sources:
                pieces = _plain(source)
                assert pieces is not None, source
                names = {v for is_var, v in pieces if is_var}
                variables = {n: rnd.choice(values) for n in names}
                template, globals_ = _compile(source)
                ctx = jinja2.runtime.new_context(template.environment, template.name, template.blocks,
                                                 {**globals_, **variables}, True, globals_)
                want = re.sub(r"[ \t\r\n]+", " ", template.environment.concat(template.root_render_func(ctx))).strip()
                assert render(source, "t", **variables) == want
                checked += 1
    assert checked > 1000


def test_templates_with_more_than_names_still_go_through_jinja():
    from kcdata.render import _plain

    assert _plain("{{ subject | upper }} is") is None
    assert _plain("{% if subject %}{{ subject }}{% endif %}") is None
    assert _plain("{{ subject }} ist {{ object }}.") == ((True, "subject"), (False, " ist "), (True, "object"),
                                                        (False, "."))
    assert render("{{ subject | upper }} is", "t", subject="Paris") == "PARIS is"
    assert render("{{ n }} km", "t", n=5) == "5 km"  # a number: Jinja writes it
    with pytest.raises(ConfigError, match="template P1/en.yaml#questions\\[0\\]: 'subject' is undefined"):
        render("Where is {{ subject }}?", "P1/en.yaml#questions[0]", object="x")


def test_remembered_forms_follow_the_store():
    """An object's forms are worked out once per store, and again once the store changes."""
    from kcdata.labels import LabelStore
    from kcdata.render.rows import _forms
    from kcdata.types import Entity, Value

    store = LabelStore()
    store.add(Entity(id="Q90", labels={"en": "Paris"}, aliases={"en": ("City of Light",)}))
    value = Value(type="item", item="Q90")
    label, forms = _forms(value, "en", store, True, True)
    assert (label, forms[:2]) == ("Paris", ["Paris", "City of Light"])
    forms.append("mutated")  # a caller's list is its own
    assert "mutated" not in _forms(value, "en", store, True, True)[1]
    store.add_label("Q90", "de", "Paris (Stadt)")
    assert _forms(value, "de", store, True, True)[0] == "Paris (Stadt)"
    assert store.memo.keys() == {("forms", "Q90", "de", True, True, None)}
    store.add(Entity(id="Q91", labels={"de": "Lyon"}))
    assert store.memo == {}
