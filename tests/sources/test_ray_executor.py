"""``--executor ray`` (issue 14 item 5): the dump's ranges read and the rows rendered as Ray Data
tasks, on a local Ray with 2 CPUs, give the bytes of the local executor."""

from __future__ import annotations

import bz2
import gzip
import json
import shutil

import pytest
from click.testing import CliRunner

from kcdata import engine
from kcdata.cli import main
from kcdata.config import BuildConfig
from kcdata.pipeline import run_build
from kcdata.resources import sample_dir
from kcdata.sources.dump import DumpOutput, iter_dump

pytestmark = pytest.mark.skipif(not engine.available(), reason="Ray (extra ray) is not installed")


def _manifest(path) -> dict:
    m = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    for key in ("executor", "workers", "ray_address"):
        m["created_from"].pop(key, None)
    return m


def test_a_ray_dump_build_writes_the_local_builds_bytes(tmp_path):
    dump = tmp_path / "wikidata-20250101-all.json.gz"
    shutil.copy(sample_dir() / "entities.json.gz", dump)
    base = dict(source="dump", source_path=str(dump), wikipedia=False, cache_dir=str(tmp_path / "cache"),
                shard_cache=False)
    local = run_build(BuildConfig(workers=1, **base), tmp_path / "local")
    on_ray = run_build(BuildConfig(workers=2, executor="ray", **base), tmp_path / "ray")
    assert on_ray.files == local.files and sum(local.rows.values()) > 200
    m = json.loads((tmp_path / "ray" / "manifest.json").read_text())["created_from"]
    assert m["executor"] == "ray" and "executor" not in json.loads((tmp_path / "local" / "manifest.json").read_text())["created_from"]
    assert _manifest(tmp_path / "ray") == _manifest(tmp_path / "local")
    assert [p.suffix for p in (tmp_path / "cache" / "dump-index").iterdir()] == [".gzipidx"]  # read in ranges
    import ray

    assert not ray.is_initialized()  # the build ends the Ray it started


@pytest.mark.parametrize("codec", ["plain", "bz2"])
def test_ray_tasks_read_every_entity_once_in_dump_order(tmp_path, codec):
    data = gzip.decompress((sample_dir() / "entities.json.gz").read_bytes())
    path = tmp_path / ("d.json" if codec == "plain" else "d.json.bz2")
    path.write_bytes(data if codec == "plain" else bz2.compress(data))
    rels = frozenset({"P36", "P1082", "P6", "P35"})
    want = list(iter_dump(path, output=DumpOutput.RECORDS, relations=rels))
    try:
        got = list(iter_dump(path, output=DumpOutput.RECORDS, relations=rels, workers=2, executor="ray",
                             index_dir=tmp_path / "cache", chunk_bytes=16 << 10))
        import ray

        assert ray.get_runtime_context().gcs_address.startswith("127.0.0.1:")  # listens on loopback only
    finally:
        engine.stop()
    assert got == want and len(want) == 21


def test_a_sample_build_renders_on_ray_with_the_same_bytes(tmp_path, sample_build, monkeypatch):
    from kcdata import workers

    monkeypatch.setattr(workers, "CHUNK", 8)  # several render tasks, collected in order
    result = CliRunner().invoke(main, ["build", "--out", str(tmp_path / "r"), "--executor", "ray", "--workers", "2"])
    assert result.exit_code == 0, result.output
    for rel, digest in json.loads((sample_build / "manifest.json").read_text())["files"].items():
        if rel != "manifest.json":
            got = json.loads((tmp_path / "r" / "manifest.json").read_text())["files"][rel]
            assert got == digest, rel


def test_ray_options_are_checked(tmp_path, monkeypatch):
    out = CliRunner().invoke(main, ["build", "--out", str(tmp_path / "a"), "--ray-address", "auto"])
    assert out.exit_code != 0 and "ray_address is for the ray executor" in out.output and "Traceback" not in out.output
    import socket

    with socket.socket() as s:  # a port nobody listens on: refused at once, not Ray's minutes of retries
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = CliRunner().invoke(main, ["build", "--out", str(tmp_path / "c"), "--executor", "ray",
                                    "--ray-address", f"127.0.0.1:{port}"])
    assert out.exit_code != 0 and f"no Ray cluster answers at 127.0.0.1:{port}" in out.output
    assert not (tmp_path / "c").exists()
    monkeypatch.setattr(engine, "available", lambda: False)
    out = CliRunner().invoke(main, ["build", "--out", str(tmp_path / "b"), "--executor", "ray"])
    assert out.exit_code != 0 and "needs Ray, which is not installed" in out.output
    assert "pip install" in out.output and not (tmp_path / "b").exists()


def test_a_failing_ray_task_is_one_clear_error(tmp_path, monkeypatch):
    """A node that cannot open the dump (not on a shared path): a SourceError naming the need."""
    import dataclasses

    from kcdata.errors import SourceError
    from kcdata.sources import dump_ranged

    path = tmp_path / "d.json"
    path.write_bytes(gzip.decompress((sample_dir() / "entities.json.gz").read_bytes()))
    p, head, tail = dump_ranged.ranged_plan(path, 2, tmp_path / "cache")
    gone = dataclasses.replace(p, path=str(tmp_path / "elsewhere" / "d.json"))
    monkeypatch.setattr(dump_ranged, "ranged_plan", lambda *a: (gone, head, tail))
    try:
        with pytest.raises(SourceError, match="a Ray task reading .*d.json failed: FileNotFoundError") as err:
            list(iter_dump(path, output=DumpOutput.RECORDS, relations=frozenset({"P36"}), workers=2,
                           executor="ray", index_dir=tmp_path / "cache"))
    finally:
        engine.stop()
    assert "same path" in err.value.remedy


def test_ordered_map_keeps_order_without_touching_the_callers_ray_context():
    """Results come back in input order even when an early item finishes last, and the caller's
    own Ray Data context (its ``preserve_order``, progress bars) is left as it was."""
    import time

    import ray.data

    def slow_first(x: int) -> int:
        time.sleep(2.0 if x == 1 else 0.05)  # the other CPU gets through the later items first
        return x * x

    before = ray.data.DataContext.get_current()
    was = (before.execution_options.preserve_order, before.enable_progress_bars)
    try:
        assert list(engine.ordered_map(slow_first, list(range(12)), address=None, cpus=2)) == [x * x for x in range(12)]
        now = ray.data.DataContext.get_current()
        assert (now.execution_options.preserve_order, now.enable_progress_bars) == was
    finally:
        engine.stop()
