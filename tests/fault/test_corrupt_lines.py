"""The fault suite at the byte level: JSON Lines and dump files of real entities with some lines cut,
broken, nested 100,000 deep, made invalid UTF-8, or given a lone surrogate, read by the entity
reader (``--source files``, ``kcdata classify``) and the dump reader (``--source dump``).

Every bad line is set aside with its reason, file, line and byte offset; every good line gives its
entity as before; a strict quarantine stops at the first bad line, naming it.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pytest
from fault_helpers import RULES_QUALIFIERS, line_of, relations, sample_entities
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kcdata.errors import InputError
from kcdata.facts import clean_entity, fast, iter_entities
from kcdata.facts.checks import REASONS, Quarantine
from kcdata.sources.dump import DumpOutput, iter_dump

_LONG = int(os.environ.get("KCDATA_FAULT_EXAMPLES", "0"))
LINES = settings(max_examples=_LONG // 2 or 200, deadline=None, derandomize=not _LONG, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
DUMPS = settings(max_examples=_LONG // 4 or 100, deadline=None, derandomize=not _LONG, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TMP = Path(tempfile.mkdtemp(prefix="kcdata-fault-lines-"))


def _corrupt(line: bytes, how: str, at: int, junk: bytes) -> bytes:
    cut = at % max(1, len(line))
    if how == "cut":
        return line[:cut]
    if how == "insert":
        return line[:cut] + junk + line[cut:]
    if how == "deep":  # inside a claims object, so that the dump reader's pre-filter passes it
        depth = 100_000 if at % 2 else 300 + at % 2000
        return b'{"type":"item","id":"Q1","claims":{"P17":' + b"[" * depth + b"]" * depth + b"}}"
    if how == "not an entity":
        return junk if junk.strip() else b"5"
    if how == "surrogate":
        i = line.find(b'"value":"')
        return line[: i + 9] + b"\\ud800" + line[i + 9:] if i != -1 else line + b"\\ud800"
    raise AssertionError(how)


CORRUPTIONS = st.tuples(
    st.sampled_from(["cut", "insert", "deep", "not an entity", "surrogate"]),
    st.integers(min_value=0, max_value=10**6),
    st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"NaN", b"Infinity", b"{", b"]", b",", b'"', b"\\",
                     b"5", b'"x"', b"[1,2]", b"null", b"[[[", b"\x00", b"1e999999"]),
)


@st.composite
def files(draw):
    """``(lines, corrupted line indexes)``: some real entity lines, a few of them broken."""
    n = len(sample_entities())
    picks = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=8, unique=True))
    lines = [line_of(sample_entities()[i]) for i in picks]
    bad = draw(st.sets(st.integers(0, len(lines) - 1), min_size=1, max_size=len(lines)))
    out = list(lines)
    for i in bad:
        out[i] = _corrupt(lines[i], *draw(CORRUPTIONS))
    return picks, lines, out


def _in_order(want: list, got: list) -> bool:
    """``want`` is a subsequence of ``got``. A corrupted line may still read as a record equal to a
    good one (the sample holds some entities twice, at the same revision), so ``got`` may hold more."""
    it = iter(got)
    return all(any(g == w for g in it) for w in want)


def _check(quarantine: Quarantine, data: bytes, starts: dict[int, int]) -> None:
    """Every record names a reason, and the line and byte offset where that line starts."""
    assert sum(quarantine.counts.values()) == len(quarantine.records)
    for r in quarantine.records:
        assert r["reason"] in REASONS and r["reason"] != "unreadable_entity", r
        assert r["line"] in starts and r["offset"] == starts[r["line"]], r
        assert r["offset"] == 0 or data[r["offset"] - 1:r["offset"]] == b"\n"
        assert len(r["detail"]) < 700


@LINES
@given(files())
def test_the_entity_reader_sets_aside_each_bad_line_and_reads_the_rest(f):
    picks, lines, out = f
    data = b"".join(x + b"\n" for x in out)
    starts, pos = {}, 0
    for n, x in enumerate(out, 1):
        starts[n] = pos
        pos += len(x) + 1
    quarantine = Quarantine()
    got = list(iter_entities(io.BytesIO(data), "f.jsonl", quarantine))  # never raises
    _check(quarantine, data, starts)
    want = []
    for n, (orig, now) in enumerate(zip(lines, out, strict=True), 1):
        if now == orig:
            problems: list = []
            want.append(clean_entity(sample_entities()[picks[n - 1]], problems))
            assert [r["reason"] for r in quarantine.records if r["line"] == n] == [p.reason for p in problems]
    assert _in_order(want, got)  # the good lines, in order, as before
    assert len(got) <= len(out)
    fatal = [r["line"] for r in quarantine.records if r["reason"] != "unsupported_entity"]
    if fatal:
        with pytest.raises(InputError, match=rf"^f\.jsonl:{min(fatal)}: "):
            list(iter_entities(io.BytesIO(data), "f.jsonl", Quarantine(strict=True)))


@DUMPS
@given(files(), st.sampled_from([256, 4096, 1 << 20]))
def test_the_dump_reader_sets_aside_each_bad_line_and_reads_the_rest(f, chunk):
    picks, lines, out = f
    body = [b"["] + [x + b"," for x in out[:-1]] + [out[-1], b"]"]
    data = b"\n".join(body) + b"\n"
    path = TMP / "wikidata-20250101-all.json"
    path.write_bytes(data)
    starts, pos = {}, 0
    for n, x in enumerate(body, 1):
        starts[n] = pos
        pos += len(x) + 1
    rels = relations()
    quarantine = Quarantine()
    got = list(iter_dump(path, relations=rels, output=DumpOutput.RECORDS, qualifiers=RULES_QUALIFIERS,
                         chunk_bytes=chunk, quarantine=quarantine))  # never raises
    _check(quarantine, data, starts)
    want = []
    for n, (orig, now) in enumerate(zip(lines, out, strict=True), 2):
        problems: list = []
        rec = fast.entity_record(orig, rels, qualifiers=RULES_QUALIFIERS, problems=problems)
        if now == orig:
            assert [r["reason"] for r in quarantine.records if r["line"] == n] == [p.reason for p in problems]
            if rec is not None:
                want.append(rec)
    assert _in_order(want, got)  # every good line's record, in order
    for qid in {r.entity.id for r in got}:  # and nothing read twice at a chunk edge
        assert sum(r.entity.id == qid for r in got) <= sum(f'"id":"{qid}"'.encode() in x for x in out)
    assert all(r.entity.id for r in got)
