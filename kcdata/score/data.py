"""Files of a scoring run: the dataset rows it reads, the per-row scores JSONL it resumes.

Dataset rows come from a built folder (parquet configs or ``rows.jsonl``), a parquet file or a rows
``.jsonl`` file. The scores file holds one JSON object per scored row; it is appended to one batch
at a time, and a resumed run reads back the ids already there (dropping a torn last line).
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from kcdata.errors import ConfigError, InputError

log = logging.getLogger(__name__)

KINDS = ("static", "temporal", "disputable")

#: Row fields the scorer needs (docs/ARCHITECTURE.md, "Row").
REQUIRED_FIELDS = (
    "id",
    "fact_id",
    "language",
    "kind",
    "relation",
    "question",
    "context_original",
    "context_counter",
    "answers",
    "counter_answers",
    "object",
    "counterfactual",
)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8", errors="strict") as fh:
        lines = iter(fh)
        lineno = 0
        while True:
            lineno += 1
            try:
                line = next(lines)
            except StopIteration:
                break
            except UnicodeDecodeError:
                raise InputError(f"{path}:{lineno}: not UTF-8 text (a rows .jsonl file is JSON Lines)",
                                 remedy="pass a built folder, a .parquet file of rows or a rows .jsonl file") from None
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"{path}:{lineno}: not valid JSON ({exc.msg})",
                    remedy="pass a rows .jsonl file: one dataset row per line as a JSON object "
                    "(schemas/row.schema.json), the file `kcdata validate` also reads",
                ) from exc
    return rows


def _read_parquet(files: Sequence[Path]) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    rows: list[dict[str, Any]] = []
    for f in files:
        try:
            rows.extend(pq.read_table(f).to_pylist())
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise InputError(f"{f}: cannot read parquet ({exc})") from exc
    return rows


def load_rows(
    data: str | Path,
    config: str | None = None,
    languages: Sequence[str] | None = None,
    limit: int | None = None,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Load dataset rows from a built folder, a parquet file or a JSONL file, then filter them.

    Args:
        data: ``OUT`` folder of ``kcdata build`` (``OUT/<config>/test-*.parquet``, or
            ``OUT/rows.jsonl``), a ``.parquet`` file or a ``.jsonl`` file of rows.
        config: Keep one kind (``static`` / ``temporal`` / ``disputable``); ``None`` keeps all.
        languages: Keep these languages; ``None`` or empty keeps all.
        limit: Keep at most this many rows (after filtering): a seeded sample stratified by kind
            and language (:func:`stratified_sample`), in file order.
        seed: Seed of that sample.

    Returns:
        Row dicts in the ARCHITECTURE.md row format.

    Raises:
        ConfigError: Missing path, unknown config, or no rows left after filtering.
        InputError: Unreadable file or rows missing required fields.
    """
    path = Path(data)
    if config is not None and config not in KINDS:
        raise ConfigError(f"unknown config {config!r}", remedy=f"use one of {', '.join(KINDS)}")
    if not path.exists():
        raise ConfigError(f"{path} does not exist", remedy="pass the folder written by `kcdata build`")
    if path.is_dir():
        kinds = [config] if config else list(KINDS)
        files = sorted(f for k in kinds for f in (path / k).glob("test-*.parquet"))
        if files:
            rows = _read_parquet(files)
        elif (path / "rows.jsonl").exists():
            rows = _read_jsonl(path / "rows.jsonl")
        else:
            raise ConfigError(
                f"no {'/'.join(kinds)}/test-*.parquet or rows.jsonl under {path}",
                remedy="pass the output folder of `kcdata build` (or a rows .jsonl file)",
            )
    elif path.suffix == ".parquet":
        rows = _read_parquet([path])
    else:
        rows = _read_jsonl(path)
    for i, row in enumerate(rows):
        missing = [k for k in REQUIRED_FIELDS if k not in row]
        if missing:
            raise InputError(
                f"{path}: row {i} ({row.get('id', '?')}) lacks {', '.join(missing)}",
                remedy="score a dataset built by `kcdata build` (docs/ARCHITECTURE.md row format)",
            )
    if config:
        rows = [r for r in rows if r["kind"] == config]
    if languages:
        wanted = set(languages)
        rows = [r for r in rows if r["language"] in wanted]
    if limit is not None:
        rows = stratified_sample(rows, limit, seed)
    if not rows:
        raise ConfigError(
            f"no rows to score in {path} (config={config}, langs={','.join(languages or []) or 'all'})",
            remedy="check --config and --langs against the dataset card",
        )
    log.info("loaded %d rows from %s", len(rows), path)
    return rows


def stratified_sample(rows: list[dict[str, Any]], limit: int, seed: int = 0) -> list[dict[str, Any]]:
    """At most ``limit`` rows, spread as evenly as possible over (kind, language) strata.

    Each stratum gets an equal share (a stratum smaller than its share gives the rest to the
    others); inside a stratum rows are taken in the order of ``sha256(seed:id)``, so the sample is
    seeded and does not depend on file order. The result keeps file order. Taking rows in file order
    instead would score only the first kinds (``--limit 10`` gave no temporal row).
    """
    import hashlib

    if limit >= len(rows):
        return list(rows)
    strata: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(rows):
        strata.setdefault((str(r.get("kind")), str(r.get("language"))), []).append(i)
    for idx in strata.values():
        idx.sort(key=lambda i: hashlib.sha256(f"{seed}:{rows[i]['id']}".encode()).hexdigest())
    take = {k: 0 for k in strata}
    left = limit
    open_ = sorted(strata)
    while left > 0 and open_:
        share = max(left // len(open_), 1)
        for k in list(open_):
            n = min(share, len(strata[k]) - take[k], left)
            take[k] += n
            left -= n
            if take[k] == len(strata[k]):
                open_.remove(k)
            if left == 0:
                break
    chosen = sorted(i for k, idx in strata.items() for i in idx[: take[k]])
    return [rows[i] for i in chosen]


def sample_description(rows: Sequence[dict[str, Any]], total: int, limit: int | None, seed: int) -> dict[str, Any]:
    """What was scored, for the report: the limit, the seed and rows per kind × language."""
    counts: dict[str, int] = {}
    for r in rows:
        key = f"{r.get('kind')}/{r.get('language')}"
        counts[key] = counts.get(key, 0) + 1
    return {"limit": limit, "seed": seed, "rows": len(rows), "of": total,
            "method": "stratified by kind and language, sha256(seed:id) order" if limit else "all rows",
            "by_kind_language": dict(sorted(counts.items()))}


# --------------------------------------------------------------------------------------------------
# the per-row scores file (resume file)


def check_scores_file(out_path: Path) -> None:
    """Refuse an existing ``--out`` that ``kcdata score`` did not write, before anything touches it.

    Every complete line must be a JSON object with ``id`` and ``settings_key``; only a torn last
    line (no newline: a killed run) is allowed. An empty file is fine.

    Raises:
        ConfigError: naming the file and the first line that is not a scores row.
    """
    if not out_path.exists():
        return
    if not out_path.is_file():
        raise ConfigError(f"--out {out_path} exists and is not a file", remedy="choose another --out")
    with out_path.open("rb") as fh:
        for n, raw in enumerate(fh, 1):
            torn = not raw.endswith(b"\n")
            try:
                rec = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
                rec = None
            if torn and (rec is None or not isinstance(rec, dict)):
                return  # a killed run's last line: resume drops it
            if not (isinstance(rec, dict) and isinstance(rec.get("id"), str) and "settings_key" in rec):
                raise ConfigError(f"--out {out_path} is not a kcdata scores file (line {n} is not a scores row); "
                                  "refusing to change it", remedy="choose another --out")


def settings_of(model_name: str, config: Any, equivalence_name: str) -> dict[str, Any]:
    """The settings a scores row records (``model`` plus the run settings), for messages."""
    from dataclasses import asdict

    return {"model": model_name, **asdict(config), "equivalence": equivalence_name}


def _differences(recorded: dict[str, Any], current: dict[str, Any]) -> str:
    keys = sorted((set(recorded) | set(current)) - {"batch_size"})
    return ", ".join(f"{k} {recorded.get(k)!r} -> {current.get(k)!r}" for k in keys
                     if recorded.get(k) != current.get(k))


def read_done(out_path: Path, settings: str | None = None, current: dict[str, Any] | None = None) -> set[str]:
    """Ids already scored in ``out_path``; drops a torn last line left by a killed run, and nothing
    else (:func:`check_scores_file` refuses a file with any other bad line).

    Args:
        out_path: The per-row JSONL file (may not exist).
        settings: Settings key the existing rows must carry.
        current: This run's settings (:func:`settings_of`), to name what differs in the error.

    Returns:
        The ids present.

    Raises:
        ConfigError: Rows scored with other settings are there, or the file is not ours.
    """
    check_scores_file(out_path)
    if not out_path.exists():
        return set()
    done: set[str] = set()
    good_bytes = 0
    with out_path.open("rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                break
            rec = json.loads(raw)
            if settings is not None and rec.get("settings_key") != settings:
                recorded = {"model": rec.get("model"), **(rec.get("settings") or {})}
                diff = _differences(recorded, current) if current else ""
                raise ConfigError(
                    f"{out_path} holds rows scored with other settings "
                    f"({diff or rec.get('settings_key')})",
                    remedy="use another --out, or --overwrite to start again",
                )
            done.add(rec["id"])
            good_bytes += len(raw)
    if good_bytes < out_path.stat().st_size:
        log.warning("dropping a torn last line from %s (killed run)", out_path)
        with out_path.open("r+b") as fh:
            fh.truncate(good_bytes)
    return done


def read_results(out_path: Path) -> list[dict[str, Any]]:
    """All per-row results in a scores JSONL file."""
    results = []
    with Path(out_path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                results.append(json.loads(line))
    return results


def append_results(fh: IO[str], records: Iterable[dict[str, Any]]) -> None:
    """Append per-row results to an open scores file, one JSON line each, then flush to disk.

    Non-finite floats are written as ``null`` (:func:`_json_safe`).
    """
    for rec in records:
        fh.write(json.dumps(_json_safe(rec), ensure_ascii=False, allow_nan=False) + "\n")
    fh.flush()
    os.fsync(fh.fileno())


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _json_safe(obj: Any) -> Any:
    if isinstance(obj, float):
        return _finite(obj)
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj
