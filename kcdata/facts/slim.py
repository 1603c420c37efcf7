"""Wikibase entity JSON made smaller: only what facts read, from a dict or straight from raw bytes.

:func:`slim_entity` keeps an entity's labels, aliases, sitelinks and the statement lists of the
asked relations (descriptions dropped, references optionally); :func:`terms_only` keeps labels
and aliases; both can keep the statement lists of a few more properties (``keep_claims``: what
:func:`kcdata.facts.parse_entity_info` reads of the entity's kind, ``P31`` and kin);
:func:`referenced_ids` lists the items and properties an entity's claims point to.
:func:`fast_slim` gives the result of :func:`slim_entity` (or :func:`terms_only`) straight from
one raw dump line, parsing only the parts kept (``orjson`` where installed, else :mod:`json`),
and falls back to a full parse whenever the line's layout is not the one it expects, so the
result is always the same (a test checks that on every fixture entity).

The dump reader (``sources/dump.py``, in its workers) and the fact fast path
(:mod:`kcdata.facts.fast`) use these; this module imports only :mod:`kcdata.facts.checks`. A line
that is no JSON object, or claims that are no object, raise
:class:`~kcdata.facts.checks.BadValue` (a ValueError); other odd shapes are passed on for the
parsers to check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kcdata.facts.checks import BadValue, echo
from kcdata.facts.checks import loads as _strict_json_loads

try:  # optional fast JSON parser (extra "fast")
    import orjson as _orjson

    _loads: Callable[[bytes], Any] = _orjson.loads
    JSON_BACKEND = "orjson"
except ImportError:  # pragma: no cover - depends on the environment
    _loads = _strict_json_loads  # no NaN / Infinity, as orjson; RecursionError becomes a BadValue
    JSON_BACKEND = "json"


def _entity_object(obj: Any) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise BadValue("bad_entity_json", f"an entity must be an object, got {echo(obj)}", entity=True)
    return obj


def slim_entity(
    entity: dict[str, Any],
    relations: frozenset[str] | None = None,
    languages: frozenset[str] | None = None,
    references: bool = True,
    keep_claims: frozenset[str] = frozenset(),
) -> dict[str, Any] | None:
    """Keep what a fact needs: claims of ``relations``, labels and aliases, sitelinks.

    Descriptions are dropped (no fact reads them).

    Args:
        entity: A full Wikibase entity.
        relations: Property ids to keep (``None``: all claims).
        languages: Language codes of labels/aliases to keep (``None``: all).
        references: Keep the statements' ``references`` (the fact layer does not read them).
        keep_claims: Property ids whose statement lists are kept too, which alone do not make
            the entity kept (e.g. ``P31`` for the entity's classes).

    Returns:
        A smaller entity dict of the same shape (claims in the entity's order), or ``None`` when
        it has no claim for ``relations``.
    """
    claims = entity.get("claims") or {}
    if not isinstance(claims, dict):
        raise BadValue("bad_entity_shape", f"claims is not an object: {echo(claims)}", entity=True)
    if relations is not None:
        claims = {p: v for p, v in claims.items() if p in relations or p in keep_claims}
        if not any(p in relations for p in claims):
            return None
    out: dict[str, Any] = {k: entity[k] for k in ("type", "id", "lastrevid", "modified") if k in entity}
    for terms in ("labels", "aliases"):
        val = entity.get(terms) or {}
        if languages is not None and isinstance(val, dict):
            val = {lang: v for lang, v in val.items() if lang in languages}
        out[terms] = val
    if not references:
        claims = {
            p: [
                {k: v for k, v in st.items() if k != "references"} if isinstance(st, dict) else st
                for st in group
            ]
            if isinstance(group, list)
            else group
            for p, group in claims.items()
        }
    out["claims"] = claims
    sitelinks = entity.get("sitelinks") or {}
    out["sitelinks"] = sitelinks if isinstance(sitelinks, dict) else {}
    return out


def terms_only(
    entity: dict[str, Any], languages: frozenset[str] | None = None, keep_claims: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Labels and aliases (and id, type) of an entity, for the label table of referenced ids.

    With ``keep_claims``, also ``claims``: the statement lists of those properties (in the
    entity's order, without their references; ``{}`` when it has none).
    """
    out: dict[str, Any] = {"type": entity.get("type"), "id": entity.get("id")}
    for terms in ("labels", "aliases"):
        val = entity.get(terms) or {}
        if languages is not None and isinstance(val, dict):
            val = {lang: v for lang, v in val.items() if lang in languages}
        out[terms] = val
    if keep_claims:
        claims = entity.get("claims") or {}
        out["claims"] = (
            {
                p: [
                    {k: v for k, v in st.items() if k != "references"} if isinstance(st, dict) else st
                    for st in group
                ]
                for p, group in claims.items()
                if p in keep_claims and isinstance(group, list) and group
            }
            if isinstance(claims, dict)
            else {}
        )
    return out


def referenced_ids(entity: dict[str, Any]) -> set[str]:
    """Ids of items/properties referenced by the entity's claims (values and qualifiers)."""
    found: set[str] = set()

    def snak(s: Any) -> None:
        if not isinstance(s, dict):
            return
        prop = s.get("property")
        if prop:
            found.add(prop)
        dv = s.get("datavalue")
        v = dv.get("value") if isinstance(dv, dict) else None
        if not isinstance(v, dict):
            return
        if dv.get("type") == "wikibase-entityid":
            vid = v.get("id")
            if not vid and "numeric-id" in v:
                prefix = {"item": "Q", "property": "P", "lexeme": "L"}.get(v.get("entity-type"), "Q")
                vid = f"{prefix}{v['numeric-id']}"
            if vid:
                found.add(vid)
        elif dv.get("type") == "quantity":
            unit = v.get("unit", "")
            if isinstance(unit, str) and "/entity/" in unit:
                found.add(unit.rsplit("/", 1)[-1])

    claims = entity.get("claims") or {}
    for statements in claims.values() if isinstance(claims, dict) else ():
        for st in statements if isinstance(statements, list) else ():
            if not isinstance(st, dict):
                continue
            snak(st.get("mainsnak"))
            quals = st.get("qualifiers") or {}
            for qs in quals.values() if isinstance(quals, dict) else ():
                for q in qs if isinstance(qs, list) else ():
                    snak(q)
    found.discard(entity.get("id"))
    return found


_TOP_KEYS = (
    b'"labels":',
    b'"descriptions":',
    b'"aliases":',
    b'"claims":',
    b'"sitelinks":',
    b'"lastrevid":',
    b'"modified":',
)
_FEW_RELATIONS = 6
"""Up to this many relations, statement lists are found by direct search, else by one regex."""
_LATE_KEYS = frozenset({b'"sitelinks":', b'"lastrevid":', b'"modified":'})
_PKEY_RE = re.compile(rb'"P\d+":\[')
_STMT_RE = re.compile(rb'"(P\d+)":\[\{"mainsnak"')
_ODD_LIST_RE = re.compile(rb'"(P\d+)":\[(?!\{"mainsnak"|\{"snaktype")')
"""A property's list that is neither statements in the dump's layout nor snaks (``[{}]``, ``[]``,
``[1]``): where an asked relation has one, the full parser reads the line (and checks it)."""


class _Fallback(Exception):
    """The raw line does not have the layout the fast path expects: parse it whole."""


def _statement_level(line: bytes, pos: int, end: int) -> bool:
    """Whether the ``"Pn":[`` key at ``pos`` opens a statement list (not qualifier/reference snaks).

    A statement object carries ``"mainsnak"`` before any ``"snaktype"`` (its mainsnak's); a
    snak list shows ``"snaktype"`` first.
    """
    m = line.find(b'"mainsnak"', pos, end)
    if m == -1:
        return False
    s = line.find(b'"snaktype"', pos, end)
    return s == -1 or m < s


def fast_slim(
    line: bytes,
    relations: frozenset[str] | None,
    languages: frozenset[str] | None = None,
    *,
    references: bool = True,
    terms_only_: bool = False,
    keep_claims: frozenset[str] = frozenset(),
) -> dict[str, Any] | None:
    """:func:`slim_entity` (or :func:`terms_only`) straight from a raw dump line.

    Parses only the top-level parts needed (terms, the statement lists of ``relations`` and
    ``keep_claims``, sitelinks) instead of the whole entity; the skipped parts (other claims,
    their references) are most of a large entity's bytes. Falls back to a full parse whenever
    the line's layout is not the one expected, so the result always equals
    ``slim_entity(json.loads(line), ...)`` (or ``terms_only(json.loads(line), ...)``).

    Args:
        line: One entity's JSON (no trailing comma).
        relations: Property ids (``None``: all claims, i.e. a full parse); ignored with
            ``terms_only_``.
        languages: Languages of the terms to keep (``None``: all).
        references: Keep statement references (dropping them skips their bytes too).
        terms_only_: Return :func:`terms_only` instead.
        keep_claims: Statement lists kept too (see :func:`slim_entity` and :func:`terms_only`).

    Returns:
        The slim entity, or ``None`` when it has no statement for ``relations``.
    """
    if relations is None and not terms_only_:
        return slim_entity(_entity_object(_loads(line)), None, languages, references)
    try:
        return _fast_slim(line, relations or frozenset(), languages, terms_only_, references, keep_claims)
    except (_Fallback, ValueError, TypeError, KeyError, AttributeError):
        entity = _entity_object(_loads(line))
        if terms_only_:
            return terms_only(entity, languages, keep_claims)
        return slim_entity(entity, relations, languages, references, keep_claims)


def _strip_references(arr: bytes) -> bytes:
    """Cut each statement's ``"references":[...]`` from a dump statement list, in bytes.

    In the dump's layout ``references`` is a statement's last key, after ``rank``; a statement
    that does not look like that keeps its references (they are removed after parsing).
    """
    if b'"references":[' not in arr:
        return arr
    sep = b',{"mainsnak"'
    parts = arr.split(sep)
    for i, part in enumerate(parts):
        r = part.find(b',"references":[')
        if r == -1 or b'"rank":' not in part[:r]:
            continue
        last = i == len(parts) - 1
        if not part.endswith(b"]}]" if last else b"]}"):
            continue
        parts[i] = part[:r] + (b"}]" if last else b"}")
    return sep.join(parts)


def _fast_slim(
    line: bytes,
    relations: frozenset[str],
    languages: frozenset[str] | None,
    terms_only_: bool,
    references: bool = True,
    keep_claims: frozenset[str] = frozenset(),
) -> dict[str, Any] | None:
    if not line.startswith(b"{") or not line.endswith(b"}"):
        raise _Fallback
    found = []
    for key in _TOP_KEYS:
        # each key occurs once; the late ones are found faster from the end
        p = line.rfind(key) if key in _LATE_KEYS else line.find(key)
        if p != -1:
            found.append((p, key))
    claims_at = next((p for p, k in found if k == b'"claims":'), -1)
    # top-level "type"/"id" come before the claims in every known layout; a first "id" after
    # the claims would be a statement id: let the full parser handle such a layout
    head_end = claims_at if claims_at != -1 else len(line)
    head: dict[str, Any] = {}
    for key in (b'"type":', b'"id":'):
        p = line.find(key, 0, head_end)
        if p == -1:
            raise _Fallback
        found.append((p, key))
    found.sort()
    close = len(line) - 1  # the entity's closing brace
    seg: dict[bytes, tuple[int, int]] = {}
    for i, (p, key) in enumerate(found):
        start = p + len(key)
        end = found[i + 1][0] - 1 if i + 1 < len(found) else close
        if line[end : end + 1] not in (b",", b"}"):
            raise _Fallback
        seg[key] = (start, end)

    def value(key: bytes) -> Any:
        a, b = seg[key]
        return _loads(line[a:b])

    for key, name in ((b'"type":', "type"), (b'"id":', "id")):
        head[name] = value(key)
    if not isinstance(head["id"], str):
        raise _Fallback
    out: dict[str, Any] = {}
    if terms_only_:
        out = {"type": head["type"], "id": head["id"]}
        for key, name in ((b'"labels":', "labels"), (b'"aliases":', "aliases")):
            val = (value(key) if key in seg else {}) or {}
            if languages is not None and isinstance(val, dict):
                val = {lang: v for lang, v in val.items() if lang in languages}
            out[name] = val
        if keep_claims:
            cseg = seg.get(b'"claims":')
            out["claims"] = _claim_lists(line, cseg, keep_claims, False) if cseg is not None else {}
        return out
    cseg = seg.get(b'"claims":')
    claims = _claim_lists(line, cseg, relations | keep_claims, references) if cseg is not None else {}
    if not any(rel in relations for rel in claims):
        return None
    out = {"type": head["type"], "id": head["id"]}
    for key, name in ((b'"lastrevid":', "lastrevid"), (b'"modified":', "modified")):
        if key in seg:
            out[name] = value(key)
    for key, name in ((b'"labels":', "labels"), (b'"aliases":', "aliases")):
        val = (value(key) if key in seg else {}) or {}
        if languages is not None and isinstance(val, dict):
            val = {lang: v for lang, v in val.items() if lang in languages}
        out[name] = val
    out["claims"] = claims
    sitelinks = (value(b'"sitelinks":') if b'"sitelinks":' in seg else {}) or {}
    out["sitelinks"] = sitelinks if isinstance(sitelinks, dict) else {}
    return out


def _claim_lists(
    line: bytes, cseg: tuple[int, int], relations: frozenset[str], references: bool
) -> dict[str, Any]:
    """The statement lists of ``relations`` in the ``claims`` value at ``line[cseg[0]:cseg[1]]``,
    in the entity's order (references dropped unless ``references``).

    Raises:
        _Fallback: The statement lists are not where the dump's layout puts them.
    """
    ca, cb = cseg
    claims: dict[str, Any] = {}
    positions: dict[str, int] = {}
    first = line.find(b"[", ca, cb)
    if first == -1 or line[ca:cb].strip() == b"[]":
        pass  # no statements at all ({} or [])
    elif line.startswith(b'[{"mainsnak"', first):
        # the dump's layout: every statement list opens with '[{"mainsnak"', which no
        # qualifier or reference snak list does — one regex pass finds them all
        for m in _ODD_LIST_RE.finditer(line, ca, cb):
            if m.group(1).decode() in relations:
                raise _Fallback
        spans: list[tuple[int, str, int, int]] = []
        if len(relations) <= _FEW_RELATIONS:
            # a few relations: a direct search for each is faster than listing all keys
            for rel in relations:
                pos = line.find(f'"{rel}":[{{"mainsnak"'.encode(), ca, cb)
                if pos == -1:
                    continue
                astart = pos + len(rel) + 3
                nxt = line.find(b'":[{"mainsnak"', astart + 1, cb)
                aend = line.rfind(b',"', astart, nxt) if nxt != -1 else cb - 1
                spans.append((pos, rel, astart, aend))
        else:
            keys = [(m.start(), m.group(1).decode()) for m in _STMT_RE.finditer(line, ca, cb)]
            for i, (pos, rel) in enumerate(keys):
                if rel in relations:
                    aend = keys[i + 1][0] - 1 if i + 1 < len(keys) else cb - 1
                    spans.append((pos, rel, pos + len(rel) + 3, aend))
        for pos, rel, astart, aend in spans:
            raw_arr = line[astart:aend]
            arr = _loads(raw_arr if references else _strip_references(raw_arr))
            # wrong boundaries would show in the first or last statement
            if (
                not isinstance(arr, list)
                or not arr
                or any(
                    not isinstance(st, dict) or (st.get("mainsnak") or {}).get("property", rel) != rel
                    for st in (arr[0], arr[-1])
                )
            ):
                raise _Fallback
            claims[rel] = arr
            positions[rel] = pos
    else:
        if not _statement_level(line, first, cb):
            raise _Fallback  # statements whose keys come in another order
        for rel in relations:
            needle = f'"{rel}":['.encode()
            pos = line.find(needle, ca, cb)
            while pos != -1 and not _statement_level(line, pos + len(needle) - 1, cb):
                pos = line.find(needle, pos + len(needle), cb)
            if pos == -1:
                continue
            astart = pos + len(needle) - 1
            aend = cb - 1  # before the claims object's closing brace
            for m in _PKEY_RE.finditer(line, astart + 1, cb):
                if _statement_level(line, m.end() - 1, cb):
                    aend = m.start() - 1
                    break
            arr = _loads(line[astart:aend])
            if not isinstance(arr, list) or any(
                (st.get("mainsnak") or {}).get("property", rel) != rel for st in arr
            ):
                raise _Fallback
            claims[rel] = arr
            positions[rel] = pos
    if not references:
        for group in claims.values():
            for st in group:
                if isinstance(st, dict):
                    st.pop("references", None)
    # keep the claims in the entity's own order, as slim_entity does
    return {rel: claims[rel] for rel in sorted(claims, key=lambda r: positions[r])}
