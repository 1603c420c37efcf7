"""Release records: ``releases/NAME/VERSION/`` and rebuilding them with identical hashes.

A release record holds what anyone needs to rebuild a published dataset byte for byte:

* ``config.yaml``: the exact build config (``manifest["created_from"]``);
* ``manifest.json``: seed, as_of, sources with entity revisions or dump date, template versions,
  tool version, the sha256 of every file, and ``hub`` = {repo_id, revision, commit} once pushed;
* ``README.md``: the dataset card.

This module only records and compares: :func:`kcdata.pipeline.rebuild` runs the build on the
recorded config (offline, from the HTTP cache or the bundled sample) and :func:`compare` checks
every file's sha256 against the record.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kcdata.config import dump_config, from_dict
from kcdata.errors import KcdataError
from kcdata.fileio import sha256_file, write_atomic
from kcdata.publish.manifest import read_manifest

logger = logging.getLogger(__name__)

CONFIG_FILE = "config.yaml"
MANIFEST_FILE = "manifest.json"
CARD_FILE = "README.md"
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class ReleaseError(KcdataError):
    """A release could not be written or rebuilt (exit code 1)."""


def _manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _config_yaml(created_from: dict[str, Any]) -> bytes:
    """The build config as YAML, in the form ``kcdata.config`` writes (sorted keys)."""
    try:
        return dump_config(from_dict(created_from, "manifest created_from")).encode("utf-8")
    except KcdataError as exc:
        raise ReleaseError(
            f"the manifest's build config is invalid: {exc.message}",
            "rebuild the dataset with `kcdata build`",
        ) from None


def _read_card(card: Path) -> bytes:
    """The card's bytes, once checked to be UTF-8 text whose YAML header parses."""
    from kcdata.publish.card import read_card_text

    return read_card_text(card, ReleaseError).encode("utf-8")


def _is_build(folder: Path) -> bool:
    """Whether ``folder`` holds a kcdata build (or a release record): a ``manifest.json`` whose
    JSON has a string ``tool_version`` and a ``files`` object. (``kcdata.pipeline.is_build`` is
    stricter, but a stage never imports the top; a tampered build still counts here.)"""
    from kcdata.fileio import manifest_object

    doc = manifest_object(folder)
    return doc is not None and isinstance(doc.get("tool_version"), str) and isinstance(doc.get("files"), dict)


def enclosing_build(path: Path, *, include_self: bool = True) -> Path | None:
    """The build folder that ``path`` is (``include_self``) or lies inside, else None. The path is
    resolved first (``..`` and symbolic links), so ``out/../s/static`` is seen as inside ``s``."""
    resolved = Path(os.path.abspath(path))
    try:
        resolved = resolved.resolve()
    except (OSError, RuntimeError):
        pass
    chain = [resolved, *resolved.parents] if include_self else list(resolved.parents)
    return next((folder for folder in chain if _is_build(folder)), None)


def _shown(folder: Path) -> str:
    try:
        rel = os.path.relpath(folder)
    except ValueError:  # another drive (Windows)
        return str(folder)
    return str(folder) if rel.startswith("..") else rel


def refuse_inside_build(
    path: Path, label: str, error: type[KcdataError], *, include_self: bool = True, shown: Path | None = None
) -> None:
    """Refuse to write ``path`` when it is (or lies inside) a build folder: the files would pollute
    the build (``kcdata validate`` and a push would see them) and stop it being replaced.
    ``shown`` is the path named in the message (default ``path``).

    Raises:
        error: ``path`` is inside a build folder.
    """
    build = enclosing_build(path, include_self=include_self)
    if build is not None:
        raise error(
            f"{label} {shown if shown is not None else path} is inside the build folder {_shown(build)}; choose a folder outside it",
            "write releases and task files next to the build, e.g. releases/ or tasks/, not into it",
        )


def is_published(release_dir: Path) -> bool:
    """Whether a release record names a Hub commit."""
    hub = read_manifest(release_dir, ReleaseError).get("hub")
    return isinstance(hub, dict) and bool(hub.get("commit"))


def write_release(
    dataset_dir: Path,
    name: str,
    version: str,
    releases_dir: Path = Path("releases"),
    *,
    overwrite: bool = False,
) -> Path:
    """Record a built dataset as ``releases_dir/NAME/VERSION/``.

    Args:
        dataset_dir: folder written by ``kcdata build`` (its manifest, card and config are copied).
        name: release name (letters, digits, ``.``, ``_``, ``-``).
        version: release version, e.g. ``2024.06`` or ``v1.0.0``; also the Hub tag.
        releases_dir: root folder of release records.
        overwrite: replace an existing record that was never published.

    Returns:
        The release folder.

    Raises:
        ReleaseError: bad name or version, missing files, or a record that already exists
            (a published one is never replaced).
    """
    for label, value in (("name", name), ("version", version)):
        if not _SAFE.match(value) or ".." in value:
            raise ReleaseError(
                f"invalid release {label} {value!r}", "use letters, digits, '.', '_' and '-' (e.g. 2024.06)"
            )
    dataset_dir = Path(dataset_dir)
    manifest = read_manifest(dataset_dir, ReleaseError)
    card = dataset_dir / CARD_FILE
    if not card.is_file():
        raise ReleaseError(f"{card} not found", "rebuild the dataset with `kcdata build`")
    card_bytes = _read_card(card)
    changed = [rel for rel, digest in sorted((manifest.get("files") or {}).items())
               if (not (dataset_dir / rel).is_file() or sha256_file(dataset_dir / rel) != digest)]
    if changed:
        raise ReleaseError(
            f"{dataset_dir}: {', '.join(changed[:3])}{' …' if len(changed) > 3 else ''} no longer match the "
            "manifest's sha256 (edited or missing since the build)",
            "rebuild the dataset with `kcdata build`; `kcdata validate` lists every problem",
        )
    created_from = manifest.get("created_from")
    if not isinstance(created_from, dict):
        raise ReleaseError(
            f"{dataset_dir / MANIFEST_FILE} has no build config (created_from)",
            "rebuild the dataset with `kcdata build`",
        )
    if manifest.get("name") not in (None, name):
        logger.warning("release name %r differs from the dataset name %r", name, manifest.get("name"))
    target = Path(releases_dir) / name / version
    # The record itself is a folder with a manifest (replaced with --overwrite): look above it.
    refuse_inside_build(target, "--releases-dir", ReleaseError, include_self=False, shown=Path(releases_dir))
    if target.exists():
        if (target / MANIFEST_FILE).is_file() and is_published(target):
            raise ReleaseError(
                f"release {name} {version} is already published at {target}",
                "published releases are immutable; use a new version",
            )
        if not overwrite:
            raise ReleaseError(
                f"{target} already exists", "use a new version, or --overwrite an unpublished one"
            )

    files = {
        CONFIG_FILE: _config_yaml(created_from),
        MANIFEST_FILE: _manifest_bytes(manifest),
        CARD_FILE: card_bytes,
    }
    # Build the record in a sibling temporary folder, then move it into place in one step.
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=target.parent))
    try:
        os.chmod(staging, 0o755)  # mkdtemp makes the folder private; a release record is meant to be read
        for fname, data in files.items():
            (staging / fname).write_bytes(data)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info("wrote release %s %s to %s", name, version, target)
    return target


def mark_published(release_dir: Path, hub_info: dict[str, Any]) -> None:
    """Record the Hub repository and commit of a pushed release (``manifest.json`` ``hub``).

    Args:
        release_dir: ``releases/NAME/VERSION``.
        hub_info: ``{"repo_id", "revision", "commit"}``.
    """
    manifest = read_manifest(release_dir, ReleaseError)
    manifest["hub"] = {
        "repo_id": hub_info["repo_id"],
        "revision": hub_info.get("revision"),
        "commit": hub_info.get("commit"),
    }
    write_atomic(Path(release_dir) / MANIFEST_FILE, _manifest_bytes(manifest))


@dataclass(frozen=True)
class RebuildReport:
    """The outcome of rebuilding a release."""

    release_dir: Path
    """The release record that was rebuilt."""
    out_dir: Path
    """Where the rebuilt dataset was written."""
    matched: tuple[str, ...]
    """Files whose sha256 equals the record's."""
    mismatched: dict[str, tuple[str, str]] = field(default_factory=dict)
    """path -> (recorded sha256, rebuilt sha256)."""
    missing: tuple[str, ...] = ()
    """Recorded files the rebuild did not produce."""
    extra: tuple[str, ...] = ()
    """Files the rebuild produced that the record does not list."""

    @property
    def ok(self) -> bool:
        """True when every recorded file was rebuilt with the same hash and nothing else appeared."""
        return not (self.mismatched or self.missing or self.extra)


def read_record(release_dir: Path) -> tuple[Path, dict[str, str]]:
    """The recorded build config's path and the recorded files' sha256 of a release record.

    Raises:
        ReleaseError: The record has no config, no manifest or no file hashes.
    """
    release_dir = Path(release_dir)
    config_path = release_dir / CONFIG_FILE
    if not config_path.is_file():
        raise ReleaseError(f"{config_path} not found", "pass a folder written by `kcdata release`")
    manifest = read_manifest(release_dir, ReleaseError)
    expected: dict[str, str] = dict(manifest.get("files") or {})
    if not expected:
        raise ReleaseError(f"{release_dir / MANIFEST_FILE} lists no file hashes", "re-record the release")
    return config_path, expected


def compare(release_dir: Path, out_dir: Path, produced: dict[str, str]) -> RebuildReport:
    """Compare a rebuilt dataset folder with a release record, file by file (sha256).

    Args:
        release_dir: ``releases/NAME/VERSION``.
        out_dir: The rebuilt folder.
        produced: The files the rebuild wrote (relative path -> sha256, e.g. ``BuildResult.files``).
    """
    _, expected = read_record(release_dir)
    matched: list[str] = []
    mismatched: dict[str, tuple[str, str]] = {}
    missing: list[str] = []
    for rel, digest in sorted(expected.items()):
        path = Path(out_dir) / rel
        if not path.is_file():
            missing.append(rel)
            continue
        actual = sha256_file(path)
        if actual == digest:
            matched.append(rel)
        else:
            mismatched[rel] = (digest, actual)
    extra = tuple(sorted(set(produced) - set(expected)))
    return RebuildReport(Path(release_dir), Path(out_dir), tuple(matched), mismatched, tuple(missing), extra)


def mismatch_hint(report: RebuildReport) -> str:
    """What most likely made a rebuild differ: another kcdata version, another parquet writer,
    else the source or its cache."""
    from kcdata import __version__
    from kcdata.publish.parquet import environment

    manifest = read_manifest(report.release_dir, ReleaseError)
    recorded_tool = manifest.get("tool_version")
    if recorded_tool and recorded_tool != __version__:
        return (f"the record was made by kcdata {recorded_tool} (this is {__version__}): a release is "
                f"rebuilt by the version that made it: pip install 'kcdata=={recorded_tool}'")
    recorded = manifest.get("environment")
    recorded = recorded if isinstance(recorded, dict) else {}
    now = environment()
    differ = [f"{k} {v} (now {now.get(k)})" for k, v in sorted(recorded.items()) if now.get(k) != v]
    if differ:
        return "the record was built with " + ", ".join(differ) + "; parquet bytes depend on the writer version"
    return "check the source snapshot/cache and the tool version named in manifest.json"


__all__ = [
    "RebuildReport",
    "ReleaseError",
    "compare",
    "enclosing_build",
    "is_published",
    "mark_published",
    "mismatch_hint",
    "read_record",
    "refuse_inside_build",
    "write_release",
]
