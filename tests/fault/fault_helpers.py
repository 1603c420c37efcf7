"""Mutations of real entities for the fault suite: hypothesis strategies that replace one subtree of
a real fixture entity (the embedded sample's, slimmed to what a build reads) with a value of the
wrong type, a bad time, a bad amount, a bad id or a text with a lone surrogate.

A mutation is ``(entity index, path, new value)``; :func:`apply` makes the mutated entity by
copying only the containers along the path (the rest is shared with the original, which the
parsers must not change).
"""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from kcdata.classify import load_rules
from kcdata.facts import INFO_PROPERTIES
from kcdata.facts.slim import slim_entity
from kcdata.relations import load_relations
from kcdata.resources import sample_dir

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"

LANGUAGES = frozenset({"en", "de", "fr", "ru", "mul"})
RULES_QUALIFIERS = load_rules().qualifiers
JsonPath = tuple[Any, ...]


@functools.cache
def relations() -> frozenset[str]:
    return frozenset(load_relations())


EXTRA_CLAIMS = INFO_PROPERTIES | {"P625", "P1448", "P1705", "P373", "P856", "P2044"}
"""Claims kept beside the template relations: the entity's kind, and coordinates, monolingual
texts, strings and more quantities for the strategies to mutate."""
FIXTURE_FILES = ("entitybase-backend/Q42.json", "openrefine/Q16.json", "wikibase-dump-filter/Q22.json",
                 "we-framework/Q30.json", "wikibase-sdk/Q571.json", "wikibase-sdk/L525.json",
                 "dahlia-wikidata/Q1299.json", "entitybase-backend/Q1.json")


def _slim(entity: dict[str, Any]) -> dict[str, Any] | None:
    e = slim_entity(entity, relations(), LANGUAGES, references=False, keep_claims=EXTRA_CLAIMS)
    if e is not None:
        e.pop("sitelinks", None)
    return e


@functools.cache
def sample_entities() -> tuple[dict[str, Any], ...]:
    """Real entities, slimmed to what a build reads (the claims of the template relations and
    :data:`EXTRA_CLAIMS`, the build's languages, no references or sitelinks): first the embedded
    sample's (:data:`SAMPLE_COUNT` of them), then a few from ``../shared/fixtures``."""
    out = []
    with gzip.open(sample_dir() / "entities.json.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            s = line.strip().rstrip(",")
            if s not in ("", "[", "]") and (e := _slim(json.loads(s))) is not None:
                out.append(e)
    global SAMPLE_COUNT
    SAMPLE_COUNT = len(out)
    for name in FIXTURE_FILES:
        doc = json.loads((FIXTURES / "wikidata_entities" / name).read_text(encoding="utf-8"))
        for ent in doc["entities"].values() if "entities" in doc else [doc]:
            if (e := _slim(ent)) is not None:
                out.append(e)
    return tuple(out)


SAMPLE_COUNT = 0


def sample_count() -> int:
    sample_entities()
    return SAMPLE_COUNT


def walk(node: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, Any]]:
    """Every (path, subtree) of a JSON value, the root first."""
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, (*path, i))


def _datavalue(node: Any, kind: str) -> bool:
    return isinstance(node, dict) and node.get("type") == kind and isinstance(node.get("value"), dict)


@functools.cache
def targets(index: int) -> dict[str, tuple[JsonPath, ...]]:
    """Paths of one sample entity by what they hold."""
    found: dict[str, list[JsonPath]] = {"any": [], "claim": [], "time": [], "quantity": [], "item": [],
                                        "string": [], "id": [], "coordinate": [], "text": []}
    for path, node in walk(sample_entities()[index]):
        found["any"].append(path)
        if len(path) >= 2 and path[0] == "claims":
            found["claim"].append(path)
        if _datavalue(node, "time"):
            found["time"].append((*path, "value"))
        elif _datavalue(node, "quantity"):
            found["quantity"].append((*path, "value"))
        elif _datavalue(node, "wikibase-entityid"):
            found["item"].append((*path, "value"))
        elif _datavalue(node, "globecoordinate"):
            found["coordinate"].append((*path, "value"))
        if isinstance(node, str):
            found["string"].append(path)
            # the texts a build reads: terms, string and monolingual values, statement ids
            if (path[0] in ("labels", "aliases") and path[-1] == "value") or path[-2:] in (
                    ("datavalue", "value"), ("value", "text"), ("value", "language")) or (
                    path[0] == "claims" and len(path) == 4 and path[-1] == "id"):
                found["text"].append(path)
    found["id"] = [("id",)] + [p for p in found["item"]]
    return {k: tuple(v) for k, v in found.items()}


def get(node: Any, path: JsonPath) -> Any:
    for key in path:
        node = node[key]
    return node


def apply(entity: Any, path: JsonPath, value: Any) -> Any:
    """``entity`` with the subtree at ``path`` replaced by ``value`` (copies along the path only)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    copy: Any = dict(entity) if isinstance(entity, dict) else list(entity)
    copy[head] = apply(entity[head], rest, value)
    return copy


# -- the bad values ------------------------------------------------------------------------------

SURROGATE = st.sampled_from(["\ud800", "\udfff", "x\udc00y", "\ud83d"])
WRONG_TYPES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=3), st.one_of(st.none(), st.integers(), st.text(max_size=3)), max_size=3),
    SURROGATE,
)
TIME_TEXTS = st.one_of(
    st.sampled_from([
        "+1999-02-30T00:00:00Z", "+1999-13-01T00:00:00Z", "+1999-00-00T00:00:00Z", "+1999-04-31T00:00:00Z",
        "+9999-12-00T00:00:00Z", "+9999-12-31T00:00:00Z", "+10000-01-01T00:00:00Z", "-0044-03-15T00:00:00Z",
        "+1900-02-29T00:00:00Z", "+2000-02-29T00:00:00Z", "+0000-00-00T00:00:00Z", "1999-01-01T00:00:00Z",
        "+1999-01-01", "+1999-01-01T25:00:00Z", "+" + "9" * 17 + "-00-00T00:00:00Z", "+" + "9" * 16 + "-01-01T00:00:00Z",
        "sometime", "", "+1999-1-1T00:00:00Z", "+１９９９-01-01T00:00:00Z",
    ]),
    st.from_regex(r"\A[+-]?\d{1,6}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z"),
    WRONG_TYPES,
)
PRECISIONS = st.one_of(st.integers(min_value=-2, max_value=16), st.sampled_from([None, "11", True, 9.0]))
CALENDARS = st.sampled_from([
    "http://www.wikidata.org/entity/Q1985727", "http://www.wikidata.org/entity/Q1985786",
    "http://www.wikidata.org/entity/Q12138", "Q1985727", "", None, 5,
])
TIMES = st.fixed_dictionaries(
    {"time": TIME_TEXTS}, optional={"precision": PRECISIONS, "calendarmodel": CALENDARS}
)
AMOUNTS = st.one_of(
    st.sampled_from([
        "NaN", "+NaN", "Infinity", "-Infinity", "inf", "1e5", "+1E+999999", "abc", "", "+", "+.5", "+5.",
        "+" + "9" * 27, "+" + "9" * 28, "+" + "9" * 29, "+1" + "0" * 60, "+" + "3" * 127, "+" + "3" * 126,
        "+0." + "0" * 26 + "99", "+3.1415926535897932384626433832795028841971693993751058209749",
        "-0", "+007", " 5", "+5 ",
    ]),
    st.from_regex(r"\A[+-]?\d{1,40}(\.\d{1,40})?\Z"),
    WRONG_TYPES,
)
UNITS = st.sampled_from(["1", "http://www.wikidata.org/entity/Q11573", "http://www.wikidata.org/entity/Q0",
                         "Q11573", "http://www.wikidata.org/entity/P31", "", None, 1, "\ud800"])
QUANTITIES = st.fixed_dictionaries(
    {"amount": AMOUNTS}, optional={"unit": UNITS, "lowerBound": AMOUNTS, "upperBound": AMOUNTS}
)
IDS = st.one_of(
    st.sampled_from([
        "foo", "Q1:P2", "L1-F1", "L1-S2", "L1", "P31", "Q0", "Q01", "Q", "", "M89", "E1", "Q-5", "q42",
        "Q" + "9" * 20, "Q42 ", "Q\ud800", "Q42$abc", "Q١٢",
    ]),
    WRONG_TYPES,
)
ITEM_VALUES = st.one_of(
    st.fixed_dictionaries({"id": IDS}),
    st.fixed_dictionaries({"numeric-id": st.one_of(st.integers(min_value=-3, max_value=10**16), WRONG_TYPES)},
                          optional={"entity-type": st.sampled_from(["item", "property", "lexeme", "form", "", 5])}),
    WRONG_TYPES,
)
COORDINATES = st.fixed_dictionaries({
    "latitude": st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-200, 200), WRONG_TYPES),
    "longitude": st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-400, 400), WRONG_TYPES),
}, optional={"globe": UNITS})


@st.composite
def mutations(draw: Any, kinds: tuple[str, ...] = ("any", "claim", "time", "quantity", "item", "string", "id",
                                                   "coordinate", "text"),
              sample_only: bool = False) -> tuple[int, JsonPath, Any, str]:
    """``(entity index, path, new value, kind)`` of one mutation of one real entity (``sample_only``:
    of the embedded sample's)."""
    index = draw(st.integers(0, (sample_count() if sample_only else len(sample_entities())) - 1))
    found = targets(index)
    kind = draw(st.sampled_from([k for k in kinds if found[k]] or ["any"]))
    path = draw(st.sampled_from(found[kind]))
    original = get(sample_entities()[index], path)
    if kind in ("time", "quantity", "item", "coordinate") and draw(st.booleans()):
        # one field of the real value changed (or added)
        fields = {"time": {"time": TIME_TEXTS, "precision": PRECISIONS, "calendarmodel": CALENDARS},
                  "quantity": {"amount": AMOUNTS, "unit": UNITS, "lowerBound": AMOUNTS, "upperBound": AMOUNTS},
                  "item": {"id": IDS, "numeric-id": WRONG_TYPES, "entity-type": WRONG_TYPES},
                  "coordinate": {"latitude": WRONG_TYPES, "longitude": WRONG_TYPES, "globe": UNITS}}[kind]
        name = draw(st.sampled_from(sorted(fields)))
        return index, path, {**original, name: draw(fields[name])}, kind
    if kind == "time":
        value = draw(TIMES)
    elif kind == "quantity":
        value = draw(QUANTITIES)
    elif kind == "item":
        value = draw(ITEM_VALUES)
    elif kind == "coordinate":
        value = draw(COORDINATES)
    elif kind == "id":
        value = draw(IDS) if path == ("id",) else {"id": draw(IDS)}
    elif kind in ("string", "text"):
        value = draw(st.one_of(SURROGATE.map(lambda s, o=original: o + s), WRONG_TYPES))
    else:
        value = draw(WRONG_TYPES)
    return index, path, value, kind


def statement_of(path: JsonPath) -> tuple[str, int] | None:
    """``(property, index)`` of the statement a path lies in (None: outside every statement)."""
    if len(path) >= 3 and path[0] == "claims" and isinstance(path[2], int):
        return path[1], path[2]
    return None


def line_of(entity: Any) -> bytes:
    """The entity as a dump line: a lone surrogate as its ``\\u`` escape (the only way JSON text can
    hold one), NaN and infinities as Python's json writes them (not JSON)."""
    return json.dumps(entity, ensure_ascii=True, separators=(",", ":")).encode("ascii")
