"""``kcdata build``: parse flags, call kcdata.pipeline.run_build, print a summary."""

from __future__ import annotations

from pathlib import Path

import click

from kcdata.cli import command
from kcdata.cli.options import as_of_option, languages_option, relations_option


@command()
@click.argument("config_file", metavar="[CONFIG | SOURCE_PATH]", required=False, type=click.Path())
@click.option("--out", "out_dir", default="kcdata-out", show_default=True, type=click.Path(file_okay=False),
              help="Output folder (replaced atomically if it holds an earlier build).")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Counterfactual seed (default 0).")
@as_of_option
@languages_option()
@relations_option("Relations to build (default: every relation with templates).")
@click.option("--source", type=click.Choice(["sample", "files", "api", "dump"]), default=None,
              help="Where entities come from (default: the embedded sample).")
@click.option("--source-path", default=None, help="Entity files folder or dump path for --source files/dump.")
@click.option("--name", default=None, help="Dataset name for the card and manifest.")
@click.option("--no-wikipedia", is_flag=True, default=False, help="Template contexts only.")
@click.option("--offline", is_flag=True, default=None, help="Use the HTTP cache only (api source).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes: reading a dump, and rendering rows (any source; the output is the same bytes).")
@click.option("--executor", type=click.Choice(["local", "ray"]), default=None,
              help="Where a dump's ranges are read and rows rendered: local processes (default), or Ray Data "
                   "tasks (extra 'ray'; --workers CPUs of a local Ray, or the cluster at --ray-address). Same bytes.")
@click.option("--ray-address", default=None, metavar="ADDR",
              help="The Ray cluster to run on with --executor ray (ray://HEAD:10001, or auto); default: start Ray here.")
@click.option("--cache-dir", default=None, metavar="DIR",
              help="The cache folder: HTTP responses, and a dump's seek index and shards (default: "
                   "~/.cache/kcdata, or the parent of $KCDATA_CACHE_DIR).")
@click.option("--no-shard-cache", is_flag=True, default=False,
              help="Read the dump even if its extraction is in the cache, and keep none (default: keep it as "
                   "Parquet shards and reuse it for builds of the same or fewer relations and languages).")
@click.option("--user-agent", default=None, help="User-Agent with contact, required for live sources.")
@click.option("--sample", type=click.IntRange(min=1), default=None, metavar="N",
              help="Build N facts per relation x kind, a seeded sample stratified by subject popularity "
                   "(sitelink quartiles), each in every language (default: every fact).")
@click.option("--strict", is_flag=True, default=False,
              help="Stop at the first malformed line, entity or statement of the source (default: set it "
                   "aside in rejects.jsonl, count it in the manifest and go on).")
def build(config_file, out_dir, seed, as_of, languages, relations, source, source_path, name,
          no_wikipedia, offline, workers, executor, ray_address, cache_dir, no_shard_cache, user_agent, sample, strict) -> None:
    """Build a knowledge-conflict dataset into OUT.

    With no CONFIG it builds the real Wikidata sample embedded in kcdata, offline. Flags override
    the CONFIG file. With --source dump or files and no --source-path, an argument that is not a
    YAML file is the dump or entity folder. Writes parquet per config (static, temporal, disputable), a dataset card
    README.md, manifest.json and rejects.jsonl; prints a summary table on stderr.

    A malformed line, entity or statement of the source is set aside (listed in rejects.jsonl
    with its file, line and byte offset, counted in the manifest's quarantine) and the build goes
    on; --strict stops at the first instead, naming where and what.

    \b
    Examples:
      kcdata build --out out/sample
      kcdata build --out out/de --langs de,fr --seed 3 --as-of 2020-01-01
      kcdata build my-config.yaml --out out/mine
      kcdata build --source dump wikidata-20250101-all.json.gz --workers 4 --sample 1000 --out out/dump
      kcdata build --source dump wikidata-20250101-all.json.gz --executor ray --ray-address auto --out out/dump
    """
    from kcdata.config import load_config
    from kcdata.pipeline import run_build

    if (source in ("dump", "files") and source_path is None and config_file is not None
            and Path(config_file).suffix.lower() not in (".yaml", ".yml")):
        config_file, source_path = None, config_file
    config = load_config(
        config_file, seed=seed, as_of=as_of, languages=languages, relations=relations,
        source=source, source_path=source_path, name=name,
        wikipedia=False if no_wikipedia else None, offline=offline, workers=workers, user_agent=user_agent,
        sample=sample, executor=executor, ray_address=ray_address, shard_cache=False if no_shard_cache else None,
        cache_dir=cache_dir,
    )
    result = run_build(config, Path(out_dir), strict=strict)
    _summary(result)


def _summary(result) -> None:
    from collections import defaultdict

    table: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    langs: list[str] = result.manifest["languages"]
    for c in result.counts:
        table[c["kind"]][c["language"]] += c["n"]
    width = max(8, *(len(lang) + 2 for lang in langs))
    click.echo(f"{'kind':<12}" + "".join(f"{lang:>{width}}" for lang in langs) + f"{'total':>{width}}", err=True)
    for kind in ("static", "temporal", "disputable"):
        cells = [table[kind][lang] for lang in langs]
        click.echo(f"{kind:<12}" + "".join(f"{n:>{width}}" for n in cells) + f"{sum(cells):>{width}}", err=True)
    if result.drops:
        click.echo("dropped: " + ", ".join(f"{k}={v}" for k, v in result.drops.items()), err=True)
    quarantine = result.manifest.get("quarantine") or {}
    if quarantine:
        click.echo("set aside from the source (see rejects.jsonl): "
                   + ", ".join(f"{k}={v}" for k, v in quarantine.items()), err=True)
    click.echo(f"wrote {sum(result.rows.values())} rows to {result.out_dir}", err=True)
