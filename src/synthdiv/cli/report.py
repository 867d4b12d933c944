"""``synthdiv report RUN_DIR``: the paper's figures and tables for one experiment run (docs/reports.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from synthdiv.errors import UserError


def report_cmd(
    run_dir: Path = typer.Argument(..., help="A run folder written by the experiment runner (spec.yaml, results.csv, datasets.csv)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for index.html, the PNGs and CSVs (default: RUN_DIR/report)."),
    embedder: Optional[str] = typer.Option(
        None, "--embedder",
        help="Embedding model for the 2-D map: minilm-l6 | mpnet-base | NAME (default: spec report.embedder, else metrics.embedder).",
    ),
    map_points: Optional[int] = typer.Option(
        None, "--map-points", help="Most points per set on the embedding map (default: spec report.map_points, else 1000)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only where the report is."),
) -> None:
    """Draw every figure and table the run has data for and write a self-contained HTML page."""
    from synthdiv.paths import check_io
    from synthdiv.reports.build import stderr_log, write_report

    check_io(inputs={"RUN_DIR": run_dir}, folders={"--out": out if out is not None else run_dir / "report"})
    if map_points is not None and map_points < 1:
        raise UserError(f"--map-points must be at least 1, got {map_points}", where="--map-points")
    index = write_report(run_dir, out=out, embedder=embedder, map_points=map_points, log=None if quiet else stderr_log)
    typer.echo(f"report: {index}")


def register(app: typer.Typer) -> None:
    app.command("report")(report_cmd)
