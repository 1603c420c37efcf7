"""Build configuration: a YAML file, overridden by command-line flags, validated by a JSON Schema."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kcdata.errors import ConfigError
from kcdata.schemas import load_yaml

DEFAULT_LANGUAGES = ("en", "de", "fr", "ru")


@dataclass(frozen=True)
class BuildConfig:
    """Everything that determines a build's output (with the inputs themselves)."""

    name: str = "kcdata-sample"
    """Dataset name, used in the card and manifest."""
    source: str = "sample"
    """sample (the embedded snapshot), files (entity JSON files), api (live Wikidata), dump."""
    source_path: str | None = None
    """Dump path, or a folder / file of entity JSON for ``files``."""
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    relations: tuple[str, ...] | None = None
    """Property ids to build; all relations with templates when None."""
    seed: int = 0
    as_of: str | None = None
    """YYYY-MM-DD every fact is judged at; default: each entity's own snapshot date. A fact whose
    data was recorded before an explicit ``as_of`` is dropped (``as_of_after_snapshot``)."""
    rules: str = "rules_v2"
    """Classification rules version (``rules_v1`` stays selectable)."""
    counterfactuals: str = "v2"
    """Counterfactual strategy set (``v1`` stays selectable)."""
    answers: str = "answers_v2"
    """How answer lists are made (``answers_v1`` stays selectable)."""
    contexts: str = "contexts_v3"
    """How template questions and contexts are made (``contexts_v1`` and ``contexts_v2`` stay selectable)."""
    passages: str = "passages_v2"
    """How Wikipedia passages are chosen and checked (``passages_v1`` stays selectable)."""
    wikipedia: bool = True
    """Add Wikipedia passages where the source has article text."""
    user_agent: str | None = None
    cache_dir: str | None = None
    offline: bool = False
    workers: int = 1
    executor: str = "local"
    """Where a dump's ranges are read and rows rendered: ``local`` processes, or ``ray`` tasks
    (extra ``ray``); the same bytes either way. Left out of :meth:`to_dict` when ``local``."""
    ray_address: str | None = None
    """The Ray cluster to join (``ray://host:10001`` or ``auto``); None starts Ray on this machine."""
    shard_cache: bool = True
    """Keep a dump's extraction as Parquet shards in the cache and reuse it
    (:mod:`kcdata.sources.shards`); left out of :meth:`to_dict` when on."""
    subjects: tuple[str, ...] | None = None
    """Subject ids for the api source (or a filter for the others)."""
    label_table: str | None = None
    """A JSONL(.gz) table {id, lang, label} of labels of referenced entities (dump source)."""
    sparql: dict[str, str] | None = None
    """Per-relation WDQS query templates for the api source."""
    sample: int | None = None
    """Facts per relation x kind, drawn seeded and stratified by popularity
    (:mod:`kcdata.classify.sample`); None builds every fact (and is left out of :meth:`to_dict`,
    so configs and manifests of builds without a sample read as before)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples as lists), the form stored in manifests."""
        out = dataclasses.asdict(self)
        if out["sample"] is None:
            del out["sample"]
        for key, default in (("executor", "local"), ("ray_address", None), ("shard_cache", True)):
            if out[key] == default:  # configs and manifests of builds that do not set them read as before
                del out[key]
        for k, v in out.items():
            if isinstance(v, tuple):
                out[k] = list(v)
        return out


_TUPLES = ("languages", "relations", "subjects")


def from_dict(data: dict[str, Any], where: str = "config") -> BuildConfig:
    """Validate a dict against schemas/build_config.schema.json and make a BuildConfig."""
    from kcdata.dates import parse_date
    from kcdata.schemas import check_document

    for key in ("relations", "subjects", "languages"):
        if isinstance(data.get(key), list | tuple) and not data[key]:
            raise ConfigError(f"{where}: {key}: [] selects nothing",
                              f"list the {key} to build, or leave {key} out for the default")
    if data.get("as_of") is not None:
        try:
            parse_date(str(data["as_of"]))  # a clear "bad date ... use YYYY-MM-DD" before the schema
        except ConfigError as e:
            raise ConfigError(e.message if where == "flags" else f"{where}: as_of: {e.message}", e.remedy) from None
    check_document(data, "build_config", where)
    kwargs = dict(data)
    for k in _TUPLES:
        if kwargs.get(k) is not None:
            kwargs[k] = tuple(kwargs[k])
    prefix = "" if where == "flags" else f"{where}: "
    for k in ("relations", "subjects"):  # ids as Wikidata writes them, each once
        if kwargs.get(k):
            ids = tuple(x.upper() if x[:1] in "pq" and x[1:].isdigit() else x for x in kwargs[k])
            twice = sorted({x for x in ids if ids.count(x) > 1})
            if twice:
                raise ConfigError(f"{prefix}{k}: {', '.join(twice)} given twice", f"name each of the {k} once")
            kwargs[k] = ids
    source = kwargs.get("source", "sample")
    if kwargs.get("label_table") and source not in ("dump", "files"):
        raise ConfigError(f"{prefix}label_table is read by the dump and files sources, not by {source!r}",
                          "leave label_table out, or build from --source dump / files")
    if kwargs.get("cache_dir") and Path(kwargs["cache_dir"]).exists() and not Path(kwargs["cache_dir"]).is_dir():
        raise ConfigError(f"{prefix}cache_dir {kwargs['cache_dir']} is a file, not a folder", "name a folder for the cache")
    if kwargs.get("ray_address") and kwargs.get("executor", "local") != "ray":
        raise ConfigError(f"{prefix}ray_address is for the ray executor", "add --executor ray (executor: ray)")
    return BuildConfig(**kwargs)


def load_config(path: str | Path | None = None, **overrides: Any) -> BuildConfig:
    """Read a YAML config file (optional) and apply flag overrides (None means "not given").

    Raises:
        ConfigError: missing file, bad YAML, or a value that breaks the schema.
    """
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        if p.is_dir():
            raise ConfigError(f"{p} is a folder, not a build config", "pass a YAML build config or omit it")
        if not p.is_file():
            raise ConfigError(f"config file {p} not found", "pass a YAML build config or omit it")
        try:
            loaded = load_yaml(p.read_text(encoding="utf-8"), str(p))
        except UnicodeDecodeError:
            raise ConfigError(
                f"{p}: not a YAML build config (not UTF-8 text)",
                "a dump or entity files go to --source-path (or after --source dump/files)",
            ) from None
        if loaded is None:
            raise ConfigError(f"{p}: the build config is empty",
                              "write the settings to change (see the README, `kcdata build`), or omit the file for the defaults")
        if not isinstance(loaded, dict):
            raise ConfigError(f"{p}: a build config must be a YAML mapping")
        data.update(loaded)
    for key, value in overrides.items():
        if value is None or (isinstance(value, tuple | list) and not value):
            continue
        data[key] = list(value) if isinstance(value, tuple) else value
    return from_dict(data, str(path or "flags"))


def dump_config(config: BuildConfig) -> str:
    """The config as YAML (sorted keys), the form written into releases/."""
    return yaml.safe_dump(config.to_dict(), sort_keys=True, allow_unicode=True)


__all__ = ["BuildConfig", "DEFAULT_LANGUAGES", "dump_config", "from_dict", "load_config", "field"]
