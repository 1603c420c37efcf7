"""Benchmark of the dump source against a naive reader and the decompression floor.

Builds a dump-format ``.json.gz`` (one JSON array, one entity per line, lines ending in ``,``) of
at least ``--size-mb`` compressed megabytes from the real fixture entities in
``../shared/fixtures`` (each copy gets new ids), then times, each in a fresh process:

a. ``naive``   — ``gzip.open`` + ``json.loads`` on every line (all entities);
b. ``floor``   — decompress and split lines only (stdlib gzip, and the fastest installed codec);
c. ``kcdata``  — :func:`kcdata.sources.dump.iter_dump` extracting facts for the sample's
   relations as ``kcdata build --source dump`` does (``DumpOutput.RECORDS``: facts, labels and
   aliases in the build's languages, sitelink counts and referenced ids, made in the workers
   straight from the raw lines, keeping the qualifiers the rules read), with 1 and 2 workers;
   or (``--work labels``) the build's second pass, ``DumpOutput.LABELS``: the terms and kind
   (classes, gender, years of birth and death) of a set of ids, one entity in ``--label-every``.

It prints MB/s (of decompressed JSON) and entities/s for each, the ratios c/a and c/b, and the
peak resident memory of each run (main process plus helpers, sampled from /proc every 0.25 s).

Variants run in interleaved rounds (``--rounds``, default 2) and each keeps its best time, so
that a machine whose speed drifts (shared or throttled hosts drift by tens of percent within
minutes) slows every variant alike.

Run (full size, ~4-6 minutes on two cores)::

    python tests/benchmarks/bench_dump.py
    python tests/benchmarks/bench_dump.py --size-mb 20      # quick look
    python tests/benchmarks/bench_dump.py --keep /tmp/bench.json.gz   # reuse the file

Targets (issue 3): kcdata with 1 worker >= 3x naive; peak memory < 1 GB whatever the input
size; 2 workers >= 1.6x one worker where two cores are free.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from kcdata.facts import fast, slim  # noqa: E402
from kcdata.sources import dump as dump_mod  # noqa: E402
from kcdata.sources.dump import DumpOutput  # noqa: E402

FIXTURES = Path(os.environ.get("KCDATA_FIXTURES", REPO.parent / "shared" / "fixtures"))
LANGUAGES = ("de", "en", "fr", "mul", "ru")
"""The label languages a default build asks for (its four languages and Wikidata's ``mul``)."""
DEFAULT_RELATIONS = ("P6", "P17", "P19", "P20", "P26", "P35", "P36", "P54", "P69", "P108", "P159", "P1082")


def sample_relations() -> list[str]:
    """Relation ids of the sample (``templates/relations/*/relation.yaml``), else defaults."""
    found = []
    for p in sorted((REPO / "templates" / "relations").glob("*/relation.yaml")):
        for line in p.read_text(encoding="utf-8").splitlines():
            if line.startswith("id:"):
                found.append(line.split(":", 1)[1].strip().strip("'\""))
                break
    return found or list(DEFAULT_RELATIONS)


def fixture_entities() -> list[dict[str, Any]]:
    """Every item entity in the fixtures (dump lines and entity files)."""
    out: list[dict[str, Any]] = []
    first50 = FIXTURES / "wikidata_dump_sample" / "wikibase-dump-filter_latest-all_first50.json"
    for line in first50.read_bytes().splitlines():
        line = line.strip().rstrip(b",")
        if line and line not in (b"[", b"]"):
            out.append(json.loads(line))
    for p in sorted((FIXTURES / "wikidata_entities").glob("*/*.json")):
        doc = json.loads(p.read_text(encoding="utf-8"))
        ents = doc["entities"].values() if "entities" in doc else [doc]
        out.extend(e for e in ents if isinstance(e, dict) and e.get("type") == "item")
    # the dump's own layout: these keys, in this order (entity files add pageid, ns, title)
    keys = ("type", "id", "labels", "descriptions", "aliases", "claims", "sitelinks", "lastrevid", "modified")
    return [{k: e[k] for k in keys if k in e} for e in out]


def make_dump(path: Path, size_mb: float) -> tuple[int, int]:
    """Write a dump of at least ``size_mb`` compressed MB; returns (entities, json bytes)."""
    try:
        from isal import igzip

        opener: Any = functools.partial(igzip.open, compresslevel=3)
    except ImportError:
        opener = functools.partial(gzip.open, compresslevel=6)
    base = fixture_entities()
    lines = []
    for e in base:
        s = json.dumps(e, ensure_ascii=False, separators=(",", ":"))
        lines.append((e["id"], s))
    target = size_mb * 1e6
    n = 0
    raw = 0
    next_id = 900_000_000
    with opener(path, "wb") as fh:
        fh.write(b"[\n")
        while path.stat().st_size < target:
            block = []
            for old_id, s in lines:
                new_id = f"Q{next_id}"
                next_id += 1
                # a new id per copy: the entity id and the statement GUID prefixes
                s2 = (
                    s.replace(f'"id":"{old_id}"', f'"id":"{new_id}"', 1)
                    .replace(f'"{old_id}$', f'"{new_id}$')
                    .replace(f'"{old_id.lower()}$', f'"{new_id}$')
                )
                block.append(s2)
            data = (",\n".join(block) + ",\n").encode("utf-8")
            fh.write(data)
            raw += len(data)
            n += len(block)
            fh.flush()
        last = json.dumps(
            {"type": "item", "id": f"Q{next_id}", "labels": {}, "claims": {}}, separators=(",", ":")
        ).encode()
        fh.write(last + b"\n]\n")
        raw += len(last) + 4
        n += 1
    return n, raw


# -- the variants, each run in a fresh process --------------------------------------------------


def run_naive(path: str, relations: frozenset[str]) -> dict[str, Any]:
    n = kept = 0
    nbytes = 0
    with gzip.open(path, "rb") as fh:
        for line in fh:
            nbytes += len(line)
            line = line.strip()
            if line in (b"[", b"]", b""):
                continue
            if line.endswith(b","):
                line = line[:-1]
            e = json.loads(line)
            n += 1
            if any(p in relations for p in e.get("claims", {})):
                kept += 1
    return {"entities": n, "bytes": nbytes, "kept": kept}


def run_floor(path: str, codec: str) -> dict[str, Any]:
    if codec == "gzip":
        stream: Any = gzip.open(path, "rb")
    else:
        stream, _ = dump_mod.open_dump(path)
    n = nbytes = 0
    rest = b""
    with stream:
        while True:
            block = stream.read(dump_mod.DEFAULT_CHUNK_BYTES)
            if not block:
                break
            nbytes += len(block)
            parts = (rest + block).split(b"\n")
            rest = parts.pop()
            n += len(parts)
    return {"entities": n - 2, "bytes": nbytes, "kept": 0}


FIRST_ID = 900_000_000
"""The first entity id of the generated dump (``Q900000000``); ids follow in dump order."""


def label_ids(entities: int, every: int) -> frozenset[str]:
    """One generated entity id in ``every``: what the label pass looks up (``--work labels``)."""
    return frozenset(f"Q{FIRST_ID + i}" for i in range(0, entities, every))


def run_kcdata(
    path: str,
    relations: frozenset[str],
    workers: int,
    work: str = "facts",
    intern: bool = True,
    ids: frozenset[str] | None = None,
) -> dict[str, Any]:
    from kcdata.classify import load_rules

    # workers fork this state
    if not intern:  # a one-entry table: every value is built anew
        fast._INTERN_MAX = 0
    if work == "dict-facts":  # the records by the dict path (fast_slim + parse_entity), as without msgspec
        fast.msgspec = None
    stats = dump_mod.DumpStats()
    kept = 0
    # "facts": what `kcdata build --source dump` runs: records (facts + entity info + ids) made
    # in the workers straight from the raw lines; "slim": the slim entity dicts alone; "labels":
    # the second pass, an Entity (terms and kind) per id of `ids`
    records = work not in ("slim", "labels")
    if work == "labels":
        stream = dump_mod.iter_dump(
            path, output=DumpOutput.LABELS, ids=ids, languages=LANGUAGES, workers=workers, stats=stats
        )
    else:
        stream = dump_mod.iter_dump(
            path,
            output=DumpOutput.RECORDS if records else DumpOutput.SLIM,
            relations=relations,
            languages=LANGUAGES if records else None,
            qualifiers=load_rules().qualifiers if records else None,
            workers=workers,
            stats=stats,
        )
    for _ in stream:
        kept += 1
    return {
        "entities": stats.entities,
        "bytes": stats.bytes_in,
        "kept": kept,
        "candidates": stats.candidates,
        "backends": stats.backends,
    }


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    try:  # cheap where the kernel has CONFIG_PROC_CHILDREN
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        pass
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        kids.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return kids


class PeakMemory:
    """Samples the resident memory of this process plus its worker processes (Linux /proc)."""

    def __init__(self, every: float = 0.25) -> None:
        self.every = every
        self.peak_total = 0.0
        self.peak_main = 0.0
        self.peak_worker = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            main = _rss_mb(me)
            workers = [_rss_mb(k) for k in _children(me)]
            self.peak_main = max(self.peak_main, main)
            self.peak_worker = max([self.peak_worker, *workers])
            self.peak_total = max(self.peak_total, main + sum(workers))
            self._stop.wait(self.every)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def child(
    variant: str, path: str, relations: list[str], work: str = "facts", intern: bool = True,
    label_range: tuple[int, int] = (0, 1),
) -> None:
    import resource

    rel = frozenset(relations)
    ids = label_ids(*label_range) if work == "labels" else None
    if variant == "kcdata-2c":
        # "as where two cores are free": helpers scan every chunk, this process only reads,
        # dispatches and unpacks (what iter_dump does on a machine with a spare core)
        dump_mod.os.cpu_count = lambda: 1024
        variant = "kcdata-2"
    mem = PeakMemory().__enter__()
    self0, kids0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    thread0 = time.thread_time()
    t0 = time.perf_counter()
    if variant == "naive":
        res = run_naive(path, rel)
    elif variant.startswith("floor-"):
        res = run_floor(path, variant.split("-", 1)[1])
    else:
        res = run_kcdata(path, rel, int(variant.rsplit("-", 1)[1]), work, intern, ids)
    res["seconds"] = time.perf_counter() - t0
    res["main_thread_cpu"] = time.thread_time() - thread0
    self1, kids1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    res["process_cpu"] = (self1.ru_utime + self1.ru_stime) - (self0.ru_utime + self0.ru_stime)
    res["helpers_cpu"] = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
    mem.__exit__()
    res["rss_main_mb"] = mem.peak_main
    res["rss_worker_mb"] = mem.peak_worker
    res["rss_total_mb"] = mem.peak_total
    print(json.dumps(res))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--size-mb", type=float, default=200.0, help="compressed size of the generated dump (default 200)"
    )
    ap.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="write/reuse the generated dump at this path instead of a temp dir",
    )
    ap.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="run every variant this many times, interleaved, and keep each one's best (default 2)",
    )
    ap.add_argument("--skip", default="", help="comma-separated variants to skip, e.g. naive")
    ap.add_argument(
        "--work",
        choices=("facts", "dict-facts", "slim", "labels"),
        default="facts",
        help="kcdata's per-entity work: facts (what the build runs: facts, entity info and "
        "referenced ids made in the workers from the raw lines; default), dict-facts (the same "
        "records by the dict path, as without msgspec: slim entity dicts, then "
        "kcdata.facts.parse_entity), slim (the slim entity dicts alone) or labels (the build's "
        "second pass: terms and kind of one entity in --label-every)",
    )
    ap.add_argument(
        "--label-every",
        type=int,
        default=20,
        help="with --work labels: look up one generated entity in this many (default 20)",
    )
    ap.add_argument("--label-range", type=int, nargs=2, default=(0, 1), help=argparse.SUPPRESS)
    ap.add_argument(
        "--no-intern",
        action="store_true",
        help="build every item and time value anew instead of interning repeated ones (the "
        "generated dump repeats the fixtures' values far more than the real dump does: this "
        "gives the lower bound)",
    )
    ap.add_argument("--child", nargs=2, metavar=("VARIANT", "PATH"), help=argparse.SUPPRESS)
    ap.add_argument(
        "--relations",
        default=",".join(sample_relations()),
        help="comma-separated property ids (default: the sample's relations)",
    )
    args = ap.parse_args()
    relations = [r for r in args.relations.split(",") if r]
    if args.child:
        child(args.child[0], args.child[1], relations, args.work, not args.no_intern, tuple(args.label_range))
        return

    tmp = None
    if args.keep is not None:
        path = args.keep
    else:
        tmp = tempfile.TemporaryDirectory(prefix="kcdata-bench-")
        path = Path(tmp.name) / "latest-all.json.gz"
    try:
        if not path.exists() or path.stat().st_size < args.size_mb * 1e6:
            t0 = time.perf_counter()
            n, raw = make_dump(path, args.size_mb)
            print(
                f"generated {path}: {path.stat().st_size / 1e6:,.1f} MB gz, "
                f"{raw / 1e6:,.0f} MB JSON, {n:,} entities in {time.perf_counter() - t0:.0f} s",
                flush=True,
            )
        else:
            print(f"reusing {path}: {path.stat().st_size / 1e6:,.1f} MB gz", flush=True)
        label_range = (0, 1)
        if args.work == "labels":
            stream, _ = dump_mod.open_dump(path)
            with stream:  # generated ids run from FIRST_ID, one per entity line
                n = sum(block.count(b"\n") for block in iter(lambda: stream.read(1 << 24), b"")) - 2
            label_range = (n, args.label_every)
            print(f"label pass: {len(label_ids(*label_range)):,} ids of {n:,} entities", flush=True)
        print(
            f"work: {args.work}{' (no interning)' if args.no_intern else ''}; "
            f"relations: {','.join(relations)}; cores: {os.cpu_count()}; codec: {dump_mod.GZIP_BACKEND}; "
            f"json: {slim.JSON_BACKEND}; records: {'dict' if args.work == 'dict-facts' else fast.BACKEND}",
            flush=True,
        )
        variants = ["naive", "floor-gzip", "floor-fast", "kcdata-1", "kcdata-2"]
        if (os.cpu_count() or 1) < 4:
            variants.append("kcdata-2c")  # the free-core layout, for its CPU split (see below)
        skip = set(filter(None, args.skip.split(",")))
        results: dict[str, dict[str, Any]] = {}
        # Rounds run every variant in turn and keep each one's best time: a shared or throttled
        # machine drifts by tens of percent within minutes, and interleaving lets the drift hit
        # every variant alike instead of whichever happened to run in a slow spell.
        for rnd in range(1, args.rounds + 1):
            for v in variants:
                if v in skip:
                    continue
                out = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        v,
                        str(path),
                        "--relations",
                        ",".join(relations),
                        "--work",
                        args.work,
                        "--label-range",
                        *map(str, label_range),
                        *(["--no-intern"] if args.no_intern else []),
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                r = json.loads(out.stdout.strip().splitlines()[-1])
                if v not in results or r["seconds"] < results[v]["seconds"]:
                    results[v] = r
                mbs = r["bytes"] / 1e6 / r["seconds"]
                eps = r["entities"] / r["seconds"]
                print(
                    f"round {rnd}  {v:11s} {r['seconds']:7.1f} s  {mbs:7.1f} MB/s  {eps:9,.0f} entities/s  "
                    f"kept {r['kept']:,}  peak RSS {r['rss_total_mb']:.0f} MB",
                    flush=True,
                )
        if args.rounds > 1:
            print(f"best of {args.rounds} interleaved rounds:")
            for v, r in results.items():
                print(
                    f"  {v:11s} {r['seconds']:7.1f} s  {r['bytes'] / 1e6 / r['seconds']:7.1f} MB/s  "
                    f"{r['entities'] / r['seconds']:9,.0f} entities/s"
                )

        def speed(v: str) -> float:
            return results[v]["bytes"] / results[v]["seconds"]

        for c in ("kcdata-1", "kcdata-2"):
            if c not in results:
                continue
            line = f"{c}:"
            if "naive" in results:
                line += f"  c/a = {speed(c) / speed('naive'):.2f}x"
            for b in ("floor-gzip", "floor-fast"):
                if b in results:
                    line += f"  c/b[{b}] = {speed(c) / speed(b):.2f}"
            print(line)
        if "kcdata-1" in results and "kcdata-2" in results:
            print(f"2 workers / 1 worker = {speed('kcdata-2') / speed('kcdata-1'):.2f}x")
        for c in ("kcdata-1", "kcdata-2", "kcdata-2c"):
            if c in results:
                r = results[c]
                print(
                    f"{c} CPU: main thread {r['main_thread_cpu']:.1f} s, its other threads "
                    f"(decompression) {r['process_cpu'] - r['main_thread_cpu']:.1f} s, helpers "
                    f"{r['helpers_cpu']:.1f} s"
                )
        free = results.get("kcdata-2c") or (results.get("kcdata-2") if (os.cpu_count() or 1) >= 4 else None)
        if free is not None and "kcdata-1" in results:
            # Where cores are free, every thread and helper runs on its own core: the wall time is
            # about the busiest one's CPU time (CPU time excludes waiting; on a crowded machine it
            # is inflated by contention, so this errs low).
            busiest = max(
                free["main_thread_cpu"], free["process_cpu"] - free["main_thread_cpu"], free["helpers_cpu"] / 2
            )
            print(
                f"2 workers / 1 worker where cores are free, from the CPU split: "
                f"{results['kcdata-1']['seconds'] / busiest:.2f}x (busiest thread or helper: {busiest:.1f} s)"
            )
        for c in ("kcdata-1", "kcdata-2"):
            if c in results:
                r = results[c]
                print(
                    f"{c} peak memory: {r['rss_total_mb']:.0f} MB in all (main "
                    f"{r['rss_main_mb']:.0f} MB, largest worker {r['rss_worker_mb']:.0f} MB)"
                )
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
