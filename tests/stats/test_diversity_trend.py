"""The size-matched diversity trend across levels: resolved only when the draws carry uncertainty."""

from __future__ import annotations

from synthdiv.stats.sweep_trends import DIVERSITY_VS_LEVEL, diversity_trend


def _row(level, score, draws):
    return {"role": "generated", "seed": 0, "level": level, "div_matched_ngram_diversity_score": score, "div_matched_draw_scores": draws}


def test_sets_of_the_matched_size_give_no_trend_interval():
    rows = [_row("D0", 3.0, [3.0] * 50), _row("D3", 2.9, [2.9] * 50), _row("D6", 2.8, [2.8] * 50)]
    [t] = diversity_trend(rows)
    assert t["trend"] == DIVERSITY_VS_LEVEL and t["rho"] is None
    assert t["direction"] == "not resolved (every set has the matched size, so every draw is the whole set; see ladder.csv)"


def test_draws_that_vary_give_a_rank_trend():
    rows = [_row("D0", 1.0, [0.9 + 0.002 * i for i in range(100)]), _row("D3", 2.0, [1.9 + 0.002 * i for i in range(100)]),
            _row("D6", 3.0, [2.9 + 0.002 * i for i in range(100)])]
    [t] = diversity_trend(rows)
    assert abs(t["rho"] - 1.0) < 1e-9 and t["direction"] == "increasing"
