"""MAUVE on precomputed embeddings (Pillutla et al., 2021, "MAUVE: Measuring the
Gap Between Neural Text and Human Text using Divergence Frontiers").

Re-implemented after the reference package ``mauve-text`` 0.4.0, which cannot be
used here (it imports faiss at module level and torch/transformers for
featurising). The steps and defaults are the package's ``compute_mauve`` for
given features: L2-normalise both sets, PCA (no whitening) keeping 90% of the
variance, k-means with ``max(2, round(min(N, M) / 10))`` clusters (up to 500
iterations; scikit-learn's k-means instead of faiss, so a single seed does not
reproduce the package's number bit for bit), histograms of the cluster labels,
the divergence curve at 25 mixture weights with scaling factor 5, and the mean
of the two trapezoidal areas. The package runs 5 k-means restarts for one
seed; we run one k-means per seed for several seeds and report mean and sd,
which shows how much the clustering moves MAUVE (scikit-learn's k-means with
500 clusters is slow: ``n_init=5`` restores the package's restarts).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    if np.any((p != 0) & (q == 0)):
        return float("inf")
    idx = (p != 0) & (q != 0)
    return float(np.sum(p[idx] * np.log(p[idx] / q[idx])))


def divergence_curve(p: np.ndarray, q: np.ndarray, size: int = 25, scaling: float = 5.0) -> np.ndarray:
    """Points (exp(-c KL(q||r)), exp(-c KL(p||r))) for r = w p + (1-w) q, plus both extremes."""
    points = [[0.0, np.inf]]
    for w in np.linspace(1e-6, 1 - 1e-6, size):
        r = w * p + (1 - w) * q
        points.append([_kl(q, r), _kl(p, r)])
    points.append([np.inf, 0.0])
    return np.exp(-scaling * np.asarray(points))


def mauve_from_histograms(p: np.ndarray, q: np.ndarray, size: int = 25, scaling: float = 5.0) -> float:
    x, y = divergence_curve(p, q, size, scaling).T
    # Sorted by x with ties by y descending (the curve's own order): the package's plain
    # argsort gives the same area unless points tie, e.g. p == q, where it can drop to 0.5.
    i1, i2 = np.lexsort((-y, x)), np.lexsort((-x, y))
    return float(0.5 * (np.trapezoid(y[i1], x[i1]) + np.trapezoid(x[i2], y[i2])))


def quantise(p_features, q_features, num_clusters: int, seed: int, explained_variance: float = 0.9,
             n_init: int = 5, max_iter: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Histograms (p, q) of the joint k-means clusters, as in mauve's ``cluster_feats``."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import normalize

    q_features = np.asarray(q_features, dtype=np.float64)
    p_features = np.asarray(p_features, dtype=np.float64)
    data = normalize(np.vstack([q_features, p_features]), norm="l2", axis=1)
    pca = PCA(n_components=None, whiten=False, random_state=seed + 1).fit(data)
    keep = int(np.argmax(np.cumsum(pca.explained_variance_ratio_) >= explained_variance)) + 1
    data = pca.transform(data)[:, :keep].astype(np.float32)
    labels = KMeans(n_clusters=num_clusters, n_init=n_init, max_iter=max_iter, random_state=seed + 2).fit(data).labels_
    q_counts = np.bincount(labels[: len(q_features)], minlength=num_clusters).astype(np.float64)
    p_counts = np.bincount(labels[len(q_features) :], minlength=num_clusters).astype(np.float64)
    return p_counts / p_counts.sum(), q_counts / q_counts.sum()


def mauve(p_features, q_features, seeds: Sequence[int] = (0, 1, 2), num_buckets: int | None = None,
          n_init: int = 1) -> dict:
    """MAUVE of generated (``p``) against real (``q``) features: mean and sd over ``seeds``."""
    n = min(len(p_features), len(q_features))
    if n < 2:
        return {"mauve": None, "mauve_sd": None, "mauve_seeds": list(seeds), "mauve_buckets": None}
    buckets = num_buckets or max(2, int(round(n / 10)))
    buckets = min(buckets, len(p_features) + len(q_features))
    values = [mauve_from_histograms(*quantise(p_features, q_features, buckets, seed, n_init=n_init)) for seed in seeds]
    return {
        "mauve": float(np.mean(values)),
        "mauve_sd": float(np.std(values, ddof=1)) if len(values) > 1 else None,
        "mauve_seeds": list(seeds),
        "mauve_buckets": buckets,
    }
