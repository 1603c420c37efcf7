"""Dataset card: render it from ``templates/cards/dataset_card.md.j2`` and check its metadata.

The card is a README.md with a YAML header that the Hugging Face Hub validates and that
``datasets.load_dataset`` reads to find the configs (no loading script). The header is built here
as a dict and dumped with PyYAML (so it is always valid YAML); the body is the Jinja template.

Rendering is deterministic: the same manifest and stats give the same bytes, so a card's sha256
can be checked by ``kcdata rebuild``.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

logger = logging.getLogger(__name__)

CARD_TEMPLATE = "dataset_card.md.j2"
CONFIG_NAMES = ("static", "temporal", "disputable")
"""The configs a build can declare, one per fact kind, in this order."""

LICENSE_WIKIDATA_ONLY = "cc0-1.0"
"""Wikidata's content licence; used when no Wikipedia text is in the rows."""
LICENSE_WITH_WIKIPEDIA = "cc-by-sa-4.0"
"""Wikipedia's text licence; share-alike forces it on the whole dataset when passages are included."""

TASK_CATEGORIES = ("question-answering", "text-generation")
TASK_IDS = ("open-domain-qa",)

#: Licence ids the Hub accepts (https://huggingface.co/docs/hub/repositories-licenses).
HUB_LICENSES = frozenset(
    """apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m bigscience-bloom-rail-1.0
    bigcode-openrail-m afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear
    c-uda cc cc0-1.0 cc-by-2.0 cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0
    cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nd-4.0 cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0
    cc-by-nc-sa-3.0 cc-by-nc-sa-4.0 cdla-sharing-1.0 cdla-permissive-1.0 cdla-permissive-2.0 wtfpl
    ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0 lgpl
    lgpl-2.1 lgpl-3.0 isc h-research intel-research lppl-1.3c ms-pl apple-ascl mpl-2.0 odc-by odbl
    openrail++ osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib pddl lgpl-lr unknown other""".split()
)

#: Dataset task categories the Hub accepts (a subset of its task ids, the text ones).
HUB_TASK_CATEGORIES = frozenset(
    """text-classification token-classification table-question-answering question-answering
    zero-shot-classification translation summarization feature-extraction text-generation
    text2text-generation fill-mask sentence-similarity multiple-choice text-ranking text-retrieval
    table-to-text tabular-to-text document-question-answering visual-question-answering other""".split()
)

#: Task ids the card may use (Hub task ids under question-answering / text-generation).
HUB_TASK_IDS = frozenset(
    """extractive-qa open-domain-qa closed-domain-qa open-book-qa abstractive-qa multiple-choice-qa
    language-modeling dialogue-modeling fact-checking""".split()
)

_BOUNDS = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
]


def size_category(n_rows: int) -> str:
    """The Hub's ``size_categories`` value for a number of rows."""
    for bound, label in _BOUNDS:
        if n_rows < bound:
            return label
    return "n>1T" if n_rows > 10**12 else "1B<n<10B"


def license_for(has_wikipedia: bool) -> str:
    """CC0 for Wikidata-only text; CC BY-SA 4.0 once Wikipedia passages are included."""
    return LICENSE_WITH_WIKIPEDIA if has_wikipedia else LICENSE_WIKIDATA_ONLY


def _templates_dir() -> Path:
    try:
        from kcdata.resources import templates_dir

        return templates_dir()
    except (ImportError, FileNotFoundError):
        return Path(__file__).resolve().parents[2] / "templates"


@lru_cache(maxsize=4)
def _environment(template_dir: str) -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # noqa: S701 - Markdown, not HTML
    )


def card_metadata(manifest: Mapping[str, Any], stats: Mapping[str, Any]) -> dict[str, Any]:
    """The card's YAML header as a dict (the Hub's dataset card metadata).

    Args:
        manifest: the build manifest (see ``docs/ARCHITECTURE.md``).
        stats: ``counts``, ``drops``, ``languages``, ``configs`` ({name: n_rows}), ``has_wikipedia``.

    Returns:
        An ordered dict: pretty_name, license, language, multilinguality, task_categories,
        task_ids, size_categories, source_datasets, creators, tags, and ``configs`` with one
        parquet config per kind, split ``test``.
    """
    languages = list(stats.get("languages") or manifest.get("languages") or [])
    configs = _ordered_configs(stats.get("configs") or {})
    total = sum(configs.values())
    return {
        "pretty_name": str(manifest.get("name", "kcdata")),
        "license": license_for(bool(stats.get("has_wikipedia"))),
        "language": languages,
        "multilinguality": "multilingual" if len(languages) > 1 else "monolingual",
        "task_categories": list(TASK_CATEGORIES),
        "task_ids": list(TASK_IDS),
        "size_categories": [size_category(total)],
        "source_datasets": ["original"],
        "annotations_creators": ["machine-generated"],
        "language_creators": ["machine-generated"],
        "tags": ["knowledge-conflict", "counterfactual", "wikidata", "kcdata"],
        "configs": [
            {
                "config_name": name,
                "data_files": [{"split": "test", "path": f"{name}/test-*.parquet"}],
                **({"default": True} if i == 0 else {}),
            }
            for i, name in enumerate(configs)
        ],
        **_dataset_info(configs, stats),
    }


def _dataset_info(configs: Mapping[str, int], stats: Mapping[str, Any]) -> dict[str, Any]:
    """``dataset_info`` per config: rows and parquet bytes.

    Besides documenting sizes, this matters to ``datasets``: it keys the cache of a local folder
    by the card's ``dataset_info`` and ``configs``, so a folder rebuilt in place with other rows
    would otherwise be served from the old cache.
    """
    sizes = stats.get("parquet_bytes") or {}
    arrow = stats.get("arrow_bytes") or {}
    if not sizes:
        return {}
    return {
        "dataset_info": [
            {
                "config_name": name,
                "splits": [{"name": "test", "num_bytes": int(arrow.get(name, 0)), "num_examples": int(n)}],
                "download_size": int(sizes.get(name, 0)),
                "dataset_size": int(arrow.get(name, 0)),
            }
            for name, n in configs.items()
        ]
    }


def _ordered_configs(configs: Mapping[str, int]) -> dict[str, int]:
    known = [c for c in CONFIG_NAMES if c in configs]
    return {name: int(configs[name]) for name in known + sorted(set(configs) - set(CONFIG_NAMES))}


def as_of_text(manifest: Mapping[str, Any]) -> str:
    """How the card says when facts were judged: ``as of 2020-01-01``, or, when each row is judged
    at its subject's snapshot date, ``as of each subject's snapshot date (2015-08-15 to ...)``."""
    if manifest.get("as_of"):
        return f"as of {manifest['as_of']}"
    span = manifest.get("as_of_range") or {}
    if span.get("min"):
        return f"as of each subject's snapshot date ({span['min']} to {span['max']})"
    return "as of each subject's snapshot date"


def citation(manifest: Mapping[str, Any]) -> str:
    """The BibTeX entry the card asks users to cite (also in croissant.json)."""
    return _citation(manifest)


def _citation(manifest: Mapping[str, Any]) -> str:
    name = str(manifest.get("name", "kcdata"))
    as_of = str(manifest.get("as_of") or (manifest.get("as_of_range") or {}).get("max") or "")
    key = re.sub(r"[^A-Za-z0-9]+", "_", f"{name}_{as_of}").strip("_").lower()
    year = as_of[:4] if re.match(r"^\d{4}", as_of) else "n.d."
    lines = [
        f"@misc{{{key},",
        f"  title        = {{{{{name}}}: a knowledge-conflict benchmark built from Wikidata, as of {as_of}}},",
        f"  year         = {{{year}}},",
        "  howpublished = {Built with kcdata " + str(manifest.get("tool_version", "")) + "},",
        f"  note         = {{seed {manifest.get('seed', 0)}; rules {manifest.get('rules', '')}}}",
        "}",
    ]
    return "\n".join(lines)


def _count_tables(counts: list[Mapping[str, Any]]) -> dict[str, Any]:
    by_kind_lang: dict[str, Counter[str]] = defaultdict(Counter)
    by_relation: dict[str, Counter[str]] = defaultdict(Counter)
    for item in counts:
        n = int(item.get("n", 0))
        by_kind_lang[str(item["kind"])][str(item["language"])] += n
        by_relation[str(item["relation"])][str(item["kind"])] += n
    kinds = [k for k in CONFIG_NAMES if k in by_kind_lang] + sorted(set(by_kind_lang) - set(CONFIG_NAMES))
    return {
        "kinds": kinds,
        "by_kind_language": {k: dict(v) for k, v in by_kind_lang.items()},
        "by_relation": {r: dict(by_relation[r]) for r in sorted(by_relation, key=_pid_key)},
    }


def _pid_key(pid: str) -> tuple[int, str]:
    match = re.match(r"^P(\d+)$", pid)
    return (int(match.group(1)), pid) if match else (10**9, pid)


def render_card(manifest: dict, stats: dict, template_dir: Path | None = None) -> str:
    """Render the dataset card (README.md) of a build.

    Args:
        manifest: the build manifest (``name``, ``tool_version``, ``created_from``, ``seed``,
            ``as_of``, ``languages``, ``sources``, ``templates``, ``rules``, ...).
        stats: ``counts`` (list of {kind, language, relation, n}), ``drops`` ({reason: n}),
            ``languages``, ``configs`` ({name: n_rows}), ``has_wikipedia`` (bool).
        template_dir: folder holding ``dataset_card.md.j2``; default ``templates/cards``.

    Returns:
        The card text: ``---`` YAML header ``---`` then the Markdown body.

    Raises:
        jinja2.UndefinedError: the template uses a value the inputs lack (StrictUndefined).
    """
    folder = Path(template_dir) if template_dir is not None else _templates_dir() / "cards"
    meta = card_metadata(manifest, stats)
    header = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
    configs = _ordered_configs(stats.get("configs") or {})
    drops = dict(sorted((stats.get("drops") or {}).items(), key=lambda kv: (-int(kv[1]), kv[0])))
    tables = _count_tables(list(stats.get("counts") or []))
    body = (
        _environment(str(folder))
        .get_template(CARD_TEMPLATE)
        .render(
            name=str(manifest.get("name", "kcdata")),
            meta=meta,
            manifest=dict(manifest),
            config=dict(manifest.get("created_from") or {}),
            sources=list(manifest.get("sources") or []),
            templates=dict(sorted((manifest.get("templates") or {}).items())),
            configs=configs,
            total=sum(configs.values()),
            languages=list(meta["language"]),
            drops=drops,
            total_dropped=sum(int(v) for v in drops.values()),
            tables=tables,
            has_wikipedia=bool(stats.get("has_wikipedia")),
            citation=_citation(manifest),
            as_of_text=as_of_text(manifest),
            as_of_years=list(stats.get("as_of_years") or []),
            empty_configs=list(stats.get("empty_configs") or []),
        )
    )
    return f"---\n{header}---\n\n{body.strip()}\n"


# -- reading and checking cards ------------------------------------------------------------------

_HEADER = re.compile(r"^---\s*\n(.*?)\n---\s*(?:\n|$)", re.S)


def read_card_text(card: Any, error: type) -> str:
    """A card's text with its YAML header checked (:func:`split_card`); an unreadable, non-UTF-8 or
    malformed card raises ``error`` (a KcdataError class) with a hint."""
    try:
        text = Path(card).read_bytes().decode("utf-8")
        split_card(text)
    except UnicodeDecodeError as exc:
        raise error(f"{card} is not UTF-8 text (byte {exc.start + 1})",
                    "rebuild the dataset with `kcdata build`") from None
    except ValueError as exc:
        raise error(f"{card}: {exc}", "rebuild the dataset with `kcdata build`") from None
    except OSError as exc:
        raise error(f"{card} cannot be read ({exc.strerror or exc})", "check the file's permissions") from None
    return text


def split_card(text: str) -> tuple[dict[str, Any], str]:
    """Split a card into its YAML header (a dict, empty when absent) and its body.

    Raises:
        ValueError: the header is not valid YAML or not a mapping.
    """
    match = _HEADER.match(text)
    if match is None:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}, column {mark.column + 1}" if mark is not None else ""
        raise ValueError(
            f"the card's YAML header does not parse: {getattr(exc, 'problem', None) or _paragraph(exc)}{where}"
        ) from None
    if not isinstance(meta, dict):
        raise ValueError("the card's YAML header must be a mapping")
    return meta, text[match.end() :]


@lru_cache(maxsize=1)
def _datasets_resource(name: str) -> frozenset[str]:
    try:
        import datasets.utils

        path = Path(datasets.utils.__file__).parent / "resources" / name
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ImportError, OSError, ValueError):
        return frozenset()
    return frozenset(data if isinstance(data, list) else data.keys())


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def validate_card(text: str) -> list[str]:
    """Check a card's YAML header against the Hub's dataset metadata rules.

    Uses ``huggingface_hub.DatasetCardData`` (the Hub client's own model of the header), the
    value lists that ``datasets`` ships (languages, size categories), the Hub's licence and task
    lists, and ``datasets``' parser of ``configs`` -- the same one ``load_dataset`` uses.

    Args:
        text: the whole README.md.

    Returns:
        Problems found, each saying which key is wrong; empty when the card is valid.
    """
    try:
        meta, _ = split_card(text)
    except ValueError as exc:
        return [str(exc)]
    if not meta:
        return ["the card has no YAML header; the Hub and load_dataset need one with `configs`"]
    errors: list[str] = []
    try:
        from huggingface_hub import DatasetCardData

        DatasetCardData(**meta)
    except Exception as exc:  # noqa: BLE001 - report whatever the Hub client rejects
        errors.append(f"huggingface_hub.DatasetCardData rejects the header: {_paragraph(exc)}")
    licenses = _as_list(meta.get("license"))
    if not licenses:
        errors.append("`license` is missing (cc0-1.0 for Wikidata-only, cc-by-sa-4.0 with Wikipedia)")
    errors += [f"`license` {lic!r} is not a Hub licence id" for lic in licenses if not _known(lic, HUB_LICENSES)]
    errors += [
        f"`task_categories` {cat!r} is not a Hub task"
        for cat in _as_list(meta.get("task_categories"))
        if not _known(cat, HUB_TASK_CATEGORIES)
    ]
    errors += [
        f"`task_ids` {t!r} is not a Hub task id"
        for t in _as_list(meta.get("task_ids"))
        if not _known(t, HUB_TASK_IDS)
    ]
    sizes = _datasets_resource("size_categories.json") | {"other"}
    errors += [
        f"`size_categories` {s!r} is not one of {sorted(sizes)}"
        for s in _as_list(meta.get("size_categories"))
        if not _known(s, sizes)
    ]
    languages = _datasets_resource("languages.json")
    if languages:
        errors += [
            f"`language` {lang!r} is not an ISO 639 code known to the Hub"
            for lang in _as_list(meta.get("language"))
            if not _known(lang, languages)
        ]
    config_errors = _configs_errors(meta)
    if not config_errors:
        try:
            config_globs(text)
        except ValueError as exc:
            config_errors.append(str(exc))
    return errors + config_errors


def _paragraph(exc: BaseException, limit: int = 300) -> str:
    """The first paragraph of an error's text on one line, cut to ``limit`` characters."""
    text = " ".join(str(exc).strip().split("\n\n")[0].split()) or type(exc).__name__
    return text if len(text) <= limit else text[:limit] + "..."


def _known(value: Any, allowed: frozenset[str]) -> bool:
    return isinstance(value, str) and value in allowed


def _configs_errors(meta: dict[str, Any]) -> list[str]:
    configs = meta.get("configs")
    if not configs:
        return ["`configs` is missing: without it load_dataset cannot find the parquet files"]
    if not isinstance(configs, list):
        return ["`configs` must be a list of {config_name, data_files}"]
    errors: list[str] = []
    names = [c.get("config_name") for c in configs if isinstance(c, dict)]
    if len(names) != len(configs) or not all(isinstance(n, str) and n for n in names):
        errors.append("every item of `configs` needs a string `config_name`")
        names = [n for n in names if isinstance(n, str)]
    if len(set(names)) != len(names):
        errors.append("`configs` has duplicated config names")
    if sum(bool(c.get("default")) for c in configs if isinstance(c, dict)) > 1:
        errors.append("`configs` marks more than one config as default")
    try:
        from datasets.utils.metadata import MetadataConfigs
        from huggingface_hub import DatasetCardData

        MetadataConfigs.from_dataset_card_data(DatasetCardData(**meta))
    except ImportError:
        pass
    except Exception as exc:  # noqa: BLE001 - datasets' own error text is the clearest
        errors.append(f"`configs` is rejected by datasets: {_paragraph(exc)}")
    return errors


def config_globs(text: str) -> dict[str, list[str]]:
    """Map each config of a card to its data file patterns (``split`` ignored).

    Raises:
        ValueError: the header does not parse, or ``configs`` is not a list of
            ``{config_name, data_files}`` with string patterns (the message says which item).
    """
    meta, _ = split_card(text)
    out: dict[str, list[str]] = {}
    configs = meta.get("configs")
    if configs is not None and not isinstance(configs, list):
        raise ValueError("`configs` must be a list of {config_name, data_files}")
    for i, cfg in enumerate(configs or []):
        if not isinstance(cfg, dict) or not isinstance(cfg.get("config_name"), str) or not cfg["config_name"]:
            raise ValueError(f"`configs[{i}]` needs a string `config_name`")
        patterns: list[str] = []
        for item in _as_list(cfg.get("data_files")):
            paths = item if isinstance(item, str) else item.get("path") if isinstance(item, dict) else None
            paths = _as_list(paths)
            if not paths or not all(isinstance(p, str) for p in paths):
                raise ValueError(f"`configs[{i}].data_files` must be path strings or {{split, path}} items")
            patterns.extend(paths)
        out[cfg["config_name"]] = patterns
    return out


def stats_from_folder(out_dir: Path, manifest: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Compute ``render_card``'s ``stats`` from a built folder's parquet files.

    Args:
        out_dir: a built dataset folder (``<config>/test-*.parquet``).
        manifest: its manifest, for ``drops`` and ``languages`` (read from the folder when None).

    Returns:
        The stats dict described in ``render_card``.
    """
    import pyarrow.parquet as pq

    out_dir = Path(out_dir)
    if manifest is None:
        manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    counts: Counter[tuple[str, str, str]] = Counter()
    configs: dict[str, int] = {}
    languages: set[str] = set()
    has_wikipedia = False
    for name in sorted(p.name for p in out_dir.iterdir() if p.is_dir()):
        files = sorted((out_dir / name).glob("test-*.parquet"))
        if not files:
            continue
        configs[name] = 0
        for path in files:
            table = pq.read_table(path, columns=["kind", "language", "relation", "wiki_context_original"])
            configs[name] += table.num_rows
            for kind, lang, rel, wiki in zip(
                *(table.column(c).to_pylist() for c in table.column_names), strict=True
            ):
                counts[(kind, lang, rel)] += 1
                languages.add(lang)
                has_wikipedia = has_wikipedia or bool(wiki)
    ordered_languages = [lang for lang in manifest.get("languages", []) if lang in languages]
    return {
        "counts": [
            {"kind": k, "language": lang, "relation": r, "n": n} for (k, lang, r), n in sorted(counts.items())
        ],
        "drops": dict(manifest.get("drops") or {}),
        "languages": ordered_languages + sorted(languages - set(ordered_languages)),
        "configs": configs,
        "has_wikipedia": has_wikipedia,
    }


__all__ = [
    "CONFIG_NAMES",
    "card_metadata",
    "config_globs",
    "license_for",
    "render_card",
    "size_category",
    "split_card",
    "stats_from_folder",
    "validate_card",
]
