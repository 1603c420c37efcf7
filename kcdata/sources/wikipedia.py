"""Wikipedia passages: a real passage that mentions a fact's object, and its counter version.

Text comes from three places, all reduced to plain paragraphs:

* wikitext (``action=parse`` / dumps / the fixtures), parsed with ``mwparserfromhell``;
* Parsoid HTML (REST ``page/html``), parsed with the stdlib :mod:`html.parser` (paragraphs only,
  footnote markers and styles dropped) — no extra dependency for one well-formed format;
* API plain-text extracts (``prop=extracts&explaintext``), e.g. through ``wikipedia-api``.

Sentences come from spaCy (``spacy.blank(lang)`` plus the rule-based ``sentencizer``; no model
download). :func:`find_passage` picks 1–3 consecutive sentences that mention the object under
any alias (case-insensitive, on word boundaries), preferring a window that also names the
subject; :func:`counter_passage` replaces every object mention with the counterfactual label.

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from kcdata.errors import ConfigError, SourceError
from kcdata.http import HttpClient, client_from_config

log = logging.getLogger(__name__)

LICENSE = "CC BY-SA 4.0"
"""Licence of Wikipedia text; goes into every row's ``wiki_source`` and the dataset card."""

MAX_SENTENCES = 3
"""Longest passage, in sentences."""


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


# -- sentences and passages -------------------------------------------------------------------


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
def _article_sentences(article: Article) -> list[str]:
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
    sentences = _article_sentences(article)
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


# -- the pipeline hook --------------------------------------------------------------------------


def attach_passages(
    rows: list[dict[str, Any]], snapshot: Any, config: Any, rejects: Any = None
) -> list[dict[str, Any]]:
    """Fill ``wiki_context_original`` / ``wiki_context_counter`` / ``wiki_source`` of rows.

    Articles come from ``snapshot.articles`` (a sequence of :class:`Article`, e.g. the recorded
    texts bundled with the sample) or, for ``config.source == "api"``, from live Wikipedia
    through :class:`WikipediaSource` with kcdata's HTTP client (``user_agent``, ``cache_dir``,
    ``offline`` of the config). A source with neither leaves the rows as they are. The subject's
    article in the row's language is found by the entity's sitelink (``{lang}wiki``) or, for
    bundled articles, by its label. Only item objects are looked for. Rows without a passage keep
    their template contexts; their number is logged and, when ``rejects`` has a ``counts``
    counter, counted under ``no_wikipedia_passage`` (informational, the row is kept).

    Args:
        rows: Built rows (see ``kcdata.render.rows.build_row``).
        snapshot: The source snapshot (``entities``, optional ``articles``).
        config: The build config.
        rejects: The build's rejects (optional).

    Returns:
        The rows, with Wikipedia fields filled where a passage was found.
    """
    bundled: Sequence[Article] | None = getattr(snapshot, "articles", None)
    live: WikipediaSource | None = None
    if not bundled:
        if getattr(config, "source", None) != "api":
            if rows and getattr(config, "wikipedia", False):
                # A dump or local files hold no article text, and fetching an article per subject
                # live would take days at Wikimedia's request rate for a dump-sized build.
                log.warning(
                    "no Wikipedia passages for source %r: it holds no article text (the sample and "
                    "--source api have them); rows keep their template contexts",
                    getattr(config, "source", None),
                )
            return rows
        live = WikipediaSource(client_from_config(config))
    by_title = {(a.language, a.title.casefold()): a for a in bundled or ()}
    entities = {e.get("id"): e for e in getattr(snapshot, "entities", ()) or ()}
    cache: dict[tuple[str, str], Article | None] = {}
    missing = 0
    for row in rows:
        obj = row.get("object") or {}
        if obj.get("value_type") != "item" or not obj.get("label"):
            continue
        lang = row["language"]
        subj = row["subject"]
        key = (subj["id"], lang)
        if key not in cache:
            ent = entities.get(subj["id"], {})
            link = ((ent.get("sitelinks") or {}).get(f"{lang}wiki") or {}).get("title")
            if live is not None:
                cache[key] = live.article_for_entity(ent, lang) if ent else None
            else:
                cache[key] = by_title.get((lang, (link or "").casefold())) or by_title.get(
                    (lang, str(subj.get("label", "")).casefold())
                )
        article = cache[key]
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
        log.info("%d rows have no Wikipedia passage and keep their template contexts", missing)
        counts = getattr(rejects, "counts", None)
        if counts is not None:
            counts["no_wikipedia_passage"] += missing
    return rows
