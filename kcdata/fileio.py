"""Atomic file writes and file hashes: the one place kcdata writes a file or checks one.

Every file kcdata writes goes through :func:`atomic_path` (a temporary file in the same folder,
renamed over the target once complete), so a reader sees the old file or the whole new one and a
failure leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
