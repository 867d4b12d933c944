"""Fig. 14: training loss against step, from each run's train_log.csv (synthdiv.training.runlog)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from synthdiv.reports.plotting import (
    REAL_COLOR, FigureResult, SkipFigure, figure_legend, level_color, new_figure, png_bytes, series_color, style,
)
from synthdiv.reports.rundir import RunData, level_key, short_model
from synthdiv.reports.selection import models_of, size_key, size_label, trained_rows

TRAINING_LOSS = ("Fig. 14", "Training loss")
SMOOTH_ABOVE = 100  # steps; longer logs get a moving average drawn over the faint raw curve
MAX_LINES = 12  # per panel; more lines than this are unreadable, so the sweep's extremes are kept


def read_train_log(path: Path) -> tuple[list[int], list[float], list[float]]:
    """(steps, losses, epochs) of a train_log.csv; rows without a number are skipped."""
    steps, losses, epochs = [], [], []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                step, loss = int(float(row["step"])), float(row["loss"])
            except (KeyError, TypeError, ValueError):
                continue
            if math.isnan(loss):
                continue
            steps.append(step)
            losses.append(loss)
            try:
                epochs.append(float(row.get("epoch") or "nan"))
            except ValueError:
                epochs.append(math.nan)
    return steps, losses, epochs


def _moving_average(values: list[float], window: int) -> list[float]:
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def _epoch_starts(steps: list[int], epochs: list[float]) -> list[int]:
    starts, last = [], None
    for step, epoch in zip(steps, epochs):
        if math.isnan(epoch):
            continue
        whole = math.floor(epoch)
        if last is not None and whole > last:
            starts.append(step)
        last = whole
    return starts


def _order(row) -> tuple:
    role_rank = {"real": 0, "generated": 1, "mix": 2}.get(row["role"], 3)
    ratio = row["ratio"] if not math.isnan(row["ratio"]) else 0.0
    size = row["size"] if not math.isnan(row["size"]) else 0.0
    return (role_rank, level_key(row["level"]), ratio, size, row["dataset"])


def _logs(run: RunData):
    """One entry per (model, training set): the lowest seed that has a log, with its log read.
    In a size sweep only the largest size is kept (one line per set and size would be unreadable)."""
    rows = trained_rows(run.results)
    rows = rows[rows["train_dir"] != ""]
    gen_sizes = sorted(set(size_key(rows[rows["role"] == "generated"])))
    size = gen_sizes[-1] if len(gen_sizes) > 1 else None
    if size is not None:
        rows = rows[size_key(rows) == size]
    logs, missing = {}, 0
    for _, row in rows.sort_values("seed").iterrows():
        key = (row["model"], row["dataset"])
        if key in logs:
            continue
        path = Path(row["train_dir"]) / "train_log.csv"
        if not path.is_file():
            missing += 1
            continue
        steps, losses, epochs = read_train_log(path)
        if steps:
            logs[key] = (row, steps, losses, epochs)
    return logs, missing, size


def _colors(entries) -> dict[str, object]:
    """One colour per training set, the same in every panel: levels by their colour when only pure sets
    are drawn, else spread over a colour map in sweep order."""
    rows = {e[0]["dataset"]: e[0] for e in entries}
    names = sorted(rows, key=lambda n: _order(rows[n]))
    if all(r["role"] in ("real", "generated") for r in rows.values()):
        return {n: REAL_COLOR if rows[n]["role"] == "real" else level_color(rows[n]["level"]) for n in names}
    others = [n for n in names if rows[n]["role"] != "real"]
    colors = {n: series_color(i, len(others), "turbo") for i, n in enumerate(others)}
    return {n: colors.get(n, REAL_COLOR) for n in names}


def _thin(entries: list) -> list:
    """At most MAX_LINES entries, spread evenly over the sweep order (its ends kept)."""
    if len(entries) <= MAX_LINES:
        return entries
    keep = sorted({round(i * (len(entries) - 1) / (MAX_LINES - 1)) for i in range(MAX_LINES)})
    return [entries[i] for i in keep]


def training_loss_curves(run: RunData) -> FigureResult:
    logs, missing, size = _logs(run)
    if not logs:
        raise SkipFigure("no train_log.csv found in the train_dir folders of results.csv" if missing or
                         (run.results["train_dir"] != "").any() else "results.csv has no train_dir values")
    models = [m for m in models_of(run.results) if any(k[0] == m for k in logs)]
    per_model = {m: sorted((v for k, v in logs.items() if k[0] == m), key=lambda e: _order(e[0])) for m in models}
    shown = {m: _thin(entries) for m, entries in per_model.items()}
    dropped = sum(len(per_model[m]) - len(shown[m]) for m in models)
    colors = _colors([e for entries in shown.values() for e in entries])
    with style():
        fig, axes = new_figure(len(models), ncols=min(len(models), 2), panel=(5.6, 3.4))
        for ax, model in zip(axes, models):
            entries = shown[model]
            for row, steps, losses, epochs in entries:
                color = colors[row["dataset"]]
                label = row["dataset"]
                if len(steps) > SMOOTH_ABOVE:
                    ax.plot(steps, losses, color=color, alpha=0.18, linewidth=0.7)
                    ax.plot(steps, _moving_average(losses, max(2, len(steps) // 40)), color=color, linewidth=1.4, label=label)
                else:
                    ax.plot(steps, losses, color=color, linewidth=1.4, marker="." if len(steps) < 30 else None, label=label)
            for start in _epoch_starts(entries[0][1], entries[0][3]):
                ax.axvline(start, color="#999999", linestyle=":", linewidth=0.9)
            ax.set_xlabel("optimizer step")
            ax.set_ylabel("training loss")
            ax.set_title(short_model(model))
        legend = {}
        for ax in axes:
            for handle, label in zip(*ax.get_legend_handles_labels()):
                legend.setdefault(label, handle)
        figure_legend(fig, list(legend.values()), list(legend))
        fig.suptitle(f"{TRAINING_LOSS[0]} — {TRAINING_LOSS[1]} per training set ({run.task})", fontsize=11)
        png = png_bytes(fig)
    seeds = sorted({int(v[0]["seed"]) for v in logs.values() if not math.isnan(v[0]["seed"])})
    caption = (
        "Training loss (target tokens only) against optimizer step, from each run's train_log.csv; one line per "
        f"training set, one panel per model; the lowest seed of each ({', '.join(map(str, seeds)) or 'n/a'}). "
        "Dotted vertical lines: epoch starts. Logs longer than 100 steps are drawn faint with a moving average on top."
        + (f" Training sets of {size_label(size)} records only (the largest of the size sweep)." if size is not None else "")
        + (f" {dropped} curves left out so each panel shows at most {MAX_LINES}, spread over the sweep." if dropped else "")
        + (f" {missing} train_log.csv file(s) not found." if missing else "")
    )
    return FigureResult("fig14_training_loss", *TRAINING_LOSS, caption, png)
