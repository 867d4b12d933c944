"""Bootstrap intervals and paired tests of test losses, against exact enumeration,
loop references on the same RNG stream, scipy, and known truths (calibration)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from synthdiv.errors import UserError
from synthdiv.evaluation.per_record import align_per_record
from synthdiv.stats.bootstrap_settings import DEFAULTS, BootstrapSettings
from synthdiv.stats.trends import loss_draws
from synthdiv.stats.uncertainty import (
    BLOCK_ROWS,
    loss_interval,
    paired_difference,
    seed_mean_interval,
    seed_paired_difference,
)

# Dyadic nll (multiples of 1/8) and whole token counts: every sum is exact in float64 in any
# order, so the vectorised estimator and a Python loop on the same draws agree bit for bit.
NLL = np.array([3.125, 0.5, 7.75, 2.0, 4.375, 1.25, 9.5])
TOK = np.array([3.0, 1.0, 6.0, 2.0, 4.0, 2.0, 7.0])


def _rng(seed):
    return np.random.Generator(np.random.PCG64(seed))


def _loop_draws(seed, resamples, n, statistic, seeds=1):
    """The documented stream, one resample at a time: blocks of BLOCK_ROWS index rows,
    then (several seeds) one seed row per resample of the block."""
    rng, out = _rng(seed), []
    for start in range(0, resamples, BLOCK_ROWS):
        idx = rng.integers(0, n, size=(min(BLOCK_ROWS, resamples - start), n))
        picks = rng.integers(0, seeds, size=(len(idx), seeds)) if seeds > 1 else [[0]] * len(idx)
        for row, pick in zip(idx, picks):
            per_seed = [statistic(row, s) for s in range(seeds)]
            out.append(sum(per_seed[p] for p in pick) / seeds)
    return np.array(out)


def _ratio(nll, tok):
    return lambda row, _s: sum(nll[i] for i in row) / sum(tok[i] for i in row)


def _quantiles(draws, level=0.95):
    return tuple(np.quantile(draws, [(1 - level) / 2, (1 + level) / 2]))


def test_loss_interval_matches_a_loop_on_the_same_stream_exactly():
    resamples = BLOCK_ROWS * 2 + 37  # crosses block boundaries
    draws = _loop_draws(5, resamples, NLL.size, _ratio(NLL, TOK))
    got = loss_interval(NLL, TOK, resamples=resamples, seed=5, level=0.9)
    assert (got.ci_low, got.ci_high) == _quantiles(draws, 0.9)
    assert got.estimate == NLL.sum() / TOK.sum()
    assert (got.records, got.resamples, got.seed, got.seeds) == (7, resamples, 5, 1)
    assert loss_interval(NLL, TOK, resamples=resamples, seed=5, level=0.9) == got  # deterministic
    assert np.array_equal(loss_draws([NLL], TOK, resamples=resamples, seed=5)[:, 0], draws)


def test_bootstrap_distribution_matches_exact_enumeration_of_all_n_to_the_n_resamples():
    nll, tok = NLL[:4], TOK[:4]
    exact = np.array([nll[list(r)].sum() / tok[list(r)].sum() for r in itertools.product(range(4), repeat=4)])
    draws = loss_draws([nll], tok, resamples=40_000, seed=1)[:, 0]
    # Mean: Monte Carlo error sd/sqrt(B).
    assert draws.mean() == pytest.approx(exact.mean(), abs=4 * exact.std() / np.sqrt(draws.size))
    # Quantiles of a discrete distribution: the estimate lies between the exact quantiles a
    # Monte Carlo error (4 sd of a binomial share) either side.
    got = loss_interval(nll, tok, resamples=40_000, seed=1)
    slack = 4 * np.sqrt(0.025 * 0.975 / 40_000)
    for q, value in ((0.025, got.ci_low), (0.975, got.ci_high)):
        assert np.quantile(exact, q - slack) - 1e-12 <= value <= np.quantile(exact, q + slack) + 1e-12
    # And every resampled value is one the enumeration holds.
    assert np.isin(np.round(draws, 12), np.round(exact, 12)).all()


def test_paired_difference_matches_a_loop_and_its_p_value_definition():
    b = NLL + np.array([0.25, -0.125, 0.5, 0.0, 0.375, 0.125, -0.25])
    resamples = 300
    draws = _loop_draws(2, resamples, NLL.size, lambda r, s: _ratio(b, TOK)(r, s) - _ratio(NLL, TOK)(r, s))
    got = paired_difference(NLL, TOK, b, TOK, resamples=resamples, seed=2)
    delta = b.sum() / TOK.sum() - NLL.sum() / TOK.sum()
    assert got.delta == delta and (got.ci_low, got.ci_high) == _quantiles(draws)
    assert got.p_value == (1 + np.sum(np.abs(draws - delta) >= abs(delta))) / (resamples + 1)
    assert (got.a_loss, got.b_loss, got.pairs) == (NLL.sum() / TOK.sum(), b.sum() / TOK.sum(), 7)


def test_p_value_is_never_zero_and_is_one_for_identical_models():
    same = paired_difference(NLL, TOK, NLL, TOK, resamples=500)
    assert (same.delta, same.ci_low, same.ci_high, same.p_value) == (0.0, 0.0, 0.0, 1.0)
    far = paired_difference(NLL, TOK, NLL + TOK, TOK, resamples=500)  # every record 1 nat/token worse
    assert far.delta == pytest.approx(1.0) and far.p_value == 1 / 501 and far.p_at_floor
    assert not same.p_at_floor


def test_pairing_cancels_the_shared_record_difficulty():
    rng = np.random.default_rng(3)
    tok = rng.integers(5, 40, 400).astype(float)
    a = tok * rng.gamma(2.0, 1.0, 400)  # records differ a lot in difficulty
    b = a + tok * rng.normal(0.02, 0.05, 400)  # B: the same records, slightly worse
    paired = paired_difference(a, tok, b, tok)
    ia, ib = loss_interval(a, tok), loss_interval(b, tok)
    unpaired_width = np.hypot(ia.ci_high - ia.ci_low, ib.ci_high - ib.ci_low)
    assert (paired.ci_high - paired.ci_low) < 0.05 * unpaired_width
    assert paired.ci_low > 0  # the paired test resolves what overlapping intervals would hide
    assert ia.ci_high > ib.ci_low


def test_calibration_coverage_and_null_rejection():
    """Records drawn from a model with known population loss and difference: the 95 %
    intervals cover the truth ≈ 95 % of the time and the test rejects ≈ 5 % under the null."""
    replications, n, mu, true_delta = 300, 150, 2.0, 0.05
    covered_loss = covered_delta = rejected_null = 0
    for r in range(replications):
        rng = np.random.default_rng(1000 + r)
        tok = 1.0 + rng.poisson(20, n)
        difficulty = rng.normal(0.0, 0.6, n)  # shared by both models
        a = tok * (mu + difficulty + rng.normal(0, 0.3, n))
        b = tok * (mu + true_delta + difficulty + rng.normal(0, 0.3, n))
        b_null = tok * (mu + difficulty + rng.normal(0, 0.3, n))
        li = loss_interval(a, tok, resamples=400, seed=r)
        d = paired_difference(a, tok, b, tok, resamples=400, seed=r)
        d0 = paired_difference(a, tok, b_null, tok, resamples=400, seed=r)
        covered_loss += li.ci_low <= mu <= li.ci_high
        covered_delta += d.ci_low <= true_delta <= d.ci_high
        rejected_null += d0.p_value < 0.05
    tol = 3 * np.sqrt(0.95 * 0.05 / replications)  # three binomial standard errors
    assert abs(covered_loss / replications - 0.95) <= tol
    assert abs(covered_delta / replications - 0.95) <= tol
    assert abs(rejected_null / replications - 0.05) <= tol


def test_one_seed_reduces_to_the_single_model_estimators_exactly():
    b = NLL * 1.25
    assert seed_mean_interval([NLL], TOK, resamples=700, seed=4) == loss_interval(NLL, TOK, resamples=700, seed=4)
    assert seed_paired_difference([NLL], [b], TOK, resamples=700, seed=4) == paired_difference(NLL, TOK, b, TOK, resamples=700, seed=4)


def test_seed_bootstrap_matches_a_loop_on_the_same_stream():
    per_seed = [NLL, NLL[::-1] * 0.5, NLL + 1.0]
    resamples = BLOCK_ROWS + 20
    draws = _loop_draws(9, resamples, NLL.size, lambda row, s: _ratio(per_seed[s], TOK)(row, s), seeds=3)
    got = seed_mean_interval(per_seed, TOK, resamples=resamples, seed=9)
    assert (got.ci_low, got.ci_high) == pytest.approx(_quantiles(draws), rel=1e-14)
    assert got.estimate == pytest.approx(np.mean([s.sum() / TOK.sum() for s in per_seed]), rel=1e-15)
    assert got.seeds == 3


def test_seed_bootstrap_without_record_noise_equals_scipy_on_the_seed_means():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    tok = rng.integers(3, 30, 50).astype(float)
    seed_losses = rng.normal(2.0, 0.1, 10)
    per_seed = [tok * loss for loss in seed_losses]  # every record has its seed's loss: records add nothing
    ours = seed_mean_interval(per_seed, tok, resamples=20_000, seed=1)
    ref = stats.bootstrap((seed_losses,), np.mean, n_resamples=20_000, method="percentile", rng=np.random.default_rng(2))
    assert ours.estimate == pytest.approx(seed_losses.mean(), rel=1e-12)
    assert ours.ci_low == pytest.approx(ref.confidence_interval.low, abs=0.004)
    assert ours.ci_high == pytest.approx(ref.confidence_interval.high, abs=0.004)
    # Paired: seed i of A with seed i of B; the bootstrap is that of the per-seed differences.
    deltas = rng.normal(0.05, 0.02, 10)
    b_per_seed = [tok * (loss + d) for loss, d in zip(seed_losses, deltas)]
    paired = seed_paired_difference(per_seed, b_per_seed, tok, resamples=20_000, seed=1)
    ref_d = stats.bootstrap((deltas,), np.mean, n_resamples=20_000, method="percentile", rng=np.random.default_rng(2))
    assert paired.delta == pytest.approx(deltas.mean(), rel=1e-10) and paired.seeds == 10
    assert paired.ci_low == pytest.approx(ref_d.confidence_interval.low, abs=0.001)
    assert paired.ci_high == pytest.approx(ref_d.confidence_interval.high, abs=0.001)


def test_align_per_record_pairs_by_id_in_a_order():
    a = [{"id": "x", "nll": 1.0, "tokens": 2}, {"id": "y", "nll": 3.0, "tokens": 4}]
    b = [{"id": "y", "nll": 5.0, "tokens": 4}, {"id": "x", "nll": 6.0, "tokens": 3}]
    got = align_per_record(a, b, "a.jsonl", "b.jsonl")
    assert got.ids == ["x", "y"]
    assert got.b_nll.tolist() == [6.0, 5.0] and got.b_tokens.tolist() == [3.0, 4.0] and got.a_nll.tolist() == [1.0, 3.0]


@pytest.mark.parametrize(
    ("a_ids", "b_ids", "message"),
    [
        (["x", "y", "z"], ["x", "y"], "b.jsonl: record id 'z' of a.jsonl is missing"),
        (["x", "y"], ["x", "w", "y"], "a.jsonl: record id 'w' of b.jsonl is missing"),
        (["x", "x"], ["x"], "a.jsonl: record id 'x' appears twice"),
        (["x"], ["x", "x"], "b.jsonl: record id 'x' appears twice"),
    ],
)
def test_align_per_record_refuses_different_or_duplicate_ids(a_ids, b_ids, message):
    rows = lambda ids: [{"id": i, "nll": 1.0, "tokens": 1} for i in ids]  # noqa: E731
    with pytest.raises(UserError) as exc:
        align_per_record(rows(a_ids), rows(b_ids), "a.jsonl", "b.jsonl")
    assert str(exc.value).startswith(message)


def test_bad_settings_and_arrays_are_user_errors():
    with pytest.raises(UserError, match="--resamples"):
        loss_interval(NLL, TOK, resamples=0)
    with pytest.raises(UserError, match="--confidence"):
        paired_difference(NLL, TOK, NLL, TOK, level=1.5)
    with pytest.raises(UserError, match="--seed"):
        loss_interval(NLL, TOK, seed=-1)
    with pytest.raises(UserError, match="at least one target token"):
        loss_interval(NLL, np.zeros(7))
    with pytest.raises(UserError, match="equal-length"):
        loss_interval(NLL, TOK[:3])
    with pytest.raises(UserError, match="seeds"):
        seed_paired_difference([NLL, NLL], [NLL], TOK)
    with pytest.raises(UserError, match="--resamples"):
        BootstrapSettings(resamples=2.5)
    assert (DEFAULTS.resamples, DEFAULTS.seed, DEFAULTS.level) == (2000, 0, 0.95)
