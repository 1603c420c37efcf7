"""``kcdata push-to-hub``, ``kcdata release``, ``kcdata rebuild`` and ``kcdata export lm-eval``.

Thin Click commands over ``kcdata.publish``: each parses its flags, calls one library function
and prints the outcome (errors are handled by :class:`kcdata.cli.KcdataCommand`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from kcdata.cli import CONTEXT, command, group

_releases_option = click.option(
    "--releases-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("releases"),
    show_default=True,
    help="Root folder of release records.",
)


@command("push-to-hub")
@click.argument("dataset_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("repo_id")
@click.option("--private", is_flag=True, help="Create the repository as private (ignored when it exists).")
@click.option("--revision", default="main", show_default=True, metavar="BRANCH", help="Branch to commit to.")
@click.option("--tag", default=None, metavar="VERSION", help="Tag the commit with this release version.")
@click.option("--message", default=None, help="Commit message (default names the dataset, as_of and seed).")
@click.option(
    "--dry-run", is_flag=True, help="Check the folder and print what would be uploaded; send nothing."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Seconds each Hub request may wait to connect, read or write (default: $KCDATA_HUB_TIMEOUT or 60).",
)
@_releases_option
def push_to_hub(
    dataset_dir: Path,
    repo_id: str,
    private: bool,
    revision: str,
    tag: str | None,
    message: str | None,
    dry_run: bool,
    timeout: float | None,
    releases_dir: Path,
) -> None:
    """Upload a built DATASET_DIR to the Hub dataset repository REPO_ID in one commit.

    Parquet shards of every config, the dataset card and the manifest go in one commit; the
    card's configs make `datasets.load_dataset(REPO_ID, CONFIG)` work. The token comes from
    HF_TOKEN or `hf auth login` and never appears in output or logs; HF_ENDPOINT selects another
    Hub. Every request times out after --timeout seconds. With --tag, the commit is tagged and
    releases/NAME/VERSION (if recorded) gets the Hub commit.

    \b
    Example:
      kcdata push-to-hub out/kc-2024 my-user/kc-wikidata --tag 2024.06
    """
    from kcdata.publish.hub import plan_push
    from kcdata.publish.hub import push_to_hub as push

    if dry_run:
        plan = plan_push(
            dataset_dir, repo_id, revision=revision, tag=tag, private=private, commit_message=message
        )
        click.echo("dry run: nothing is uploaded; would upload:")
        for line in plan.describe():
            click.echo(f"  {line}")
        return
    result = push(
        dataset_dir,
        repo_id,
        revision=revision,
        tag=tag,
        private=private,
        commit_message=message,
        releases_dir=releases_dir,
        timeout=timeout,
    )
    click.echo(f"pushed {result.files} files to datasets/{result.repo_id}@{result.revision}")
    click.echo(f"commit {result.commit}  {result.commit_url}")
    if result.tag:
        click.echo(f"tagged {result.tag}")
    if result.release_dir is not None:
        click.echo(f"release record {result.release_dir} marked as published")


@command("release")
@click.argument("name")
@click.argument("version")
@click.option(
    "--from",
    "dataset_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
    help="The folder written by `kcdata build`.",
)
@_releases_option
@click.option("--overwrite", is_flag=True, help="Replace an existing, unpublished record.")
def release(name: str, version: str, dataset_dir: Path, releases_dir: Path, overwrite: bool) -> None:
    """Record a build as releases/NAME/VERSION (config, manifest, card) so anyone can rebuild it.

    \b
    Example:
      kcdata release kc-2024 2024.06 --from out/kc-2024
    """
    from kcdata.publish.release import write_release

    target = write_release(dataset_dir, name, version, releases_dir, overwrite=overwrite)
    click.echo(f"wrote {target}")


@command("rebuild")
@click.argument("release_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the rebuilt dataset (default: a temporary folder).",
)
@click.option(
    "--online", is_flag=True, help="Allow network access (default: offline, cache or bundled sample)."
)
def rebuild(release_dir: Path, out_dir: Path | None, online: bool) -> None:
    """Rebuild RELEASE_DIR (releases/NAME/VERSION) and check every file's sha256.

    \b
    Example:
      kcdata rebuild releases/kc-2024/2024.06
    """
    from kcdata.pipeline import rebuild as run_rebuild
    from kcdata.publish.release import ReleaseError, mismatch_hint

    report = run_rebuild(release_dir, out_dir, offline=not online)
    for rel in report.matched:
        click.echo(f"ok        {rel}")
    for rel, (want, got) in report.mismatched.items():
        click.echo(f"MISMATCH  {rel}  recorded {want[:12]}  rebuilt {got[:12]}")
    for rel in report.missing:
        click.echo(f"MISSING   {rel}")
    for rel in report.extra:
        click.echo(f"EXTRA     {rel}")
    if not report.ok:
        raise ReleaseError(
            f"rebuild of {release_dir} differs from the record (output in {report.out_dir})",
            mismatch_hint(report),
        )
    click.echo(f"identical: {len(report.matched)} files match {release_dir} (output in {report.out_dir})")


@group("export")
def export() -> None:
    """Export a built dataset for downstream evaluation harnesses.

    \b
    Example:
      kcdata export lm-eval out/kc-2024 --out tasks/
    """


@export.command("lm-eval", context_settings=CONTEXT)
@click.argument("dataset_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the task YAML files (default: DATASET_DIR/../lm_eval_tasks).",
)
@click.option(
    "--repo-id",
    default=None,
    help="Hub repository, or a local folder holding the dataset (default: the one recorded by push-to-hub).",
)
@click.option("--revision", default=None, help="Hub revision to pin (default: the pushed commit).")
@click.option(
    "--context",
    "contexts",
    type=click.Choice(["none", "original", "counter"]),
    multiple=True,
    default=("none",),
    show_default=True,
    help="Prompt variants; repeat for several.",
)
@click.option(
    "--format",
    "task_format",
    type=click.Choice(["lm_eval_v2", "lm_eval_v1"]),
    default="lm_eval_v2",
    show_default=True,
    help="lm_eval_v2: kcdata score's prompts and matching (needs kcdata where lm_eval runs); "
    "lm_eval_v1: the first format, English prompt and exact match.",
)
def lm_eval(
    dataset_dir: Path,
    out_dir: Path | None,
    repo_id: str | None,
    revision: str | None,
    contexts: tuple[str, ...],
    task_format: str,
) -> None:
    """Write lm-evaluation-harness tasks for DATASET_DIR: per config and context a plain task and
    a _chat one (run those with --apply_chat_template), loading the rows from the Hub repository,
    or from a local folder when --repo-id is one (a built folder itself works).

    \b
    Examples:
      kcdata export lm-eval out/kc-2024 --out tasks/ --context none --context counter
      lm_eval --model hf --model_args pretrained=MODEL --include_path tasks/ \\
          --tasks kcdata_kc_2024_chat,kcdata_kc_2024_ctx_counter_chat --apply_chat_template
      kcdata export lm-eval out/kc-2024 --repo-id out/kc-2024 --out tasks/   # no Hub needed
    """
    from kcdata.publish.export import export_lm_eval

    target = out_dir if out_dir is not None else Path(dataset_dir).resolve().parent / "lm_eval_tasks"
    if repo_id and Path(repo_id).is_dir():
        repo_id = str(Path(repo_id).resolve())  # lm_eval runs from anywhere
    for path in export_lm_eval(dataset_dir, target, repo_id=repo_id, revision=revision, contexts=contexts,
                               task_format=task_format):
        click.echo(f"wrote {path}")


__all__ = ["export", "push_to_hub", "rebuild", "release"]

logging.getLogger(__name__).addHandler(logging.NullHandler())
