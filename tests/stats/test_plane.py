"""The diversity–shift plane: a known regression recovered with intervals, the verdict, the refusals."""

import numpy as np
import pytest

from synthdiv.stats.evidence import PerRecord
from synthdiv.stats.plane import BOTH_EXPLAIN, DIVERSITY_EXPLAINS, NEITHER, SHIFT_EXPLAINS, fit_plane, format_plane, plane, verdict

DIV = np.array([2.0, 2.5, 3.0, 3.5, 2.2, 3.1])
SHIFT = np.array([0.10, 0.50, 0.20, 0.60, 0.40, 0.05])
RECORDS, TOKENS = 300, 10.0


def z(v):
    return (v - v.mean()) / v.std(ddof=1)


def sets(a: float, b: float, noise: float = 0.3, k: int = len(DIV)):
    """Results rows and per-record losses whose test losses are exactly 3 + a·z(div) + b·z(shift):
    each set's record noise is centred, so it moves the bootstrap draws, not the estimate."""
    rng = np.random.default_rng(0)
    loss = 3.0 + a * z(DIV[:k]) + b * z(SHIFT[:k]) if k > 1 else np.array([3.0] * k)
    rows, losses = [], []
    ids = tuple(f"t{i}" for i in range(RECORDS))
    for j in range(k):
        e = rng.normal(0, noise, RECORDS)
        nll = TOKENS * (loss[j] + e - e.mean())
        losses.append(PerRecord(ids, nll, np.full(RECORDS, TOKENS)))
        rows.append({"dataset": f"set{j}", "role": "selected", "model": "m", "seed": 0, "size_asked": None,
                     "test_loss": float(nll.sum() / (TOKENS * RECORDS)), "div_matched_ngram_diversity_score": DIV[j],
                     "div_matched_ci_low": DIV[j] - 0.1, "div_matched_ci_high": DIV[j] + 0.1,
                     "shift_ngram_js_2": SHIFT[j]})
    rows.append({"dataset": "base", "role": "base", "model": "m", "seed": 0, "test_loss": 5.0})
    losses.append(None)
    return rows, losses


def test_a_known_regression_is_recovered_with_intervals_that_cover_it():
    rows, losses = sets(a=-0.2, b=0.1)
    out = plane(rows, losses, resamples=500)
    (group,) = out["groups"]
    assert group["shift_metric"] == "shift_ngram_js_2" and group["skipped"] is None and len(group["points"]) == 6
    fit = group["fit"]
    for name, true in (("intercept", 3.0), ("diversity", -0.2), ("shift", 0.1)):
        c = fit["coefficients"][name]
        assert c["estimate"] == pytest.approx(true, abs=1e-9)
        assert c["ci_low"] < true < c["ci_high"] and c["ci_high"] - c["ci_low"] < 0.1
    assert fit["coefficients"]["diversity"]["sd"] == pytest.approx(DIV.std(ddof=1))
    assert fit["r2"] == pytest.approx(1.0) and fit["sets"] == 6 and fit["resamples"] == 500
    assert fit["correlation"] == pytest.approx(np.corrcoef(DIV, SHIFT)[0, 1])
    assert fit["verdict"] == BOTH_EXPLAIN
    c = fit["coefficients"]
    assert format_plane(group) == (f"diversity–shift plane, m: both explain the test loss (6 sets; loss per sd of diversity "
                                   f"-0.2000 [{c['diversity']['ci_low']:+.4f}, {c['diversity']['ci_high']:+.4f}], shift +0.1000 "
                                   f"[{c['shift']['ci_low']:+.4f}, {c['shift']['ci_high']:+.4f}]; r = {fit['correlation']:+.2f})")


@pytest.mark.parametrize("a, b, expected", [(-0.2, 0.0, DIVERSITY_EXPLAINS), (0.0, 0.15, SHIFT_EXPLAINS), (0.0, 0.0, NEITHER)])
def test_the_verdict_names_the_coefficients_whose_interval_excludes_zero(a, b, expected):
    rows, losses = sets(a, b)
    assert plane(rows, losses, resamples=500)["groups"][0]["fit"]["verdict"] == expected


def test_verdict_logic():
    assert verdict((-0.3, -0.1), (-0.05, 0.02)) == DIVERSITY_EXPLAINS
    assert verdict((-0.05, 0.02), (0.1, 0.3)) == SHIFT_EXPLAINS
    assert verdict((0.1, 0.2), (0.1, 0.3)) == BOTH_EXPLAIN
    assert verdict((0.0, 0.2), (-0.1, 0.0)) == NEITHER  # an end at 0 does not exclude it


def test_fewer_than_four_sets_are_not_fitted_and_say_why():
    rows, losses = sets(a=-0.2, b=0.1, k=3)
    (group,) = plane(rows, losses, resamples=200)["groups"]
    assert group["fit"] is None and len(group["points"]) == 3
    assert group["skipped"] == "3 sets; the regression on diversity and shift needs at least 4"
    assert format_plane(group) == "diversity–shift plane, m: no fit (3 sets; the regression on diversity and shift needs at least 4)"


def test_the_embedding_shift_is_preferred_and_missing_values_leave_a_set_out():
    rows, losses = sets(a=-0.2, b=0.1)
    for r in rows[:-1]:
        r["shift_embedding_frechet_distance"] = 2 * r["shift_ngram_js_2"]
    rows[0]["div_matched_ngram_diversity_score"] = None
    (group,) = plane(rows, losses, resamples=200)["groups"]
    assert group["shift_metric"] == "shift_embedding_frechet_distance" and group["left_out"] == ["set0"]
    assert group["points"][0]["shift"] == pytest.approx(2 * SHIFT[1]) and group["fit"]["sets"] == 5


def test_no_per_record_losses_no_fit():
    rows, losses = sets(a=-0.2, b=0.1)
    losses[2] = None
    assert "per-record" in plane(rows, losses, resamples=200)["groups"][0]["skipped"]


def test_collinear_sets_are_refused():
    from synthdiv.stats.plane import NoFit

    with pytest.raises(NoFit, match="perfectly correlated"):
        fit_plane(DIV, 2 * DIV, DIV, np.tile(DIV, (10, 1)))
    with pytest.raises(NoFit, match="the shift is the same"):
        fit_plane(DIV, np.ones(6), DIV, np.tile(DIV, (10, 1)))


@pytest.mark.parametrize(("sets", "r", "verdict_", "expected"), [
    (8, 0.2, SHIFT_EXPLAINS, SHIFT_EXPLAINS),
    (8, -0.94, SHIFT_EXPLAINS, "a lead, not a result: shift explains the test loss (diversity and shift correlate at r = -0.94 "
                                "across the sets, so they cannot be separated)"),
    (4, 0.1, DIVERSITY_EXPLAINS, "a lead, not a result: diversity explains the test loss (4 sets, fewer than the 6 a result needs)"),
    (4, 0.95, NEITHER, NEITHER),  # nothing resolved needs no qualifier
])
def test_a_fit_that_cannot_separate_diversity_from_shift_is_read_as_a_lead(sets, r, verdict_, expected):
    from synthdiv.stats.plane import format_plane, reading

    fit = {"sets": sets, "correlation": r, "verdict": verdict_}
    assert reading(fit) == expected
    coefficient = {"estimate": 0.1, "ci_low": 0.05, "ci_high": 0.2}
    line = format_plane({"model": "m", "fit": {**fit, "reading": reading(fit), "coefficients": {"diversity": coefficient, "shift": coefficient}}})
    assert line.startswith(f"diversity–shift plane, m: {expected} ({sets} sets;")
