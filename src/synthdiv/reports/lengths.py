"""Fig. 3: length distributions (words) of the real set and each generated level.

Lengths are whitespace word counts of the records' fields, read from the record
files named in datasets.csv. Each distribution is drawn as a Gaussian kernel
density (numpy only), so eight sets overlaid on one axis stay readable.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from synthdiv.errors import UserError
from synthdiv.reports.plotting import REAL_COLOR, FigureResult, SkipFigure, figure_legend, level_color, new_figure, png_bytes, style
from synthdiv.reports.rundir import RunData
from synthdiv.reports.selection import measured_sets
from synthdiv.tasks import TASKS

LENGTHS = ("Fig. 3", "Length distributions, real vs generated")
KDE_SAMPLE = 5000  # per set: the density of 5,000 lengths is indistinguishable from that of 30,000


def word_counts(texts: list[str]) -> np.ndarray:
    return np.array([len(t.split()) for t in texts], dtype=float)


def kde(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gaussian kernel density with Scott's bandwidth (at least half a word, so a set of equal lengths shows a peak)."""
    n, bw = values.size, bandwidth(values)
    z = (grid[:, None] - values[None, :]) / bw
    return np.exp(-0.5 * z**2).sum(axis=1) / (n * bw * math.sqrt(2 * math.pi))


def bandwidth(values: np.ndarray) -> float:
    return max(1.06 * float(values.std()) * values.size ** (-1 / 5), 0.5)


def load_lengths(run: RunData) -> tuple[list[dict], list[str]]:
    """For each measured set: label, level, and word counts per field. Also notes on sets left out."""
    from synthdiv.metrics.texts import load_texts

    sets, notes = [], []
    for row in measured_sets(run.datasets):
        try:
            textset = load_texts(row["path"])
        except UserError as exc:
            notes.append(f"{row['dataset']}: {exc}")
            continue
        counts = {name: word_counts(textset.fields[name]) for name in ("target", "text") if textset.fields.get(name)}
        sets.append({"label": row["dataset"], "level": row["level"], "role": row["role"], "counts": counts})
    return sets, notes


def length_distributions(run: RunData) -> FigureResult:
    if run.datasets is None:
        raise SkipFigure("the run has no datasets.csv")
    sets, notes = load_lengths(run)
    if not any(s["role"] == "real" for s in sets) or not any(s["role"] == "generated" for s in sets):
        why = "; ".join(notes) if notes else "datasets.csv needs a real row and a generated row with a record file (path)"
        raise SkipFigure(f"no real and generated record files to compare ({why})")
    task = TASKS.get(run.task, TASKS["story_completion"])
    names = (("target", task.target_words), ("text", f"whole record ({task.measured_words})"))
    fields = [(k, name) for k, name in names if any(k in s["counts"] for s in sets)]
    rng = np.random.default_rng(0)
    table = []
    with style():
        # panels stacked, not side by side: at a phone's width a figure half as wide reads twice as large
        fig, axes = new_figure(len(fields), ncols=1, panel=(6.4, 3.2), min_width=0)
        for ax, (key, name) in zip(axes, fields):
            present = [s for s in sets if key in s["counts"]]
            grid = whole_range(present, key)
            for s in present:
                values = s["counts"][key]
                table.append({"dataset": s["label"], "field": key, "records": values.size, "mean": values.mean(),
                              "median": float(np.median(values)), "min": float(values.min()), "max": float(values.max()),
                              "sd": values.std(ddof=1) if values.size > 1 else math.nan})
                sample = values if values.size <= KDE_SAMPLE else rng.choice(values, KDE_SAMPLE, replace=False)
                _draw_set(ax, s, grid, kde(sample, grid), float(values.mean()))
            ax.set_xlim(grid[0], grid[-1])
            ax.set_ylim(bottom=0)
            ax.set_xlabel(f"words in the {name}")
            ax.set_ylabel("density")
            ax.set_title(name)
        handles, labels = axes[0].get_legend_handles_labels()
        figure_legend(fig, handles, labels)  # under the panels, off the curves
        fig.suptitle(f"{LENGTHS[0]} — {LENGTHS[1]} ({run.task})", fontsize=11)
        png = png_bytes(fig)
    caption = (
        "How long the real training set's records and each generated level's are, in whitespace words: "
        f"{' and '.join(name for _, name in fields)}. Kernel density estimates over each set's whole range, the real set "
        "in black; the short ticks on the x axis are the means. Per-set means, medians, sd, minimum and maximum are in "
        "fig3_lengths.csv." + (f" Left out: {'; '.join(notes)}." if notes else "")
    )
    return FigureResult("fig3_lengths", *LENGTHS, caption, png, files={"fig3_lengths.csv": _csv(table)})


def whole_range(present: list[dict], key: str) -> np.ndarray:
    """x grid from the shortest to the longest record of any set, with three kernel widths beyond
    for the densities to fall to ~0; from 0 unless that leaves the axis mostly empty."""
    low = min(float(s["counts"][key].min()) for s in present)
    top = max(float(s["counts"][key].max()) for s in present)
    tail = 3 * max(bandwidth(s["counts"][key]) for s in present)
    start = 0.0 if low < 0.5 * top else max(0.0, low - tail)
    return np.linspace(start, max(top + tail, 5), 400)


def _draw_set(ax, s: dict, grid: np.ndarray, density: np.ndarray, mean: float) -> None:
    is_real = s["role"] == "real"
    color = REAL_COLOR if is_real else level_color(s["level"])
    ax.plot(grid, density, color=color, linewidth=2.2 if is_real else 1.4, label=s["label"], zorder=3 if is_real else 2)
    if is_real:
        ax.fill_between(grid, density, color=color, alpha=0.08, zorder=1)
    ax.plot([mean], [0], marker="|", markersize=14, markeredgewidth=2, color=color, clip_on=False, zorder=4)


def _csv(rows: list[dict]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["dataset", "field", "records", "mean", "median", "sd", "min", "max"], lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in r.items()})
    return buf.getvalue().encode("utf-8")
