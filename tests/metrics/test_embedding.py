"""Embedding diversity on random vectors, against brute-force definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from synthdiv.metrics.embedding import (
    centroid_radius,
    embedding_diversity,
    kmeans_inertia,
    mean_pairwise_cosine_distance,
    similarity_eigenvalues,
    vendi_from_eigenvalues,
    vendi_score,
)


def _unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _brute_vendi(x, q):
    u = _unit(x)
    lam = np.clip(np.linalg.eigvalsh(u @ u.T / len(u)), 0, None)
    lam = lam[lam > 1e-12]
    if q == 1:
        return math.exp(-np.sum(lam * np.log(lam)))
    if math.isinf(q):
        return 1 / lam.max()
    return np.sum(lam**q) ** (1 / (1 - q))


def test_mean_pairwise_cosine_distance_equals_the_double_loop():
    x = np.random.default_rng(0).normal(size=(25, 6))
    u = _unit(x)
    brute = np.mean([1 - u[i] @ u[j] for i in range(25) for j in range(25) if i != j])
    assert mean_pairwise_cosine_distance(x) == pytest.approx(brute, rel=1e-12)
    assert mean_pairwise_cosine_distance(x[:1]) is None


@pytest.mark.parametrize("q", [0.5, 1.0, 2.0, float("inf")])
@pytest.mark.parametrize("shape", [(12, 30), (60, 5)])  # N < d (N x N form) and N > d (d x d form)
def test_vendi_matches_the_n_by_n_eigenvalues(q, shape):
    x = np.random.default_rng(1).normal(size=shape)
    assert vendi_score(x, q) == pytest.approx(_brute_vendi(x, q), rel=1e-9)


def test_covariance_form_has_the_same_nonzero_eigenvalues():
    x = np.random.default_rng(2).normal(size=(40, 4))
    small = np.sort(similarity_eigenvalues(x))[-4:]
    u = _unit(x)
    big = np.sort(np.linalg.eigvalsh(u @ u.T / 40))[-4:]
    assert np.allclose(small, big, atol=1e-12)


def test_vendi_extremes():
    same = np.tile([[1.0, 2.0, 3.0]], (10, 1))
    assert vendi_score(same) == pytest.approx(1.0)
    eye = np.eye(8)
    assert vendi_score(eye) == pytest.approx(8.0)
    assert vendi_score(eye, 0) == 8.0
    assert vendi_score(eye, [1, 2, float("inf")]) == pytest.approx({"1": 8.0, "2": 8.0, "inf": 8.0})
    assert vendi_from_eigenvalues(np.zeros(3)) == 0.0


def test_dispersion_metrics():
    x = np.random.default_rng(3).normal(size=(50, 8))
    assert 0 < centroid_radius(x) <= 1
    assert centroid_radius(np.tile([[0.0, 1.0]], (5, 1))) == pytest.approx(0.0)
    assert kmeans_inertia(x, k=5) > 0
    assert kmeans_inertia(x[:4], k=5) is None
    report = embedding_diversity(x, k=5)
    assert set(report) >= {"mean_pairwise_cosine_distance", "vendi_score", "vendi_score_q", "centroid_radius", "kmeans_inertia"}
