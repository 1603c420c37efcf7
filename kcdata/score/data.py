"""Read the rows of a built dataset (parquet configs or JSONL) for scoring."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"{path}:{lineno}: not valid JSON ({exc.msg})",
                    remedy="pass a rows .jsonl written by `kcdata build --format jsonl`",
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
) -> list[dict[str, Any]]:
    """Load dataset rows from a built folder, a parquet file or a JSONL file, then filter them.

    Args:
        data: ``OUT`` folder of ``kcdata build`` (``OUT/<config>/test-*.parquet``, or
            ``OUT/rows.jsonl``), a ``.parquet`` file or a ``.jsonl`` file of rows.
        config: Keep one kind (``static`` / ``temporal`` / ``disputable``); ``None`` keeps all.
        languages: Keep these languages; ``None`` or empty keeps all.
        limit: Keep at most this many rows (after filtering, in file order).

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
        rows = rows[:limit]
    if not rows:
        raise ConfigError(
            f"no rows to score in {path} (config={config}, langs={','.join(languages or []) or 'all'})",
            remedy="check --config and --langs against the dataset card",
        )
    log.info("loaded %d rows from %s", len(rows), path)
    return rows
