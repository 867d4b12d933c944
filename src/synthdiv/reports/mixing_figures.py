"""Fig. 5 (fixed-size mixes) and Figs. 6–7 (variable-size mixes): test loss against mixing ratio.

Mixing ratio is Eq. 7, |generated| / (|generated| + |real|), as achieved by the mixer
(the ``ratio`` column), grouped at 0.01 across seeds.
"""

from __future__ import annotations

import math

from synthdiv.experiments import layout
from synthdiv.reports.plotting import (
    FigureResult, SkipFigure, draw_loss, figure_legend, interval_ends, level_color, new_figure, pad_ylim, png_bytes, seed_note, style,
)
from synthdiv.reports.rundir import RunData, has_values, level_key, short_model
from synthdiv.reports.selection import aggregate, base_note, error_bars, models_of, ratio_points, seeds_of, size_label

LOSS_VS_MIXING_RATIO = ("Fig. 5", "Test loss against mixing ratio, fixed training-set size")
REAL_EXPANDED = ("Figs. 6–7", "Variable training-set size: real data expanded with generated data")
LINESTYLES = ("-", "--", ":", "-.")


def _lines(points) -> list[tuple[str, float]]:
    """(level, line_size) of each line, levels in order D0..D6, then sizes ascending."""
    pairs = set(zip(points["level"], points["line_size"]))
    return sorted(pairs, key=lambda p: (level_key(p[0]), p[1]))


def _line_label(level: str, size: float, several_sizes: bool, what: str) -> str:
    label = layout.level_label(level)
    return f"{label}, {what} {size_label(size)}" if several_sizes else label


def _draw_loss_panels(axes, points, models, size_name: str) -> None:
    lines = _lines(points)
    sizes = sorted({s for _, s in lines})
    for ax, model in zip(axes, models):
        rows = points[points["model"] == model]
        all_y = []
        for level, size in lines:
            sel = rows[(rows["level"] == level) & (rows["line_size"] == size)]
            stats = aggregate(sel, ["x_ratio"], "test_loss").sort_values("x_ratio")
            if stats.empty:
                continue
            yerr, _ = error_bars(stats)
            all_y += list(stats["mean"]) + interval_ends(list(stats["mean"]), yerr)
            draw_loss(ax, stats["x_ratio"] * 100, stats["mean"], yerr, capsize=2,
                      color=level_color(level), linestyle=LINESTYLES[sizes.index(size) % len(LINESTYLES)],
                      label=_line_label(level, size, len(sizes) > 1, size_name))
        pad_ylim(ax, all_y)
        ax.set_xlabel("mixing ratio: generated share of the training set (%)")
        ax.set_ylabel("test loss")
        ax.set_title(short_model(model))


def _shared_legend(fig, axes) -> None:
    """One legend under the panels: every panel has the same lines."""
    handles, labels = axes[0].get_legend_handles_labels()
    figure_legend(fig, handles, labels)


def loss_vs_mixing_ratio(run: RunData) -> FigureResult:
    points = ratio_points(run.results, "fixed")
    points = points[points["test_loss"].notna()] if not points.empty else points
    if points.empty or not (points["x_ratio"].between(0.0, 1.0, inclusive="neither")).any():
        raise SkipFigure("no fixed-size mixes of real and generated data (mixing.mode fixed with a ratio strictly between 0 and 1)")
    counts = points.groupby(["level", "line_size"])["x_ratio"].nunique()
    if counts.max() <= 2:
        raise SkipFigure("fixed-size mixes at two ratios or fewer; a ratio curve needs three or more (mixing.ratios)")
    models = [m for m in models_of(run.results) if (points["model"] == m).any()]
    several_sizes = len({s for _, s in _lines(points)}) > 1
    with style():
        fig, axes = new_figure(len(models), ncols=min(len(models), 3))
        _draw_loss_panels(axes, points, models, "n =")
        _shared_legend(fig, axes)
        fig.suptitle(f"{LOSS_VS_MIXING_RATIO[0]} — {LOSS_VS_MIXING_RATIO[1]} ({run.task})", fontsize=11)
        png = png_bytes(fig)
    ratios = sorted({round(r * 100) for r in points["x_ratio"]})
    caption = (
        f"Test loss of models fine-tuned on mixes of real and generated data of the same total size, against the share "
        f"of generated data ({', '.join(f'{r}%' for r in ratios)}); one line per source level"
        f"{' and size' if several_sizes else ''}, one panel per model; {seed_note(seeds_of(points))}; error bars where drawn: 95 % bootstrap intervals. "
        f"0% is the real set alone. {base_note(run.results)}"
    )
    return FigureResult("fig5_mixing_ratio", *LOSS_VS_MIXING_RATIO, caption, png)


def loss_with_real_expanded(run: RunData) -> FigureResult:
    points = ratio_points(run.results, "variable")
    if points.empty:
        raise SkipFigure("no variable-size mixes (mixing.mode variable)")
    points = points[points["test_loss"].notna()]
    models = [m for m in models_of(run.results) if (points["model"] == m).any()]
    has_div = has_values(points, layout.DIVERSITY_SCORE)
    with style():
        fig, axes = new_figure(len(models) + int(has_div), ncols=min(len(models) + int(has_div), 3))
        _draw_loss_panels(axes, points, models, "real part")
        if has_div:
            _draw_diversity_panel(axes[-1], points)
        _shared_legend(fig, axes)
        fig.suptitle(f"{REAL_EXPANDED[0]} — {REAL_EXPANDED[1]} ({run.task})", fontsize=11)
        png = png_bytes(fig)
    n_real = sorted({int(v) for v in points["n_real"] if not math.isnan(v)})
    caption = (
        f"Models fine-tuned on the real training set"
        f"{f' ({n_real[0]} records)' if len(n_real) == 1 else ''} expanded with generated data: test loss against the "
        f"share of generated data, one line per source level, one panel per model ({seed_note(seeds_of(points))}; "
        f"error bars on the loss where drawn: 95 % bootstrap intervals)"
        + ("; last panel: the n-gram diversity score (distinct-1+…+distinct-5, not normalised, since the sets differ in size) "
           "of each training set" if has_div else "; results.csv has no diversity column, so no diversity panel")
        + f". {base_note(run.results)}"
    )
    return FigureResult("fig6_7_variable_size", *REAL_EXPANDED, caption, png)


def _draw_diversity_panel(ax, points) -> None:
    for level, size in _lines(points):
        sel = points[(points["level"] == level) & (points["line_size"] == size)]
        stats = aggregate(sel, ["x_ratio"], layout.DIVERSITY_SCORE).sort_values("x_ratio")
        stats = stats[stats["n"] > 0]
        # one measured set per point and seed: the bars are the sd over seeds, absent with one seed
        sd = stats["sd"].fillna(0)
        draw_loss(ax, stats["x_ratio"] * 100, stats["mean"], [sd, sd] if (sd > 0).any() else None, capsize=2,
                  color=level_color(level))
    ax.set_xlabel("mixing ratio: generated share of the training set (%)")
    ax.set_ylabel("n-gram diversity (Σ distinct-1..5)")
    ax.set_title("training-set diversity (all models)")
