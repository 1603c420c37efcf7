"""A small Hugging Face Hub-compatible HTTP server for tests, on 127.0.0.1.

It speaks the subset of the Hub protocol that the real ``huggingface_hub`` and ``datasets``
clients use to push and load a dataset repository (seen in huggingface_hub 2.x and datasets 5.x):

========================================================  ==========================================
route                                                     used by
========================================================  ==========================================
``GET  /api/whoami-v2``                                   ``HfApi.whoami``
``POST /api/repos/create``                                ``create_repo`` (409 when it exists)
``GET  /api/datasets/{repo}[/revision/{rev}]``            ``repo_info`` / ``dataset_info``
``POST /api/validate-yaml``                               ``create_commit`` (README.md metadata)
``POST /api/datasets/{repo}/preupload/{rev}``             upload mode: ``regular`` or ``lfs``
``POST /datasets/{repo}.git/info/lfs/objects/batch``      LFS batch API (``basic`` transfer)
``PUT  /lfs-storage/{oid}?X-Amz-Signature=...``           the bytes (a presigned, token-free URL)
``POST /datasets/{repo}.git/info/lfs/objects/verify``     LFS verify action
``POST /api/datasets/{repo}/commit/{rev}``                ndjson commit (header, file, lfsFile, deletes)
``GET  /api/datasets/{repo}/tree/{rev}[/{path}]``         ``list_repo_tree`` (Link-header pagination)
``POST /api/datasets/{repo}/paths-info/{rev}``            ``get_paths_info`` (``HfFileSystem``)
``GET  /api/datasets/{repo}/refs``                        ``list_repo_refs``
``GET  /api/datasets/{repo}/commits/{rev}``               ``list_repo_commits``
``POST /api/datasets/{repo}/branch/{branch}``             ``create_branch``
``POST /api/datasets/{repo}/tag/{rev}``                   ``create_tag``
``HEAD|GET /datasets/{repo}/resolve/{rev}/{path}``        ``hf_hub_download``, ``HfFileSystem``
``GET  /cdn-lfs/{oid}``                                   where LFS ``resolve`` redirects (CDN)
========================================================  ==========================================

The store is in memory and git-like: content-addressed blobs (git blob ids for regular files,
sha256 for LFS objects), immutable commits with parents, branches and tags. LFS files are
resolved with a 302 to a *different host name* (``localhost`` instead of ``127.0.0.1``) just as
the Hub redirects to its CDN, so clients read the metadata (``X-Linked-Etag``, ``X-Linked-Size``,
``X-Repo-Commit``) from the redirect itself and fetch the bytes without the auth header.

Authentication follows the Hub: ``Authorization: Bearer <token>``; an unknown token gets
``401`` with ``X-Error-Message: Invalid credentials in Authorization header``; a private or
missing repository gets ``404`` with ``X-Error-Code: RepoNotFound``; writing to someone else's
namespace gets ``403``.

Faults can be injected (``fail_lfs_put_after``, ``reject_commits``) and every request is
recorded in ``requests`` (method, path, status) -- never with its headers, so a token cannot
leak through the log.

The card metadata check in ``validate-yaml`` and ``commit`` follows the Hub's documented rules
(licence ids, task categories, size categories, language codes, ``configs``), independently of
``kcdata.publish.card``.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import yaml

GITATTRIBUTES = b"""*.7z filter=lfs diff=lfs merge=lfs -text
*.arrow filter=lfs diff=lfs merge=lfs -text
*.bin filter=lfs diff=lfs merge=lfs -text
*.gz filter=lfs diff=lfs merge=lfs -text
*.parquet filter=lfs diff=lfs merge=lfs -text
*.pt filter=lfs diff=lfs merge=lfs -text
*.safetensors filter=lfs diff=lfs merge=lfs -text
*.zip filter=lfs diff=lfs merge=lfs -text
*.zst filter=lfs diff=lfs merge=lfs -text
"""

#: Above this size the Hub stores any file in LFS (10 MiB).
LFS_SIZE_THRESHOLD = 10 * 1024 * 1024

#: Licence ids accepted by the Hub (https://huggingface.co/docs/hub/repositories-licenses).
HUB_LICENSES = frozenset(
    """apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m bigscience-bloom-rail-1.0
    bigcode-openrail-m afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear
    c-uda cc cc0-1.0 cc-by-2.0 cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0
    cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nd-4.0 cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0
    cc-by-nc-sa-3.0 cc-by-nc-sa-4.0 cdla-sharing-1.0 cdla-permissive-1.0 cdla-permissive-2.0 wtfpl
    ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0 lgpl
    lgpl-2.1 lgpl-3.0 isc h-research intel-research lppl-1.3c ms-pl apple-ascl mpl-2.0 odc-by odbl
    openrail++ osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib pddl lgpl-lr deepfloyd-if-license
    llama2 llama3 llama3.1 llama3.2 gemma unknown other""".split()
)

#: Task categories the Hub accepts for datasets (its pipeline types).
HUB_TASK_CATEGORIES = frozenset(
    """text-classification token-classification table-question-answering question-answering
    zero-shot-classification translation summarization feature-extraction text-generation
    text2text-generation fill-mask sentence-similarity text-to-speech text-to-audio
    automatic-speech-recognition audio-to-audio audio-classification voice-activity-detection
    depth-estimation image-classification object-detection image-segmentation text-to-image
    image-to-text image-to-image image-to-video unconditional-image-generation video-classification
    reinforcement-learning robotics tabular-classification tabular-regression tabular-to-text
    table-to-text multiple-choice text-ranking text-retrieval time-series-forecasting text-to-video
    image-text-to-text visual-question-answering document-question-answering
    zero-shot-image-classification graph-ml mask-generation zero-shot-object-detection text-to-3d
    image-to-3d image-feature-extraction video-text-to-text keypoint-detection
    visual-document-retrieval any-to-any other""".split()
)

HUB_SIZE_CATEGORIES = frozenset(
    "n<1K 1K<n<10K 10K<n<100K 100K<n<1M 1M<n<10M 10M<n<100M 100M<n<1B 1B<n<10B 10B<n<100B "
    "100B<n<1T n>1T other unknown".split()
)

_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")


def git_blob_id(data: bytes) -> str:
    """The git object id of a blob."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(oid: str, size: int) -> bytes:
    """The git-lfs pointer file committed in place of an LFS object."""
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n".encode()


def hub_metadata_errors(content: str, repo_type: str = "dataset") -> list[str]:
    """Check a README.md's YAML header the way the Hub does.

    Args:
        content: the whole README.md text.
        repo_type: ``dataset``, ``model`` or ``space``.

    Returns:
        Error messages; empty when the Hub would accept the metadata.
    """
    if not content.startswith("---"):
        return []
    match = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", content, re.S)
    if match is None:
        return ["Error: YAML metadata block is not closed with '---'"]
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        return [f"Error: invalid YAML: {exc}"]
    if meta is None:
        return []
    if not isinstance(meta, dict):
        return ['Error: "metadata" must be an object']
    errors: list[str] = []

    def _as_list(value: Any) -> list[Any]:
        return value if isinstance(value, list) else [value]

    for lic in _as_list(meta.get("license", [])):
        if not isinstance(lic, str) or lic not in HUB_LICENSES:
            errors.append(f'Error: "license" must be one of the Hub licence ids, got {lic!r}')
    if repo_type == "dataset":
        for cat in _as_list(meta.get("task_categories", [])):
            if cat not in HUB_TASK_CATEGORIES:
                errors.append(f'Error: "task_categories" has an unknown value {cat!r}')
        for size in _as_list(meta.get("size_categories", [])):
            if size not in HUB_SIZE_CATEGORIES:
                errors.append(f'Error: "size_categories" has an unknown value {size!r}')
        for lang in _as_list(meta.get("language", [])):
            if not isinstance(lang, str) or not _LANGUAGE_CODE.match(lang):
                errors.append(f'Error: "language" must be ISO 639 codes, got {lang!r}')
        configs = meta.get("configs")
        if configs is not None:
            errors.extend(_config_errors(configs))
    return errors


def _config_errors(configs: Any) -> list[str]:
    if not isinstance(configs, list):
        return ['Error: "configs" must be an array']
    errors: list[str] = []
    names: set[str] = set()
    defaults = 0
    for i, cfg in enumerate(configs):
        if not isinstance(cfg, dict) or not isinstance(cfg.get("config_name"), str):
            errors.append(f'Error: "configs[{i}].config_name" is required and must be a string')
            continue
        name = cfg["config_name"]
        if name in names:
            errors.append(f'Error: "configs" has duplicated config_name {name!r}')
        names.add(name)
        defaults += bool(cfg.get("default"))
        data_files = cfg.get("data_files")
        if data_files is None:
            continue
        items = data_files if isinstance(data_files, list) else [data_files]
        for item in items:
            if isinstance(item, str):
                continue
            if not (isinstance(item, dict) and isinstance(item.get("split"), str) and "path" in item):
                errors.append(
                    f'Error: "configs[{i}].data_files" items must be strings or {{split, path}} objects'
                )
                continue
            paths = item["path"] if isinstance(item["path"], list) else [item["path"]]
            if not all(isinstance(p, str) for p in paths):
                errors.append(f'Error: "configs[{i}].data_files.path" must be strings')
    if defaults > 1:
        errors.append('Error: "configs" has more than one default config')
    return errors


@dataclass
class FileEntry:
    """One file in a commit's tree."""

    path: str
    size: int
    blob_id: str
    content: bytes | None = None  # regular files
    lfs_oid: str | None = None  # LFS files (sha256)

    def as_json(self, commit: Commit | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "file", "oid": self.blob_id, "size": self.size, "path": self.path}
        if self.lfs_oid is not None:
            out["lfs"] = {
                "oid": self.lfs_oid,
                "size": self.size,
                "pointerSize": len(lfs_pointer(self.lfs_oid, self.size)),
            }
        if commit is not None:
            out["lastCommit"] = {"id": commit.oid, "title": commit.title, "date": commit.date}
            out["securityFileStatus"] = {"status": "safe"}
        return out


@dataclass
class Commit:
    """An immutable commit."""

    oid: str
    parents: list[str]
    title: str
    message: str
    date: str
    author: str
    tree: dict[str, FileEntry]


@dataclass
class Repo:
    """A repository: commits, branches and tags."""

    repo_type: str
    repo_id: str
    private: bool
    created_at: str
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def resolve(self, revision: str) -> Commit | None:
        rev = unquote(revision)
        for prefix in ("refs/heads/", "refs/tags/"):
            if rev.startswith(prefix):
                rev = rev[len(prefix) :]
        oid = self.branches.get(rev) or self.tags.get(rev)
        if oid is None and re.fullmatch(r"[0-9a-f]{40}", rev) and rev in self.commits:
            oid = rev
        return self.commits.get(oid) if oid else None


class HubState:
    """Everything the server knows; shared by the handler threads under one lock."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = dict(tokens)
        self.repos: dict[tuple[str, str], Repo] = {}
        self.lfs: dict[str, bytes] = {}
        self.upload_signatures: dict[str, str] = {}
        self.lock = threading.RLock()
        self.requests: list[tuple[str, str, int]] = []
        self.bodies: list[bytes] = []
        # Fault injection
        self.fail_lfs_put_after: int | None = None
        self.lfs_puts = 0
        self.reject_commits: str | None = None
        self.tree_page_size = 50

    def make_commit(
        self,
        repo: Repo,
        parent: Commit | None,
        tree: dict[str, FileEntry],
        title: str,
        message: str,
        author: str,
    ) -> Commit:
        date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        listing = "\n".join(f"{p} {e.blob_id}" for p, e in sorted(tree.items()))
        seed = (
            f"{parent.oid if parent else ''}\n{listing}\n{title}\n{message}\n{date}\n{secrets.token_hex(4)}"
        )
        oid = hashlib.sha1(seed.encode()).hexdigest()
        commit = Commit(oid, [parent.oid] if parent else [], title, message, date, author, tree)
        repo.commits[oid] = commit
        return commit


class HubError(Exception):
    """An HTTP error response, shaped like the Hub's."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def _repo_not_found() -> HubError:
    return HubError(404, "Repository not found", "RepoNotFound")


class _Handler(BaseHTTPRequestHandler):
    server_version = "kcdata-test-hub/1"
    protocol_version = "HTTP/1.1"

    # Silence the default stderr access log: it would add noise to test output.
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return

    @property
    def state(self) -> HubState:
        return self.server.state  # type: ignore[attr-defined]

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]  # type: ignore[misc]
        return f"http://{host}:{port}"

    @property
    def cdn_base(self) -> str:
        port = self.server.server_address[1]
        return f"http://localhost:{port}"

    # -- plumbing -------------------------------------------------------------------------------

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        head: bool = False,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not head and body:
            self.wfile.write(body)
        with self.state.lock:
            self.state.requests.append((self.command, urlsplit(self.path).path, status))

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj).encode(), headers=headers)

    def _error(self, err: HubError, head: bool = False) -> None:
        headers = {"X-Error-Message": err.message}
        if err.code:
            headers["X-Error-Code"] = err.code
        self._send(err.status, json.dumps({"error": err.message}).encode(), headers=headers, head=head)

    def _user(self) -> str | None:
        auth = self.headers.get("Authorization")
        if not auth:
            return None
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or token not in self.state.tokens:
            raise HubError(401, "Invalid credentials in Authorization header")
        return self.state.tokens[token]

    def _require_user(self) -> str:
        user = self._user()
        if user is None:
            raise HubError(401, "You must be authenticated to access this resource")
        return user

    def _repo(self, repo_type: str, repo_id: str, user: str | None, write: bool = False) -> Repo:
        repo = self.state.repos.get((repo_type, repo_id))
        if repo is None or (repo.private and user != repo_id.split("/")[0]):
            raise _repo_not_found()
        if write:
            if user is None:
                raise HubError(401, "You must be authenticated to write to this repository")
            if user != repo_id.split("/")[0]:
                raise HubError(403, "You don't have the rights to write to this repository")
        return repo

    def _dispatch(self, method: str) -> None:
        try:
            parts = urlsplit(self.path)
            path = parts.path
            query = parse_qs(parts.query)
            for pattern, handler in _ROUTES:
                if handler[0] != method and not (method == "HEAD" and handler[0] == "GET"):
                    continue
                match = re.fullmatch(pattern, path)
                if match:
                    getattr(self, handler[1])(query=query, head=method == "HEAD", **match.groupdict())
                    return
            raise HubError(404, f"Not found: {method} {path}")
        except HubError as err:
            self._error(err, head=method == "HEAD")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._dispatch("HEAD")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    # -- account and repos ----------------------------------------------------------------------

    def whoami(self, query: dict, head: bool) -> None:
        user = self._require_user()
        self._json(
            200,
            {"type": "user", "name": user, "fullname": user, "orgs": [], "auth": {"type": "access_token"}},
        )

    def create_repo(self, query: dict, head: bool) -> None:
        user = self._require_user()
        payload = json.loads(self._body() or b"{}")
        repo_type = payload.get("type") or "model"
        namespace = payload.get("organization") or user
        if namespace != user:
            raise HubError(403, "You don't have the rights to create a repository under this namespace")
        name = payload.get("name") or ""
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}", name) or ".." in name:
            raise HubError(400, f"Invalid repository name {name!r}")
        repo_id = f"{namespace}/{name}"
        url = f"{self.base}/{'' if repo_type == 'model' else repo_type + 's/'}{repo_id}"
        with self.state.lock:
            if (repo_type, repo_id) in self.state.repos:
                self._json(
                    409,
                    {"error": "You already created this repo", "url": url},
                    headers={"X-Error-Message": "You already created this repo"},
                )
                return
            private = payload.get("visibility") == "private" or bool(payload.get("private"))
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            repo = Repo(repo_type, repo_id, private, now)
            entry = FileEntry(".gitattributes", len(GITATTRIBUTES), git_blob_id(GITATTRIBUTES), GITATTRIBUTES)
            commit = self.state.make_commit(repo, None, {entry.path: entry}, "initial commit", "", user)
            repo.branches["main"] = commit.oid
            self.state.repos[(repo_type, repo_id)] = repo
        self._json(200, {"url": url, "name": repo_id, "id": hashlib.sha1(repo_id.encode()).hexdigest()[:24]})

    def repo_info(self, query: dict, head: bool, rtype: str, repo_id: str, rev: str | None = None) -> None:
        user = self._user()
        with self.state.lock:
            repo = self._repo(rtype[:-1], repo_id, user)
            commit = repo.resolve(rev or "main")
            if commit is None:
                raise HubError(404, f"Invalid rev id: {unquote(rev or 'main')}", "RevisionNotFound")
            card_data = None
            readme = commit.tree.get("README.md")
            if readme is not None and readme.content is not None:
                match = re.match(r"^---\s*\n(.*?)\n---", readme.content.decode(), re.S)
                card_data = yaml.safe_load(match.group(1)) if match else None
            info = {
                "_id": hashlib.sha1(repo_id.encode()).hexdigest()[:24],
                "id": repo_id,
                "author": repo_id.split("/")[0],
                "sha": commit.oid,
                "lastModified": commit.date,
                "createdAt": repo.created_at,
                "private": repo.private,
                "gated": False,
                "disabled": False,
                "downloads": 0,
                "likes": 0,
                "tags": [],
                "cardData": card_data,
                "siblings": [{"rfilename": p} for p in sorted(commit.tree)],
            }
        self._json(200, info)

    def validate_yaml(self, query: dict, head: bool) -> None:
        self._user()
        payload = json.loads(self._body() or b"{}")
        errors = hub_metadata_errors(payload.get("content", ""), payload.get("repoType", "model"))
        if errors:
            self._json(400, {"errors": [{"message": e} for e in errors], "warnings": []})
        else:
            self._json(200, {"errors": [], "warnings": []})

    # -- upload ---------------------------------------------------------------------------------

    def _lfs_patterns(self, commit: Commit | None) -> list[str]:
        entry = commit.tree.get(".gitattributes") if commit else None
        if entry is None or entry.content is None:
            return []
        return [
            line.split()[0]
            for line in entry.content.decode().splitlines()
            if "filter=lfs" in line and line.split()
        ]

    def preupload(self, query: dict, head: bool, rtype: str, repo_id: str, rev: str) -> None:
        user = self._user()
        payload = json.loads(self._body() or b"{}")
        with self.state.lock:
            repo = self._repo(rtype[:-1], repo_id, user, write=True)
            commit = repo.resolve(rev)
            if commit is None and "create_pr" not in query:
                raise HubError(404, f"Invalid rev id: {unquote(rev)}", "RevisionNotFound")
            patterns = self._lfs_patterns(commit)
            files = []
            for item in payload.get("files", []):
                path = item["path"]
                sample = base64.b64decode(item.get("sample", ""))
                lfs = (
                    any(
                        fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path.rsplit("/", 1)[-1], p)
                        for p in patterns
                    )
                    or item.get("size", 0) >= LFS_SIZE_THRESHOLD
                    or b"\0" in sample
                )
                existing = commit.tree.get(path) if commit else None
                oid = None
                if existing is not None:
                    oid = existing.lfs_oid if existing.lfs_oid else existing.blob_id
                files.append(
                    {
                        "path": path,
                        "uploadMode": "lfs" if lfs else "regular",
                        "shouldIgnore": False,
                        "oid": oid,
                    }
                )
        self._json(200, {"files": files, "commitOid": commit.oid if commit else None})

    def lfs_batch(self, query: dict, head: bool, rtype: str, repo_id: str) -> None:
        user = self._user()
        payload = json.loads(self._body() or b"{}")
        with self.state.lock:
            self._repo(rtype[:-1], repo_id, user, write=payload.get("operation") == "upload")
            objects = []
            for obj in payload.get("objects", []):
                oid, size = obj["oid"], int(obj["size"])
                if not re.fullmatch(r"[0-9a-f]{64}", oid):
                    objects.append(
                        {"oid": oid, "size": size, "error": {"code": 422, "message": "Invalid oid"}}
                    )
                    continue
                out: dict[str, Any] = {"oid": oid, "size": size, "authenticated": True}
                if oid not in self.state.lfs:
                    signature = secrets.token_hex(16)
                    self.state.upload_signatures[oid] = signature
                    prefix = f"{self.base}/{rtype}/{repo_id}.git/info/lfs/objects"
                    out["actions"] = {
                        "upload": {
                            "href": f"{self.base}/lfs-storage/{oid}?size={size}&X-Amz-Signature={signature}",
                            "expires_at": "2099-01-01T00:00:00Z",
                        },
                        "verify": {"href": f"{prefix}/verify", "header": {"Authorization": "Basic redacted"}},
                    }
                objects.append(out)
        self._send(
            200,
            json.dumps({"transfer": "basic", "objects": objects}).encode(),
            content_type="application/vnd.git-lfs+json",
        )

    def lfs_put(self, query: dict, head: bool, oid: str) -> None:
        body = self._body()
        with self.state.lock:
            signature = (query.get("X-Amz-Signature") or [""])[0]
            if self.state.upload_signatures.get(oid) != signature:
                raise HubError(403, "SignatureDoesNotMatch")
            self.state.lfs_puts += 1
            if (
                self.state.fail_lfs_put_after is not None
                and self.state.lfs_puts > self.state.fail_lfs_put_after
            ):
                # A non-retried storage error, as when a presigned URL is refused part-way.
                raise HubError(403, "AccessDenied: upload interrupted (injected fault)")
            if hashlib.sha256(body).hexdigest() != oid or len(body) != int(query.get("size", ["-1"])[0]):
                raise HubError(400, "BadDigest: the content does not match its sha256 or size")
            self.state.lfs[oid] = body
            self.state.upload_signatures.pop(oid, None)
        self._send(200, b"", headers={"ETag": f'"{hashlib.md5(body).hexdigest()}"'})  # noqa: S324

    def lfs_verify(self, query: dict, head: bool, rtype: str, repo_id: str) -> None:
        payload = json.loads(self._body() or b"{}")
        with self.state.lock:
            data = self.state.lfs.get(payload.get("oid", ""))
        if data is None or len(data) != payload.get("size"):
            raise HubError(404, "Object not found or wrong size")
        self._json(200, {"success": True})

    def commit(self, query: dict, head: bool, rtype: str, repo_id: str, rev: str) -> None:
        user = self._user()
        body = self._body()
        with self.state.lock:
            self.state.bodies.append(body)
            repo = self._repo(rtype[:-1], repo_id, user, write=True)
            assert user is not None
            branch = unquote(rev)
            if branch not in repo.branches:
                raise HubError(404, f"Invalid rev id: {branch}", "RevisionNotFound")
            if self.state.reject_commits:
                raise HubError(422, self.state.reject_commits)
            parent = repo.commits[repo.branches[branch]]
            lines = [json.loads(line) for line in body.splitlines() if line.strip()]
            if not lines or lines[0].get("key") != "header":
                raise HubError(400, "The first line of the payload must be the commit header")
            header = lines[0]["value"]
            if header.get("parentCommit") and header["parentCommit"] != parent.oid:
                raise HubError(412, "A commit has happened since. Please refresh and try again.")
            tree = dict(parent.tree)
            for line in lines[1:]:
                key, value = line.get("key"), line.get("value", {})
                path = value.get("path", "")
                if path.startswith("/") or ".." in path.split("/"):
                    raise HubError(400, f"Invalid path {path!r}")
                if key == "file":
                    if value.get("encoding") != "base64":
                        raise HubError(400, "Only base64 encoding is supported")
                    data = base64.b64decode(value["content"])
                    if path == "README.md":
                        errors = hub_metadata_errors(data.decode("utf-8", "replace"), rtype[:-1])
                        if errors:
                            raise HubError(400, "Invalid metadata in README.md.\n" + "\n".join(errors))
                    tree[path] = FileEntry(path, len(data), git_blob_id(data), content=data)
                elif key == "lfsFile":
                    oid = value.get("oid", "")
                    data = self.state.lfs.get(oid)
                    if data is None:
                        raise HubError(422, f"LFS object {oid} for {path} was never uploaded")
                    if "size" in value and value["size"] != len(data):
                        raise HubError(422, f"Size mismatch for {path}")
                    tree[path] = FileEntry(
                        path, len(data), git_blob_id(lfs_pointer(oid, len(data))), lfs_oid=oid
                    )
                elif key == "deletedFile":
                    if path not in tree:
                        raise HubError(404, "A file with this name doesn't exist", "EntryNotFound")
                    del tree[path]
                elif key == "deletedFolder":
                    prefix = path.rstrip("/") + "/"
                    for p in [p for p in tree if p.startswith(prefix)]:
                        del tree[p]
                else:
                    raise HubError(400, f"Unknown operation {key!r}")
            commit = self.state.make_commit(
                repo, parent, tree, header.get("summary", ""), header.get("description", ""), user
            )
            repo.branches[branch] = commit.oid
        self._json(
            200,
            {
                "success": True,
                "commitOid": commit.oid,
                "commitUrl": f"{self.base}/{rtype}/{repo_id}/commit/{commit.oid}",
                "hookOutput": "",
            },
        )

    # -- refs -----------------------------------------------------------------------------------

    def refs(self, query: dict, head: bool, rtype: str, repo_id: str) -> None:
        user = self._user()
        with self.state.lock:
            repo = self._repo(rtype[:-1], repo_id, user)
            out = {
                "branches": [
                    {"name": n, "ref": f"refs/heads/{n}", "targetCommit": c} for n, c in repo.branches.items()
                ],
                "tags": [
                    {"name": n, "ref": f"refs/tags/{n}", "targetCommit": c} for n, c in repo.tags.items()
                ],
                "converts": [],
                "pullRequests": [] if query.get("include_prs") else None,
            }
        self._json(200, out)

    def commits(self, query: dict, head: bool, rtype: str, repo_id: str, rev: str) -> None:
        user = self._user()
        with self.state.lock:
            repo = self._repo(rtype[:-1], repo_id, user)
            commit = repo.resolve(rev)
            if commit is None:
                raise HubError(404, f"Invalid rev id: {unquote(rev)}", "RevisionNotFound")
            out = []
            while commit is not None:
                out.append(
                    {
                        "id": commit.oid,
                        "title": commit.title,
                        "message": commit.message,
                        "date": commit.date,
                        "authors": [{"user": commit.author}],
                    }
                )
                commit = repo.commits.get(commit.parents[0]) if commit.parents else None
        self._json(200, out)

    def create_branch(self, query: dict, head: bool, rtype: str, repo_id: str, branch: str) -> None:
        user = self._user()
        payload = json.loads(self._body() or b"{}")
        branch = unquote(branch)
        with self.state.lock:
            repo = self._repo(rtype[:-1], repo_id, user, write=True)
            if branch in repo.branches or branch in repo.tags:
                raise HubError(409, f"Reference already exists: {branch}")
            start = repo.resolve(payload.get("startingPoint") or "main")
            if start is None:
                raise HubError(404, "Invalid starting point", "RevisionNotFound")
            repo.branches[branch] = start.oid
        self._json(200, {})

    def create_tag(self, query: dict, head: bool, rtype: str, repo_id: str, rev: str) -> None:
        user = self._user()
        payload = json.loads(self._body() or b"{}")
        tag = payload.get("tag", "")
        with self.state.lock:
            repo = self._repo(rtype[:-1], repo_id, user, write=True)
            target = repo.resolve(rev)
            if target is None:
                raise HubError(404, f"Invalid rev id: {unquote(rev)}", "RevisionNotFound")
            if not tag or tag in repo.tags or tag in repo.branches:
                raise HubError(409, f"Tag already exists: {tag}")
            repo.tags[tag] = target.oid
        self._json(200, {})

    # -- read -----------------------------------------------------------------------------------

    def _tree_entries(self, commit: Commit, prefix: str, recursive: bool) -> list[dict[str, Any]]:
        prefix = prefix.strip("/")
        base = prefix + "/" if prefix else ""
        files: list[dict[str, Any]] = []
        folders: dict[str, None] = {}
        for path in sorted(commit.tree):
            if not path.startswith(base):
                continue
            rest = path[len(base) :].split("/")
            for depth in range(1, len(rest)):
                if recursive or depth == 1:
                    folders[base + "/".join(rest[:depth])] = None
                if not recursive:
                    break
            if recursive or len(rest) == 1:
                files.append(commit.tree[path].as_json())
        folder_entries = [
            {
                "type": "directory",
                "oid": hashlib.sha1(f"{commit.oid}:{f}".encode()).hexdigest(),
                "size": 0,
                "path": f,
            }
            for f in folders
        ]
        return sorted(folder_entries + files, key=lambda e: e["path"])

    def tree(
        self, query: dict, head: bool, rtype: str, repo_id: str, rev: str, path: str | None = None
    ) -> None:
        user = self._user()
        recursive = (query.get("recursive") or ["false"])[0].lower() == "true"
        expand = (query.get("expand") or ["false"])[0].lower() == "true"
        cursor = int((query.get("cursor") or ["0"])[0])
        with self.state.lock:
            repo = self._repo(rtype[:-1], repo_id, user)
            commit = repo.resolve(rev)
            if commit is None:
                raise HubError(404, f"Invalid rev id: {unquote(rev)}", "RevisionNotFound")
            prefix = unquote(path or "")
            if prefix and prefix.strip("/") in commit.tree:
                raise HubError(404, f"{prefix} is a file, not a folder", "EntryNotFound")
            entries = self._tree_entries(commit, prefix, recursive)
            if prefix and not entries:
                raise HubError(404, f"{prefix} does not exist on {unquote(rev)}", "EntryNotFound")
            if expand:
                for entry in entries:
                    if entry["type"] == "file":
                        entry.update(commit.tree[entry["path"]].as_json(commit))
        page = entries[cursor : cursor + self.state.tree_page_size]
        headers = {}
        if cursor + self.state.tree_page_size < len(entries):
            next_url = (
                f"{self.base}/api/{rtype}/{repo_id}/tree/{rev}{'/' + quote(prefix, safe='') if prefix else ''}"
                f"?recursive={str(recursive).lower()}&expand={str(expand).lower()}"
                f"&cursor={cursor + self.state.tree_page_size}"
            )
            headers["Link"] = f'<{next_url}>; rel="next"'
        self._json(200, page, headers=headers)

    def paths_info(self, query: dict, head: bool, rtype: str, repo_id: str, rev: str) -> None:
        user = self._user()
        form = parse_qs(self._body().decode())
        expand = (form.get("expand") or ["false"])[0].lower() == "true"
        with self.state.lock:
            repo = self._repo(rtype[:-1], repo_id, user)
            commit = repo.resolve(rev)
            if commit is None:
                raise HubError(404, f"Invalid rev id: {unquote(rev)}", "RevisionNotFound")
            out = []
            for path in form.get("paths", []):
                path = path.strip("/")
                if path in commit.tree:
                    out.append(commit.tree[path].as_json(commit if expand else None))
                elif any(p.startswith(path + "/") for p in commit.tree) or path == "":
                    out.append(
                        {
                            "type": "directory",
                            "oid": hashlib.sha1(f"{commit.oid}:{path}".encode()).hexdigest(),
                            "size": 0,
                            "path": path,
                        }
                    )
        self._json(200, out)

    def _ranged(self, data: bytes, extra: dict[str, str], head: bool) -> None:
        rng = self.headers.get("Range")
        if rng:
            match = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
            if not match:
                raise HubError(416, "Invalid range")
            start_s, end_s = match.groups()
            if start_s == "":
                start, end = max(len(data) - int(end_s), 0), len(data) - 1
            else:
                start, end = int(start_s), int(end_s) if end_s else len(data) - 1
            end = min(end, len(data) - 1)
            if start > end and len(data) > 0:
                raise HubError(416, "Range not satisfiable")
            part = data[start : end + 1]
            self._send(
                206,
                part,
                content_type="application/octet-stream",
                headers={
                    **extra,
                    "Content-Range": f"bytes {start}-{end}/{len(data)}",
                    "Accept-Ranges": "bytes",
                },
                head=head,
            )
            return
        self._send(
            200,
            data,
            content_type="application/octet-stream",
            headers={**extra, "Accept-Ranges": "bytes"},
            head=head,
        )

    def resolve(self, query: dict, head: bool, rtype: str, repo_id: str, rev: str, path: str) -> None:
        user = self._user()
        with self.state.lock:
            repo = self._repo(rtype[:-1], repo_id, user)
            commit = repo.resolve(rev)
            if commit is None:
                raise HubError(404, f"Invalid rev id: {unquote(rev)}", "RevisionNotFound")
            entry = commit.tree.get(unquote(path))
            if entry is None:
                raise HubError(404, "Entry not found", "EntryNotFound")
            headers = {"X-Repo-Commit": commit.oid}
            if entry.lfs_oid is not None:
                signature = hashlib.sha256(f"{entry.lfs_oid}:cdn".encode()).hexdigest()[:16]
                headers.update(
                    {
                        "X-Linked-Etag": f'"{entry.lfs_oid}"',
                        "X-Linked-Size": str(entry.size),
                        "ETag": f'"{entry.blob_id}"',
                        "Location": f"{self.cdn_base}/cdn-lfs/{entry.lfs_oid}?sig={signature}",
                    }
                )
                self._send(302, b"", headers=headers, head=head)
                return
            data = entry.content or b""
        headers["ETag"] = f'"{entry.blob_id}"'
        self._ranged(data, headers, head)

    def cdn(self, query: dict, head: bool, oid: str) -> None:
        with self.state.lock:
            data = self.state.lfs.get(oid)
        if data is None:
            raise HubError(404, "NoSuchKey")
        self._ranged(data, {"ETag": f'"{oid}"'}, head)


_R = r"(?P<rtype>datasets|models|spaces)"
_REPO = r"(?P<repo_id>[^/]+/[^/]+?)"
_ROUTES: list[tuple[str, tuple[str, str]]] = [
    (r"/api/whoami-v2", ("GET", "whoami")),
    (r"/api/repos/create", ("POST", "create_repo")),
    (r"/api/validate-yaml", ("POST", "validate_yaml")),
    (rf"/api/{_R}/{_REPO}/preupload/(?P<rev>[^/]+)", ("POST", "preupload")),
    (rf"/api/{_R}/{_REPO}/commit/(?P<rev>[^/]+)", ("POST", "commit")),
    (rf"/api/{_R}/{_REPO}/refs", ("GET", "refs")),
    (rf"/api/{_R}/{_REPO}/commits/(?P<rev>[^/]+)", ("GET", "commits")),
    (rf"/api/{_R}/{_REPO}/branch/(?P<branch>[^/]+)", ("POST", "create_branch")),
    (rf"/api/{_R}/{_REPO}/tag/(?P<rev>[^/]+)", ("POST", "create_tag")),
    (rf"/api/{_R}/{_REPO}/tree/(?P<rev>[^/]+)(?:/(?P<path>.+))?", ("GET", "tree")),
    (rf"/api/{_R}/{_REPO}/paths-info/(?P<rev>[^/]+)", ("POST", "paths_info")),
    (rf"/api/{_R}/{_REPO}/revision/(?P<rev>[^/]+)", ("GET", "repo_info")),
    (rf"/api/{_R}/{_REPO}", ("GET", "repo_info")),
    (rf"/{_R}/{_REPO}\.git/info/lfs/objects/batch", ("POST", "lfs_batch")),
    (rf"/{_R}/{_REPO}\.git/info/lfs/objects/verify", ("POST", "lfs_verify")),
    (rf"/{_R}/{_REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)", ("GET", "resolve")),
    (r"/lfs-storage/(?P<oid>[0-9a-f]{64})", ("PUT", "lfs_put")),
    (r"/cdn-lfs/(?P<oid>[0-9a-f]{64})", ("GET", "cdn")),
]


class HubServer:
    """Run the fake Hub in a background thread.

    Example:
        >>> with HubServer(tokens={"hf_secret": "alice"}) as hub:
        ...     env = {"HF_ENDPOINT": hub.endpoint, "HF_HUB_DISABLE_XET": "1"}
    """

    def __init__(self, tokens: dict[str, str] | None = None, host: str = "127.0.0.1") -> None:
        self.state = HubState(tokens or {})
        self._httpd = ThreadingHTTPServer((host, 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.state = self.state  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="kcdata-test-hub", daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> HubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- helpers for assertions ------------------------------------------------------------------

    def repo(self, repo_id: str, repo_type: str = "dataset") -> Repo:
        """The stored repository (raises KeyError when missing)."""
        return self.state.repos[(repo_type, repo_id)]

    def file_bytes(
        self, repo_id: str, path: str, revision: str = "main", repo_type: str = "dataset"
    ) -> bytes:
        """A file's content at a revision."""
        commit = self.repo(repo_id, repo_type).resolve(revision)
        assert commit is not None, f"no revision {revision}"
        entry = commit.tree[path]
        return entry.content if entry.lfs_oid is None else self.state.lfs[entry.lfs_oid]  # type: ignore[return-value]

    def called(self, method: str, pattern: str) -> bool:
        """Whether a request matching ``method`` and the regex ``pattern`` was served."""
        return any(m == method and re.search(pattern, p) for m, p, _ in self.state.requests)


if __name__ == "__main__":  # pragma: no cover - manual use: python tests/publish/hubserver.py
    with HubServer(tokens={"hf_dev_token": "dev"}) as server:
        print(f"HF_ENDPOINT={server.endpoint}  token: hf_dev_token (user dev)")  # noqa: T201
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
