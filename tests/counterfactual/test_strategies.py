"""Each counterfactual strategy on hand-made facts, classified for real: what it picks, what it
never picks, and that the table (not the caller) decides which strategy a fact meets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from cf_helpers import AS_OF, LANGS, fact, item, judged, quantity, store, time_statement, year

from kcdata.counterfactual import BY_KIND, BY_VALUE_TYPE, PLANS, STRATEGIES, Pool, choose, get_strategy, plan
from kcdata.counterfactual.strategies import POPULARITY_NEIGHBOURS, shift_date
from kcdata.errors import ConfigError, SkipItem
from kcdata.relations import load_relations
from kcdata.types import TimeValue


def _pool(object_class: str, *qids: str) -> Pool:
    p = Pool()
    for q in qids:
        p.add(object_class, q)
    return p


def test_registry_names_and_did_you_mean():
    assert set(STRATEGIES) == {"substitute_v1", "outdated_v1", "rival_v1", "number_v1", "date_shift_v1",
                               "substitute_v2", "outdated_v2", "rival_v2", "date_shift_v2"}
    assert all(s.name == name for name, s in STRATEGIES.items())
    used = {n for table in PLANS.values() for part in table.values() for n in part.values()}
    assert used == set(STRATEGIES)
    assert set(BY_KIND.values()) | set(BY_VALUE_TYPE.values()) == {n for n in STRATEGIES if n.endswith("_v1")}
    with pytest.raises(ConfigError) as err:
        get_strategy("substitute_v3")
    assert "substitute_v1" in str(err.value) or "substitute_v2" in str(err.value)
    with pytest.raises(ConfigError):
        plan("static", "item", "v9")


@pytest.mark.parametrize(
    ("kind", "value_type", "want"),
    [
        ("disputable", "item", ("rival_v1", "substitute_v1")),
        ("temporal", "quantity", ("outdated_v1", "number_v1")),
        ("temporal", "item", ("outdated_v1", "substitute_v1")),
        ("static", "time", ("date_shift_v1",)),
        ("static", "item", ("substitute_v1",)),
        ("static", "string", ()),
    ],
)
def test_plan_table(kind, value_type, want):
    assert plan(kind, value_type) == want
    assert plan(kind, value_type, "v2") == tuple(n.replace("rival_v1", "rival_v2").replace(
        "outdated_v1", "outdated_v2").replace("substitute_v1", "substitute_v2").replace(
        "date_shift_v1", "date_shift_v2") for n in want)


def _capital_world():
    labels = store(
        ("Q1", {"en": "Freedonia", "de": "Freedonien"}, {}, 50),
        ("Q10", {"en": "Alpha City", "de": "Alphastadt"}, {"en": ("Alpha",)}, 100),
        ("Q11", {"en": "Beta Town", "de": "Betastadt"}, {}, 90),
        ("Q12", {"en": "Gamma", "de": "Gamma"}, {}, 95),
        ("Q13", {"en": "alpha city.", "de": "Neustadt"}, {}, 100),  # collides with Q10 (v1 key)
        ("Q14", {"en": "Delta"}, {}, 100),  # no de label: loses on coverage
        ("Q15", {"en": "Epsilon", "de": "Epsilon"}, {}, 5),
    )
    return labels


def test_substitute_is_same_class_not_true_not_colliding():
    labels = _capital_world()
    # Q11 was the capital before: a value the subject had, never a substitute.
    f = fact("Q1", "P36", item("Q10"), item("Q11", P582=year(1990)))
    spec, cls = judged(f)
    assert cls.current[0].value.item == "Q10"
    pool = _pool(spec.object_class, "Q1", "Q10", "Q11", "Q12", "Q13", "Q14", "Q15")
    pool.add("human", "Q99")  # another class: never offered
    picks = set()
    for seed in range(40):
        cls_static = cls.__class__("static", "test", cls.as_of, cls.current)
        cf = choose(f, cls_static, spec, pool, labels, list(LANGS), seed)
        assert cf.strategy == "substitute_v1"
        assert cf.original.item == "Q10"
        picks.add(cf.value.item)
    # Q1 subject, Q10 original, Q11 former value, Q13 alias collision, Q14 fewer languages, Q99 class
    assert picks == {"Q12", "Q15"}


def test_substitute_popularity_neighbours():
    labels = store(("Q1", {"en": "S"}, {}, 10), ("Q2", {"en": "O"}, {}, 1000))
    qids = [f"Q{100 + i}" for i in range(20)]
    for i, q in enumerate(qids):
        labels.add(labels.entities["Q1"].__class__(q, {"en": f"C{i}"}, {}, 10 ** (i % 6)))
    f = fact("Q1", "P36", item("Q2"))
    spec, cls = judged(f)
    pool = _pool(spec.object_class, *qids)
    picks = {choose(f, cls, spec, pool, labels, ["en"], s).value.item for s in range(200)}
    assert len(picks) <= POPULARITY_NEIGHBOURS
    # the closest in log-sitelinks to 1000 (= 10**3) are the 10**3, 10**2 and 10**4 ones
    pops = sorted(labels.sitelinks(q) for q in picks)
    assert set(pops) <= {100, 1000, 10000}


def test_substitute_empty_pool_is_a_counted_skip():
    labels = _capital_world()
    f = fact("Q1", "P36", item("Q10"))
    spec, cls = judged(f)
    with pytest.raises(SkipItem) as err:
        choose(f, cls, spec, _pool(spec.object_class, "Q10", "Q13"), labels, list(LANGS), 0)
    assert err.value.reason == "no_counterfactual"
    assert "empty substitution pool for place" in err.value.detail


def test_rival_picks_a_concurrent_value():
    labels = _capital_world()
    # two values valid now, same rank, single-valued relation: disputable.concurrent_values
    f = fact("Q1", "P36", item("Q10"), item("Q12"))
    spec, cls = judged(f)
    assert cls.fact_type == "disputable"
    cf = choose(f, cls, spec, _pool(spec.object_class, "Q15"), labels, list(LANGS), 3)
    assert (cf.strategy, cf.value.item, cf.original.item) == ("rival_v1", "Q12", "Q10")


def test_outdated_prefers_recent_then_coverage():
    labels = store(
        ("Q1", {"en": "Freedonia", "de": "Freedonien"}, {}, None),
        ("Q20", {"en": "Now", "de": "Jetzt"}, {}, None),
        ("Q21", {"en": "Recent"}, {}, None),  # most recent, English only
        ("Q22", {"en": "Older", "de": "Älter"}, {}, None),
        ("Q23", {"en": "Oldest", "de": "Ältester"}, {}, None),
    )
    f = fact(
        "Q1", "P6",
        item("Q20", P580=year(2015)),
        item("Q21", P580=year(2010), P582=year(2015)),
        item("Q22", P580=year(2005), P582=year(2010)),
        item("Q23", P580=year(2000), P582=year(2005)),
    )
    spec, cls = judged(f)
    assert cls.fact_type == "temporal"
    cf = choose(f, cls, spec, Pool(), labels, list(LANGS), 0)
    # Q21 is the most recent but has no de label; the stable sort keeps recency among full coverage
    assert (cf.strategy, cf.value.item) == ("outdated_v1", "Q22")
    assert cf.note == "value true at another time (2010)"
    en_only = choose(f, cls, spec, Pool(), labels, ["en"], 0)
    assert en_only.value.item == "Q21"


def test_outdated_skips_a_figure_within_two_percent():
    labels = store(("Q1", {"en": "Freedonia"}, {}, None))
    f = fact("Q1", "P1082", quantity("1000", P585=TimeValue(2019, 0, 0, 9)),
             quantity("990", P585=TimeValue(2018, 0, 0, 9)))
    spec, cls = judged(f)
    assert cls.fact_type == "temporal" and cls.former
    cf = choose(f, cls, spec, Pool(), labels, ["en"], 0)
    assert cf.strategy == "number_v1"  # 990 is within 2% of 1000: no visible conflict
    far = fact("Q1", "P1082", quantity("1000", P585=TimeValue(2019, 0, 0, 9)),
               quantity("900", P585=TimeValue(2018, 0, 0, 9)))
    spec, cls = judged(far)
    cf = choose(far, cls, spec, Pool(), labels, ["en"], 0)
    assert (cf.strategy, cf.value.quantity.amount) == ("outdated_v1", "900")


@pytest.mark.parametrize("amount", ["38005238", "7", "1.5", "0", "-120"])
def test_number_keeps_digits_and_differs(amount):
    labels = store(("Q1", {"en": "Freedonia"}, {}, None))
    f = fact("Q1", "P1082", quantity(amount))
    spec, cls = judged(f)
    seen = set()
    for seed in range(50):
        cf = choose(f, cls, spec, Pool(), labels, ["en"], seed)
        new = Decimal(cf.value.quantity.amount)
        assert cf.strategy == "number_v1" and new != Decimal(amount)
        if "." not in amount:
            assert "." not in cf.value.quantity.amount
        if Decimal(amount) and abs(Decimal(amount)) >= 100:
            ratio = new / Decimal(amount)
            assert Decimal("0.49") <= ratio <= Decimal("0.81") or Decimal("1.24") <= ratio <= Decimal("2.01")
        seen.add(new)
    assert len(seen) > 5  # the seed matters


def test_date_shift_same_precision_never_past_as_of():
    labels = store(("Q1", {"en": "Someone"}, {}, None))
    for t in (TimeValue(1990, 3, 7, 11), TimeValue(2015, 0, 0, 9), TimeValue(1, 0, 0, 9)):
        f = fact("Q1", "P569", time_statement(t))
        spec, cls = judged(f)
        shifts = set()
        for seed in range(60):
            cf = choose(f, cls, spec, Pool(), labels, ["en"], seed)
            new = cf.value.time
            assert cf.strategy == "date_shift_v1"
            assert (new.month, new.day, new.precision) == (t.month, t.day, t.precision)
            assert new.year != 0 and new.year <= AS_OF.year
            assert 3 <= abs(new.year - t.year) - (1 if (t.year > 0 >= new.year) else 0) <= 30
            shifts.add(new.year)
        assert len(shifts) > 10


def test_shift_date_skips_year_zero():
    import random

    class Fixed(random.Random):
        def randint(self, a, b):
            return 5

        def random(self):
            return 0.9  # move back

    assert shift_date(TimeValue(3, 0, 0, 9), Fixed(), 2020).time.year == -3  # 3 - 5 = -2, no year 0


def test_same_seed_same_choice_other_seed_other_choices():
    labels = _capital_world()
    f = fact("Q1", "P36", item("Q10"))
    spec, cls = judged(f)
    pool = _pool(spec.object_class, "Q11", "Q12", "Q15")
    a = [choose(f, cls, spec, pool, labels, list(LANGS), s).value.item for s in range(30)]
    b = [choose(f, cls, spec, pool, labels, list(LANGS), s).value.item for s in range(30)]
    assert a == b and len(set(a)) > 1


def test_a_value_type_without_strategy_is_skipped():
    labels = store(("Q1", {"en": "Freedonia"}, {}, None))
    from kcdata.types import Statement, Value

    f = fact("Q1", "P36", Statement("S1", "normal", Value("string", text="x"), {}))
    spec = load_relations()["P36"]
    from kcdata.classify import classify

    cls = classify(f, spec, dt.date(2020, 1, 1))
    with pytest.raises(SkipItem) as err:
        choose(f, cls, spec, Pool(), labels, ["en"], 0)
    assert err.value.detail == "Q1:P36: no strategy for value type string"

