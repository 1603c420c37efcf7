"""Every metric against values computed by hand on small arrays, edge cases included."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from kcdata.score import metrics as m

LN2 = math.log(2)


def test_exact_and_contains_match():
    assert m.exact_match("the Paris.", ["Paris"])
    assert m.exact_match("Tokio", ["Tokyo", "Tokio"])
    assert not m.exact_match("Paris, France", ["Paris"])
    assert m.contains_match("It is Paris, France", ["paris"])
    assert not m.contains_match("Parisian food", ["Paris"])  # word boundary
    assert m.contains_match("Keir Starmer is", ["Keir Starmer"])
    assert not m.contains_match("", ["Paris"])  # empty prediction
    assert not m.exact_match("", [""])  # empty answer never matches
    assert not m.contains_match("Paris", [])


def test_classify_prediction():
    o, s = ["Paris", "City of Light"], ["Lyon"]
    assert m.classify_prediction("Paris.", o, s) == "original"
    assert m.classify_prediction("the city of light", o, s) == "original"
    assert m.classify_prediction("Lyon", o, s) == "counter"
    assert m.classify_prediction("Paris or Lyon", o, s) == "both"
    assert m.classify_prediction("", o, s) == "other"


def test_memorisation_ratio():
    assert m.memorisation_ratio(["original", "original", "counter", "other", "both"]) == pytest.approx(2 / 3)
    assert m.memorisation_ratio(["counter"]) == 0.0
    assert math.isnan(m.memorisation_ratio(["other", "both"]))
    assert math.isnan(m.memorisation_ratio([]))


@pytest.mark.parametrize(
    ("counter_pred", "prior", "want"),
    [
        ("Lyon", "Paris", (True, False)),
        ("Paris", "Paris", (False, True)),
        ("Paris", "Marseille", (False, True)),  # gives o
        ("Marseille", "marseille!", (False, True)),  # keeps its own wrong answer
        ("Marseille", "Nice", (False, False)),
        ("Paris and Lyon", "Paris", (False, True)),
        ("", "", (False, False)),  # empty
    ],
)
def test_persuaded_stubborn(counter_pred, prior, want):
    assert m.persuaded_stubborn(counter_pred, prior, ["Paris"], ["Lyon"]) == want


def test_kl_divergence_hand_values():
    want = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)
    assert m.kl_divergence([0.5, 0.5], [0.25, 0.75], log=False) == pytest.approx(want)
    assert m.kl_divergence(np.log([0.5, 0.5]), np.log([0.25, 0.75])) == pytest.approx(want)
    assert m.kl_divergence([0.2, 0.3, 0.5], [0.2, 0.3, 0.5], log=False) == 0.0  # identical
    assert m.kl_divergence([1.0, 0.0], [0.5, 0.5], log=False) == pytest.approx(LN2)  # 0 log 0 = 0
    assert m.kl_divergence([1.0, 0.0], [0.0, 1.0], log=False) == math.inf  # disjoint support
    with pytest.raises(ValueError):
        m.kl_divergence([1.0], [0.5, 0.5])


def test_persuasion_scores_both_references_and_susceptibility():
    ctx = np.log([[0.5, 0.5], [0.25, 0.75]])
    none = np.log([0.5, 0.5])
    got = m.persuasion_scores(ctx, none)
    kl_b_none = 0.25 * math.log(0.25 / 0.5) + 0.75 * math.log(0.75 / 0.5)
    assert got["no_context"] == pytest.approx([0.0, kl_b_none])
    avg = [0.375, 0.625]
    kl_a = 0.5 * math.log(0.5 / avg[0]) + 0.5 * math.log(0.5 / avg[1])
    kl_b = 0.25 * math.log(0.25 / avg[0]) + 0.75 * math.log(0.75 / avg[1])
    assert got["context_average"] == pytest.approx([kl_a, kl_b])
    assert m.susceptibility(ctx) == pytest.approx((kl_a + kl_b) / 2)
    # identical contexts -> 0; disjoint contexts -> log |C| (the maximum)
    assert m.susceptibility(np.log([[0.3, 0.7], [0.3, 0.7]])) == 0.0
    with np.errstate(divide="ignore"):
        disjoint = np.log([[1.0, 0.0], [0.0, 1.0]])
    assert m.susceptibility(disjoint) == pytest.approx(LN2)
    assert m.persuasion_scores(disjoint, np.log([0.5, 0.5]))["no_context"] == pytest.approx([LN2, LN2])
    assert m.persuasion_scores(ctx)["no_context"] == []


def test_partition_clusters():
    def same(a, b):
        return m.normalize_answer(a) == m.normalize_answer(b)

    assert m.partition_clusters(["Paris", "paris", "Lyon", "Paris!", ""], same) == [0, 0, 1, 0, 2]
    assert m.partition_clusters([], same) == []
    assert m.partition_clusters(["a", "a", "a"], lambda a, b: False) == [0, 0, 0]  # one cluster
    # a partition that does not depend on the order of the samples
    texts = ["Paris", "Lyon", "paris.", "Nice", "lyon"]
    want = {frozenset({"Paris", "paris."}), frozenset({"Lyon", "lyon"}), frozenset({"Nice"})}
    for perm in itertools.permutations(texts):
        labels = m.partition_clusters(list(perm), same)
        groups: dict[int, set[str]] = {}
        for t, lab in zip(perm, labels, strict=True):
            groups.setdefault(lab, set()).add(t)
        assert {frozenset(g) for g in groups.values()} == want
    # transitive closure: a~b, b~c makes one cluster; one-way judgements do not join
    chain = {("a", "b"), ("b", "a"), ("b", "c"), ("c", "b")}
    assert m.partition_clusters(["a", "b", "c"], lambda x, y: (x, y) in chain) == [0, 0, 0]
    assert m.partition_clusters(["a", "b"], lambda x, y: (x, y) == ("a", "b")) == [0, 1]


def test_coherent_persuasion_hand_values():
    # one cluster on each side
    want = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)
    got = m.coherent_persuasion([[0.5, 0.5], [0.5, 0.5]], [0, 0], [[0.25, 0.75]], [0], smoothing=0.0)
    assert got == pytest.approx(want)
    # two clusters with context: mean over the pairs of KL
    got = m.coherent_persuasion([[1, 0], [0, 1]], [0, 1], [[0.5, 0.5]], [0], smoothing=0.0)
    assert got == pytest.approx(LN2)
    # a cluster's distribution is the mean of its members'
    got = m.coherent_persuasion([[1, 0], [0, 1], [0.5, 0.5]], [0, 0, 1], [[0.5, 0.5]], [0], smoothing=0.0)
    assert got == pytest.approx(0.0, abs=1e-12)
    # identical distributions -> 0 (with smoothing too)
    assert m.coherent_persuasion([[0.2, 0.8]], [0], [[0.2, 0.8]], [0]) == pytest.approx(0.0, abs=1e-12)


def test_coherent_persuasion_disjoint_support_is_finite_with_smoothing():
    a = 1e-6
    big, small = 1 - a + a / 2, a / 2
    want = big * math.log(big / small) + small * math.log(small / big)
    got = m.coherent_persuasion([[1, 0]], [0], [[0, 1]], [0], smoothing=a)
    assert math.isfinite(got)
    assert got == pytest.approx(want)
    assert m.coherent_persuasion([[1, 0]], [0], [[0, 1]], [0], smoothing=0.0) == math.inf


def test_coherent_persuasion_missing_samples():
    nan = [math.nan, math.nan]
    # a sample with no generated step is left out
    got = m.coherent_persuasion([[0.5, 0.5], nan], [0, 1], [[0.5, 0.5]], [0], smoothing=0.0)
    assert got == 0.0
    assert math.isnan(m.coherent_persuasion([nan], [0], [[0.5, 0.5]], [0]))
    with pytest.raises(ValueError):
        m.coherent_persuasion([[0.5, 0.5]], [0, 1], [[0.5, 0.5]], [0])


def test_semantic_entropy_hand_values():
    ll = np.log([0.2, 0.2, 0.6])
    want = -(0.4 * math.log(0.4) + 0.6 * math.log(0.6))
    assert m.semantic_entropy(ll, [0, 0, 1]) == pytest.approx(want)
    # cluster probabilities are renormalised over the clusters found
    assert m.semantic_entropy(np.log([0.1, 0.1]), [0, 1]) == pytest.approx(LN2)
    assert m.semantic_entropy(np.log([0.1, 0.3, 0.2]), [0, 0, 0]) == 0.0  # one cluster
    # non-finite likelihoods (no generated token, zero probability) are left out
    assert m.semantic_entropy([math.log(0.2), -math.inf, math.log(0.2)], [0, 1, 2]) == pytest.approx(LN2)
    assert math.isnan(m.semantic_entropy([math.nan, math.nan], [0, 1]))


def test_all_samples_empty_is_one_cluster():
    labels = m.partition_clusters(["", "", ""], lambda a, b: False)
    assert labels == [0, 0, 0]
    assert m.semantic_entropy([-1.0, -2.0, -0.5], labels) == 0.0
    assert m.discrete_semantic_entropy(labels) == 0.0


def test_discrete_semantic_entropy():
    want = -(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25))
    assert m.discrete_semantic_entropy([0, 0, 1, 2]) == pytest.approx(want)
    assert m.discrete_semantic_entropy([3, 3]) == 0.0
    assert m.discrete_semantic_entropy([0, 1, 2, 3]) == pytest.approx(math.log(4))
    assert math.isnan(m.discrete_semantic_entropy([]))


def test_acknowledges_conflict():
    text = "It is disputed: Kosovo declared independence, but Serbia claims it."
    assert m.acknowledges_conflict(text, ["Kosovo"], ["Serbia"])
    assert not m.acknowledges_conflict("Serbia", ["Kosovo"], ["Serbia"])
    assert not m.acknowledges_conflict(text, ["Kosovo"], [])  # no rival values
    assert not m.acknowledges_conflict("", ["Kosovo"], ["Serbia"])
