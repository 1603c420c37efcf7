"""``engine.release_memory``: what a finished stage freed goes back to the system (the build calls
it after the source is read, so the rows' stage starts from a lower resident size)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the resident size from /proc")
def test_memory_freed_but_kept_by_arrow_goes_back():
    script = textwrap.dedent("""
        import gc
        import pyarrow as pa
        from kcdata.engine import release_memory

        def rss():
            with open("/proc/self/status") as fh:
                return next(int(x.split()[1]) for x in fh if x.startswith("VmRSS")) // 1024

        xs = [pa.array([str(i) * 20 for i in range(k * 1000, (k + 1) * 1000)]) for k in range(400)]
        del xs
        gc.collect()
        kept = rss()
        release_memory()
        print(kept, rss())
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    kept, released = map(int, out.stdout.split())
    assert released < kept - 30, (kept, released)  # about 70 MB freed by Arrow, kept by its pool


def test_a_build_leaves_the_collector_as_it_found_it(tmp_path):
    """During a build the youngest generation is collected less often and the snapshot is frozen
    out of the collections; afterwards the caller's thresholds are back and nothing stays frozen."""
    import gc

    from kcdata import engine
    from kcdata.config import BuildConfig
    from kcdata.pipeline import run_build

    seen = {}
    real = engine.keep_long_lived

    def spy():
        real()
        seen["threshold"], seen["frozen"] = gc.get_threshold(), gc.get_freeze_count()

    before = gc.get_threshold()
    gc.set_threshold(500, 7, 9)
    try:
        import kcdata.pipeline as pipeline

        pipeline.keep_long_lived = spy
        try:
            run_build(BuildConfig(languages=("en",), relations=("P36",)), tmp_path / "b")
        finally:
            pipeline.keep_long_lived = real
        assert seen["threshold"] == (engine.GC_THRESHOLD, 7, 9) and seen["frozen"] > 10_000
        assert gc.get_threshold() == (500, 7, 9) and gc.get_freeze_count() == 0
    finally:
        gc.set_threshold(*before)


def test_outside_a_build_nothing_is_frozen():
    import gc

    from kcdata import engine

    engine.keep_long_lived()
    assert gc.get_freeze_count() == 0
    with engine.build_collector():
        engine.keep_long_lived()
        assert gc.get_freeze_count() > 0
        with engine.build_collector():  # a build inside a build (a rebuild's) keeps the outer's
            pass
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
