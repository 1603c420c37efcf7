"""Atomic file writes and file hashes: the one place kcdata writes a file or checks one.

Every file kcdata writes goes through :func:`atomic_path` (a temporary file in the same folder,
renamed over the target once complete), so a reader sees the old file or the whole new one and a
failure leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePath

READABLE = 0o644
"""Mode of the files kcdata publishes (``mkstemp`` makes them private: 0600)."""


@contextmanager
def atomic_path(path: str | os.PathLike[str], mode: int | None = READABLE) -> Iterator[Path]:
    """A temporary path to write; on success it replaces ``path``, on any error it is removed.

    Args:
        path: The target file (its folder is created).
        mode: File mode to set before the rename (``None``: keep ``mkstemp``'s private 0600).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: str | os.PathLike[str], data: bytes, mode: int | None = READABLE) -> None:
    """Write ``data`` to ``path`` atomically, flushed to disk before the rename."""
    with atomic_path(path, mode) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_atomic_text(path: str | os.PathLike[str], text: str, mode: int | None = READABLE) -> None:
    """Write ``text`` as UTF-8 with ``\\n`` line ends to ``path`` atomically."""
    write_atomic(path, text.encode("utf-8"), mode)


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- build folders

_RENAME_EXCHANGE = 2


def exchange_dirs(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    platform or file system cannot."""
    try:
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    rc = fn(at_fdcwd, os.fsencode(str(a)), at_fdcwd, os.fsencode(str(b)), _RENAME_EXCHANGE)
    return rc == 0


def private_dir(target: Path, kind: str) -> Path:
    """A new hidden folder beside ``target`` (``.NAME.KIND-PID-xxxx``, KIND ``tmp``, ``old`` or
    ``spool``), readable as the umask allows (``mkdtemp`` alone makes it 0700); the pid lets a
    later run tell a dead run's leftover."""
    parent = target.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.{kind}-{os.getpid()}-", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(folder, 0o777 & ~umask)
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def leftovers(target: Path) -> list[Path]:
    """Hidden folders a killed run left beside ``target`` (its process is gone)."""
    parent = target.resolve().parent
    out = []
    if not parent.is_dir():
        return out
    for p in sorted(parent.glob(f".{target.name}.*-*-*")):
        parts = p.name[len(target.name) + 2:].split("-")
        if len(parts) >= 3 and parts[0] in ("tmp", "old", "spool") and parts[1].isdigit() and p.is_dir():
            if not _alive(int(parts[1])) or int(parts[1]) == os.getpid():
                out.append(p)
    return out


def replace_dir(new: Path, target: Path) -> None:
    """Put the complete folder ``new`` at ``target``, crash-safe: at every moment ``target`` is the
    previous complete folder or the new one.

    Uses one atomic exchange where the platform has it; elsewhere the previous folder is renamed
    aside first, and a run killed between the two renames is repaired by the next run
    (:func:`recover`).
    """
    import shutil

    if not target.exists():
        os.rename(new, target)
        return
    if exchange_dirs(new, target):
        shutil.rmtree(new, ignore_errors=True)  # now holds the previous build
        return
    old = private_dir(target, "old")
    os.rename(target, old / "x")
    os.rename(new, target)
    shutil.rmtree(old, ignore_errors=True)


def recover(target: Path, is_ours) -> list[str]:
    """Repair what a killed run left: a previous build renamed aside while ``target`` is missing
    is put back; every other leftover of a dead run is removed. Returns what was done."""
    import shutil

    done = []
    for p in leftovers(target):
        kept = p / "x"
        if p.name.startswith(f".{target.name}.old-") and not target.exists() and kept.is_dir() and is_ours(kept):
            os.rename(kept, target)
            done.append(f"restored {target} from {p.name}")
        shutil.rmtree(p, ignore_errors=True)
        done.append(f"removed {p.name}")
    return done


# ---------------------------------------------------------------- when a write fails

#: Modules whose ``path``-like locals name the file being written when a write fails.
_WRITERS = ("kcdata.fileio", "kcdata.publish.parquet", "kcdata.publish.spool", "pyarrow.parquet.core", "shutil")
_WRITER_LOCALS = ("path", "target", "where", "tmp", "dst", "dest")
_TEMP_DIR = re.compile(r"(^|/)\.(?P<name>[^/]+?)\.(?:tmp|old)-\d+-[^/]+(/x)?(?=/|$)")
_TEMP_FILE = re.compile(r"(^|/)\.(?P<name>[^/]+?)\.[^./]+\.tmp$")
_STAGING_DIR = re.compile(r"(^|/)\.(?P<name>[^/]+)\.[a-z0-9_]{8}(?=/)")  # mkdtemp(prefix=".NAME.")


def path_being_written(exc: BaseException) -> str | None:
    """The file a failed write was writing: the exception's ``filename``, else (``write()`` and
    pyarrow name none) the innermost writer's target found in the traceback; ``None`` if unknown.

    A build's private folder (``.NAME.tmp-PID-x``), a release's staging folder (``.NAME.xxxxxxxx``)
    and an atomic temporary file (``.NAME.x.tmp``) are shown as the path they were to become. A
    build's spill file (``.NAME.spool-PID-x/static.3.arrow``) never becomes one: it is named as it is.
    """
    found: str | None = None
    name = getattr(exc, "filename", None)
    if name is not None:
        found = os.fsdecode(name) if isinstance(name, (str, bytes, os.PathLike)) else str(name)
    else:
        frames = [frame for frame, _ in traceback.walk_tb(exc.__traceback__)]
        for frame in reversed(frames):
            module = frame.f_globals.get("__name__", "")
            values = frame.f_locals
            if module in _WRITERS:
                hit = next((values[k] for k in _WRITER_LOCALS if isinstance(values.get(k), (str, os.PathLike))), None)
            elif module == "pathlib" and isinstance(values.get("self"), PurePath):
                hit = values["self"]  # Path.write_text / write_bytes
            else:
                hit = next((v.name for v in values.values() if isinstance(v, io.IOBase) and _writing(v)
                            and isinstance(getattr(v, "name", None), str)), None)
            if hit is not None:
                found = os.fspath(hit)
                break
    if found is None:
        return None
    if found in ("<stdout>", "<stderr>"):
        return "standard output" if found == "<stdout>" else "standard error"
    found = _TEMP_DIR.sub(lambda m: m.group(1) + m.group("name"), found)
    found = _STAGING_DIR.sub(lambda m: m.group(1) + m.group("name"), found)
    return _TEMP_FILE.sub(lambda m: m.group(1) + m.group("name"), found)


def _writing(stream: io.IOBase) -> bool:
    mode = getattr(stream, "mode", "")  # still there once the file is closed
    return isinstance(mode, str) and any(c in mode for c in "wax+")


def free_bytes(path: str | os.PathLike[str]) -> int | None:
    """Bytes free to an unprivileged writer on the file system of ``path`` (or of its nearest
    existing folder); ``None`` where the platform cannot tell."""
    probe = Path(path)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        st = os.statvfs(probe)
    except (OSError, AttributeError):
        return None
    return st.f_bavail * st.f_frsize


def size_text(n: int) -> str:
    """Bytes for a message: ``0 kB``, ``12 kB``, ``3.4 MB``, ``1,234 MB``."""
    if n < 1e6:
        return f"{max(1, round(n / 1e3))} kB" if n else "0 kB"
    return f"{n / 1e6:.1f} MB" if n < 10e6 else f"{n / 1e6:,.0f} MB"


def tree_size(path: str | os.PathLike[str]) -> int:
    """Bytes of a file, or of every file under a folder (0 when missing)."""
    root = Path(path)
    try:
        if root.is_file():
            return root.stat().st_size
        return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    except OSError:
        return 0


def not_a_file(path: Path | str) -> str | None:
    """Why ``path`` cannot be read as a file ("no such file", "is a folder, not a file", "is not a
    regular file (a device, pipe or socket)"), or None when it is a regular file."""
    import stat

    p = Path(path)
    try:
        mode = p.stat().st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as e:
        return f"cannot be read ({e.strerror or e})"
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(mode):
        return "is not a regular file (a device, pipe or socket)"
    return None


def foreign_files(folder: Path, limit: int = 5) -> list[str]:
    """Files under a build folder that its manifest does not list (a user's notes, scores, a release
    record's ``config.yaml``): replacing the folder would delete them. At most ``limit``, sorted."""
    try:
        listed = set(json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))["files"])
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        listed = set()
    listed.add("manifest.json")
    extra = []
    for path in sorted(Path(folder).rglob("*")):
        if path.is_dir() and not path.is_symlink():
            continue
        rel = path.relative_to(folder).as_posix()
        if rel not in listed:
            extra.append(rel)
            if len(extra) >= limit:
                break
    return extra


MAX_MANIFEST_BYTES = 64 * 1024 * 1024


def manifest_object(folder: Path | str) -> dict | None:
    """The JSON object in ``folder/manifest.json``, or None when there is none, it is over 64 MB,
    unreadable, not JSON or not an object (how a folder is recognised as a build; the callers
    check its content)."""
    path = Path(folder) / "manifest.json"
    try:
        if not path.is_file() or path.stat().st_size > MAX_MANIFEST_BYTES:
            return None
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None
