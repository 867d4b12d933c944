"""``write_report``: every figure and table a run has the data for, as PNG/CSV files and one HTML page.

Each figure builder either returns a :class:`FigureResult` or raises
:class:`SkipFigure` saying what the run lacks; skipped figures are listed on the
page. Every file is written atomically and index.html last, so a killed report
leaves the previous page intact and nothing half-written.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from synthdiv.errors import UserError
from synthdiv.fileio import atomic_write
from synthdiv.reports.generations import TextTable
from synthdiv.reports.plotting import FigureResult, SkipFigure, Skipped
from synthdiv.reports.rundir import RunData, load_run
from synthdiv.reports.tables import Table

if TYPE_CHECKING:
    import numpy as np

Encoder = Callable[[list[str]], "np.ndarray"]  # texts -> (n, d) vectors; tests pass a model-free one

# every file a report may write: a rerun removes the ones this run no longer produces
OUTPUT_FILES = (
    "findings.csv", "fig_paired_differences.png", "table_results.csv", "table_trends.csv", "fig_plane.png", "fig_plane_points.csv", "table_plane.csv",
    "table_predictors.csv",
    "fig2_test_loss_vs_diversity.png", "fig3_lengths.png", "fig3_lengths.csv", "fig4_embedding_map.png",
    "fig4_embedding_map.csv", "fig5_mixing_ratio.png", "fig6_7_variable_size.png", "fig8_9_dataset_sizes.png",
    "fig14_training_loss.png", "table2_shift.csv", "table_diversity.csv", "fig_generations.png", "table_generations.csv",
    "samples_generations.csv", "samples_levels.csv", "table_ladder.csv",
)


def _builders(run: RunData, embedder, encoder, map_points, log):
    """(number, title, build) in the order the page shows them (the paper's order)."""
    from synthdiv.reports import (
        embedding_map, evidence, lengths, loss_figures, mixing_figures, paired_figure, samples, tables, training_curves,
    )

    def table(make: Callable[[RunData], Table | None], reason: str):
        def build():
            result = make(run)
            if result is None:
                raise SkipFigure(reason)
            return result

        return build

    return [
        (*evidence.FINDINGS, lambda: evidence.findings_table(run)),
        (*paired_figure.PAIRED, lambda: paired_figure.paired_differences(run)),
        (*evidence.RESULTS, lambda: evidence.results_table(run)),
        (*evidence.TRENDS, lambda: evidence.trends_table(run)),
        *_plane_builders(run),
        *_predictor_builders(run),
        (*loss_figures.LOSS_VS_DIVERSITY, lambda: loss_figures.loss_vs_diversity(run)),
        (*lengths.LENGTHS, lambda: lengths.length_distributions(run)),
        (*embedding_map.EMBEDDING_MAP, lambda: embedding_map.embedding_map(run, embedder, encoder, map_points, log)),
        (*tables.SHIFT_TABLE,
         table(tables.shift_table, "no generated dataset with shift_* columns (the runner measures shift when metrics.shift is on)")),
        (*tables.DIVERSITY_TABLE, table(tables.diversity_table, "no div_* columns in datasets.csv or results.csv")),
        *_ladder_builders(run),
        (*samples.SAMPLES, lambda: samples.samples_table(run)),
        (*mixing_figures.LOSS_VS_MIXING_RATIO, lambda: mixing_figures.loss_vs_mixing_ratio(run)),
        (*mixing_figures.REAL_EXPANDED, lambda: mixing_figures.loss_with_real_expanded(run)),
        (*loss_figures.LOSS_VS_DIVERSITY_BY_SIZE, lambda: loss_figures.loss_vs_diversity_by_size(run)),
        (*training_curves.TRAINING_LOSS, lambda: training_curves.training_loss_curves(run)),
        *_loop_builders(run),
    ]


def _ladder_builders(run: RunData):
    """The ladder table; none for a run without ladder.csv (one level, or a folder written before it existed)."""
    from synthdiv.experiments import layout
    from synthdiv.reports import ladder

    if not (run.run_dir / layout.csv_name(layout.LADDER)).is_file():
        return []
    return [(*ladder.LADDER, lambda: ladder.ladder_table(run))]


def _plane_builders(run: RunData):
    """The diversity–shift plane and its regression; none for a run folder without plane.json (written before it existed)."""
    from synthdiv.experiments import layout
    from synthdiv.reports import plane

    if not (run.run_dir / layout.PLANE).is_file():
        return []
    return [
        (*plane.FIG_PLANE, lambda: plane.fig_plane(run)),
        (*plane.TABLE_PLANE, lambda: plane.table_plane(run)),
    ]


def _predictor_builders(run: RunData):
    """Which measured property predicts the test loss; none for a run folder without predictors.json."""
    from synthdiv.experiments import layout
    from synthdiv.reports import predictors

    if not (run.run_dir / layout.PREDICTORS).is_file():
        return []
    return [(*predictors.TABLE_PREDICTORS, lambda: predictors.table_predictors(run))]


def _loop_builders(run: RunData):
    """The recursive-training loop's figure and tables; none at all for a run without a loop."""
    from synthdiv.reports import generations

    if run.generations is None:
        return []
    return [
        (*generations.FIG_LOOP, lambda: generations.fig_generations(run)),
        (*generations.TABLE_LOOP, lambda: generations.table_generations(run)),
        (*generations.SAMPLES, lambda: generations.samples_table(run)),
    ]


def build_blocks(run: RunData, *, embedder=None, encoder=None, map_points=None, log=None):
    """(figures and tables in page order, skipped items), computed in memory."""
    blocks: list[FigureResult | Table | TextTable] = []
    skipped: list[Skipped] = []
    for number, title, build in _builders(run, embedder, encoder, map_points, log):
        if log:
            log(f"drawing {number}")
        try:
            blocks.append(build())
        except SkipFigure as exc:
            skipped.append(Skipped(number, title, str(exc)))
            if log:
                log(f"skipped {number}: {exc}")
    return blocks, skipped


def write_report(
    run_dir: str | Path,
    out: str | Path | None = None,
    embedder: str | None = None,
    encoder: Encoder | None = None,
    map_points: int | None = None,
    *,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Write the report of ``run_dir`` into ``out`` (default RUN_DIR/report); returns the path of index.html.

    ``embedder`` overrides the spec's embedder for the embedding map; ``encoder`` (a callable
    list[str] -> array) replaces the sentence-transformers model, for tests; ``map_points`` caps
    the points per set on the map (default: the spec's report.map_points, else 1000)."""
    from synthdiv.reports.describe import setup_rows
    from synthdiv.reports.evidence import run_file_links
    from synthdiv.reports.html import render_page

    _check_dependencies()
    run = load_run(run_dir)
    out = Path(out) if out is not None else run.run_dir / "report"
    blocks, skipped = build_blocks(run, embedder=embedder, encoder=encoder, map_points=map_points, log=log)
    written = set()
    for block in blocks:
        if isinstance(block, FigureResult):
            files = {block.filename: block.png, **block.files}
        else:
            files = {block.filename: block.to_csv()}
        for name, data in files.items():
            with atomic_write(out / name, "wb") as fh:
                fh.write(data)
            written.add(name)
    for name in OUTPUT_FILES:
        if name not in written and (out / name).is_file():
            (out / name).unlink()  # a figure an earlier report drew and this one skips
    title = f"synthdiv report: {run.spec.get('name') or run.run_dir.resolve().name}"
    lead = str(run.spec.get("description") or "").strip() or f"Experiment run in {run.run_dir}"
    page = render_page(title, lead, setup_rows(run), blocks, skipped, str(run.run_dir.resolve()),
                       run_files=run_file_links(run, out))
    index = out / "index.html"
    with atomic_write(index) as fh:
        fh.write(page)
    return index


def _check_dependencies() -> None:
    missing = [name for name in ("pandas", "matplotlib") if importlib.util.find_spec(name) is None]
    if missing:
        raise UserError(f"reports need {' and '.join(missing)}: pip install 'synthdiv[data,report]'")


def stderr_log(message: str) -> None:
    print(f"[report] {message}", file=sys.stderr, flush=True)
