"""The diversity–shift plane: every training set as a point (x: shift, y: size-matched diversity,
colour: test loss) and the regression of test loss on both, from the runner's plane.json
(:mod:`synthdiv.stats.plane`: the computation and what its intervals include)."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from synthdiv.experiments import layout
from synthdiv.reports.generations import TextTable
from synthdiv.reports.plotting import FigureResult, SkipFigure, new_figure, png_bytes, style
from synthdiv.reports.rundir import RunData, short_model
from synthdiv.stats.plane import SEPARABLE_R, SETS_FOR_A_RESULT

FIG_PLANE = ("Fig. P", "Test loss on the diversity–shift plane")
TABLE_PLANE = ("Table P", "Test loss regressed on size-matched diversity and shift")
POINT_COLUMNS = ("model", "size_asked", "dataset", "seed", "role", "shift_metric", "shift", "diversity",
                 "diversity_ci_low", "diversity_ci_high", "test_loss", "test_loss_ci_low", "test_loss_ci_high")
SHIFT_NAMES = {"shift_embedding_frechet_distance": "Fréchet distance of embeddings to real",
               "shift_ngram_js_2": "word-bigram JS divergence to real"}
INTERVAL_NOTE = ("Intervals (95 %): the test records resampled and the fit recomputed on each draw; they leave out "
                 "the uncertainty of diversity and shift themselves and of training.")


def read_plane(run: RunData) -> dict[str, Any]:
    path = run.run_dir / layout.PLANE
    if not path.is_file():
        raise SkipFigure(f"no {layout.PLANE} in the run folder (written by synthdiv run for runs with trained sets)")
    return json.loads(path.read_text(encoding="utf-8"))


def _groups_with_points(run: RunData) -> list[dict[str, Any]]:
    groups = [g for g in read_plane(run)["groups"] if any(p["shift"] is not None for p in g["points"])]
    if not groups:
        raise SkipFigure("no trained set has both a size-matched diversity and a shift")
    return groups


def group_title(group: dict[str, Any]) -> str:
    size = group.get("size_asked")
    return short_model(str(group["model"])) + (f", n={size:g}" if isinstance(size, (int, float)) else "")


def _panel(ax, fig, group: dict[str, Any]) -> None:
    pts = [p for p in group["points"] if p["shift"] is not None]
    xs, ys, losses = [p["shift"] for p in pts], [p["diversity"] for p in pts], [p["test_loss"] for p in pts]
    bars = [[max(p["diversity"] - (p["diversity_ci_low"] if p["diversity_ci_low"] is not None else p["diversity"]), 0) for p in pts],
            [max((p["diversity_ci_high"] if p["diversity_ci_high"] is not None else p["diversity"]) - p["diversity"], 0) for p in pts]]
    ax.errorbar(xs, ys, yerr=bars, fmt="none", ecolor="#999999", elinewidth=1, capsize=3, zorder=1)
    # one colour scale per student: its fit compares its own sets, and students' losses sit on different scales
    dots = ax.scatter(xs, ys, c=losses, cmap="viridis", s=60, edgecolors="black", linewidths=0.5, zorder=2)
    named = set()
    for p in pts:  # each set named once: its other seeds' points sit beside it
        if p["dataset"] not in named:
            named.add(p["dataset"])
            ax.annotate(str(p["dataset"]), (p["shift"], p["diversity"]), xytext=(4, 4), textcoords="offset points", fontsize=7.5)
    ax.set_xlabel(SHIFT_NAMES.get(group["shift_metric"], group["shift_metric"]) + " →")
    ax.set_ylabel("size-matched distinct-1…n sum")
    fit = group.get("fit")
    lead = fit and fit.get("reading", fit["verdict"]) != fit["verdict"]
    ax.set_title(f"{group_title(group)}\n{(('a lead: ' if lead else '') + fit['verdict']) if fit else 'no fit'}", fontsize=9.5)
    fig.colorbar(dots, ax=ax, label="test loss (nats / target token) ↓")


def _points_csv(groups: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(POINT_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for g in groups:
        for p in g["points"]:
            row = {**{k: p.get(k) for k in POINT_COLUMNS}, "model": g["model"], "size_asked": g.get("size_asked"),
                   "shift_metric": g["shift_metric"]}
            writer.writerow({k: ("" if v is None else f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    return buf.getvalue().encode("utf-8")


def fig_plane(run: RunData) -> FigureResult:
    groups = _groups_with_points(run)
    with style():
        fig, axes = new_figure(len(groups), ncols=min(len(groups), 2), panel=(5.6, 4.2))
        for ax, group in zip(axes, groups):
            _panel(ax, fig, group)
        fig.suptitle(f"{FIG_PLANE[0]} — {FIG_PLANE[1]}", fontsize=11)
        png = png_bytes(fig)
    metrics = sorted({SHIFT_NAMES.get(g["shift_metric"], g["shift_metric"]) for g in groups})
    caption = (
        "Fig. P asks which property of a training set moves its student's test loss: its diversity or its distance from the "
        "real data (the paper varies both at once, so it cannot say). "
        f"Each point is a training set: x its shift ({'; '.join(metrics)}; the Fréchet distance when the run measured "
        "embeddings, else the lexical bigram JS), y its size-matched diversity (distinct-1…n summed on equal-size subsamples; "
        "bars: 95 % interval over the subsamples), colour its student's test loss (one scale per student; with several seeds, "
        "one point per seed, named once). Panel titles give the regression's verdict. Test losses with their 95 % intervals "
        f"are in fig_plane_points.csv; the regression is Table P."
    )
    return FigureResult("fig_plane", *FIG_PLANE, caption, png, files={"fig_plane_points.csv": _points_csv(groups)})


def _coefficient(fit: dict[str, Any], name: str) -> str:
    c = fit["coefficients"][name]
    return f"{c['estimate']:+.4f} [{c['ci_low']:+.4f}, {c['ci_high']:+.4f}]"


def _number(v, fmt: str) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)


def table_plane(run: RunData) -> TextTable:
    groups = read_plane(run)["groups"]
    if not groups:
        raise SkipFigure("no trained sets")
    rows = []
    for g in groups:
        fit = g.get("fit")
        head = [group_title(g), str(len(g["points"])), str(g.get("shift_metric") or "–")]
        if fit is None:
            rows.append([*head, "–", "–", "–", "–", f"no fit: {g.get('skipped')}"])
            continue
        rows.append([*head, _coefficient(fit, "diversity"), _coefficient(fit, "shift"), _number(fit.get("correlation"), "+.2f"),
                     _number(fit.get("r2"), ".2f"), fit.get("reading", fit["verdict"])])
    note = ("OLS of test loss on diversity and shift across the trained sets of one student (base model left out), both "
            "standardised: a coefficient is the change of test loss per standard deviation of its variable across these sets "
            "(negative: more of it, lower loss). A variable explains the test loss when its interval excludes 0; "
            f"r(div, shift) near ±1 means the sets cannot separate the two: at |r| ≥ {SEPARABLE_R:g}, or with fewer than "
            f"{SETS_FOR_A_RESULT} sets, a coefficient whose interval excludes 0 is read as a lead, not a result. " + INTERVAL_NOTE)
    headers = ["student", "sets", "shift", "β diversity [95 % CI]", "β shift [95 % CI]", "r(div, shift)", "R²", "verdict"]
    return TextTable("table_plane", *TABLE_PLANE, note, headers, rows)
