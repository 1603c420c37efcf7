"""The dump's extraction kept as Parquet shards and reused (issue 14 item 4): a second build of the
same dump reads no dump, and a build from the shards writes the bytes a build from the dump writes,
for the same request and for narrower ones (fewer relations, fewer languages, a sample)."""

from __future__ import annotations

import copy
import gzip
import json
import shutil
from pathlib import Path

import pytest

from kcdata.config import BuildConfig
from kcdata.errors import InputError
from kcdata.facts.checks import Quarantine
from kcdata.facts.fast import EntityRecord
from kcdata.pipeline import run_build
from kcdata.resources import sample_dir
from kcdata.sources import dump, shards
from kcdata.sources.dump import iter_records
from kcdata.types import Entity


def _sample_lines() -> list[str]:
    out = []
    with gzip.open(sample_dir() / "entities.json.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            s = line.strip().rstrip(",")
            if s not in ("", "[", "]"):
                out.append(s)
    return out


@pytest.fixture(scope="module")
def sample_dump(tmp_path_factory) -> Path:
    """The sample's real entities as a dated .json.gz dump."""
    path = tmp_path_factory.mktemp("shards") / "wikidata-20250101-all.json.gz"
    shutil.copy(sample_dir() / "entities.json.gz", path)
    return path


@pytest.fixture(scope="module")
def flawed_dump(tmp_path_factory) -> Path:
    """The sample's entities plus two statements that fail their checks (a P571 with an
    impossible day on a copy of Q31, a P1082 amount that is no number on a copy of Q64)."""
    lines = _sample_lines()
    by_id = {json.loads(x)["id"]: json.loads(x) for x in lines}
    q31 = copy.deepcopy(by_id["Q31"])
    q31["id"] = "Q99031"
    q31["claims"]["P571"][0]["mainsnak"]["datavalue"]["value"].update(time="+1999-02-30T00:00:00Z", precision=11)
    q64 = copy.deepcopy(by_id["Q64"])
    q64["id"] = "Q99064"
    q64["claims"]["P1082"][0]["mainsnak"]["datavalue"]["value"]["amount"] = "+12abc"
    extra = [json.dumps(q31, ensure_ascii=True), json.dumps(q64, ensure_ascii=True)]
    path = tmp_path_factory.mktemp("flawed") / "wikidata-20250101-all.json"
    path.write_text("[\n" + ",\n".join(lines + extra) + "\n]\n", encoding="utf-8")
    return path


def _no_dump_reading(monkeypatch) -> list:
    opened: list = []

    def refuse(*a, **k):
        opened.append(a)
        raise AssertionError("the dump was read")

    monkeypatch.setattr(dump, "open_dump", refuse)
    monkeypatch.setattr(dump, "iter_dump", refuse)
    return opened


def _manifest(out: Path) -> dict:
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    m["created_from"].pop("shard_cache", None)
    m["created_from"].pop("cache_dir", None)
    return m


def _entries(cache: Path) -> list[str]:
    root = shards.root(cache)
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def test_a_second_build_reads_the_shards_not_the_dump_and_writes_the_same_bytes(sample_dump, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    base = dict(source="dump", source_path=str(sample_dump), wikipedia=False, cache_dir=str(cache))
    first = run_build(BuildConfig(**base), tmp_path / "a")
    (entry,) = _entries(cache)
    meta = json.loads((shards.root(cache) / entry / "meta.json").read_text())
    assert meta["rows"]["records"] == 42 and meta["rows"]["labels"] >= 1 \
        and [p["fact_id"] for p in meta["problems"]] == ["Q279:P1082"]  # a real "+2016-06-31" in the sample
    assert {f["kind"] for f in meta["files"]} == {"records", "labels"}
    opened = _no_dump_reading(monkeypatch)
    second = run_build(BuildConfig(**base), tmp_path / "b")
    assert opened == [] and second.files == first.files and sum(first.rows.values()) > 200
    assert _manifest(tmp_path / "a") == _manifest(tmp_path / "b")
    assert _entries(cache) == [entry]  # nothing new written


@pytest.mark.parametrize("narrower", [
    dict(relations=("P36", "P1082")),
    dict(languages=("de",)),
    dict(languages=("fr", "en"), relations=("P6", "P35", "P17", "P571")),
    dict(sample=2, seed=7),
    dict(relations=("P1082",), languages=("ru",), sample=1),
])
def test_narrower_builds_from_a_wider_entry_equal_builds_from_the_dump(sample_dump, tmp_path, monkeypatch, narrower):
    cache = tmp_path / "cache"
    base = dict(source="dump", source_path=str(sample_dump), wikipedia=False, cache_dir=str(cache))
    run_build(BuildConfig(**base), tmp_path / "wide")
    entries = _entries(cache)
    direct = run_build(BuildConfig(**base, **narrower, shard_cache=False), tmp_path / "direct")
    opened = _no_dump_reading(monkeypatch)
    reused = run_build(BuildConfig(**base, **narrower), tmp_path / "reused")
    assert opened == [] and _entries(cache) == entries
    assert reused.files == direct.files and sum(direct.rows.values()) > 0
    assert _manifest(tmp_path / "reused") == _manifest(tmp_path / "direct")


@pytest.mark.parametrize("want", [
    dict(relations={"P36"}, languages={"de", "mul"}),  # Q84 (London): a subject of P1082, read as the second pass would
    dict(relations={"P6"}, languages={"en", "fr", "mul"}),
    dict(relations={"P36", "P1082"}, languages={"ru", "mul"}),
    dict(relations={"P571", "P17", "P30"}, languages={"en", "mul"}),
])
def test_read_gives_what_the_two_passes_give(sample_dump, tmp_path, want):
    """Record for record (in dump order) and entity for entity (in dump order per id)."""
    qualifiers = frozenset({"P580", "P582", "P585"})
    wide = shards.Request(frozenset({"P36", "P1082", "P6", "P571", "P17", "P30", "P35"}),
                          frozenset({"en", "de", "fr", "ru", "mul"}), qualifiers)
    q = Quarantine()
    writer = shards.Writer(tmp_path, sample_dump, wide, q)
    for _ in writer.tee(iter_records(sample_dump, sorted(wide.relations), sorted(wide.languages),
                                     qualifiers=qualifiers, quarantine=writer.recorder)):
        pass
    writer.commit()
    narrow = shards.Request(frozenset(want["relations"]), frozenset(want["languages"]), qualifiers)
    entry = shards.find(tmp_path, sample_dump, narrow)
    assert entry is not None
    got = list(shards.read(entry, narrow, Quarantine(), sample_dump))
    direct = list(iter_records(sample_dump, sorted(narrow.relations), sorted(narrow.languages), qualifiers=qualifiers))
    recs = [x for x in got if isinstance(x, EntityRecord)]
    assert recs == [x for x in direct if isinstance(x, EntityRecord)] and recs
    assert got[: len(recs)] == recs  # the records first, as the first pass gives them

    def by_id(items):
        out: dict[str, list[Entity]] = {}
        for x in items:
            if isinstance(x, Entity):
                out.setdefault(x.id, []).append(x)
        return out

    assert by_id(got) == by_id(direct)
    assert by_id(direct) or want["relations"] >= {"P1082"} or "P30" in want["relations"]
    # a request wider than the entry, or with other qualifiers, is not served by it
    assert shards.find(tmp_path, sample_dump, shards.Request(wide.relations | {"P31"}, wide.languages, qualifiers)) is None
    assert shards.find(tmp_path, sample_dump, shards.Request(narrow.relations, frozenset({"es", "mul"}), qualifiers)) is None
    assert shards.find(tmp_path, sample_dump, shards.Request(narrow.relations, narrow.languages, None)) is None


def test_what_was_set_aside_is_replayed_from_the_shards(flawed_dump, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    base = dict(source="dump", source_path=str(flawed_dump), wikipedia=False, cache_dir=str(cache),
                languages=("en", "de"))
    first = run_build(BuildConfig(**base), tmp_path / "a")
    # ours, and the sample's own Q279 P1082 with a point in time of "+2016-06-31"
    assert first.manifest["quarantine"] == {"bad_quantity": 1, "bad_time_value": 2}
    for narrower, name in ((dict(), "b"), (dict(relations=("P1082", "P36")), "c")):
        direct = run_build(BuildConfig(**base, **narrower, shard_cache=False), tmp_path / f"{name}-direct")
        with monkeypatch.context() as m:
            opened = _no_dump_reading(m)
            reused = run_build(BuildConfig(**base, **narrower), tmp_path / name)
        assert opened == [] and reused.files == direct.files  # rejects.jsonl included
        assert _manifest(tmp_path / name) == _manifest(tmp_path / f"{name}-direct")
    assert reused.manifest["quarantine"] == {"bad_quantity": 1, "bad_time_value": 1}  # not the P571 one
    messages = []
    for cached in (False, True):  # --strict stops at the first, with the message a read of the dump gives
        with pytest.raises(InputError) as err:
            run_build(BuildConfig(**base, shard_cache=cached), tmp_path / "strict", strict=True)
        messages.append(str(err.value))
    assert messages[0] == messages[1] and "wikidata-20250101-all.json:49: time '+2016-06-31" in messages[0]


def test_an_entity_level_problem_allows_reuse_of_the_same_request_only(tmp_path):
    lines = _sample_lines()
    bad = next(e for e in map(json.loads, lines) if e["id"] == "Q31")  # Belgium: P36 and P1082
    bad["id"] = "foo"
    path = tmp_path / "wikidata-20250101-all.json"
    path.write_text("[\n" + ",\n".join([*lines, json.dumps(bad)]) + "\n]\n", encoding="utf-8")
    q = Quarantine()
    want = shards.Request(frozenset({"P36", "P1082"}), frozenset({"en", "mul"}), None)
    writer = shards.Writer(tmp_path / "c", path, want, q)
    for _ in writer.tee(iter_records(path, sorted(want.relations), sorted(want.languages), quarantine=writer.recorder)):
        pass
    writer.commit()
    assert q.counts["bad_entity_id"] == 1
    assert shards.find(tmp_path / "c", path, want) is not None
    # which relations a line that cannot be read is of is not known: a narrower build reads the dump
    assert shards.find(tmp_path / "c", path, shards.Request(frozenset({"P36"}), want.languages, None)) is None


def test_no_entry_is_left_by_a_failed_read_and_a_changed_dump_is_not_served(sample_dump, tmp_path):
    cache = tmp_path / "cache"
    broken = tmp_path / "wikidata-20250101-all.json"
    data = gzip.decompress(sample_dump.read_bytes())
    broken.write_bytes(data[: len(data) // 2])  # cut mid-array: truncated
    base = dict(source="dump", source_path=str(broken), wikipedia=False, cache_dir=str(cache))
    with pytest.raises(Exception, match="truncated"):
        run_build(BuildConfig(**base), tmp_path / "a")
    assert _entries(cache) == []  # not even a temporary folder
    broken.write_bytes(data)
    run_build(BuildConfig(**base), tmp_path / "b")
    (entry,) = _entries(cache)
    want = shards.Request.from_dict(json.loads((shards.root(cache) / entry / "meta.json").read_text())["request"])
    assert shards.find(cache, broken, want) is not None
    with broken.open("ab") as fh:  # the file changes in place (a new download under the same name)
        fh.write(b"\n")
    assert shards.find(cache, broken, want) is None


@pytest.mark.parametrize("where, error", [
    ("_flush", OSError(28, "No space left on device")),
    ("_encode", OverflowError("can't serialize ints > 2**64 - 1")),  # any failure, not only the disk's
])
def test_a_cache_that_cannot_be_written_does_not_stop_the_build(sample_dump, tmp_path, monkeypatch, caplog,
                                                                 where, error):
    def full(*a, **k):
        raise error

    cache = tmp_path / "cache"
    base = dict(source="dump", source_path=str(sample_dump), wikipedia=False, cache_dir=str(cache),
                relations=("P36", "P1082"))
    want = run_build(BuildConfig(**base, shard_cache=False), tmp_path / "want")
    if where == "_flush":
        monkeypatch.setattr(shards.Writer, "_flush", full)  # the shards' writes only, not the build's
    else:
        monkeypatch.setattr(shards, "_encode", full)
    got = run_build(BuildConfig(**base), tmp_path / "got")
    assert got.files == want.files and sum(got.rows.values()) > 0
    assert _entries(cache) == []  # no entry, no temporary folder
    assert "could not keep the dump's extraction" in caplog.text and str(error) in caplog.text


def test_killed_writers_leftovers_are_removed_and_a_damaged_entry_is_named(sample_dump, tmp_path):
    import os
    import subprocess
    import sys

    from kcdata.errors import KcdataError

    cache = tmp_path / "cache"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    stale, live = shards.root(cache) / f"abc.tmp-{dead}", shards.root(cache) / f"abd.tmp-{os.getppid()}"
    for folder in (stale, live):
        folder.mkdir(parents=True)
        (folder / "records-00000.parquet").write_bytes(b"half-written")
    base = dict(source="dump", source_path=str(sample_dump), wikipedia=False, cache_dir=str(cache))
    run_build(BuildConfig(**base), tmp_path / "a")
    assert not stale.exists() and live.exists()  # a killed build's folder goes; a running one's stays
    live.rename(tmp_path / "moved")
    (entry,) = _entries(cache)
    shard = shards.root(cache) / entry / "records-00000.parquet"
    shard.write_bytes(b"\0" * shard.stat().st_size)  # damaged, same size
    with pytest.raises(KcdataError, match=f"shard cache entry .*{entry} is damaged") as err:
        run_build(BuildConfig(**base), tmp_path / "b")
    assert "delete" in err.value.remedy and not (tmp_path / "b").exists()
    meta_path = shards.root(cache) / entry / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["tool_version"] = "0.0.1"  # an entry an older kcdata wrote is not reused
    meta_path.write_text(json.dumps(meta))
    assert shards.find(cache, sample_dump, shards.Request.from_dict(meta["request"])) is None


def test_a_revision_number_beyond_64_bits_is_set_aside():
    from kcdata.facts import checks

    assert checks.revision(2**63 - 1) == 2**63 - 1
    with pytest.raises(checks.BadValue, match="not a revision number"):
        checks.revision(2**63)


def test_a_cache_without_room_for_the_entry_is_skipped_with_a_warning(sample_dump, tmp_path, monkeypatch, caplog):
    # the real free space of the cache's file system, against an entry as large as a million dumps
    from kcdata.fileio import free_bytes

    cache = tmp_path / "cache"
    free = free_bytes(cache)
    assert free is not None
    monkeypatch.setattr(shards, "DISK_SHARE", free / sample_dump.stat().st_size * 2)
    base = dict(source="dump", source_path=str(sample_dump), wikipedia=False, cache_dir=str(cache))
    with caplog.at_level("WARNING"):
        built = run_build(BuildConfig(**base), tmp_path / "a")
    assert _entries(cache) == []
    assert any("not keeping wikidata-20250101-all.json.gz's extraction in the shard cache: it may need about"
               in r.getMessage() and "free in" in r.getMessage() for r in caplog.records)
    assert built.files == run_build(BuildConfig(**base, shard_cache=False), tmp_path / "b").files
    monkeypatch.setattr(shards, "DISK_SHARE", 0.25)
    run_build(BuildConfig(**base), tmp_path / "c")
    assert len(_entries(cache)) == 1


def test_languages_without_templates_are_refused_before_the_dump_is_read(sample_dump, tmp_path, monkeypatch):
    from kcdata.errors import ConfigError

    opened = _no_dump_reading(monkeypatch)
    with pytest.raises(ConfigError, match="no templates for language"):
        run_build(BuildConfig(source="dump", source_path=str(sample_dump), wikipedia=False, languages=("en", "xh"),
                              shard_cache=False), tmp_path / "a")
    assert opened == [] and not (tmp_path / "a").exists()
