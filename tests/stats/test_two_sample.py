"""The two-sample permutation test (fluency against the real set): exact on a case small enough to enumerate."""

from __future__ import annotations

import numpy as np
import pytest

from synthdiv.stats.two_sample import permutation_test


def test_the_permutation_p_value_matches_exact_enumeration():
    """a = (0, 1), b = (2, 3): of the 6 ways to split the four values, 2 are as extreme as observed: p = 1/3."""
    test = permutation_test([0.0, 1.0], [2.0, 3.0], permutations=20000, seed=0)
    assert test.difference == 2.0 and test.p_value == pytest.approx(1 / 3, abs=0.01) and not test.differs
    far = permutation_test(np.zeros(30), np.ones(30), permutations=999)
    assert far.p_value == pytest.approx(1 / 1000) and far.at_floor and far.differs


def test_one_sample_empty_is_refused():
    with pytest.raises(ValueError, match="a value on each side"):
        permutation_test([], [1.0])
