"""diverse: the farthest-point order on a known configuration, the lazy loop equals the
textbook one, and the subset is more diverse (Vendi) than a random draw."""

from __future__ import annotations

import math

import numpy as np
import pytest

from synthdiv.metrics.embedding import vendi_score
from synthdiv.selection.diverse import farthest_point_order, min_pairwise_cosine_distance
from synthdiv.selection.settings import SelectionSettings
from synthdiv.selection.strategies import SelectionInput, select_diverse, select_random


def textbook_farthest_point(x: np.ndarray, n: int, first: int) -> list[int]:
    """The plain loop: after each pick, every distance is recomputed (float64)."""
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    picks = [first]
    nearest = 1.0 - u @ u[first]
    for _ in range(1, n):
        nearest[picks] = -np.inf
        picks.append(int(np.argmax(nearest)))
        nearest = np.minimum(nearest, 1.0 - u @ u[picks[-1]])
    return picks


def test_known_order_on_a_circle():
    angles = np.radians([0, 10, 90, 180, 185, 270])
    x = np.c_[np.cos(angles), np.sin(angles)] * np.array([[3.0], [1], [2], [1], [5], [1]])  # length is ignored
    picks, scores = farthest_point_order(x, 6, first=0)
    # 180 is opposite 0; 90 and 270 tie at distance 1 (the lower index first); then 10, then 185
    assert picks.tolist() == [0, 3, 2, 5, 1, 4]
    assert math.isnan(scores[0])
    np.testing.assert_allclose(scores[1:], [2.0, 1.0, 1.0, 1 - math.cos(math.radians(10)), 1 - math.cos(math.radians(5))], atol=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lazy_loop_equals_the_textbook_loop(seed):
    x = np.random.default_rng(seed).standard_normal((600, 8))
    picks, scores = farthest_point_order(x, 120, first=seed)
    assert picks.tolist() == textbook_farthest_point(x, 120, first=seed)
    assert np.all(np.diff(scores[1:]) <= 1e-6)  # never rises
    assert scores[-1] == pytest.approx(min_pairwise_cosine_distance(x[picks]), abs=1e-5)


def test_min_pairwise_distance_known_answer():
    x = np.array([[1.0, 0], [0, 1], [-1, 0], [1, 0.1]])
    assert min_pairwise_cosine_distance(x) == pytest.approx(1 - 1 / math.sqrt(1.01), abs=1e-6)
    assert min_pairwise_cosine_distance(x, block=1) == pytest.approx(1 - 1 / math.sqrt(1.01), abs=1e-6)


def test_diverse_beats_random_on_vendi(clustered, pool_texts):
    pool, _ = clustered
    for seed in (0, 1):
        inp = SelectionInput(texts=pool_texts, n=100, settings=SelectionSettings(seed=seed), pool_embeddings=pool)
        diverse = select_diverse(inp).indices
        random = select_random(inp).indices
        assert diverse[0] == random[0]  # starts where random starts
        assert vendi_score(pool[diverse]) > 1.15 * vendi_score(pool[random])
        assert min_pairwise_cosine_distance(pool[diverse]) > min_pairwise_cosine_distance(pool[random])


def test_picking_the_whole_pool_or_one_record():
    x = np.random.default_rng(5).standard_normal((40, 6))
    picks, scores = farthest_point_order(x, 40, first=7)
    assert sorted(picks.tolist()) == list(range(40)) and picks[0] == 7
    one, one_score = farthest_point_order(x, 1, first=3)
    assert one.tolist() == [3] and math.isnan(one_score[0])
    with pytest.raises(ValueError, match="cannot pick 41 of 40 rows"):
        farthest_point_order(x, 41)
