"""Spearman trend with a bootstrap interval, and loss draws shared across models."""

from __future__ import annotations

import numpy as np
import pytest

from synthdiv.errors import UserError
from synthdiv.stats.trends import average_ranks, loss_draws, rank_trend, spearman_rows
from synthdiv.stats.uncertainty import loss_interval


def test_average_ranks_and_spearman_equal_scipy_with_ties():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, size=(50, 7)).astype(float)  # many ties
    x = np.array([0, 0, 1, 2, 2, 2, 3], dtype=float)  # ties in x too (several models at one ratio)
    assert np.array_equal(average_ranks(y), np.vstack([stats.rankdata(row) for row in y]))
    ours = spearman_rows(x, y)
    for row, rho in zip(y, ours):
        ref = stats.spearmanr(x, row).statistic
        assert (np.isnan(rho) and np.isnan(ref)) or rho == pytest.approx(ref, abs=1e-12)


def test_known_rank_correlations():
    x = [0, 1, 2, 3]
    assert spearman_rows(np.array(x, float), np.array([[1.0, 2, 3, 4], [4.0, 3, 2, 1], [1.0, 3, 2, 4]])).tolist() == pytest.approx([1.0, -1.0, 0.8])


def test_rank_trend_directions():
    rng = np.random.default_rng(1)
    x = np.arange(5)
    falling = np.array([2.5, 2.4, 2.3, 2.2, 2.1])
    tight = falling + rng.normal(0, 0.01, size=(500, 5))
    down = rank_trend(x, falling, tight)
    assert down.rho == pytest.approx(-1.0) and down.direction == "decreasing" and down.ci_high < 0
    assert (down.n_points, down.draws, down.undefined_draws) == (5, 500, 0)
    up = rank_trend(x, falling[::-1], tight[:, ::-1])
    assert up.direction == "increasing" and up.ci_low > 0
    noisy = falling + rng.normal(0, 1.0, size=(500, 5))  # the noise swamps the trend
    assert rank_trend(x, falling, noisy).direction == "not resolved"


def test_constant_draws_count_as_no_trend():
    x = [0, 1, 2]
    draws = np.vstack([np.ones((10, 3)), np.tile([1.0, 2.0, 3.0], (90, 1))])
    t = rank_trend(x, [1.0, 2.0, 3.0], draws)
    assert t.undefined_draws == 10 and t.ci_low == pytest.approx(0.0) and t.direction == "not resolved"


def test_loss_draws_share_the_records_across_models():
    rng = np.random.default_rng(2)
    tok = rng.integers(2, 20, 60).astype(float)
    models = [tok * (2.0 + rng.normal(0, 0.5, 60)) for _ in range(3)]
    draws = loss_draws(models, tok, resamples=300, seed=7)
    assert draws.shape == (300, 3)
    # Each column is that model's bootstrap (same seed, same record indices), up to the
    # rounding of a matrix product with a different number of columns.
    for j, nll in enumerate(models):
        li = loss_interval(nll, tok, resamples=300, seed=7)
        assert (li.ci_low, li.ci_high) == pytest.approx(tuple(np.quantile(draws[:, j], [0.025, 0.975])), rel=1e-14)
    # Shared records: model 1 = model 0 + a constant per token, so every draw keeps the gap.
    draws2 = loss_draws([models[0], models[0] + tok * 0.1], tok, resamples=300, seed=7)
    assert np.allclose(draws2[:, 1] - draws2[:, 0], 0.1)
    per_model_tokens = loss_draws([models[0], models[0]], [tok, tok * 2], resamples=50, seed=0)
    assert np.allclose(per_model_tokens[:, 1], per_model_tokens[:, 0] / 2)


def test_bad_trend_input_is_a_user_error():
    with pytest.raises(UserError, match="two distinct x"):
        rank_trend([1, 1, 1], [1, 2, 3], np.ones((5, 3)))
    with pytest.raises(UserError, match=r"shaped \(resamples, 3\)"):
        rank_trend([0, 1, 2], [1, 2, 3], np.ones((5, 2)))
    with pytest.raises(UserError, match="at least two points"):
        rank_trend([0], [1], np.ones((5, 1)))
