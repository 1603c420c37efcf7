"""Wikipedia articles as a source: fetching, the recorded fixtures, and markup to plain text.

Text comes from three places, all reduced to plain paragraphs:

* wikitext (``action=parse`` / dumps / the fixtures), parsed with ``mwparserfromhell``;
* Parsoid HTML (REST ``page/html``), parsed with the stdlib :mod:`html.parser` (paragraphs only,
  footnote markers and styles dropped) — no extra dependency for one well-formed format;
* API plain-text extracts (``prop=extracts&explaintext``), e.g. through ``wikipedia-api``.

:func:`article_finder` tells a build where the subject's article in a row's language is;
choosing a passage in it and writing its counter version is rendering
(:mod:`kcdata.render.passages`).

Live text goes through ``wikipedia-api`` (the ``Wikipedia-API`` package), whose ``httpx``
session is given :class:`KcdataHttpxTransport`, so its requests use kcdata's
:class:`~kcdata.http.HttpClient`: our User-Agent, rate limit, retries and disk cache.
"""

from __future__ import annotations

import html
import html.parser
import json
import logging
import re
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kcdata.errors import SourceError
from kcdata.http import HttpClient, client_from_config

log = logging.getLogger(__name__)

LICENSE = "CC BY-SA 4.0"
"""Licence of Wikipedia text; goes into every row's ``wiki_source`` and the dataset card."""

@dataclass(frozen=True)
class Article:
    """Plain text of one Wikipedia article revision."""

    title: str
    """Page title."""
    language: str
    """Wiki language code (``en`` for en.wikipedia.org)."""
    text: str
    """Plain text, paragraphs separated by blank lines."""
    revision_id: int | None = None
    """Revision the text comes from (``None`` when the source did not record it)."""
    url: str = ""
    """Permanent URL (``oldid=`` when the revision is known)."""
    license: str = LICENSE
    """Text licence."""


def article_url(title: str, language: str, revision_id: int | None = None) -> str:
    """Canonical URL of an article, pinned to the revision when known."""
    slug = urllib.parse.quote(title.replace(" ", "_"), safe="()_,:'!*-.")
    if revision_id:
        return f"https://{language}.wikipedia.org/w/index.php?title={slug}&oldid={revision_id}"
    return f"https://{language}.wikipedia.org/wiki/{slug}"


# -- text from markup -------------------------------------------------------------------------

_DROP_TAGS = {
    "ref",
    "references",
    "gallery",
    "table",
    "math",
    "score",
    "timeline",
    "imagemap",
    "syntaxhighlight",
    "source",
    "pre",
    "code",
    "noinclude",
    "includeonly",
    "div",
}
_DROP_LINK_NS = ("file:", "image:", "category:", "media:")


def wikitext_to_text(wikitext: str) -> str:
    """Plain paragraphs from wikitext (templates, references, tables, files and headings dropped).

    Args:
        wikitext: Raw wikitext.

    Returns:
        Paragraph text separated by blank lines.
    """
    import mwparserfromhell

    code = mwparserfromhell.parse(wikitext)
    for node in list(code.nodes):
        _prune(code, node)
    text = code.strip_code(normalize=True, collapse=True)
    paragraphs = []
    for para in re.split(r"\n\s*\n", text):
        para = " ".join(
            line.strip()
            for line in para.splitlines()
            if line.strip() and not line.lstrip().startswith(("*", "#", "|", "!", "{"))
        )
        para = re.sub(r"\(\s*[,;]*\s*\)", "", para)  # "( )" left by dropped templates
        para = re.sub(r"\s+", " ", para).strip()
        para = re.sub(r"\s+([,.;:])", r"\1", para)
        if len(para) > 1:
            paragraphs.append(para)
    return "\n\n".join(paragraphs)


def _prune(code: Any, node: Any) -> None:
    import mwparserfromhell.nodes as n

    try:
        if isinstance(node, (n.Template, n.Heading, n.Comment, n.Argument)):
            code.remove(node)
        elif isinstance(node, n.Tag):
            if str(node.tag).lower() in _DROP_TAGS:
                code.remove(node)
            elif node.contents is not None:
                for child in list(node.contents.nodes):
                    _prune(node.contents, child)
        elif isinstance(node, n.Wikilink):
            if str(node.title).strip().lower().startswith(_DROP_LINK_NS):
                code.remove(node)
    except ValueError:  # already removed with a parent
        pass


class _ParagraphHTML(html.parser.HTMLParser):
    """Collects the text of ``<p>`` elements, skipping footnote markers, styles and scripts."""

    _SKIP = {"style", "script", "sup", "table", "figure", "math", "annotation"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._buf: list[str] | None = None
        self._skip = 0
        self._p_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag == "p":
            self._p_depth += 1
            if self._p_depth == 1:
                self._buf = []

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == "p" and self._p_depth:
            self._p_depth -= 1
            if self._p_depth == 0 and self._buf is not None:
                para = re.sub(r"\s+", " ", "".join(self._buf)).strip()
                if para:
                    self.paragraphs.append(para)
                self._buf = None

    def handle_data(self, data: str) -> None:
        if self._buf is not None and not self._skip:
            self._buf.append(data)


def html_to_text(markup: str) -> str:
    """Plain paragraphs from Parsoid (or rendered) HTML.

    Returns:
        The text of the ``<p>`` elements, separated by blank lines.
    """
    parser = _ParagraphHTML()
    parser.feed(markup)
    parser.close()
    return "\n\n".join(parser.paragraphs)


def parsoid_revision(markup: str) -> int | None:
    """Revision id from Parsoid HTML (``about=".../revision/N"`` on ``<html>``)."""
    m = re.search(r'<html[^>]*about="[^"]*/revision/(\d+)"', markup[:4000])
    return int(m.group(1)) if m else None


# -- live: wikipedia-api through our HTTP client ----------------------------------------------


def httpx_transport(client: HttpClient) -> Any:
    """An ``httpx`` transport that sends requests through ``client`` (UA, rate limit, cache).

    Returns:
        A :class:`httpx.BaseTransport` instance for ``wikipediaapi.Wikipedia(transport=...)``.
    """
    import httpx

    class KcdataHttpxTransport(httpx.BaseTransport):
        """Routes wikipedia-api's requests through kcdata's HttpClient."""

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            url = request.url
            base = str(url.copy_with(query=None, fragment=None))
            params = list(url.params.multi_items())
            body = request.read() or None
            resp = client.request(
                request.method,
                base,
                dict(params),
                body=body,
                headers={"Accept": request.headers.get("accept", "*/*")},
            )
            return httpx.Response(
                resp.status,
                headers={"content-type": resp.headers.get("content-type", "application/json")},
                content=resp.body,
                request=request,
            )

    return KcdataHttpxTransport()


class WikipediaSource:
    """Articles from live Wikipedia via ``wikipedia-api``, cached by kcdata's client.

    Args:
        client: The HTTP client (its User-Agent is the one Wikimedia sees).
    """

    def __init__(self, client: HttpClient) -> None:
        self.client = client
        self._wikis: dict[str, Any] = {}

    def _wiki(self, language: str) -> Any:
        if language not in self._wikis:
            import wikipediaapi

            ua = self.client.user_agent or "kcdata (offline cache reader)"
            self._wikis[language] = wikipediaapi.Wikipedia(
                user_agent=ua,
                language=language,
                extract_format=wikipediaapi.ExtractFormat.WIKI,
                max_retries=0,
                transport=httpx_transport(self.client),
            )
        return self._wikis[language]

    def article(self, title: str, language: str) -> Article | None:
        """The current plain-text article, or ``None`` when the page does not exist."""
        page = self._wiki(language).page(title)
        if not page.exists():
            return None
        revision = getattr(page, "lastrevid", None)
        text = page.text
        return Article(
            title=page.title,
            language=language,
            text=text,
            revision_id=int(revision) if revision else None,
            url=article_url(page.title, language, int(revision) if revision else None),
        )

    def article_for_entity(self, entity: dict[str, Any], language: str, via: str = "en") -> Article | None:
        """The subject's article in ``language``: its sitelink, else a language link of ``via``.

        Args:
            entity: Wikibase entity with ``sitelinks``.
            language: Wanted language.
            via: Language whose article's language links are followed when the entity has no
                sitelink for ``language``.
        """
        sitelinks = entity.get("sitelinks") or {}
        link = sitelinks.get(f"{language}wiki")
        if link and link.get("title"):
            return self.article(link["title"], language)
        base = sitelinks.get(f"{via}wiki")
        if not base or not base.get("title"):
            return None
        page = self._wiki(via).page(base["title"])
        other = page.langlinks.get(language) if page.exists() else None
        return self.article(other.title, language) if other is not None else None


# -- offline: the recorded texts in shared/fixtures ---------------------------------------------


#: What the file names of the recorded wikitext do not say: the page title and wiki language
#: (read from each text; wtf_wikipedia's cache mixes wikis).
FIXTURE_WIKITEXT = {
    "BBDO": ("BBDO", "de"),
    "Mozilla-Firefox": ("Mozilla Firefox", "de"),
    "Mark-Behr": ("Mark Behr", "af"),
    "statoil": ("Statoil", "nn"),
    "al_Haytham": ("Ibn al-Haytham", "en"),
    "raith_rovers": ("Raith Rovers F.C.", "en"),
    "toronto_star": ("Toronto Star", "en"),
    "julia_kristeva": ("Julia Kristeva", "en"),
    "washington-nationals": ("Washington Nationals", "en"),
    "bluejays": ("Toronto Blue Jays", "en"),
    "earthquakes": ("List of earthquakes in Canada", "en"),
}


def fixture_articles(fixtures: str | Path, names: Iterable[str] | None = None) -> list[Article]:
    """Articles from the recorded Wikipedia texts (wikitext, Parsoid HTML, API extracts).

    Args:
        fixtures: The ``shared/fixtures`` folder.
        names: Only the wikitext files with these stems (``None``: all; parsing all takes a
            few seconds).

    Returns:
        Articles in a stable order (wikitext files by name, then HTML, then API responses).

    Raises:
        SourceError: The folder does not exist.
    """
    root = Path(fixtures)
    if not root.is_dir():
        raise SourceError(f"fixtures folder not found: {root}", "pass the path of shared/fixtures")
    out: list[Article] = []
    wanted = set(names) if names is not None else None
    for p in sorted((root / "wikipedia_text").glob("**/*.wikitext")):
        if wanted is not None and p.stem not in wanted:
            continue
        default = p.stem.replace("_", " ").replace("-", " ")
        title, lang = FIXTURE_WIKITEXT.get(p.stem, (default[:1].upper() + default[1:], "en"))
        out.append(
            Article(
                title=title,
                language=lang,
                text=wikitext_to_text(p.read_text(encoding="utf-8")),
                url=article_url(title, lang),
            )
        )
    for p in sorted((root / "wikipedia_text").glob("**/*.html")):
        markup = p.read_text(encoding="utf-8")
        title = p.name.split(".", 1)[0].removeprefix("mobileapps_").replace("_", " ")
        rev = parsoid_revision(markup)
        out.append(
            Article(
                title=title,
                language="en",
                text=html_to_text(markup),
                revision_id=rev,
                url=article_url(title, "en", rev),
            )
        )
    for p in sorted((root / "wikipedia_api").glob("**/*.json")):
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except ValueError:
            continue
        out.extend(_articles_from_api(doc))
    return out


def _articles_from_api(doc: Any) -> list[Article]:
    """Articles in a recorded API answer: query extracts, action=parse, REST summaries."""
    out: list[Article] = []
    if not isinstance(doc, dict):
        return out
    if isinstance(doc.get("parse"), dict) and isinstance(doc["parse"].get("wikitext"), str):
        parse = doc["parse"]
        rev = parse.get("revid")
        out.append(
            Article(
                title=parse.get("title", ""),
                language="en",
                text=wikitext_to_text(parse["wikitext"]),
                revision_id=rev,
                url=article_url(parse.get("title", ""), "en", rev),
            )
        )
    pages = (doc.get("query") or {}).get("pages") if isinstance(doc.get("query"), dict) else None
    if isinstance(pages, dict):
        pages = list(pages.values())
    for page in pages or []:
        extract = page.get("extract") if isinstance(page, dict) else None
        if not extract:
            continue
        text = html_to_text(extract) if extract.lstrip().startswith("<") else extract
        rev = page.get("lastrevid")
        lang = page.get("pagelanguage", "en")
        out.append(
            Article(
                title=page.get("title", ""),
                language=lang,
                text=text,
                revision_id=rev,
                url=article_url(page.get("title", ""), lang, rev),
            )
        )
    if isinstance(doc.get("extract"), str) and doc.get("title"):
        rev = doc.get("revision")
        rev_i = int(rev) if isinstance(rev, (str, int)) and str(rev).isdigit() else None
        lang = doc.get("lang", "en")
        out.append(
            Article(
                title=doc["title"],
                language=lang,
                text=doc["extract"],
                revision_id=rev_i,
                url=article_url(doc["title"], lang, rev_i),
            )
        )
    return out


# -- finding the subject's article for a build --------------------------------------------------


ArticleFinder = Callable[[dict[str, Any], str], Article | None]
"""``(row subject {id, label, aliases}, language) -> Article | None``."""


def article_finder(snapshot: Any, config: Any, client: HttpClient | None = None) -> ArticleFinder | None:
    """How a build finds the subject's article in a row's language, or ``None`` when it cannot.

    Articles come from ``snapshot.articles`` (a sequence of :class:`Article`, e.g. the recorded
    texts bundled with the sample) or, for ``config.source == "api"``, from live Wikipedia
    through :class:`WikipediaSource` with kcdata's HTTP client (``client``, else one made from the
    config's ``user_agent``, ``cache_dir`` and ``offline``). The subject's article is found by the
    entity's sitelink (``{lang}wiki``) or, for bundled articles, by its label; each (subject,
    language) is looked up once. A source with neither (a dump, local files) gives ``None``.

    Args:
        snapshot: The source snapshot (``entities``, optional ``articles``).
        config: The build config.
        client: The HTTP client for live Wikipedia.

    Returns:
        ``find(subject, language) -> Article | None``, ``subject`` being a row's ``subject``
        field ({id, label, aliases}), or ``None``.
    """
    bundled: Sequence[Article] | None = getattr(snapshot, "articles", None)
    live: WikipediaSource | None = None
    if not bundled:
        if getattr(config, "source", None) != "api":
            return None
        live = WikipediaSource(client or client_from_config(config))
    by_title = {(a.language, a.title.casefold()): a for a in bundled or ()}
    entities = {e.get("id"): e for e in getattr(snapshot, "entities", ()) or ()}
    cache: dict[tuple[str, str], Article | None] = {}

    def find(subject: dict[str, Any], lang: str) -> Article | None:
        key = (subject["id"], lang)
        if key not in cache:
            ent = entities.get(subject["id"], {})
            link = ((ent.get("sitelinks") or {}).get(f"{lang}wiki") or {}).get("title")
            if live is not None:
                cache[key] = live.article_for_entity(ent, lang) if ent else None
            else:
                cache[key] = by_title.get((lang, (link or "").casefold())) or by_title.get(
                    (lang, str(subject.get("label", "")).casefold())
                )
        return cache[key]

    return find
