"""Fig. 2 (test loss and diversity per level) and Figs. 8–9 (the same at several dataset sizes).

Both read the pure sets of results.csv: real alone and each generated level alone.
"""

from __future__ import annotations

import math

from synthdiv.experiments import layout
from synthdiv.reports.plotting import (
    BASE_COLOR, draw_loss, interval_ends, LOSS_COLOR, FigureResult, SkipFigure, figure_legend, finite, level_color, new_figure, pad_ylim, png_bytes, seed_note,
    series_color, style, tick_labels,
)
from synthdiv.reports.rundir import RunData, has_values, mean_sd, short_model
from synthdiv.reports.selection import (
    aggregate, error_bars, at_one_size, base_losses, base_note, models_of, pure_sets, pure_sizes, seeds_of, size_key, size_label,
)

LOSS_VS_DIVERSITY = ("Fig. 2", "Test loss against diversity level")
LOSS_VS_DIVERSITY_BY_SIZE = ("Figs. 8–9", "Test loss against diversity level at several dataset sizes")


def _x_axis(pure) -> list[str]:
    """x labels in order: real, then Gen-D0 … Gen-D6 as present."""
    order = dict(zip(pure["x"], pure["x_order"]))
    return sorted(order, key=order.get)


def _checked_pure(run: RunData):
    pure = pure_sets(run.results)
    if pure.empty or not (pure["level"] != "").any():
        raise SkipFigure("results.csv has no model trained on one generated level alone "
                         "(role generated, or a fixed-mode mix at ratio 1)")
    pure = pure[pure["test_loss"].notna()]
    if pure.empty:
        raise SkipFigure("the pure training sets have no test loss")
    return pure


def diversity_bars(pure) -> tuple[dict[str, float], str]:
    """Normalised diversity per x label and a note on where it came from."""
    if has_values(pure, layout.NORM):
        return {x: mean_sd(g[layout.NORM])[0] for x, g in pure.groupby("x")}, f"{layout.NORM} of the runner"
    if has_values(pure, layout.DIVERSITY_SCORE):
        raw = {x: mean_sd(g[layout.DIVERSITY_SCORE])[0] for x, g in pure.groupby("x")}
        top = max(finite(raw.values()), default=math.nan)
        return {x: v / top for x, v in raw.items()}, "n-gram diversity score divided by the largest shown"
    return {}, ""


def loss_vs_diversity(run: RunData) -> FigureResult:
    pure = _checked_pure(run)
    size_sweep = len(pure_sizes(pure)) > 1
    pure, size = at_one_size(pure)
    labels = _x_axis(pure)
    level_of = dict(zip(pure["x"], pure["level"]))
    bars, bar_source = diversity_bars(pure)
    base = base_losses(run.results)
    models = [m for m in models_of(run.results) if (pure["model"] == m).any()]
    seeds = seeds_of(pure)
    with style():
        fig, axes = new_figure(len(models), ncols=min(len(models), 3))
        for ax, model in zip(axes, models):
            rows = pure[pure["model"] == model]
            stats = aggregate(rows, ["x"], "test_loss").set_index("x")
            xs = [i for i, x in enumerate(labels) if x in stats.index]
            means = [stats.loc[labels[i], "mean"] for i in xs]
            yerr, bars_note = error_bars(stats.loc[[labels[i] for i in xs]])
            handles = []
            if bars:
                ax2 = ax.twinx()
                heights = [bars.get(x, math.nan) for x in labels]
                ax2.bar(range(len(labels)), [0 if math.isnan(h) else h for h in heights], width=0.6,
                        color=[level_color(level_of[x]) for x in labels], alpha=0.3,
                        label="normalised diversity of the training set (right)")
                for i, h in enumerate(heights):  # the value at the bar's foot, clear of the loss line and its bars
                    if not math.isnan(h):
                        ax2.text(i + 0.27, 0.02, f"{h:.3f}", ha="right", va="bottom", fontsize=7.5, color="#444444")
                ax2.set_ylim(0, 1.15)
                ax2.set_ylabel("training-set diversity, normalised")
                ax2.grid(False)
                ax.set_zorder(ax2.get_zorder() + 1)  # the loss line above the bars
                ax.patch.set_visible(False)
                handles += ax2.get_legend_handles_labels()[0]
            draw_loss(ax, xs, means, yerr, color=LOSS_COLOR, label="test loss (left)", capsize=3, linewidth=1.6)
            if model in base:
                ax.axhline(base[model], color=BASE_COLOR, linestyle="--", linewidth=1.2, label="base model (no fine-tuning)")
            pad_ylim(ax, means + interval_ends(means, yerr) + ([base[model]] if model in base else []))
            tick_labels(ax, labels)
            ax.set_ylabel("test loss")
            ax.set_title(short_model(model))
            legend = ax.get_legend_handles_labels()[0] + handles
        figure_legend(fig, legend, [h.get_label() for h in legend])
        fig.suptitle(f"{LOSS_VS_DIVERSITY[0]} — {LOSS_VS_DIVERSITY[1]} ({run.task})", fontsize=11)
        png = png_bytes(fig)
    caption = (
        f"Test loss on the real test set of each model fine-tuned on the real training set alone or on one generated "
        f"level alone (line, left axis; {seed_note(seeds)}; {bars_note})"
        + (f", and the diversity of that training set (bars, right axis: distinct-1+…+distinct-5, normalised; {bar_source})"
           if bars else "; no diversity columns in results.csv, so no bars")
        + ". Dashed: the model before fine-tuning."
        + (" Each bar is one model's interval over test records; two models share those records, so their paired "
           "difference (Findings, Results) can be resolved where these bars overlap." if yerr is not None else "")
        + (f" Training sets of {size_label(size)} records; the other sizes are in Figs. 8–9." if size_sweep else "")
    )
    return FigureResult("fig2_test_loss_vs_diversity", *LOSS_VS_DIVERSITY, caption, png)


def loss_vs_diversity_by_size(run: RunData) -> FigureResult:
    pure = _checked_pure(run)
    sizes = pure_sizes(pure)
    if len(sizes) < 2:
        raise SkipFigure("the generated training sets have a single size; "
                         "a size sweep needs mixing.sizes with two or more values")
    labels = _x_axis(pure)
    models = [m for m in models_of(run.results) if (pure["model"] == m).any()]
    with style():
        fig, axes = new_figure(len(models), ncols=min(len(models), 3))
        for ax, model in zip(axes, models):
            rows = pure[pure["model"] == model]
            all_y = []
            for i, size in enumerate(sizes):
                stats = aggregate(rows[size_key(rows) == size], ["x"], "test_loss").set_index("x")
                xs = [j for j, x in enumerate(labels) if x in stats.index]
                ys = [stats.loc[labels[j], "mean"] for j in xs]
                yerr, bars_note = error_bars(stats.loc[[labels[j] for j in xs]])
                all_y += ys + interval_ends(ys, yerr)
                draw_loss(ax, xs, ys, yerr, capsize=2, color=series_color(i, len(sizes), "plasma"), label=f"n = {size_label(size)}")
            pad_ylim(ax, all_y)
            tick_labels(ax, labels)
            ax.set_ylabel("test loss")
            ax.set_title(short_model(model))
        handles, labels = axes[0].get_legend_handles_labels()
        figure_legend(fig, handles, labels, title="training-set size")
        fig.suptitle(f"{LOSS_VS_DIVERSITY_BY_SIZE[0]} — {LOSS_VS_DIVERSITY_BY_SIZE[1]} ({run.task})", fontsize=11)
        png = png_bytes(fig)
    caption = (
        f"Test loss of each model fine-tuned on real data alone or on one generated level alone, one line per "
        f"training-set size ({', '.join(size_label(s) for s in sizes)} records; {seed_note(seeds_of(pure))}; {bars_note}). "
        f"{base_note(run.results)}"
    )
    return FigureResult("fig8_9_dataset_sizes", *LOSS_VS_DIVERSITY_BY_SIZE, caption, png)
