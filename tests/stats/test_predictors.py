"""Which measured property predicts the test loss: each statistic against a direct computation, a planted
predictor found among noise, the rules that keep few sets a lead, seeds, and the report's table."""

import itertools
import json

import numpy as np
import pytest
from scipy import stats

from synthdiv.stats.evidence import PerRecord
from synthdiv.stats.predictors import (
    SETS_FOR_A_RESULT, format_predictors, holm, loo_rmse, permutation_p, predictors, spearman_pairs,
)

RECORDS, TOKENS = 200, 10.0


def test_spearman_matches_scipy_with_ties():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 4, (20, 7)).astype(float)  # ties on purpose
    y = rng.normal(size=(20, 7))
    expected = [stats.spearmanr(a, b).statistic for a, b in zip(x, y)]
    got = spearman_pairs(x, y)
    assert np.allclose(np.nan_to_num(expected), got)


def test_the_exact_permutation_p_value_counts_every_order():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    y = np.array([0.1, 0.3, 0.2, 0.5, 0.9])
    observed = abs(stats.spearmanr(x, y).statistic)
    orders = list(itertools.permutations(y))
    expected = sum(abs(stats.spearmanr(x, o).statistic) >= observed - 1e-12 for o in orders) / len(orders)
    assert permutation_p(x, y) == pytest.approx(expected)
    assert permutation_p(x, x) == pytest.approx(2 / 120)  # a perfect order: it and its reverse of 5! orders
    big = np.arange(10.0)
    assert permutation_p(big, big) == pytest.approx(1 / 10_001)  # sampled: only the observed order reaches it


def test_holm_steps_down_and_keeps_the_order():
    assert holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])


def test_leave_one_out_errors_match_refitting_each_time():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=8), rng.normal(size=8)
    line, mean = [], []
    for i in range(8):
        keep = np.arange(8) != i
        slope, intercept = np.polyfit(x[keep], y[keep], 1)
        line.append(slope * x[i] + intercept - y[i])
        mean.append(y[keep].mean() - y[i])
    rmse, rmse_mean = loo_rmse(x[None], y[None])
    assert rmse[0] == pytest.approx(np.sqrt(np.mean(np.square(line))))
    assert rmse_mean[0] == pytest.approx(np.sqrt(np.mean(np.square(mean))))


def _sweep(k: int, seeds: int = 1, noise: float = 0.5):
    """k trained sets (and a base model): shift_ngram_js_2 sets the loss, div_self_bleu is unrelated to it."""
    rng = np.random.default_rng(0)
    ids = tuple(f"t{i}" for i in range(RECORDS))
    shift = np.linspace(0.1, 0.8, k)
    rows, losses = [], []
    for j in range(k):
        for s in range(seeds):
            e = rng.normal(0, noise, RECORDS)
            nll = TOKENS * (3.0 + 0.2 * shift[j] + 0.001 * s + e - e.mean())
            losses.append(PerRecord(ids, nll, np.full(RECORDS, TOKENS)))
            rows.append({"dataset": f"set{j}", "role": "generated", "model": "m", "seed": s, "size_asked": None,
                         "test_loss": float(nll.sum() / (TOKENS * RECORDS)), "shift_ngram_js_2": shift[j] + 0.0001 * s,
                         "div_self_bleu": float(rng.permutation(k)[j]), "records": 100})
    rows.append({"dataset": "base", "role": "base", "model": "m", "seed": 0, "test_loss": 5.0})
    losses.append(None)
    return rows, losses


def test_a_planted_predictor_is_found_and_ranked_first_among_properties_that_are_not():
    rows, losses = _sweep(SETS_FOR_A_RESULT)
    (group,) = predictors(rows, losses, resamples=300)["groups"]
    ranking = group["ranking"]
    assert ranking["sets"] == 8 and ranking["seeds"] == 1 and not ranking["lead_only"]
    first = ranking["properties"][0]
    assert first["property"] == "shift_ngram_js_2" and first["resolved"] and first["rho"] == pytest.approx(1.0)
    assert first["p_holm"] == pytest.approx(2 * 2 / 40320)  # two properties; a perfect order is 2 of 8! orders
    assert first["loo_gain"] > 0.9 and first["loo_gain_ci_low"] > 0
    others = {r["property"]: r for r in ranking["properties"][1:]}
    assert set(others) == {"div_self_bleu"} and not others["div_self_bleu"]["resolved"]  # "records" is the same everywhere
    line = format_predictors(group)
    assert line.startswith("predictors of test loss, m: 1 of 2 properties resolved (8 sets, 1 seed); first: shift_ngram_js_2 ρ +1.00")


def test_with_fewer_sets_than_a_result_needs_even_a_perfect_order_is_a_lead():
    rows, losses = _sweep(5)
    ranking = predictors(rows, losses, resamples=200)["groups"][0]["ranking"]
    first = ranking["properties"][0]
    assert ranking["lead_only"] and first["rho"] == pytest.approx(1.0) and first["rho_ci_low"] > 0
    assert first["p_holm"] == pytest.approx(2 * 2 / 120) and first["resolved"]  # 2 of 5! orders, two properties
    assert "a lead, not a result: 5 sets, fewer than the 8" in format_predictors(predictors(rows, losses, resamples=200)["groups"][0])


def test_three_sets_get_no_ranking_and_say_why():
    rows, losses = _sweep(3)
    (group,) = predictors(rows, losses, resamples=50)["groups"]
    assert group["ranking"] is None and group["skipped"].startswith("3 training sets;")
    assert format_predictors(group).endswith("needs at least 4)")


def test_a_set_trained_with_several_seeds_is_one_point_and_its_seeds_are_resampled():
    rows, losses = _sweep(SETS_FOR_A_RESULT, seeds=3)
    ranking = predictors(rows, losses, resamples=200)["groups"][0]["ranking"]
    assert ranking["sets"] == 8 and ranking["seeds"] == 3
    assert ranking["properties"][0]["property"] == "shift_ngram_js_2"


def test_missing_per_record_losses_give_no_interval_and_say_so():
    rows, losses = _sweep(6)
    losses[0] = None
    (group,) = predictors(rows, losses, resamples=50)["groups"]
    assert group["ranking"] is None and "per-record test losses are missing" in group["skipped"]


def test_the_report_table_ranks_them_and_reads_few_sets_as_leads(tmp_path):
    from synthdiv.experiments import layout
    from synthdiv.reports.predictors import table_predictors
    from synthdiv.reports.rundir import RunData

    rows, losses = _sweep(SETS_FOR_A_RESULT)
    (tmp_path / layout.PREDICTORS).write_text(json.dumps(predictors(rows, losses, resamples=200)))
    table = table_predictors(RunData(tmp_path, {}, None, None))
    assert [r[2] for r in table.rows] == ["2-gram Jensen-Shannon divergence (bits)", "self-BLEU-4 (higher = records more alike)"]
    assert table.rows[0][-1] == "predicts: more of it, higher loss" and table.rows[1][-1] == "not resolved"
    assert "8 sets" in table.note
