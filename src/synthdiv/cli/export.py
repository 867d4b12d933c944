"""``synthdiv export FILE_OR_RUN_DIR --format F --out OUT``: trainer-ready files and a
Hub-ready dataset with a diversity card (docs/export.md). Nothing heavy is imported until it runs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from synthdiv.export.settings import DEFAULTS, FORMATS, NO_EMBEDDER, ExportSettings


def export_cmd(
    source: Path = typer.Argument(..., help="A record file (.jsonl, .csv, .parquet, saved dataset) or a run folder written by `synthdiv run`."),
    fmt: str = typer.Option(..., "--format", help=f"Output format: {' | '.join(FORMATS)}."),
    out: Path = typer.Option(..., "--out", "-o", help="A .jsonl file (TRL formats, one record file) or a folder (hf, or a run folder)."),
    real: Optional[Path] = typer.Option(None, "--real", help="Real records to measure the shift against (a record file; a run folder brings its own)."),
    embedder: str = typer.Option(DEFAULTS.embedder, "--embedder", help=f"Embedding metrics with this model, or {NO_EMBEDDER!r} for lexical metrics only."),
    seed: Optional[int] = typer.Option(DEFAULTS.seed, "--seed", help="Run folder: the seed whose sets are exported (default: the lowest)."),
    license_id: Optional[str] = typer.Option(DEFAULTS.license, "--license", help="Licence id for the card (e.g. cc-by-4.0); left out when not given."),
    shard_rows: int = typer.Option(DEFAULTS.shard_rows, "--shard-rows", help="Rows per Parquet shard (hf)."),
    push_to_hub: Optional[str] = typer.Option(None, "--push-to-hub", help="Upload the hf folder to this dataset repo (OWNER/NAME); token from $HF_TOKEN."),
    private: bool = typer.Option(DEFAULTS.private, "--private", help="Create the Hub repo as private."),
    hub_timeout: float = typer.Option(DEFAULTS.hub_timeout, "--hub-timeout", help="Seconds --push-to-hub waits for the Hub to connect or send the next byte."),
    overwrite: bool = typer.Option(DEFAULTS.overwrite, "--overwrite", help="Replace an existing output."),
) -> None:
    """Export a generated set (or every level and mix of a run) for TRL or the Hugging Face Hub, with a diversity card."""
    from synthdiv.export.api import export

    settings = ExportSettings(embedder=embedder, shard_rows=shard_rows, private=private, overwrite=overwrite,
                              seed=seed, license=license_id, sample_chars=DEFAULTS.sample_chars, hub_timeout=hub_timeout)
    summary = export(source, fmt, out, real=real, push_to_hub=push_to_hub, settings=settings)
    for config, notes in summary["notes"].items():
        for note in notes:
            if note.startswith("warning:") or "cannot" in note:
                print(f"warning: {config}: {note.removeprefix('warning: ')}", file=sys.stderr)
    configs = ", ".join(f"{name} ({n})" for name, n in summary["configs"].items())
    typer.echo(f"wrote {summary['records']} records in {len(summary['configs'])} config(s) [{configs}] as {summary['format']} to {summary['out']}")
    for config, text in summary["subsamples"].items():
        typer.echo(f"card: {config}: {text}")
    if summary["url"]:
        typer.echo(f"pushed to {summary['url']}")


def register(app: typer.Typer) -> None:
    app.command("export")(export_cmd)
