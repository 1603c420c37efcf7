"""JSON Schemas of kcdata's documents over a local registry (no network).

Schemas live in ``schemas/<kind>.schema.json`` (rows, relation and template files, build configs,
manifests, score rows); ``$ref`` between them resolves locally by ``$id``. The row schema is also
the row contract: :func:`row_fields` gives a row's fields in column order. Loading a config or a
relation file checks it here; :mod:`kcdata.validate` adds the semantic checks of rows and built
folders.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from kcdata.errors import ConfigError
from kcdata.resources import schemas_dir


@functools.lru_cache(maxsize=1)
def _registry():
    from referencing import Registry, Resource

    resources = []
    for path in sorted(schemas_dir().glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


@functools.lru_cache(maxsize=16)
def load_schema(kind: str) -> dict[str, Any]:
    """The parsed ``schemas/<kind>.schema.json`` (shared: do not modify it)."""
    path = schemas_dir() / f"{kind}.schema.json"
    if not path.is_file():
        raise ConfigError(f"no schema named {kind!r} in {schemas_dir()}")
    return json.loads(path.read_text(encoding="utf-8"))


def row_fields() -> tuple[str, ...]:
    """The fields of a dataset row, in column order: the properties of ``schemas/row.schema.json``.

    The row schema is the one description of a row: the parquet columns are derived from it
    (:mod:`kcdata.publish.parquet`), and tests hold the row builder and the README's table to it.
    """
    return tuple(load_schema("row")["properties"])


@functools.lru_cache(maxsize=16)
def validator(kind: str):
    """A Draft 2020-12 validator for ``schemas/<kind>.schema.json``."""
    import jsonschema

    schema = load_schema(kind)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, registry=_registry(), format_checker=cls.FORMAT_CHECKER)


@dataclass(frozen=True)
class Problem:
    """One validation error, located by row id and JSON path."""

    where: str
    """Row id, or file:line when the row has no id."""
    path: str
    """JSON path inside the document, e.g. ``$.subject.label``."""
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.path}: {self.message}"


def _json_path(error) -> str:
    out = "$"
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


COMPILED_KINDS = ("row",)
"""Schemas checked first by a compiled validator (``jsonschema-rs``): the row schema, checked once per
row of a build. It has no ``format`` keyword, so the compiled and the reference validator judge it
alike (``tests/validate/test_compiled_validator.py`` holds them to it)."""


@functools.lru_cache(maxsize=16)
def compiled_validator(kind: str):
    """A compiled validator of ``schemas/<kind>.schema.json`` (``jsonschema-rs``, a default dependency),
    or None for a kind outside :data:`COMPILED_KINDS` or where the wheel is missing (the reference
    validator then judges alone, about 30x slower per row)."""
    if kind not in COMPILED_KINDS:
        return None
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - depends on the platform
        return None
    return jsonschema_rs.validator_for(load_schema(kind))


def problems(doc: Any, kind: str, where: str) -> list[Problem]:
    """Every schema error of ``doc`` (sorted by path, so output is stable).

    A document the compiled validator accepts has none; any other is judged by the reference
    validator (``jsonschema``), whose messages the errors carry.
    """
    fast = compiled_validator(kind)
    if fast is not None:
        try:
            if fast.is_valid(doc):
                return []
        except (ValueError, TypeError, OverflowError):  # a value JSON has no type for: judged below
            pass
    errs = sorted(validator(kind).iter_errors(doc), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    return [Problem(where, _json_path(e), e.message) for e in errs]


MAX_ECHO = 300
"""Longest message text a validation error echoes (a value is cut, never printed whole)."""


def _cut(text: str, limit: int = MAX_ECHO) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text) - limit} more characters)"


def check_document(doc: Any, kind: str, where: str) -> None:
    """Raise ConfigError listing the schema errors of a config-like document (at most 20, each
    cut to :data:`MAX_ECHO` characters)."""
    found = problems(doc, kind, where)
    if found:
        lines = "\n".join(f"  {_cut(p.path, 120)}: {_cut(p.message)}" for p in found[:20])
        more = f"\n  ... and {len(found) - 20} more" if len(found) > 20 else ""
        raise ConfigError(f"{where} does not match schemas/{kind}.schema.json:\n{lines}{more}")


MAX_YAML_BYTES = 8 * 1024 * 1024
MAX_YAML_NODES = 1_000_000
"""Most values a YAML document may hold with its aliases (*name) expanded."""


def _expanded_size(node: Any, memo: dict[int, int]) -> int:
    import yaml

    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # a cycle counts once
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(n, memo) for n in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    else:
        size = 1
    memo[key] = min(size, MAX_YAML_NODES + 1)
    return memo[key]


def load_yaml_file(path: Any) -> dict:
    """A YAML file that must hold a mapping (relation, template and grammar files), loaded with
    :func:`load_yaml`'s bounds; a clear ConfigError otherwise."""
    try:
        data = load_yaml(path.read_text(encoding="utf-8"), str(path))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int) -> None:
        super().__init__(key)
        self.key, self.line = key, line


@functools.lru_cache(maxsize=1)
def _plain_loader():
    """``yaml.SafeLoader`` that keeps dates as the strings they are written as (``as_of:
    2020-01-01`` unquoted, and ``2020-02-30`` left for the date check to name) and refuses a key
    given twice in one mapping."""
    import yaml

    # libyaml's parser where PyYAML has it (about 10x faster; relation and grammar files are
    # read on every build), the pure-Python one otherwise: the same documents either way
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class PlainLoader(base):  # type: ignore[misc, valid-type]
        def construct_mapping(self, node, deep=False):
            seen: set = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if isinstance(key, str | int | float | bool) and key in seen:
                    raise _DuplicateKey(str(key), key_node.start_mark.line + 1)
                if isinstance(key, str | int | float | bool):
                    seen.add(key)
            return super().construct_mapping(node, deep=deep)

    PlainLoader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return PlainLoader


def load_yaml(text: str, where: str) -> Any:
    """Parse a YAML document safely: at most :data:`MAX_YAML_BYTES` and :data:`MAX_YAML_NODES`
    values with aliases expanded (a 1 KB file of nested aliases, "billion laughs", would otherwise
    expand to gigabytes in validation and messages), plain data types only.

    Raises:
        ConfigError: too large, too many values, or not valid YAML, naming ``where``.
    """
    import yaml

    if len(text) > MAX_YAML_BYTES:
        raise ConfigError(f"{where}: {len(text)} characters, more than a YAML file here may hold ({MAX_YAML_BYTES})")
    loader = _plain_loader()
    try:
        parser = loader(text)
        try:  # composed once: the node tree is checked, then constructed
            node = parser.get_single_node()
            if node is not None and _expanded_size(node, {}) > MAX_YAML_NODES:
                raise ConfigError(f"{where}: more than {MAX_YAML_NODES} values once its aliases (*name) are expanded",
                                  "write the values out instead of nesting aliases")
            return parser.construct_document(node) if node is not None else None
        finally:
            parser.dispose()
    except _DuplicateKey as e:
        raise ConfigError(f"{where}: line {e.line}: key {_cut(e.key, 80)!r} given twice",
                          "keep one of them (YAML would silently use the last)") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{where}: invalid YAML ({' '.join(_cut(str(e)).split())})") from None
    except RecursionError:
        raise ConfigError(f"{where}: YAML nested too deeply") from None
