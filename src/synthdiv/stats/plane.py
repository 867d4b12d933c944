"""The diversity–shift plane: does diversity or shift explain the test loss of a run's training sets?

Every trained set is a point: x = its shift from the real training set, y = its size-matched
diversity (``div_matched_ngram_diversity_score``: distinct-1..n summed on equal-size subsamples,
with its interval over the subsamples), and its test loss. The test loss is regressed (OLS) on
both, each standardised across the sets of the fit, so a coefficient is the change of test loss
per standard deviation (sample sd) of its variable and the two compare directly:

    loss = b0 + b_div * z(diversity) + b_shift * z(shift)

Intervals: the test records are resampled (:func:`synthdiv.stats.trends.loss_draws`: the
same records for every set, as the sets' students share one test set) and the fit is recomputed
on each draw with the same x's. So an interval says how far a coefficient moves with the choice
of test records. It does not include the uncertainty of diversity and shift themselves (each
set's measured values are taken as exact), nor that of training (a seed's set is one point, its
student one run), nor the choice of which sets were made. A coefficient "explains" the test loss
when its interval excludes 0; with diversity and shift strongly correlated (``correlation``), the
data cannot separate them and both intervals widen.

Shift: the Fréchet distance of the embeddings when every set of the fit has it (metrics.embedder
set), else the Jensen–Shannon divergence of the word-bigram distributions (``shift_ngram_js_2``),
which needs no model. One fit per student and asked size: students' losses are on different
scales, and size moves the loss on its own. With fewer than MIN_SETS sets there is no fit
(three coefficients need a spare point), and the group says why.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synthdiv.experiments import layout
from synthdiv.stats.predictors import group_draws, number, set_groups
from synthdiv.stats.uncertainty import LEVEL, RESAMPLES, SEED, percentile_interval

DIVERSITY = layout.MATCHED_SCORE
SHIFTS = ("shift_embedding_frechet_distance", "shift_ngram_js_2")  # preferred first
MIN_SETS = 4
# A fit is read as a result only when the sets can tell diversity from shift and are enough to judge the fit by:
# |r(div, shift)| below SEPARABLE_R (at 0.9 the two share 81 % of their variance, and the coefficients trade
# off against each other) and at least SETS_FOR_A_RESULT sets (three coefficients: k - 3 residual points).
# Otherwise a coefficient whose interval excludes 0 is a lead, and the reading says why.
SEPARABLE_R = 0.9
SETS_FOR_A_RESULT = 6
DIVERSITY_EXPLAINS = "diversity explains the test loss"
SHIFT_EXPLAINS = "shift explains the test loss"
BOTH_EXPLAIN = "both explain the test loss"
NEITHER = "neither resolved"


class NoFit(Exception):
    """The sets cannot be fitted; the message says why."""


def verdict(div_ci: tuple[float, float], shift_ci: tuple[float, float]) -> str:
    """Which coefficients' intervals exclude 0."""
    div, shift = not div_ci[0] <= 0 <= div_ci[1], not shift_ci[0] <= 0 <= shift_ci[1]
    return BOTH_EXPLAIN if div and shift else DIVERSITY_EXPLAINS if div else SHIFT_EXPLAINS if shift else NEITHER


def lead_reasons(sets: int, correlation: float) -> list[str]:
    """Why a fit is only a lead: the sets cannot separate diversity from shift, or are too few."""
    reasons = []
    if abs(correlation) >= SEPARABLE_R:
        reasons.append(f"diversity and shift correlate at r = {correlation:+.2f} across the sets, so they cannot be separated")
    if sets < SETS_FOR_A_RESULT:
        reasons.append(f"{sets} sets, fewer than the {SETS_FOR_A_RESULT} a result needs")
    return reasons


def reading(fit: dict[str, Any]) -> str:
    """The verdict as a reader should take it: "a lead, not a result: …" when ``lead_reasons`` hold."""
    reasons = lead_reasons(fit["sets"], fit["correlation"])
    if fit["verdict"] == NEITHER or not reasons:
        return fit["verdict"]
    return f"a lead, not a result: {fit['verdict']} ({'; '.join(reasons)})"


def _standardised(values: np.ndarray, what: str) -> tuple[np.ndarray, float]:
    sd = float(np.std(values, ddof=1))
    if not sd > 0:
        raise NoFit(f"{what} is the same for every set; nothing to regress on")
    return (values - values.mean()) / sd, sd


def fit_plane(diversity, shift, loss, draws, *, level: float = LEVEL) -> dict[str, Any]:
    """OLS of ``loss`` (k,) on standardised ``diversity`` and ``shift`` (k,), and percentile
    intervals from refitting on each row of ``draws`` (B, k): bootstrap draws of the k losses."""
    div, sh, y = (np.asarray(v, dtype=np.float64) for v in (diversity, shift, loss))
    draws = np.asarray(draws, dtype=np.float64)
    if y.size < MIN_SETS:
        raise NoFit(f"{y.size} sets; the regression on diversity and shift needs at least {MIN_SETS}")
    z_div, sd_div = _standardised(div, "size-matched diversity")
    z_shift, sd_shift = _standardised(sh, "the shift")
    x = np.column_stack([np.ones_like(y), z_div, z_shift])
    if np.linalg.matrix_rank(x) < 3:
        raise NoFit("diversity and shift are perfectly correlated across the sets; their effects cannot be separated")
    solve = np.linalg.pinv(x)  # (3, k): the same design for every draw, so one pseudo-inverse serves all
    estimate = solve @ y
    per_draw = draws @ solve.T  # (B, 3)
    residual = y - x @ estimate
    total = float(((y - y.mean()) ** 2).sum())
    coefficients = {}
    for j, (name, sd) in enumerate((("intercept", None), ("diversity", sd_div), ("shift", sd_shift))):
        lo, hi = percentile_interval(per_draw[:, j], level)
        coefficients[name] = {"estimate": float(estimate[j]), "ci_low": lo, "ci_high": hi, "sd": sd}
    c = coefficients
    fit = {
        "sets": int(y.size), "coefficients": coefficients,
        "verdict": verdict((c["diversity"]["ci_low"], c["diversity"]["ci_high"]), (c["shift"]["ci_low"], c["shift"]["ci_high"])),
        "r2": 1.0 - float((residual**2).sum()) / total if total > 0 else None,
        "correlation": float(np.corrcoef(div, sh)[0, 1]), "resamples": int(draws.shape[0]), "level": level,
    }  # fmt: skip
    fit["reading"] = reading(fit)
    return fit


def choose_shift(rows: list[dict[str, Any]]) -> str | None:
    """The first of SHIFTS that every row has a number for."""
    return next((col for col in SHIFTS if rows and all(number(r.get(col)) is not None for r in rows)), None)


def _point(row: dict[str, Any], shift: str | None) -> dict[str, Any]:
    keys = ("dataset", "seed", "role", "level", "selection", *layout.with_interval("test_loss"))
    return {**{k: row.get(k) for k in keys}, "diversity": number(row.get(DIVERSITY)),
            "diversity_ci_low": number(row.get(layout.matched("ci_low"))),
            "diversity_ci_high": number(row.get(layout.matched("ci_high"))),
            "shift": number(row.get(shift)) if shift else None}


def _size(row: dict[str, Any]):
    return number(row.get("size_asked"))


def _group(rows: list[tuple[int, dict]], losses, *, resamples: int, seed: int, level: float) -> dict[str, Any]:
    usable = [(i, r) for i, r in rows if number(r.get(DIVERSITY)) is not None and number(r.get("test_loss")) is not None]
    shift = choose_shift([r for _, r in usable])
    first, used = rows[0][1], {i for i, _ in usable}
    out: dict[str, Any] = {"model": first.get("model"), "size_asked": _size(first), "diversity_metric": DIVERSITY,
                           "shift_metric": shift, "points": [_point(r, shift) for _, r in usable],
                           "left_out": [r.get("dataset") for i, r in rows if i not in used], "fit": None, "skipped": None}
    try:
        if shift is None:
            raise NoFit(f"no shift column ({' or '.join(SHIFTS)}) on every set")
        if len(usable) < MIN_SETS:
            raise NoFit(f"{len(usable)} sets; the regression on diversity and shift needs at least {MIN_SETS}")
        draws = group_draws([losses[i] for i, _ in usable], resamples=resamples, seed=seed)
        if draws is None:
            raise NoFit("the sets' per-record test losses are missing or on different test records; no interval")
        pts = out["points"]
        out["fit"] = fit_plane([p["diversity"] for p in pts], [p["shift"] for p in pts], [p["test_loss"] for p in pts],
                               draws, level=level)
    except NoFit as exc:
        out["skipped"] = str(exc)
    return out


def plane(results: list[dict[str, Any]], losses, *, resamples: int = RESAMPLES, seed: int = SEED,
          level: float = LEVEL) -> dict[str, Any]:
    """plane.json: one group per student and asked size, each with its points and its fit (or why none).
    ``losses[i]``: the per-record losses of ``results[i]`` (evidence.PerRecord, or None)."""
    return {"diversity_metric": DIVERSITY, "shift_metrics": list(SHIFTS), "min_sets": MIN_SETS, "level": level,
            "groups": [_group(rows, losses, resamples=resamples, seed=seed, level=level) for rows in set_groups(results)]}


def format_plane(group: dict[str, Any]) -> str:
    """One line for ``synthdiv run``: the verdict and both coefficients, or why there is no fit."""
    where = f"diversity–shift plane, {group['model']}" + (f" n={group['size_asked']:g}" if group.get("size_asked") else "")
    fit = group.get("fit")
    if fit is None:
        return f"{where}: no fit ({group.get('skipped')})"
    c = fit["coefficients"]
    parts = [f"{name} {c[name]['estimate']:+.4f} [{c[name]['ci_low']:+.4f}, {c[name]['ci_high']:+.4f}]" for name in ("diversity", "shift")]
    return f"{where}: {fit.get('reading', fit['verdict'])} ({fit['sets']} sets; loss per sd of {', '.join(parts)}; r = {fit['correlation']:+.2f})"
