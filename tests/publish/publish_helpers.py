"""Helpers for the publishing tests: a small built folder, client subprocesses, leak checks.

``huggingface_hub`` and ``datasets`` read ``HF_ENDPOINT`` (and ``HF_HUB_DISABLE_XET``) when they are
imported, so every test that talks to the loopback Hub runs the real clients in a fresh Python
subprocess with its own environment (``client_env``), never in the pytest process.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

TOKEN = "hf_kcdataTestSecretToken7f3a9c1e5b"
"""The only valid write token of the loopback Hub (user ``alice``); it must never leak."""
OTHER_TOKEN = "hf_kcdataOtherUserToken0b1c2d3e"
"""A valid token of another user (``mallory``)."""
USER = "alice"


def _row(
    fact: str, rel: str, lang: str, kind: str, subject: str, answer: str, counter: str, wiki: bool
) -> dict[str, Any]:
    fact_id = f"{fact}:{rel}"
    question = f"[{lang}] What is the {rel} of {subject}?"
    return {
        "id": f"{fact_id}:{lang}",
        "fact_id": fact_id,
        "language": lang,
        "kind": kind,
        "relation": rel,
        "relation_label": {"P36": "capital", "P6": "head of government", "P17": "country"}[rel],
        "subject": {"id": fact, "label": subject, "aliases": [f"{subject} (alias)"]},
        "object": {"id": "Q90", "label": answer, "aliases": [answer.upper()], "value_type": "item"},
        "answers": [answer, answer.upper()],
        "question": question,
        "paraphrases": [question, f"[{lang}] {subject}: {rel}?"],
        "context_original": f"The {rel} of {subject} is {answer}.",
        "context_counter": f"The {rel} of {subject} is {counter}.",
        "wiki_context_original": f"{subject} ... {answer} ..." if wiki else None,
        "wiki_context_counter": f"{subject} ... {counter} ..." if wiki else None,
        "wiki_source": (
            {
                "title": subject,
                "language": lang,
                "revision_id": 123,
                "url": f"https://{lang}.wikipedia.org/wiki/{subject}",
                "license": "CC BY-SA 4.0",
            }
            if wiki
            else None
        ),
        "counterfactual": {"id": "Q64", "label": counter, "aliases": [], "strategy": "substitute_v1"},
        "counter_answers": [counter],
        "rival_answers": [counter] if kind == "disputable" else [],
        "valid_from": "1850" if kind == "temporal" else None,
        "valid_until": None,
        "as_of": "2024-06-01",
        "rule": f"rules_v1/{kind}.test",
        "evidence": [{"property": "P580", "value": "1850"}] if kind == "temporal" else [],
        "popularity": 42,
        "provenance": {
            "source": "test",
            "entity_revision": 1,
            "dump_date": None,
            "retrieved": None,
            "template_id": f"{rel}/{lang}.yaml#contexts[0]",
            "template_version": f"{rel}@1/{lang}@1",
            "tool_version": "0.1.0",
        },
    }


def sample_rows(wiki: bool = False) -> dict[str, list[dict[str, Any]]]:
    """A few rows per config, in two languages, with non-ASCII text."""
    rows: dict[str, list[dict[str, Any]]] = {"static": [], "temporal": [], "disputable": []}
    for lang in ("en", "de"):
        rows["static"].append(_row("Q142", "P36", lang, "static", "France", "Paris", "Berlin", wiki))
        rows["static"].append(_row("Q183", "P36", lang, "static", "Deutschland", "Berlin", "Zürich", wiki))
        rows["temporal"].append(
            _row("Q142", "P6", lang, "temporal", "France", "Gabriel Attal", "Élisabeth Borne", wiki)
        )
        rows["disputable"].append(_row("Q1", "P17", lang, "disputable", "Крым", "Україна", "Россия", wiki))
    return rows


def make_built_folder(out: Path, *, wiki: bool = False, name: str = "kc-test") -> Path:
    """Write a built dataset folder in the documented layout (parquet, rejects, card, manifest)."""
    from kcdata.config import BuildConfig
    from kcdata.publish.card import render_card
    from kcdata.publish.parquet import write_rows

    out.mkdir(parents=True, exist_ok=True)
    rows = sample_rows(wiki)
    files: dict[str, str] = {}
    for config, config_rows in rows.items():
        write_rows(config_rows, out / config / "test-00000-of-00001.parquet")
    (out / "rejects.jsonl").write_text(
        json.dumps({"fact_id": "Q5:P36", "language": "ru", "reason": "missing_subject_label", "detail": ""})
        + "\n",
        encoding="utf-8",
    )
    for path in sorted(out.rglob("*")):
        if path.is_file():
            files[path.relative_to(out).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    counts: dict[tuple[str, str, str], int] = {}
    for config_rows in rows.values():
        for r in config_rows:
            key = (r["kind"], r["language"], r["relation"])
            counts[key] = counts.get(key, 0) + 1
    config = BuildConfig(name=name, languages=("en", "de"), wikipedia=wiki)
    manifest: dict[str, Any] = {
        "name": name,
        "tool_version": "0.1.0",
        "created_from": config.to_dict(),
        "seed": 0,
        "as_of": "2024-06-01",
        "languages": ["en", "de"],
        "sources": [
            {
                "kind": "sample",
                "path": "kcdata/data/sample",
                "snapshot_date": "2024-06-01",
                "entity_revisions": {"Q142": 2150000000, "Q183": 2150000001},
            }
        ],
        "templates": {"P36-capital": "1/de@1,en@1", "P6-head-of-government": "1/de@1,en@1"},
        "rules": "rules_v1",
        "counts": {"rows": {c: len(v) for c, v in rows.items()}},
        "drops": {"missing_subject_label": 1},
        "files": {},
        "hub": None,
    }
    stats = {
        "counts": [
            {"kind": k, "language": lang, "relation": rel, "n": n}
            for (k, lang, rel), n in sorted(counts.items())
        ],
        "drops": manifest["drops"],
        "languages": ["en", "de"],
        "configs": {c: len(v) for c, v in rows.items()},
        "has_wikipedia": wiki,
    }
    (out / "README.md").write_text(render_card(manifest, stats), encoding="utf-8")
    files["README.md"] = hashlib.sha256((out / "README.md").read_bytes()).hexdigest()
    manifest["files"] = dict(sorted(files.items()))
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return out


def client_env(endpoint: str, tmp_path: Path, token: str | None = TOKEN) -> dict[str, str]:
    """Environment for a client subprocess: loopback Hub, no Xet, private HF_HOME, optional token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env.update(
        {
            "HF_ENDPOINT": endpoint,
            "HF_HUB_DISABLE_XET": "1",
            "HF_HOME": str(tmp_path / "hf_home"),
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_VERBOSITY": "debug",
            "HF_DATASETS_CACHE": str(tmp_path / "hf_datasets"),
            "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            "PYTHONIOENCODING": "utf-8",
            "NO_COLOR": "1",
        }
    )
    if token is not None:
        env["HF_TOKEN"] = token
    return env


_CLI = """
import logging, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
from kcdata.cli.publish import {command} as cmd
cmd.main(sys.argv[1:], prog_name="kcdata {name}")
"""


def run_cli(
    command: str, args: list[str], env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run one publish command in a subprocess (debug logging on, to catch any leak)."""
    name = {"push_to_hub": "push-to-hub"}.get(command, command)
    code = _CLI.format(command=command, name=name)
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run Python code in a subprocess with the given environment."""
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def assert_no_token(*texts: str, token: str = TOKEN) -> None:
    """The token appears in none of the texts."""
    for text in texts:
        assert token not in text


def assert_no_token_in_files(*folders: Path, token: str = TOKEN, skip: tuple[Path, ...] = ()) -> None:
    """The token is in no file under the folders (except the explicitly skipped ones)."""
    needle = token.encode()
    for folder in folders:
        for path in Path(folder).rglob("*"):
            if path.is_file() and path not in skip:
                assert needle not in path.read_bytes(), f"token leaked into {path}"
