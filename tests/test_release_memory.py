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
