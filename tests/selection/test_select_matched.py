"""matched and matched-diverse on a pool of near and far clusters: matched keeps the near ones and
is less shifted than a random draw by the project's own shift metrics; the weight moves between
matched and diverse."""

from __future__ import annotations

import numpy as np
import pytest

from synthdiv.errors import UserError
from synthdiv.metrics.embedding import vendi_score
from synthdiv.metrics.shift_embedding import classifier_auc, frechet_distance
from synthdiv.selection.matched import log_density_ratio, resampling_keys, top_by_key
from synthdiv.selection.settings import SelectionSettings
from synthdiv.selection.strategies import SelectionInput, select_diverse, select_matched, select_matched_diverse, select_random

NEAR = 400


def test_keys_sample_in_proportion_to_the_weights():
    """One draw from weights (1, 9): record 1 wins in 90 % of seeds (2000 seeds: sd 0.0067)."""
    wins = [top_by_key(resampling_keys(np.log([1.0, 9.0]), seed), 1)[0] for seed in range(2000)]
    assert np.mean(wins) == pytest.approx(0.9, abs=0.02)


def test_equal_weights_are_a_uniform_draw():
    """Without replacement, 2 of 4 equal weights: each record is in the sample half the time."""
    counts = np.zeros(4)
    for seed in range(2000):
        counts[top_by_key(resampling_keys(np.zeros(4), seed), 2)] += 1
    np.testing.assert_allclose(counts / 2000, 0.5, atol=0.03)


def test_top_by_key_breaks_ties_by_index():
    assert top_by_key(np.array([-1.0, -0.5, -0.5, -2.0]), 3).tolist() == [1, 2, 0]


def test_density_ratio_ranks_near_above_far(clustered):
    pool, real = clustered
    ratio = log_density_ratio(pool, real)
    assert ratio[:NEAR].min() > ratio[NEAR:].max()  # every near record outweighs every far one
    assert ratio[:NEAR].mean() - ratio[NEAR:].mean() > 3  # e^3 = 20 times the weight on average
    assert np.all(np.abs(ratio) <= 10.0)  # clipped


def _input(clustered, pool_texts, n=200, **settings):
    pool, real = clustered
    return SelectionInput(texts=pool_texts, n=n, settings=SelectionSettings(**settings), pool_embeddings=pool, real_embeddings=real)


def _shift(clustered, indices):
    pool, real = clustered
    auc = classifier_auc(real, pool[indices])["classifier_auc"]
    return frechet_distance(real, pool[indices]), abs(auc - 0.5)


@pytest.mark.parametrize("seed", [0, 1])
def test_matched_is_less_shifted_than_random(clustered, pool_texts, seed):
    inp = _input(clustered, pool_texts, seed=seed)
    matched, random = select_matched(inp), select_random(inp)
    assert np.mean(matched.indices < NEAR) >= 0.95  # random: about one half
    assert np.mean(random.indices < NEAR) < 0.65
    fd_matched, auc_gap_matched = _shift(clustered, matched.indices)
    fd_random, auc_gap_random = _shift(clustered, random.indices)
    assert fd_matched < 0.2 * fd_random
    assert auc_gap_matched < auc_gap_random - 0.05
    assert np.all(np.diff(matched.scores) <= 0)  # rank order = key order
    assert matched.per_record["log_density_ratio"].shape == (200,)


def test_weight_zero_is_matched_and_one_is_diverse(clustered, pool_texts):
    matched = select_matched(_input(clustered, pool_texts)).indices
    diverse = select_diverse(_input(clustered, pool_texts)).indices
    at_zero = select_matched_diverse(_input(clustered, pool_texts, weight=0.0))
    at_one = select_matched_diverse(_input(clustered, pool_texts, weight=1.0))
    assert set(at_zero.indices.tolist()) == set(matched.tolist()) and at_zero.info["eligible"] == 200
    assert at_one.indices.tolist() == diverse.tolist() and at_one.info["eligible"] == 800


def test_weight_trades_shift_for_diversity(clustered, pool_texts):
    pool, real = clustered
    rows = []
    for weight in (0.0, 0.25, 0.5, 1.0):
        picked = select_matched_diverse(_input(clustered, pool_texts, weight=weight))
        # eligible = 200 + weight * 600, rounded half up
        assert picked.info["eligible"] == {0.0: 200, 0.25: 350, 0.5: 500, 1.0: 800}[weight]
        rows.append((np.mean(picked.indices < NEAR), frechet_distance(real, pool[picked.indices]), vendi_score(pool[picked.indices])))
    near, fd, vendi = map(np.array, zip(*rows))
    assert np.all(np.diff(near) <= 0) and np.all(np.diff(fd) >= 0) and np.all(np.diff(vendi) >= 0)
    assert vendi[-1] > 1.5 * vendi[0] and fd[-1] > 10 * fd[0]


def test_matching_needs_two_real_rows(clustered, pool_texts):
    pool, real = clustered
    inp = SelectionInput(texts=pool_texts, n=10, pool_embeddings=pool, real_embeddings=real[:1])
    with pytest.raises(UserError, match="at least two real records"):
        select_matched(inp)
