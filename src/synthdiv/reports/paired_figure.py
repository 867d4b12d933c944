"""The report's headline figure: each training set's test loss minus that of the real-data model, paired.

Every student is scored on the same test records, so the difference of two students' losses has a much
narrower interval than either loss: each record's own difficulty cancels. The Findings rest on these paired
differences, and this figure draws them (the absolute losses, whose intervals overlap, come second in Fig. 2).
It reads aggregate.csv (one row per student × training set × size: the seed-paired difference over seeds)
and falls back to results.csv's per-seed rows for a run folder without it.
"""

from __future__ import annotations

import math

from synthdiv.experiments import layout
from synthdiv.reports.plotting import FigureResult, SkipFigure, level_color, new_figure, png_bytes, style
from synthdiv.reports.rundir import RunData, level_key, short_model

PAIRED = ("Fig. Δ", "Each training set against real data: test-loss difference, paired by test record")
DELTA, LOW, HIGH = layout.with_interval(layout.delta("real"))
ROLE_ORDER = {"generated": 0, "mix": 1}


def _difference_rows(run: RunData):
    """Rows with a difference from real data: aggregate.csv's when the run wrote one, else results.csv's."""
    from synthdiv.reports.rundir import read_table

    aggregate = read_table(run.run_dir, layout.AGGREGATE)
    frame = aggregate if aggregate is not None and DELTA in aggregate.columns else run.results
    if DELTA not in frame.columns:
        return None
    for col in (DELTA, LOW, HIGH):
        frame[col] = frame[col].astype(float)
    rows = frame[frame[DELTA].notna()]
    return None if rows.empty else rows


def _order(row) -> tuple:
    ratio = row.get("ratio")
    return (ROLE_ORDER.get(row.get("role"), 2), level_key(str(row.get("level") or "D0")),
            ratio if isinstance(ratio, float) and not math.isnan(ratio) else 1.0, str(row.get("dataset")))


def _label(row) -> str:
    size = row.get("size_asked")
    return str(row.get("dataset")) + (f", n={size:g}" if isinstance(size, float) and not math.isnan(size) else "")


def paired_differences(run: RunData) -> FigureResult:
    rows = _difference_rows(run)
    if rows is None:
        raise SkipFigure("no training set has a paired difference from a real-data model (delta_vs_real): the run trains "
                         "no student on the real set alone, or kept no per-record losses")
    models = sorted({str(m) for m in rows["model"]})
    seeds = int(rows["seeds"].max()) if "seeds" in rows.columns and rows["seeds"].notna().any() else 1
    tallest = max(int((rows["model"] == m).sum()) for m in models)
    resolved = 0
    with style():
        fig, axes = new_figure(len(models), ncols=min(len(models), 2), panel=(5.2, 0.9 + 0.32 * tallest))
        for ax, model in zip(axes, models):
            records = sorted(rows[rows["model"] == model].to_dict("records"), key=_order, reverse=True)
            for y, r in enumerate(records):
                delta, low, high = r[DELTA], r[LOW], r[HIGH]
                has_ci = not (math.isnan(low) or math.isnan(high))
                excludes = has_ci and (low > 0 or high < 0)
                resolved += excludes
                color = level_color(str(r.get("level") or ""))
                if has_ci:
                    ax.errorbar([delta], [y], xerr=[[delta - low], [high - delta]], fmt="none", ecolor=color, elinewidth=1.6, capsize=3)
                ax.plot([delta], [y], marker="o", markersize=6.5, color=color, markerfacecolor=color if excludes else "white",
                        markeredgewidth=1.4, linestyle="none")
            ax.axvline(0, color="#555555", linewidth=1, linestyle="--")
            ax.set_yticks(range(len(records)), [_label(r) for r in records])
            ends = [v for r in records for v in (r[DELTA], r[LOW], r[HIGH]) if not math.isnan(v)] + [0.0]
            pad = (max(ends) - min(ends)) * 0.12 or 0.01
            ax.set_xlim(min(ends) - pad, max(ends) + pad)
            ax.set_ylim(-0.6, len(records) - 0.4)
            ax.set_xlabel("test loss − real-data model (nats / token)   ← better than real · worse →")
            ax.set_title(short_model(model))
        fig.suptitle(f"{PAIRED[0]} — {PAIRED[1]}", fontsize=11)
        png = png_bytes(fig)
    how = ("seed-paired over the seeds (each seed against the real-data student of the same seed; seeds and test records "
           f"resampled, {seeds} seeds)" if seeds > 1 else "one seed")
    caption = (
        "Each point is a training set: the test loss of the student fine-tuned on it minus that of the same student "
        "(same seed and size) fine-tuned on the real training set alone, both scored on the same real test records. "
        f"Bars: 95 % paired bootstrap interval over the test records ({how}). Filled: the interval excludes 0 "
        f"({resolved} of {len(rows)} sets); hollow: not resolved at this test set's size. Left of the dashed line the "
        "generated or mixed set trained a better student than real data did. These are the differences the Findings "
        "rest on; Fig. 2 shows the absolute losses, whose own intervals mostly overlap because each holds the test "
        "records' difficulty, which the pairing cancels."
    )
    return FigureResult("fig_paired_differences", *PAIRED, caption, png)
