"""The popularity walk that finds substitutes without testing the whole pool (issue 14, linear cost)
draws exactly what the full scan draws: the same rows byte for byte, with the walk taking most
choices. The sample's pools are small, so the test asks for fewer neighbours to make the walk
succeed often; the order of the walk itself is checked against a sort."""

from __future__ import annotations

import math
import random

import pyarrow.parquet as pq

from kcdata.config import BuildConfig
from kcdata.counterfactual import strategies, strategies_v2
from kcdata.counterfactual.pool import Pool
from kcdata.pipeline import run_build


def _rows(folder):
    return [r for f in sorted(folder.glob("*/*.parquet")) for r in pq.read_table(f).to_pylist()]


def test_the_walk_and_the_full_scan_build_the_same_rows(tmp_path, monkeypatch):
    for module in (strategies, strategies_v2):
        monkeypatch.setattr(module, "POPULARITY_NEIGHBOURS", 1)
    walked = {"found": 0, "fell_back": 0}
    real = strategies_v2._nearest_fresh

    def counting(request, passes):
        got = real(request, passes)
        walked["found" if got is not None else "fell_back"] += 1
        return got

    monkeypatch.setattr(strategies_v2, "_nearest_fresh", counting)
    run_build(BuildConfig(wikipedia=False, languages=("en", "de")), tmp_path / "walk")
    monkeypatch.setattr(strategies_v2, "_nearest_fresh", lambda request, passes: None)
    run_build(BuildConfig(wikipedia=False, languages=("en", "de")), tmp_path / "scan")
    assert _rows(tmp_path / "walk") == _rows(tmp_path / "scan")
    for name in ("static", "temporal"):
        a = (tmp_path / "walk" / name / "test-00000-of-00001.parquet").read_bytes()
        assert a == (tmp_path / "scan" / name / "test-00000-of-00001.parquet").read_bytes()
    assert walked["found"] >= 5, walked  # the sample's pools are small: most choices fall back


def test_the_walk_visits_objects_in_draw_closest_order():
    rng = random.Random(3)
    pool = Pool()
    links = {}
    for _ in range(400):
        q = f"Q{rng.randrange(1, 10**rng.randrange(1, 7))}"
        pool.add("city", q, "P36")
        links[q] = rng.choice([None, 0, 1, 2, 5, 10, 10, 50, 100, 1000, rng.randrange(5000)])
    for center_links in (0, 3, 10, 77, 4999, 10**6):
        center = math.log1p(center_links)
        got = list(pool.by_popularity_distance("P36", center, links.get))
        want = sorted(pool.relation_candidates("P36"), key=lambda q: (
            abs(center - math.log1p(links[q])) if links[q] is not None else 99.0, len(q), q))
        assert got == want
