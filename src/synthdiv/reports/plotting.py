"""Shared pieces of every figure: the result types, the style, the colours, PNG bytes.

Figures are drawn on ``matplotlib.figure.Figure`` objects with the Agg canvas and
never through pyplot, so no global backend is switched and nothing is shown.
matplotlib is imported inside these functions: ``import synthdiv.reports`` stays light.
"""

from __future__ import annotations

import contextlib
import io
import math
from dataclasses import dataclass, field

REAL_COLOR = "#222222"
LOSS_COLOR = "#1f5fa8"
BASE_COLOR = "#b03a2e"
DPI = 120
PANEL = (4.6, 3.4)  # inches per panel: two panels fit the page width at 120 dpi
MIN_WIDTH = 7.0  # inches: a one-panel figure still has room for its title and a legend row
STYLE = {
    "axes.formatter.useoffset": False,  # losses like 5.7203 read better whole than as "+5.72" and offsets
    "font.size": 9.5,
    "axes.titlesize": 10.5,
    "axes.labelsize": 9.5,
    "legend.fontsize": 8.5,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "axes.spines.top": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "grid.linewidth": 0.6,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}


class SkipFigure(Exception):
    """Raised by a figure builder when the run lacks the data it needs; the message says what is missing."""


@dataclass
class FigureResult:
    key: str  # file stem, e.g. "fig2_test_loss_vs_diversity"
    number: str  # "Fig. 2"
    title: str
    caption: str
    png: bytes
    files: dict[str, bytes] = field(default_factory=dict)  # extra outputs beside the PNG (e.g. map coordinates)

    @property
    def filename(self) -> str:
        return f"{self.key}.png"


@dataclass
class Skipped:
    number: str
    title: str
    reason: str


def level_color(level: str):
    """One colour per level D0..D6 across every figure (viridis, cut before its pale yellow end); real is black."""
    import re

    from matplotlib import colormaps

    if not level:
        return REAL_COLOR
    m = re.search(r"(\d+)", level)
    if not m:
        return "#888888"
    return colormaps["viridis"](min(int(m.group(1)), 6) / 6 * 0.85)


def series_color(i: int, n: int, cmap: str = "viridis"):
    from matplotlib import colormaps

    return colormaps[cmap](0.1 + 0.75 * (i / max(n - 1, 1)))


@contextlib.contextmanager
def style():
    import matplotlib

    with matplotlib.rc_context(STYLE):
        yield


def new_figure(n_panels: int, ncols: int | None = None, panel=PANEL, sharey: bool = False, min_width: float = MIN_WIDTH,
               sharex: bool = False):
    """A constrained-layout figure with ``n_panels`` axes in a grid; unused grid cells are hidden."""
    from matplotlib.figure import Figure

    ncols = max(1, min(ncols or n_panels, n_panels))
    nrows = math.ceil(n_panels / ncols)
    fig = Figure(figsize=(max(panel[0] * ncols, min_width), panel[1] * nrows), dpi=DPI, layout="constrained")
    grid = fig.subplots(nrows, ncols, squeeze=False, sharex=sharex, sharey=sharey)
    axes = [ax for row in grid for ax in row]
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes[:n_panels]


def figure_legend(fig, handles, labels, title: str | None = None) -> None:
    """One legend under all panels, in as many columns as fit the figure's width."""
    if not labels:
        return
    per_entry = 0.5 + 0.062 * max(len(str(label)) for label in labels)  # inches: handle + text at 8.5 pt
    ncols = max(1, min(len(labels), int(fig.get_figwidth() / per_entry)))
    fig.legend(handles, labels, loc="outside lower center", ncols=ncols, frameon=False, title=title)


def png_bytes(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def tick_labels(ax, labels: list[str]) -> None:
    """Category labels on x, slanted when they would collide."""
    ax.set_xticks(range(len(labels)))
    slant = len(labels) > 5 or max((len(s) for s in labels), default=0) > 8
    ax.set_xticklabels(labels, rotation=30 if slant else 0, ha="right" if slant else "center")


def finite(values) -> list[float]:
    return [float(v) for v in values if v is not None and not math.isnan(float(v))]


def seed_note(seeds: list[int]) -> str:
    if len(seeds) > 1:
        return f"mean over {len(seeds)} seeds"
    return f"one seed ({seeds[0]})" if seeds else "one run"


def draw_loss(ax, xs, ys, yerr, **kwargs):
    """A loss line with its 95 % intervals as error bars, or a plain line when there are none,
    so the legend shows an error-bar symbol only where bars are drawn."""
    if yerr is None:
        kwargs.pop("capsize", None)
        return ax.plot(xs, ys, marker=kwargs.pop("marker", "o"), **kwargs)
    return ax.errorbar(xs, ys, yerr=yerr, marker=kwargs.pop("marker", "o"), **kwargs)


def interval_ends(ys, yerr) -> list[float]:
    """The ends of the error bars, so the axis range takes them in (the scale shows the noise)."""
    if yerr is None:
        return []
    return [y - lo for y, lo in zip(ys, yerr[0])] + [y + hi for y, hi in zip(ys, yerr[1])]


def pad_ylim(ax, values) -> None:
    vals = finite(values)
    if not vals:
        return
    lo, hi = min(vals), max(vals)
    pad = (hi - lo) * 0.15 or abs(hi) * 0.05 or 0.1
    cur_lo, cur_hi = ax.get_ylim()
    ax.set_ylim(min(cur_lo, lo - pad), max(cur_hi, hi + pad))
