"""Push a built dataset folder to the Hugging Face Hub in one commit.

The folder written by ``kcdata build`` (``README.md`` card, ``manifest.json``, ``rejects.jsonl``
and ``<config>/test-*.parquet``) is uploaded as it is: the card's ``configs`` make
``datasets.load_dataset(repo_id, config)`` work with no loading script, and parquet shards go
through LFS (the Hub's ``.gitattributes`` says so).

Before anything is sent the folder is checked: every file the manifest lists must still have its
sha256, every config in the card must match at least one parquet file, and the card's YAML header
must pass the Hub's metadata rules. Only after the commit (and the tag, when asked) succeeded is
the publication recorded -- in the folder's ``manifest.json`` and in ``releases/NAME/VERSION/``
when that release exists -- so a failed push never leaves a release marked as published.

The token comes from ``HF_TOKEN`` or the Hugging Face login cache (``hf auth login``), through
``huggingface_hub.get_token``. It is never logged, printed or written: it is registered with
:func:`kcdata.errors.add_secret` (as is a password in ``HF_ENDPOINT``), every log record is
masked (:func:`kcdata.errors.install_redaction`), and error texts are scrubbed.

Every request to the Hub has a timeout (:data:`DEFAULT_TIMEOUT` seconds, or ``timeout=`` /
``$KCDATA_HUB_TIMEOUT``): :func:`hub_timeout` gives the ``huggingface_hub`` HTTP client a timeout
for connecting, each read, each write and the connection pool, and a request hook that puts it on
any request sent with ``timeout=None``. ``huggingface_hub``'s own ``HF_HUB_ETAG_TIMEOUT`` and
``HF_HUB_DOWNLOAD_TIMEOUT`` are for downloads only; a push sends no request without a timeout.
"""

from __future__ import annotations

import copy
import fnmatch
import hashlib
import json
import logging
import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kcdata.errors import KcdataError, add_secret, install_redaction, redact, secrets_from_url
from kcdata.fileio import sha256_file, write_atomic
from kcdata.publish.card import as_of_text, config_globs, validate_card
from kcdata.publish.manifest import read_manifest

logger = logging.getLogger(__name__)

REPO_TYPE = "dataset"
CARD = "README.md"
MANIFEST = "manifest.json"
REJECTS = "rejects.jsonl"
LFS_SUFFIXES = (".parquet", ".arrow", ".gz", ".zst")
DEFAULT_TIMEOUT = 60.0
"""Seconds every Hub request may wait to connect, for each read and each write (default)."""
TIMEOUT_ENV = "KCDATA_HUB_TIMEOUT"
"""Environment variable read when no timeout is given."""


class PublishError(KcdataError):
    """Publishing failed; nothing was recorded as published (exit code 1)."""


@dataclass(frozen=True)
class UploadItem:
    """One file of a push."""

    path_in_repo: str
    """Where the file goes in the repository (POSIX path)."""
    local_path: Path
    """The file on disk."""
    size: int
    """Size in bytes."""
    sha256: str
    """Hex sha256 of the bytes that will be uploaded."""
    lfs: bool
    """Whether the Hub will store it with LFS (parquet and other binary shards)."""


@dataclass(frozen=True)
class PushPlan:
    """What a push would upload, and where."""

    repo_id: str
    """``namespace/name`` of the dataset repository."""
    revision: str
    """Branch that receives the commit."""
    tag: str | None
    """Tag created on the new commit (the release version), if any."""
    private: bool
    """Create the repository as private (ignored when it exists)."""
    items: tuple[UploadItem, ...]
    """Files of the commit, card and manifest included."""
    commit_message: str
    """Summary of the commit."""
    manifest: dict[str, Any]
    """The manifest as it will be uploaded (``hub`` names the repo; ``commit`` is null)."""

    def describe(self) -> list[str]:
        """Human-readable lines: one per file, then the destination."""
        lines = [
            f"{item.path_in_repo}\t{item.size} bytes\tsha256:{item.sha256[:12]}\t{'lfs' if item.lfs else 'regular'}"
            for item in self.items
        ]
        where = f"datasets/{self.repo_id}@{self.revision}" + (f", tag {self.tag}" if self.tag else "")
        total = sum(item.size for item in self.items)
        lines.append(
            f"{len(self.items)} files, {total} bytes -> {where}{' (private)' if self.private else ''}"
        )
        return lines


@dataclass(frozen=True)
class PushResult:
    """A successful push."""

    repo_id: str
    """The dataset repository."""
    revision: str
    """Branch that received the commit."""
    commit: str
    """Commit id on the Hub."""
    commit_url: str
    """Link to the commit."""
    tag: str | None
    """The tag created, if any."""
    files: int
    """Number of files in the commit."""
    release_dir: Path | None
    """The release record updated with the Hub commit, if one existed."""


def plan_push(
    dataset_dir: Path,
    repo_id: str,
    *,
    revision: str = "main",
    tag: str | None = None,
    private: bool = False,
    commit_message: str | None = None,
) -> PushPlan:
    """Check a built folder and list what a push would upload (no network).

    Args:
        dataset_dir: folder written by ``kcdata build``.
        repo_id: ``namespace/name`` of the dataset repository.
        revision: branch to commit to.
        tag: tag to create on the commit (a release version).
        private: create the repository as private.
        commit_message: commit summary; a default names the dataset, as_of and seed.

    Returns:
        The plan: files with sizes and hashes, destination, and the manifest to upload.

    Raises:
        PublishError: the folder is incomplete, a file changed since the build, or the card's
            metadata would be rejected by the Hub.
    """
    dataset_dir = Path(dataset_dir)
    check_repo_id(repo_id)
    check_ref_name(revision, "--revision", "a branch name, e.g. main")
    if tag is not None:
        check_ref_name(tag, "--tag", "a version such as 2024.06 or v1.0.0")
    if not dataset_dir.is_dir():
        raise PublishError(f"{dataset_dir} is not a folder", "pass the folder written by `kcdata build`")
    manifest = read_manifest(dataset_dir, PublishError)
    card_path = dataset_dir / CARD
    if not card_path.is_file():
        raise PublishError(
            f"{dataset_dir} has no {CARD} dataset card", "rebuild the dataset with `kcdata build`"
        )
    card_text = _read_card(card_path)
    problems = validate_card(card_text)
    if problems:
        raise PublishError(
            "the dataset card would be rejected by the Hub:\n  - " + "\n  - ".join(problems),
            "fix templates/cards/dataset_card.md.j2 or the build, then rebuild",
        )

    files = sorted(p.relative_to(dataset_dir).as_posix() for p in dataset_dir.rglob("*") if p.is_file())
    data_files: list[str] = []
    for config, patterns in config_globs(card_text).items():
        matched = sorted({f for f in files for pat in patterns if fnmatch.fnmatch(f, pat)})
        if not matched:
            raise PublishError(
                f"config {config!r} of the card matches no file ({', '.join(patterns)})",
                "rebuild the dataset: the card and the parquet files disagree",
            )
        data_files.extend(m for m in matched if m not in data_files)

    check_files(dataset_dir, manifest, PublishError)

    upload_manifest = copy.deepcopy(manifest)
    upload_manifest["hub"] = {"repo_id": repo_id, "revision": revision, "commit": None}
    manifest_bytes = _manifest_bytes(upload_manifest)

    # Every file the manifest lists goes up (croissant.json included: a Hub copy must pass
    # `kcdata validate`), with the card first, then the other listed files, then the data.
    listed = set(manifest["files"]) | ({REJECTS} if (dataset_dir / REJECTS).is_file() else set())
    names = [CARD] + sorted(listed - {CARD, MANIFEST} - set(data_files)) + data_files
    items = [
        UploadItem(
            path_in_repo=name,
            local_path=dataset_dir / name,
            size=(dataset_dir / name).stat().st_size,
            sha256=sha256_file(dataset_dir / name),
            lfs=name.endswith(LFS_SUFFIXES),
        )
        for name in names
    ]
    items.append(
        UploadItem(
            path_in_repo=MANIFEST,
            local_path=dataset_dir / MANIFEST,
            size=len(manifest_bytes),
            sha256=hashlib.sha256(manifest_bytes).hexdigest(),
            lfs=False,
        )
    )
    message = commit_message or (
        f"kcdata: publish {manifest.get('name', 'dataset')} ({as_of_text(manifest)}, "
        f"seed {manifest.get('seed', '?')})"
    )
    return PushPlan(repo_id, revision, tag, private, tuple(items), message, upload_manifest)


_REF_FORBIDDEN = frozenset(" ~^:?*[\\")


def check_repo_id(repo_id: str, error: type[KcdataError] | None = None) -> None:
    """Refuse a repository id that is not ``NAMESPACE/NAME`` as the Hub spells it
    (``huggingface_hub.utils.validate_repo_id``: no ``..``, no leading ``-`` or ``.``, ...).

    Raises:
        error (default PublishError): the id is invalid.
    """
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    error = error or PublishError
    remedy = "use NAMESPACE/NAME, e.g. my-user/kc-wikidata"
    if not isinstance(repo_id, str) or repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise error(f"invalid repo id {repo_id!r}: it must be NAMESPACE/NAME", remedy)
    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        raise error(
            f"invalid repo id {repo_id!r}: NAMESPACE and NAME may hold letters, digits, '-', '_' and "
            "'.', must not start or end with '-' or '.', nor contain '--' or '..'",
            remedy,
        ) from None


def ref_problem(name: str) -> str | None:
    """Why ``name`` is not a valid git branch or tag name (``git check-ref-format`` rules), or None."""
    if not name:
        return "it is empty"
    if name.startswith("-"):
        return "it starts with '-'"
    bad = sorted({c for c in name if c in _REF_FORBIDDEN or ord(c) < 32 or ord(c) == 127})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return f"it contains {shown}"
    if ".." in name:
        return "it contains '..'"
    if "@{" in name or name == "@":
        return "it contains '@{' or is '@'"
    if name.endswith((".lock", ".", "/")) or name.startswith("/") or "//" in name:
        return "it ends with '.lock', '.' or '/', starts with '/' or contains '//'"
    if any(part.startswith(".") or part.endswith(".lock") for part in name.split("/")):
        return "a '/'-separated part starts with '.' or ends with '.lock'"
    return None


def check_ref_name(name: str, label: str, example: str, error: type[KcdataError] | None = None) -> None:
    """Refuse a branch or tag name that git (and so the Hub) would reject.

    Raises:
        error (default PublishError): the name is not a valid git ref name.
    """
    why = ref_problem(name) if isinstance(name, str) else "it is not text"
    if why:
        raise (error or PublishError)(
            f"{label} {name!r} is not a valid git {'tag' if label == '--tag' else 'branch'} name: {why}",
            f"use {example} (no spaces, '..', ~^:?*[\\, control characters, leading '-' or trailing '.lock')",
        )


def check_files(dataset_dir: Path, manifest: dict[str, Any], error: type[KcdataError] | None = None) -> None:
    """Every file the manifest lists is there with its sha256 (the check of push-to-hub, reused by
    the lm-eval export).

    Raises:
        error (default PublishError): no hashes are listed, or a file is missing or changed.
    """
    error = error or PublishError
    dataset_dir = Path(dataset_dir)
    expected = manifest.get("files") or {}
    if not expected:
        raise error(f"{dataset_dir / MANIFEST} lists no file hashes", "rebuild the dataset with `kcdata build`")
    for rel, digest in sorted(expected.items()):
        path = dataset_dir / rel
        if not path.is_file():
            raise error(
                f"{dataset_dir}: {rel} is listed in the manifest but missing",
                "rebuild the dataset with `kcdata build`",
            )
        if sha256_file(path) != digest:
            raise error(
                f"{dataset_dir}: {rel} changed since the build (sha256 differs from the manifest)",
                "do not edit built files; rebuild with `kcdata build`",
            )


def _read_card(card_path: Path) -> str:
    try:
        return card_path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PublishError(f"{card_path} is not UTF-8 text (byte {exc.start + 1})",
                           "rebuild the dataset with `kcdata build`") from None
    except OSError as exc:
        raise PublishError(f"{card_path} cannot be read ({exc.strerror or exc})",
                           "check the file's permissions") from None


def _manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def resolve_token(token: str | None = None) -> str | None:
    """The token to use: the one given, else ``HF_TOKEN``, else the Hugging Face login cache."""
    if token:
        return token
    from huggingface_hub import get_token

    return get_token()


def _scrub(text: str, token: str | None) -> str:
    return redact(text, token)


def resolve_timeout(timeout: float | None = None) -> float:
    """The Hub request timeout in seconds: the one given, else ``$KCDATA_HUB_TIMEOUT``, else
    :data:`DEFAULT_TIMEOUT`.

    Raises:
        PublishError: it is not a positive, finite number of seconds.
    """
    source = "--timeout"
    if timeout is None:
        raw = os.environ.get(TIMEOUT_ENV, "").strip()
        if not raw:
            return DEFAULT_TIMEOUT
        source = TIMEOUT_ENV
        try:
            timeout = float(raw)
        except ValueError:
            timeout = math.nan
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
        raise PublishError(f"{source} must be a positive number of seconds, not {timeout!r}",
                           f"e.g. {TIMEOUT_ENV}=120, or --timeout 120")
    return float(timeout)


@contextmanager
def hub_timeout(seconds: float) -> Iterator[None]:
    """Within the block, every request ``huggingface_hub`` sends times out after ``seconds``
    (connect, each read, each write, waiting for a pooled connection).

    The shared client of ``huggingface_hub`` (httpx, through ``set_client_factory``) is made by
    the previous factory -- proxies and certificates kept -- then given the timeout and a request
    hook that sets it on requests sent with ``timeout=None``; the previous factory is restored
    after. With an older, requests-based ``huggingface_hub`` (``configure_http_backend``), the
    session's requests get the timeout instead.
    """
    import huggingface_hub

    if hasattr(huggingface_hub, "set_client_factory"):
        from huggingface_hub.utils import _http as hf_http

        previous = getattr(hf_http, "_GLOBAL_CLIENT_FACTORY", None) or hf_http.default_client_factory

        def hook(request: Any) -> None:
            current = request.extensions.get("timeout") or {}
            if not current or any(v is None for v in current.values()):
                limits = {k: seconds for k in ("connect", "read", "write", "pool")}
                request.extensions = {**request.extensions, "timeout": {**limits, **{k: v for k, v in current.items() if v is not None}}}

        def factory() -> Any:
            client = previous()
            client.timeout = seconds
            hooks = dict(client.event_hooks)
            hooks["request"] = [*hooks.get("request", []), hook]
            client.event_hooks = hooks
            return client

        huggingface_hub.set_client_factory(factory)
        try:
            yield
        finally:
            huggingface_hub.set_client_factory(previous)
        return
    from huggingface_hub.utils import _http as hf_http  # huggingface_hub < 1.0: requests

    previous = getattr(hf_http, "_GLOBAL_BACKEND_FACTORY", None)
    import requests

    class _Session(requests.Session):
        def request(self, *args: Any, **kwargs: Any) -> Any:
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = seconds
            return super().request(*args, **kwargs)

    huggingface_hub.configure_http_backend(backend_factory=_Session)
    try:
        yield
    finally:
        if previous is not None:
            huggingface_hub.configure_http_backend(backend_factory=previous)


def _is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, TimeoutError) or any("timeout" in t.__name__.lower() for t in type(exc).__mro__)


def _endpoint(endpoint: str | None) -> str | None:
    return (endpoint or os.environ.get("HF_ENDPOINT") or "").rstrip("/") or None


def _as_publish_error(
    exc: BaseException, stage: str, token: str | None, endpoint: str | None, timeout: float | None = None
) -> PublishError:
    """Turn a client exception into a message that says what happened and what to do."""
    status = getattr(getattr(exc, "response", None), "status_code", None)
    detail = _scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, token)
    server_message = getattr(exc, "server_message", None)
    if server_message:
        detail = _scrub(str(server_message).strip(), token)
    cause = exc.__cause__
    if isinstance(exc, RuntimeError) and cause is not None:
        return _as_publish_error(cause, stage, token, endpoint, timeout)
    where = redact(endpoint, token) if endpoint else "the Hugging Face Hub"
    method = getattr(getattr(getattr(exc, "response", None), "request", None), "method", None)
    if status is not None and method == "PUT":
        # A PUT goes to the LFS storage URL the Hub handed out, not to the Hub API itself.
        return PublishError(
            f"{stage}: the storage refused the upload of a file ({status}): {detail}",
            "nothing was committed or recorded as published; run push-to-hub again "
            "(files already stored are not sent twice)",
        )
    if status == 401:
        return PublishError(
            f"{stage}: the Hub refused the token (401 Unauthorized): {detail}",
            "check HF_TOKEN, or run `hf auth login` with a token that has write access",
        )
    if status == 403:
        return PublishError(
            f"{stage}: permission denied (403): {detail}",
            "use a token with write access to this namespace, or push to your own namespace",
        )
    if status == 404:
        return PublishError(
            f"{stage}: not found (404): {detail}", "check the repo id and the --revision branch"
        )
    if status == 409:
        return PublishError(f"{stage}: conflict (409): {detail}", "choose a new --tag version or branch")
    if status is not None:
        return PublishError(
            f"{stage}: the Hub rejected the request ({status}): {detail}",
            "nothing was recorded as published; fix the cause and run push-to-hub again",
        )
    if _is_timeout(exc):
        within = f" within {timeout:g} s" if timeout else ""
        return PublishError(
            f"{stage}: {where} did not answer{within} ({type(exc).__name__}: {detail})",
            f"check the network or HF_ENDPOINT; if the Hub is slow, raise --timeout (or {TIMEOUT_ENV}) "
            "and run push-to-hub again; nothing was recorded as published",
        )
    if isinstance(exc, ValueError):
        return PublishError(f"{stage}: {detail}", "fix the dataset card metadata, rebuild, and push again")
    if (
        isinstance(exc, OSError)
        or "connect" in type(exc).__name__.lower()
        or "timeout" in type(exc).__name__.lower()
    ):
        return PublishError(
            f"{stage}: cannot reach {where} ({type(exc).__name__}: {detail})",
            "check the network or HF_ENDPOINT, then run push-to-hub again",
        )
    return PublishError(
        f"{stage}: {type(exc).__name__}: {detail}",
        "nothing was recorded as published; run push-to-hub again",
    )


def push_to_hub(
    dataset_dir: Path,
    repo_id: str,
    *,
    revision: str = "main",
    tag: str | None = None,
    private: bool = False,
    token: str | None = None,
    endpoint: str | None = None,
    commit_message: str | None = None,
    releases_dir: Path | None = None,
    api_factory: Callable[..., Any] | None = None,
    timeout: float | None = None,
) -> PushResult:
    """Upload a built folder to a Hub dataset repository in one commit, then record it.

    Steps: check the folder (``plan_push``); create the repository (kept when it exists); create
    ``revision`` from ``main`` when it is a new branch; refuse a tag that already exists; commit
    every file (parquet through LFS); tag the commit; then write ``hub`` = {repo_id, revision,
    commit} into the folder's manifest and into ``releases_dir/NAME/TAG/manifest.json`` when that
    release record exists.

    Args:
        dataset_dir: folder written by ``kcdata build``.
        repo_id: ``namespace/name``.
        revision: branch to commit to (created from ``main`` when missing).
        tag: version to tag the commit with.
        private: create the repository as private.
        token: Hub token; default ``HF_TOKEN`` or the login cache.
        endpoint: Hub URL; default ``HF_ENDPOINT`` or https://huggingface.co.
        commit_message: commit summary.
        releases_dir: root of release records (``releases/``); None to skip updating them.
        api_factory: builds the Hub client (``huggingface_hub.HfApi`` by default); injected in tests.
        timeout: seconds each Hub request may wait to connect, read or write; default
            ``$KCDATA_HUB_TIMEOUT`` or :data:`DEFAULT_TIMEOUT` (60).

    Returns:
        The commit id and URL, the tag, and the release record updated, if any.

    Raises:
        PublishError: a check failed, no token was found, or the Hub refused a step (auth,
            network, rejected commit). Nothing is recorded as published in that case.
    """
    plan = plan_push(
        dataset_dir, repo_id, revision=revision, tag=tag, private=private, commit_message=commit_message
    )
    seconds = resolve_timeout(timeout)
    url = _endpoint(endpoint)
    secrets_from_url(url)
    install_redaction()
    token = resolve_token(token)
    add_secret(token)
    if not token:
        raise PublishError(
            "no Hugging Face token found",
            "set HF_TOKEN or run `hf auth login` (the token needs write access)",
        )
    if api_factory is None:
        from huggingface_hub import HfApi

        api_factory = HfApi
    from huggingface_hub import CommitOperationAdd

    stage = "creating the repository"
    try:
        with hub_timeout(seconds):
            api = api_factory(endpoint=url, token=token)
            api.create_repo(repo_id, repo_type=REPO_TYPE, private=private, exist_ok=True)
            stage = "reading the repository's branches and tags"
            refs = api.list_repo_refs(repo_id, repo_type=REPO_TYPE)
            if tag and tag in {t.name for t in refs.tags}:
                raise PublishError(
                    f"tag {tag!r} already exists on datasets/{repo_id}",
                    "a published version is immutable; choose a new --tag version",
                )
            if revision not in {b.name for b in refs.branches}:
                stage = f"creating branch {revision!r}"
                api.create_branch(repo_id, branch=revision, repo_type=REPO_TYPE, exist_ok=True)
            operations = [
                CommitOperationAdd(
                    path_in_repo=item.path_in_repo,
                    path_or_fileobj=_manifest_bytes(plan.manifest)
                    if item.path_in_repo == MANIFEST
                    else str(item.local_path),
                )
                for item in plan.items
            ]
            stage = "uploading and committing"
            logger.info("pushing %d files to datasets/%s@%s", len(operations), repo_id, revision)
            info = api.create_commit(
                repo_id,
                operations,
                commit_message=plan.commit_message,
                repo_type=REPO_TYPE,
                revision=revision,
            )
            if tag:
                stage = f"tagging commit {info.oid[:12]} as {tag!r}"
                api.create_tag(
                    repo_id, tag=tag, revision=info.oid, repo_type=REPO_TYPE, tag_message=plan.commit_message
                )
    except PublishError:
        raise
    except Exception as exc:  # noqa: BLE001 - every client failure becomes a PublishError
        raise _as_publish_error(exc, stage, token, url, seconds) from None

    hub_info = {"repo_id": repo_id, "revision": revision, "commit": info.oid}
    release_dir = None
    try:
        _record_in_folder(Path(dataset_dir), hub_info)
        if tag and releases_dir is not None:
            from kcdata.publish.release import mark_published

            candidate = Path(releases_dir) / str(plan.manifest.get("name", "")) / tag
            if (candidate / MANIFEST).is_file():
                mark_published(candidate, hub_info)
                release_dir = candidate
    except OSError as exc:
        raise PublishError(
            f"pushed commit {info.oid} to datasets/{repo_id}, but could not record it locally: {exc}",
            "make the folder writable and set manifest.json's hub to the repo, branch and commit above",
        ) from None
    logger.info("pushed datasets/%s@%s commit %s", repo_id, revision, info.oid)
    return PushResult(repo_id, revision, info.oid, str(info.commit_url), tag, len(plan.items), release_dir)


def _record_in_folder(dataset_dir: Path, hub_info: dict[str, Any]) -> None:

    manifest = read_manifest(dataset_dir, PublishError)
    manifest["hub"] = dict(hub_info)
    write_atomic(dataset_dir / MANIFEST, _manifest_bytes(manifest))


__all__ = [
    "PublishError",
    "check_files",
    "check_ref_name",
    "check_repo_id",
    "PushPlan",
    "PushResult",
    "UploadItem",
    "plan_push",
    "push_to_hub",
    "resolve_token",
]
