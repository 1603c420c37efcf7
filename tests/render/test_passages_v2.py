"""Wikipedia passages v2 on real recorded articles and on the failure cases the audit found."""

from __future__ import annotations

import pytest

from kcdata.render.passages_v2 import counter_text, find_passage, mention_regex, real_mentions
from kcdata.sources.wikipedia import Article


def _article(text, title="X", lang="en"):
    return Article(title, lang, text)


@pytest.mark.parametrize(
    ("text", "form", "found"),
    [
        ("The monarch is Queen Elizabeth II, who reigns.", "Elizabeth II", False),  # a title: another name
        ("Republican Donald Trump was elected.", "Donald Trump", False),
        ("It joined the UNESCO Security Council.", "UNESCO", False),
        ("Northern Ireland is part of it.", "Ireland", False),
        ("Ireland is an island.", "Ireland", True),  # a sentence opener is no name part
        ("The capital is Washington, D.C., and more.", "Washington, D.C.", True),
        ("We can see it.", "CAN", False),  # acronyms and short forms: case-sensitive
        ("The US and us.", "US", True),
    ],
)
def test_real_mentions(text, form, found):
    assert bool(real_mentions(text, mention_regex([form]))) is found


def test_a_passage_must_state_the_relation():
    art = _article("The Royal Academy in London is a key organisation in the United Kingdom. "
                   "The United Kingdom is a country. The capital is London, and the largest port is Dover.")
    p, why = find_passage(art, ["London"], ["United Kingdom"], "en", ["capital"])
    assert why == "" and p.text == "The United Kingdom is a country. The capital is London, and the largest port is Dover."
    assert find_passage(art, ["London"], ["United Kingdom"], "en", ())[1] == "passage_no_relation_cue"
    only = _article("The Royal Academy in London is a key organisation in the United Kingdom.")
    assert find_passage(only, ["London"], ["United Kingdom"], "en", ["capital"]) == (None, "passage_no_subject_sentence")


def test_numbers_and_dates_of_the_original_drop_the_passage():
    art = _article("The United Kingdom is a monarchy. The current Prime Minister is Theresa May, who has been "
                   "in office since 13 July 2016.")
    assert find_passage(art, ["Theresa May"], ["United Kingdom"], "en", ["prime minister"]) == (None, "passage_states_numbers")


def test_counter_text_agrees_or_drops():
    art = _article("Freedonia is a country. Its capital is an old city called Oldtown, and Oldtown is on a river.")
    p, _ = find_passage(art, ["Oldtown"], ["Freedonia"], "en", ["capital"])
    text, why = counter_text(p, ["Oldtown"], "Newport", "en")
    assert why == "" and text.count("Newport") == 2 and "Oldtown" not in text
    art = _article("Freedonia is a country. Its capital is an Oldtown.")
    p, _ = find_passage(art, ["Oldtown"], ["Freedonia"], "en", ["capital"])
    assert counter_text(p, ["Oldtown"], "Newport", "en")[0].endswith("is a Newport.")
    fr = _article("La Freedonie est un pays. Sa capitale est la Oldtown.", lang="fr")
    p, _ = find_passage(fr, ["Oldtown"], ["Freedonie"], "fr", ["capitale"])
    assert counter_text(p, ["Oldtown"], "Newport", "fr") == (None, "passage_article_agreement")


def test_the_sample_keeps_only_passages_that_read_cleanly(sample_build):
    import json

    import pyarrow.parquet as pq

    rows = [r for f in sorted(sample_build.glob("*/test-*.parquet")) for r in pq.read_table(f).to_pylist()]
    passages = [r for r in rows if r["wiki_context_original"]]
    assert passages
    for r in passages:
        assert r["wiki_source"]["revision_id"] and "oldid=" in r["wiki_source"]["url"]
        assert r["counterfactual"]["label"] in r["wiki_context_counter"]
        assert r["object"]["label"] not in r["wiki_context_counter"]
    left_out = json.loads((sample_build / "manifest.json").read_text())["wikipedia"]["left_out"]
    assert left_out["passage_states_numbers"] >= 1 and left_out["passage_no_subject_sentence"] >= 1
    card = (sample_build / "README.md").read_text()
    assert "passage_states_numbers" in card
