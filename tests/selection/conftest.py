"""Known-answer fixtures for the selection strategies: embeddings with a planted structure."""

from __future__ import annotations

import numpy as np
import pytest

from selection_helpers import FARM, SPACE, make_stories

NEAR, FAR = 400, 400  # pool rows [0, NEAR) share the real distribution, the rest are off it


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture(scope="session")
def clustered():
    """(pool, real): real = 300 points around 3 directions of a 32-d sphere; pool = 400 points
    of that same distribution followed by 400 around 6 other directions (off-distribution)."""
    rng = np.random.default_rng(0)
    centres = unit(rng.standard_normal((9, 32)))

    def draw(c, m):
        return unit(c[rng.integers(0, len(c), m)] + 0.08 * rng.standard_normal((m, 32)))

    real = draw(centres[:3], 300)
    pool = np.vstack([draw(centres[:3], NEAR), draw(centres[3:], FAR)]).astype(np.float32)
    return pool, real.astype(np.float32)


@pytest.fixture(scope="session")
def pool_texts(clustered) -> list[str]:
    """Placeholder texts, one per pool row (the embedding strategies only count them)."""
    return [f"text {i}" for i in range(len(clustered[0]))]


# ----- records (API and CLI tests) ----------------------------------------------------
@pytest.fixture
def farm_space_pool():
    """(pool, real): 30 farm stories then 30 space stories; real = 20 other farm stories."""
    pool = make_stories(FARM, 30, seed=1, prefix="f") + make_stories(SPACE, 30, seed=2, prefix="s")
    return pool, make_stories(FARM, 20, seed=3, prefix="r", source="real")
