"""The distributed executor: Ray Data maps, in order, for the dump's ranges and the rows' rendering.

``kcdata build --executor ray`` hands the two parallel stages to Ray (extra ``ray``): reading the
dump, one task per byte range of its decompressed stream (:mod:`kcdata.sources.dump_ranged`), and
rendering, one task per chunk of chosen facts (:mod:`kcdata.workers`). :func:`ordered_map` runs a
function over items as a Ray Data dataset with ``preserve_order``, so results come back in input
order and the build writes the same bytes as the local executor. Without ``--ray-address`` Ray
starts on this machine with ``--workers`` CPUs; with one (``ray://head:10001``, ``auto``) it joins
that cluster, whose nodes need kcdata installed.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import pickle
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from kcdata.errors import ConfigError

log = logging.getLogger(__name__)

EXECUTORS = ("local", "ray")


def available() -> bool:
    """Whether Ray (extra ``ray``) is installed."""
    try:
        import ray  # noqa: F401
        import ray.data  # noqa: F401
    except ImportError:
        return False
    return True


def require() -> None:
    """Raise a clear error where Ray is not installed."""
    if not available():
        raise ConfigError("--executor ray needs Ray, which is not installed",
                          "pip install 'kcdata[ray]' (from a checkout: pip install '.[ray]'), or use --executor local")


def start(address: str | None, cpus: int) -> Any:
    """Ray, started on this machine with ``cpus`` CPUs, or joined to the cluster at ``address``
    (a running session is reused)."""
    require()
    import ray

    global _STARTED
    if address and not ray.is_initialized():
        _check_reachable(address)
    if not ray.is_initialized():
        _STARTED = True
        opts: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                "configure_logging": False, "ignore_reinit_error": True}
        try:
            if address:
                ray.init(address=address, **opts)
            else:
                _loopback_only()
                ray.init(num_cpus=max(cpus, 1), **opts)
        except (ConnectionError, RuntimeError, ValueError) as err:
            _STARTED = False
            ray.shutdown()  # whatever it started before it failed
            _restore_default()
            where = f"the Ray cluster at {address}" if address else "a local Ray instance"
            raise ConfigError(f"could not start or join {where}: {str(err).splitlines()[0] if str(err) else err!r}",
                              "check --ray-address (ray://HOST:10001 or auto), or leave it out to run Ray here") from None
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return ray


_CLUSTER_DEFAULT: Any = None


def _restore_default() -> None:
    """Undo :func:`_loopback_only`, so that a later Ray joined in this process sees its default."""
    global _CLUSTER_DEFAULT
    if _CLUSTER_DEFAULT is not None:
        from ray._private import ray_constants

        ray_constants.ENABLE_RAY_CLUSTER = _CLUSTER_DEFAULT
        _CLUSTER_DEFAULT = None


def _loopback_only() -> None:
    """A Ray started here listens on 127.0.0.1 only, not on the machine's network address (Ray's
    default, for clusters): nothing outside this machine can reach it, and it reaches nothing.
    Ray has no public switch for it: its own macOS/Windows default is flipped (a private
    constant; where it is gone, Ray keeps its default)."""
    try:
        from ray._private import ray_constants

        global _CLUSTER_DEFAULT
        if hasattr(ray_constants, "ENABLE_RAY_CLUSTER"):
            if _CLUSTER_DEFAULT is None:
                _CLUSTER_DEFAULT = ray_constants.ENABLE_RAY_CLUSTER
            ray_constants.ENABLE_RAY_CLUSTER = False
    except ImportError:  # pragma: no cover - another Ray layout
        pass


def _check_reachable(address: str) -> None:
    """Fail at once on a ``HOST:PORT`` (or ``ray://HOST:PORT``) nobody listens on: Ray itself
    retries for minutes before it gives up."""
    import socket

    hostport = address.split("://", 1)[-1]
    if address == "auto" or ":" not in hostport:
        return
    host, _, port = hostport.rpartition(":")
    if not port.isdigit():
        raise ConfigError(f"--ray-address {address}: the port must be a number", "pass ray://HOST:10001, HOST:6379 or auto")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=5):
            pass
    except OSError as err:
        raise ConfigError(f"no Ray cluster answers at {address} ({err.strerror or err})",
                          "start it (ray start --head) or check --ray-address; leave it out to run Ray here") from None


_STARTED = False
"""Whether :func:`start` started (or joined) Ray in this process, so :func:`stop` may end it."""


def stop() -> None:
    """Shut Ray down if :func:`start` started or joined it (a session the caller began stays)."""
    global _STARTED
    if _STARTED:
        import ray

        _STARTED = False
        if ray.is_initialized():
            ray.shutdown()
        _restore_default()


def ordered_map(fn: Callable[[Any], Any], items: Sequence[Any], *, address: str | None, cpus: int) -> Iterator[Any]:
    """``fn(x) for x in items`` as Ray Data tasks, one block per item, results in input order.

    ``fn`` and the items are pickled (cloudpickle for ``fn``); results come back pickled.
    """
    start(address, cpus)
    from ray import data as ray_data

    if not items:
        return
    rows = [{"i": i, "item": pickle.dumps(x, protocol=pickle.HIGHEST_PROTOCOL)} for i, x in enumerate(items)]

    def apply(row: dict[str, Any]) -> dict[str, Any]:  # a Ray Data row function (cloudpickled with fn)
        out = fn(pickle.loads(row["item"]))  # noqa: S301 - items this process pickled
        return {"i": row["i"], "out": pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)}

    ds = ray_data.from_items(rows, override_num_blocks=len(rows))
    # the dataset's own copy of the Ray Data context, not the caller's global one
    ds.context.execution_options.preserve_order = True
    ds.context.enable_progress_bars = False
    ds.context.print_on_execution_start = False
    ds = ds.map(apply)
    expect = 0
    for row in ds.iter_rows():
        if row["i"] != expect:  # preserve_order is what makes the output the local executor's bytes
            raise RuntimeError(f"Ray Data returned item {row['i']} where {expect} was due")
        expect += 1
        yield pickle.loads(row["out"])  # noqa: S301 - results of our own tasks


def release_memory() -> None:
    """Hand back to the system the memory a finished stage freed but the allocators keep: Arrow's
    pool, and with glibc the free heap (``malloc_trim``). The next stage's peak starts lower:
    after a 160 MB dump's extraction, 361 MB resident became 216 MB."""
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        pass
    import ctypes

    try:
        trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # glibc only
    except OSError:  # pragma: no cover - a platform without the C library's symbols
        trim = None
    if trim is not None:
        trim(0)


GC_THRESHOLD = 10_000
"""Allocations between two youngest-generation collections during a build (Python's default is
700): a build allocates millions of short-lived, acyclic objects (rows, their dicts and lists)
that reference counting frees anyway."""


@contextlib.contextmanager
def build_collector() -> Iterator[None]:
    """The cyclic garbage collector's settings for one build: the youngest generation collected
    every :data:`GC_THRESHOLD` allocations; on exit the caller's settings come back and whatever
    :func:`keep_long_lived` froze is collectable again."""
    global _IN_BUILD
    old, was = gc.get_threshold(), _IN_BUILD
    gc.set_threshold(GC_THRESHOLD, *old[1:])
    _IN_BUILD = True
    try:
        yield
    finally:
        _IN_BUILD = was
        gc.set_threshold(*old)
        if not was:
            gc.unfreeze()


_IN_BUILD = False


def keep_long_lived() -> None:
    """Within :func:`build_collector`, what is alive now (the source's facts and labels, then the
    judged facts) lives to the end of the build: it is taken out of every later collection
    (``gc.freeze``), which would otherwise walk its millions of objects again and again while
    rows are made (a 40 MB dump's build spent 3.0 of 14.4 s in the collector, 1.0 s so). Forked
    render workers inherit it: their collections skip it too. Outside a build, nothing."""
    if _IN_BUILD:
        gc.collect()
        gc.freeze()


__all__ = ["EXECUTORS", "GC_THRESHOLD", "available", "build_collector", "keep_long_lived", "ordered_map",
           "release_memory", "require", "start", "stop"]
