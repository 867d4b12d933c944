"""Is there a trend? Spearman rank correlation along an ordered axis, with a bootstrap interval.

The paper's claims are trends: test loss falls as diversity rises, or rises with
the share of generated data. :func:`rank_trend` measures one as Spearman's rho
between the ordinal x (the diversity level index D0 < D1 < ..., or the mixing
ratio) and y (a test loss, or a measured diversity), and says whether the
direction is resolved: the interval of rho over bootstrap draws of the y's
excludes 0.

Draws for test losses come from :func:`loss_draws`: the k models' losses
recomputed on the same resampled test records, so the points of one draw share
their records, as the models share their test set.

Ties get average ranks (as ``scipy.stats.spearmanr``): equal x's (several models
at one ratio) or equal y's count as half above, half below each other. A draw
whose y's are all equal has no defined rho; it counts as rho = 0 (no trend),
which can only widen the interval toward "not resolved", and is counted in
``undefined_draws``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from synthdiv.errors import UserError
from synthdiv.stats.bootstrap_settings import check_settings
from synthdiv.stats.uncertainty import LEVEL, RESAMPLES, SEED, index_blocks, percentile_interval, resampled_sums

INCREASING, DECREASING, NOT_RESOLVED = "increasing", "decreasing", "not resolved"


@dataclass(frozen=True)
class Trend:
    """Spearman's rho of y against x (-1 … 1) at the point estimates, the percentile
    interval of rho over ``draws`` bootstrap draws of the y's, and the verdict:
    "increasing" (ci_low > 0), "decreasing" (ci_high < 0) or "not resolved".
    With two points rho is ±1; the interval then says only whether their order is stable."""

    rho: float
    ci_low: float
    ci_high: float
    n_points: int
    direction: str
    draws: int
    level: float = LEVEL
    undefined_draws: int = 0


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..k along the last axis, ties sharing their average rank. Pairwise
    comparison (k x k per row) is exact and fast for the handful of points a trend has."""
    v = np.asarray(values, dtype=np.float64)
    below = (v[..., None, :] < v[..., :, None]).sum(axis=-1)
    equal = (v[..., None, :] == v[..., :, None]).sum(axis=-1)  # includes the value itself
    return below + (equal + 1) / 2.0


def spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's rho of ``x`` (k,) with each row of ``y`` (rows, k); NaN where a row is constant."""
    rx = average_ranks(x)
    ry = average_ranks(np.atleast_2d(y))
    rx = rx - rx.mean()
    ry = ry - ry.mean(axis=1, keepdims=True)
    denom = np.sqrt((rx * rx).sum()) * np.sqrt((ry * ry).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, (ry @ rx) / np.where(denom > 0, denom, 1.0), np.nan)


def rank_trend(x: Sequence[float], estimates: Sequence[float], draws, *, level: float = LEVEL) -> Trend:
    """Trend of ``estimates`` (one y per x) along ``x``; ``draws`` (B, k): bootstrap draws
    of the y's, column j for point j (e.g. :func:`loss_draws`)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(estimates, dtype=np.float64)
    draws = np.asarray(draws, dtype=np.float64)
    check_settings(1, level)  # the level only; the draws are checked below
    if x.ndim != 1 or x.shape != y.shape:
        raise UserError(f"x and the estimates must be equal-length lists (got {x.shape} and {y.shape})", where="trend")
    if x.size < 2:
        raise UserError("a trend needs at least two points", where="trend")
    if np.unique(x).size < 2:
        raise UserError("every point has the same x; a trend needs at least two distinct x values", where="trend")
    if draws.ndim != 2 or draws.shape[1] != x.size or draws.shape[0] < 1:
        raise UserError(f"draws must be shaped (resamples, {x.size}) (got {draws.shape})", where="trend")
    rho = spearman_rows(x, y[None, :])[0]
    per_draw = spearman_rows(x, draws)
    undefined = int(np.isnan(per_draw).sum())
    per_draw = np.nan_to_num(per_draw, nan=0.0)
    lo, hi = percentile_interval(per_draw, level)
    direction = INCREASING if lo > 0 else DECREASING if hi < 0 else NOT_RESOLVED
    return Trend(float(np.nan_to_num(rho)), lo, hi, int(x.size), direction, int(draws.shape[0]), level, undefined)


def loss_draws(nll: Sequence, tokens, *, resamples: int = RESAMPLES, seed: int = SEED) -> np.ndarray:
    """(resamples, k) bootstrap draws of the test losses of k models on the same test records:
    each row resamples the records once and recomputes every model's sum(nll*)/sum(tokens*).

    ``nll``: k per-record nll arrays in the same record order; ``tokens``: one token-count
    array shared by all (same tokenizer), or k arrays (models with different tokenizers)."""
    check_settings(resamples, LEVEL, seed)  # the count and the seed; draws have no level
    if len(nll) == 0:
        raise UserError("give the per-record nll of at least one model", where="trend")
    per_model_tokens = isinstance(tokens, (list, tuple)) or np.ndim(tokens) == 2
    token_cols = [np.asarray(t, dtype=np.float64) for t in tokens] if per_model_tokens else [np.asarray(tokens, dtype=np.float64)] * len(nll)
    if len(token_cols) != len(nll):
        raise UserError(f"{len(nll)} models but {len(token_cols)} token arrays", where="trend")
    nll_cols = [np.asarray(v, dtype=np.float64) for v in nll]
    n = nll_cols[0].size
    if n == 0 or any(c.shape != (n,) for c in nll_cols + token_cols) or any((t <= 0).any() for t in token_cols):
        raise UserError("every model needs one nll and a positive token count per record, on the same records", where="trend")
    k = len(nll_cols)
    columns = np.column_stack(nll_cols + token_cols)
    rng = np.random.Generator(np.random.PCG64(seed))
    out = np.empty((resamples, k))
    filled = 0
    for idx in index_blocks(rng, n, resamples):
        sums = resampled_sums(idx, columns)
        out[filled : filled + len(idx)] = sums[:, :k] / sums[:, k:]
        filled += len(idx)
    return out
