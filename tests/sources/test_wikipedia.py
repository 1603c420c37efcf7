"""Wikipedia passages from the recorded texts, and live fetching through wikipedia-api."""

from __future__ import annotations

import urllib.parse

import pytest

from kcdata.render import passages as ps
from kcdata.sources import wikipedia as wp

from .conftest import FIXTURES, Reply, Seen, fixture_bytes

VCR = "wikipedia_api/wikipedia-api/"


@pytest.fixture(scope="module")
def articles() -> dict[str, wp.Article]:
    arts = wp.fixture_articles(FIXTURES, names=["Bodmin", "BBDO"])
    return {a.title: a for a in arts}


def test_fixture_texts_parse_to_plain_paragraphs(articles):
    bodmin = articles["Bodmin"]
    assert bodmin.language == "en" and bodmin.license == "CC BY-SA 4.0"
    assert "{{" not in bodmin.text and "[[" not in bodmin.text and "<ref" not in bodmin.text
    assert bodmin.text.startswith("Bodmin is a civil parish and historic town in Cornwall")
    assert articles["BBDO"].language == "de"
    us = articles["United States"]  # Parsoid HTML
    assert us.revision_id == 922519903
    assert us.url.endswith("oldid=922519903")
    assert "The United States of America (USA)" in us.text
    assert "[1]" not in us.text  # footnote markers dropped
    tokyo = articles["Tokyo"]  # REST summary
    assert tokyo.revision_id == 871928272


def test_passage_mentions_object_and_subject_and_counter_replaces_all(articles):
    p = ps.find_passage(
        articles["United States"],
        ["Washington, D.C.", "Washington"],
        ["United States", "U.S.", "USA"],
        replacement="Boston",
    )
    assert p is not None
    assert "Washington, D.C." in p.text and p.mentions_subject
    assert p.counter_text == p.text.replace("Washington, D.C.", "Boston")
    assert 1 <= p.n_sentences <= 3
    assert p.source() == {
        "title": "United States",
        "language": "en",
        "revision_id": 922519903,
        "url": "https://en.wikipedia.org/w/index.php?title=United_States&oldid=922519903",
        "license": "CC BY-SA 4.0",
    }


def test_aliases_case_insensitive_word_boundaries_consistent_replacement():
    art = wp.Article(
        "Toronto",
        "en",
        "Toronto is in Canada. The capital of Ontario is Toronto, often called T.O. "
        "or the 6ix; toronto is large. Torontonians like TORONTO.",
    )
    p = ps.find_passage(art, ["Toronto", "T.O.", "the 6ix"], ["Ontario"], replacement="Ottawa")
    assert p is not None
    assert p.text.startswith("The capital of Ontario is Toronto")
    assert p.mentions == ("Toronto", "T.O.", "the 6ix", "toronto")
    assert "Torontonians" not in p.text or "Torontonians" in p.counter_text
    assert p.counter_text.count("Ottawa") == 4
    assert "Toronto" not in p.counter_text.replace("Torontonians", "")


def test_window_reaches_back_for_the_subject():
    art = wp.Article(
        "X", "en", "Freedonia is a small country. It is ruled from the hills. Its capital is Fredville."
    )
    p = ps.find_passage(art, ["Fredville"], ["Freedonia"], replacement="Newtown")
    assert p is not None and p.n_sentences == 3 and p.mentions_subject
    p2 = ps.find_passage(art, ["Fredville"], ["Freedonia"], max_sentences=2)
    assert p2 is not None and not p2.mentions_subject and p2.text == "Its capital is Fredville."
    assert ps.find_passage(art, ["Atlantis"], ["Freedonia"]) is None


def test_counter_passage_helper(articles):
    p = ps.find_passage(articles["Bodmin"], ["Cornwall"], ["Bodmin"])
    assert p is not None and p.counter_text is None and p.mentions_subject
    c = ps.counter_passage(p, ["Cornwall", "Kernow"], "Devon")
    assert "Cornwall" not in c.counter_text and "Devon" in c.counter_text


def test_other_languages_use_their_sentencizer(articles):
    p = ps.find_passage(articles["BBDO"], ["New York"], ["BBDO"], replacement="Chicago")
    assert p is not None and "Chicago" in p.counter_text and p.language == "de"


def _wikipedia_api(seen: Seen) -> Reply:
    prop = seen.params.get("prop")
    name = {
        "info": "TestVcrAsyncPageExistence.test_exists_true_0.json",
        "extracts": "TestVcrAsyncPageExtractProps.test_text_0.json",
        "langlinks": "TestVcrAsyncPageRelationProps.test_langlinks_0.json",
    }.get(prop)
    if seen.headers.get("x-original-host") != "en.wikipedia.org" or name is None:
        return Reply(
            fixture_bytes(VCR + "TestVcrAsyncPageExistence.test_exists_false_0.json"),
            headers={"Content-Type": "application/json"},
        )
    return Reply(fixture_bytes(VCR + name), headers={"Content-Type": "application/json"})


def test_live_article_through_wikipedia_api_and_our_client(loopback, make_client):
    loopback.route("/w/api.php", _wikipedia_api)
    client = make_client()
    src = wp.WikipediaSource(client)
    entity = {
        "id": "Q28865",
        "sitelinks": {"enwiki": {"site": "enwiki", "title": "Python (programming language)"}},
    }
    art = src.article_for_entity(entity, "en")
    assert art is not None
    assert art.revision_id == 1345336232
    assert art.text.startswith("Python is a high-level, general-purpose programming language.")
    reqs = loopback.requests()
    assert all(r.headers["user-agent"].startswith("kcdata-tests/0.1") for r in reqs)
    assert all(r.params.get("maxlag") == "5" for r in reqs)
    p = ps.find_passage(art, ["Guido van Rossum", "van Rossum"], ["Python"], replacement="Ada Lovelace")
    assert p is not None and "Ada Lovelace" in p.counter_text
    assert "van Rossum" not in p.counter_text

    # a rebuild is served from the cache: no new request
    n = len(loopback.requests())
    again = wp.WikipediaSource(make_client(offline=True, user_agent=None))
    assert again.article_for_entity(entity, "en") == art
    assert len(loopback.requests()) == n


def test_language_links_reach_other_wikis(loopback, make_client):
    loopback.route("/w/api.php", _wikipedia_api)
    src = wp.WikipediaSource(make_client())
    entity = {
        "id": "Q28865",
        "sitelinks": {"enwiki": {"site": "enwiki", "title": "Python (programming language)"}},
    }
    assert src.article_for_entity(entity, "de") is None  # dewiki answers "missing" here
    hosts = [r.headers.get("x-original-host") for r in loopback.requests()]
    assert "de.wikipedia.org" in hosts
    titles = [
        urllib.parse.unquote(r.params.get("titles", ""))
        for r in loopback.requests()
        if r.headers.get("x-original-host") == "de.wikipedia.org"
    ]
    assert "Python (Programmiersprache)" in titles


def _row(
    subject: str,
    obj: str,
    cf: str,
    lang: str = "en",
    value_type: str = "item",
    aliases: tuple[str, ...] = ("Washington",),
) -> dict:
    return {
        "language": lang,
        "subject": {"id": "Q30", "label": subject, "aliases": ["USA"]},
        "object": {"id": "Q61", "label": obj, "aliases": list(aliases), "value_type": value_type},
        "counterfactual": {"label": cf},
        "wiki_context_original": None,
        "wiki_context_counter": None,
        "wiki_source": None,
    }


def test_attach_passages_uses_bundled_articles_by_sitelink(articles):
    from collections import Counter
    from types import SimpleNamespace

    snapshot = SimpleNamespace(
        entities=[{"id": "Q30", "sitelinks": {"enwiki": {"title": "United States"}}}],
        articles=list(articles.values()),
    )
    rejects = SimpleNamespace(counts=Counter())
    rows = [
        _row("United States", "Washington, D.C.", "Boston"),
        _row("United States", "Freedonia", "Boston", aliases=()),
        _row("United States", "Washington, D.C.", "Boston", lang="de"),
        _row("United States", "1776", "1777", value_type="time"),
    ]
    out = ps.attach_passages(rows, wp.article_finder(snapshot, SimpleNamespace(source="sample")), rejects)
    assert out[0]["wiki_source"]["revision_id"] == 922519903
    assert "Washington, D.C." in out[0]["wiki_context_original"]
    assert "Boston" in out[0]["wiki_context_counter"]
    assert "Washington" not in out[0]["wiki_context_counter"]
    assert out[1]["wiki_source"] is None and out[2]["wiki_source"] is None
    assert out[3]["wiki_source"] is None
    assert rejects.counts["no_wikipedia_passage"] == 2


def test_a_source_without_article_text_has_no_article_finder():
    from types import SimpleNamespace

    assert wp.article_finder(SimpleNamespace(entities=[]), SimpleNamespace(source="sample")) is None
    assert wp.article_finder(SimpleNamespace(entities=[], articles=[]), SimpleNamespace(source="dump")) is None


def test_dump_build_without_article_text_says_so(caplog, tmp_path):
    from kcdata.config import BuildConfig
    from kcdata.pipeline import run_build
    from kcdata.resources import sample_dir

    config = BuildConfig(source="dump", source_path=str(sample_dir() / "entities.json.gz"),
                         relations=("P36", "P17", "P6"), as_of="2025-01-01")  # the file name has no date
    with caplog.at_level("WARNING", logger="kcdata.pipeline"):
        result = run_build(config, tmp_path / "out")
    assert sum(result.rows.values()) > 0
    assert "no Wikipedia passages for source 'dump'" in caplog.text
    assert result.manifest["wikipedia"]["rows_with_passage"] == 0


def test_offline_miss_through_wikipedia_api_names_the_request(make_client):
    from kcdata.http import OfflineCacheMiss

    src = wp.WikipediaSource(make_client(offline=True, user_agent=None))
    with pytest.raises(OfflineCacheMiss, match=r"en\.wikipedia\.org/w/api\.php\?action=query"):
        src.article("Python (programming language)", "en")


def test_replacing_a_form_that_ends_the_sentence_keeps_the_period():
    art = wp.Article("US", "en", "The capital of the United States is Washington, D.C. The states elect it.")
    p = ps.find_passage(art, ["Washington, D.C."], ["United States"], replacement="Philadelphia")
    assert p is not None
    assert p.counter_text == "The capital of the United States is Philadelphia. The states elect it."
    art2 = wp.Article("US", "en", "Its capital is Washington, D.C., a federal district.")
    p2 = ps.find_passage(art2, ["Washington, D.C."], [], replacement="Philadelphia")
    assert p2 is not None and p2.counter_text == "Its capital is Philadelphia, a federal district."
