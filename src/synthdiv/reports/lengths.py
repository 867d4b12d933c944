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
from synthdiv.reports.plotting import REAL_COLOR, FigureResult, SkipFigure, level_color, new_figure, png_bytes, style
from synthdiv.reports.rundir import RunData
from synthdiv.reports.selection import measured_sets

FIG3 = ("Fig. 3", "Length distributions, real vs generated")
KDE_SAMPLE = 5000  # per set: the density of 5,000 lengths is indistinguishable from that of 30,000
FIELD_NAMES = {
    "story_completion": (("target", "completion (5th sentence)"), ("text", "whole story (context + completion)")),
    "long_context_qa": (("target", "answer"), ("text", "question + answer")),
}


def word_counts(texts: list[str]) -> np.ndarray:
    return np.array([len(t.split()) for t in texts], dtype=float)


def kde(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gaussian kernel density with Scott's bandwidth (at least half a word, so a set of equal lengths shows a peak)."""
    n = values.size
    bw = max(1.06 * float(values.std()) * n ** (-1 / 5), 0.5)
    z = (grid[:, None] - values[None, :]) / bw
    return np.exp(-0.5 * z**2).sum(axis=1) / (n * bw * math.sqrt(2 * math.pi))


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


def fig3(run: RunData, summary: str) -> FigureResult:
    if run.datasets is None:
        raise SkipFigure("the run has no datasets.csv")
    sets, notes = load_lengths(run)
    if not any(s["role"] == "real" for s in sets) or not any(s["role"] == "generated" for s in sets):
        why = "; ".join(notes) if notes else "datasets.csv needs a real row and a generated row with a record file (path)"
        raise SkipFigure(f"no real and generated record files to compare ({why})")
    fields = [(k, name) for k, name in FIELD_NAMES.get(run.task, FIELD_NAMES["story_completion"]) if any(k in s["counts"] for s in sets)]
    rng = np.random.default_rng(0)
    table = []
    with style():
        fig, axes = new_figure(len(fields), ncols=len(fields), panel=(5.4, 3.6))
        for ax, (key, name) in zip(axes, fields):
            present = [s for s in sets if key in s["counts"]]
            top = max(float(np.percentile(s["counts"][key], 99.5)) for s in present)
            low = min(float(np.percentile(s["counts"][key], 0.5)) for s in present)
            # room for the kernels' tails on both sides; the axis starts at 0 unless that leaves it mostly empty
            start = 0.0 if low < 0.5 * top else low * 0.9 - 2
            grid = np.linspace(start, max(top * 1.1 + 2, 5), 400)
            for s in present:
                values = s["counts"][key]
                table.append({"dataset": s["label"], "field": key, "records": values.size, "mean": values.mean(),
                              "median": float(np.median(values)), "sd": values.std(ddof=1) if values.size > 1 else math.nan})
                sample = values if values.size <= KDE_SAMPLE else rng.choice(values, KDE_SAMPLE, replace=False)
                density = kde(sample, grid)
                is_real = s["role"] == "real"
                color = REAL_COLOR if is_real else level_color(s["level"])
                ax.plot(grid, density, color=color, linewidth=2.2 if is_real else 1.4,
                        label=f"{s['label']} (mean {values.mean():.1f})", zorder=3 if is_real else 2)
                if is_real:
                    ax.fill_between(grid, density, color=color, alpha=0.08, zorder=1)
            ax.set_xlim(grid[0], grid[-1])
            ax.set_ylim(bottom=0)
            ax.set_xlabel(f"words in the {name}")
            ax.set_ylabel("density")
            ax.set_title(name)
            ax.legend(loc="upper right", framealpha=0.85)
        fig.suptitle(f"{FIG3[0]} — {FIG3[1]} ({run.task})", fontsize=11)
        png = png_bytes(fig)
    caption = (
        "Distribution of lengths (whitespace words) of the real training set and each generated level, from their record "
        f"files: {' and '.join(name for _, name in fields)}; kernel density estimates, the real set in black. "
        "Per-set means, medians and sd are in fig3_lengths.csv."
        + (f" Left out: {'; '.join(notes)}." if notes else "")
        + f" {summary}"
    )
    return FigureResult("fig3_lengths", *FIG3, caption, png, files={"fig3_lengths.csv": _csv(table)})


def _csv(rows: list[dict]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["dataset", "field", "records", "mean", "median", "sd"], lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in r.items()})
    return buf.getvalue().encode("utf-8")
