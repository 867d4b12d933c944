"""Trend tests across a sweep: is test loss monotone in diversity level, in mixing ratio, in
training-set size; is measured diversity monotone in level?

Each trend is a Spearman rank correlation between the ordered setting and the measured value,
with a bootstrap interval (:func:`synthdiv.stats.trends.rank_trend`). For test loss
the draws resample test records (the same records for every point, since every model is
evaluated on one test set) and, with several seeds, the seeds too; for diversity they are the
size-matched subsamples of each set. One row per trend goes to ``trends.csv``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthdiv.experiments import layout
from synthdiv.stats.evidence import PerRecord
from synthdiv.stats.trends import loss_draws, rank_trend
from synthdiv.stats.uncertainty import RESAMPLES, SEED

LOSS_VS_LEVEL = "test loss vs diversity level"
LOSS_VS_RATIO = "test loss vs mixing ratio"
LOSS_VS_SIZE = "test loss vs generated-set size"
DIVERSITY_VS_LEVEL = "size-matched diversity vs level"


def level_index(level: str) -> float:
    """D0 … D6 as 0 … 6 (the diversity ladder's order); anything else last."""
    return float(level[1:]) if level[:1] == "D" and level[1:].isdigit() else math.inf


def _size(row: dict[str, Any]):
    size = row.get("size_asked")
    return None if size is None or (isinstance(size, float) and math.isnan(size)) else size


def _seeded_draws(points: list[list[PerRecord]], resamples: int, seed: int) -> np.ndarray | None:
    """(B, k) bootstrap draws of each point's seed-mean test loss: test records resampled once per
    draw for every point and seed, and with several seeds the seeds resampled too (paired across points)."""
    flat = [p for per_seed in points for p in per_seed]
    if not flat or any(p is None for p in flat) or any(p.ids != flat[0].ids for p in flat):
        return None
    n_seeds = {len(per_seed) for per_seed in points}
    if len(n_seeds) != 1:
        return None
    s = n_seeds.pop()
    draws = loss_draws([p.nll for p in flat], flat[0].tokens, resamples=resamples, seed=seed)  # (B, k*s)
    draws = draws.reshape(draws.shape[0], len(points), s)
    if s > 1:
        pick = np.random.default_rng(seed + 1).integers(0, s, size=(draws.shape[0], s))
        draws = np.take_along_axis(draws, pick[:, None, :].repeat(len(points), axis=1), axis=2)
    return draws.mean(axis=2)


def _trend_row(what: str, model, size, level: str, xs: list[float], labels: list[str], estimates: list[float],
               draws: np.ndarray | None, seeds: int, no_draws: str = "no per-record losses") -> dict[str, Any]:
    row = {"trend": what, "model": model or "", "size_asked": size, "level": level, "points": len(xs),
           "x": " ".join(labels), "y": " ".join(f"{v:.4f}" for v in estimates), "seeds": seeds}
    if draws is None or len(xs) < 3:
        # two points have a rank correlation of ±1 whatever the noise: no interval to give
        row.update({"rho": None, "ci_low": None, "ci_high": None, "direction": "not resolved (fewer than 3 points)"
                    if len(xs) < 3 else f"not resolved ({no_draws})"})
        return row
    t = rank_trend(xs, estimates, draws)
    row.update({"rho": t.rho, "ci_low": t.ci_low, "ci_high": t.ci_high, "direction": t.direction})
    return row


def _collect(results, losses, pick, x_of, label_of):
    """Rows chosen by ``pick`` grouped into points by x; each point holds its seeds in seed order."""
    points: dict[float, list[int]] = {}
    for i, r in enumerate(results):
        if pick(r):
            points.setdefault(x_of(r), []).append(i)
    xs = sorted(points)
    ordered = [sorted(points[x], key=lambda i: str(results[i].get("seed"))) for x in xs]
    labels = [label_of(results[m[0]]) for m in ordered]
    estimates = [float(np.mean([results[i]["test_loss"] for i in m])) for m in ordered]
    return xs, labels, estimates, [[losses[i] for i in m] for m in ordered]


def loss_trends(results: list[dict[str, Any]], losses: list[PerRecord | None], *, resamples: int = RESAMPLES,
                seed: int = SEED) -> list[dict[str, Any]]:
    """Every loss trend the sweep's design has: per model (and size) across levels, per level across
    mixing ratios (fixed mode, real alone as ratio 0), and per level across sizes."""
    out = []
    trained = [r for r in results if r.get("role") != "base"]
    models = sorted({r.get("model") for r in trained}, key=str)
    sizes = sorted({_size(r) for r in trained}, key=lambda s: (s is None, s or 0))
    levels = sorted({r.get("level") for r in trained if r.get("level")}, key=level_index)
    for model in models:
        for size in sizes:
            same = lambda r, m=model, s=size: r.get("model") == m and _size(r) == s and r.get("mode") != "variable"  # noqa: E731
            xs, labels, est, pts = _collect(results, losses, lambda r: same(r) and r.get("role") == "generated",
                                            lambda r: level_index(r["level"]), lambda r: r["level"])
            if len(xs) >= 2:
                out.append(_trend_row(LOSS_VS_LEVEL, model, size, "", xs, labels, est,
                                      _seeded_draws(pts, resamples, seed), len(pts[0])))
            for level in levels:
                xs, labels, est, pts = _collect(
                    results, losses,
                    lambda r, lv=level: same(r) and (r.get("role") == "real" or (r.get("level") == lv and r.get("role") in ("mix", "generated"))),
                    lambda r: float(r.get("ratio") or 0.0), lambda r: f"{float(r.get('ratio') or 0.0):.2f}")
                if len(xs) >= 3 and any(x not in (0.0, 1.0) for x in xs):
                    out.append(_trend_row(LOSS_VS_RATIO, model, size, level, xs, labels, est,
                                          _seeded_draws(pts, resamples, seed), len(pts[0])))
        if len(sizes) > 1:
            for level in levels:
                xs, labels, est, pts = _collect(
                    results, losses,
                    lambda r, lv=level, m=model: (r.get("model") == m and r.get("role") == "generated" and r.get("level") == lv
                                                  and _size(r) is not None),
                    lambda r: float(_size(r)), lambda r: f"{_size(r):g}")
                if len(xs) >= 2:
                    out.append(_trend_row(LOSS_VS_SIZE, model, None, level, xs, labels, est,
                                          _seeded_draws(pts, resamples, seed), len(pts[0])))
    return out


def diversity_trend(datasets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Size-matched diversity across the generated levels of each seed (draws: the matched subsamples)."""
    out = []
    for seed in sorted({d.get("seed") for d in datasets if d.get("role") == "generated"}, key=str):
        rows = sorted((d for d in datasets if d.get("role") == "generated" and d.get("seed") == seed
                       and d.get("div_matched_draw_scores") is not None), key=lambda d: level_index(d["level"]))
        if len(rows) < 2:
            continue
        width = min(len(d["div_matched_draw_scores"]) for d in rows)
        draws = np.array([d["div_matched_draw_scores"][:width] for d in rows], dtype=np.float64).T
        xs = [level_index(d["level"]) for d in rows]
        est = [float(d[layout.MATCHED_SCORE]) for d in rows]
        # sets of the matched size itself: every draw is the whole set, so the draws hold no uncertainty
        # and a rank trend on them would look certain (ladder.csv measures on half-size subsets instead)
        degenerate = bool(np.all(draws.max(axis=0) == draws.min(axis=0)))
        row = _trend_row(DIVERSITY_VS_LEVEL, "", None, "", xs, [d["level"] for d in rows], est, None if degenerate else draws, 1,
                         no_draws=f"every set has the matched size, so every draw is the whole set; see {layout.csv_name(layout.LADDER)}")
        row["seed"] = seed
        out.append(row)
    return out
