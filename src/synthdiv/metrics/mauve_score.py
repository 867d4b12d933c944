"""MAUVE on precomputed embeddings (Pillutla et al., 2021, "MAUVE: Measuring the
Gap Between Neural Text and Human Text using Divergence Frontiers").

Re-implemented after the reference package ``mauve-text`` 0.4.0, which is not a
dependency (it imports faiss at module level and torch/transformers for
featurising). The steps are the package's ``compute_mauve`` for given features:
L2-normalise both sets, PCA (no whitening) keeping 90% of the variance, k-means
with ``max(2, round(min(N, M) / 10))`` clusters (up to 500 iterations),
histograms of the cluster labels, the divergence curve at 25 mixture weights
with scaling factor 5, and the mean of the two trapezoidal areas.

Two settings (:data:`SETTINGS`) differ only in the k-means and the area:

* ``synthdiv`` (default): scikit-learn's k-means++ once per seed for seeds 0, 1, 2,
  reported as mean and sd, which shows how much the clustering moves MAUVE; points
  of the curve that tie on one axis are ordered by the other, so identical
  histograms give 1 (the package's plain argsort can give 0.5 to 1 there).
* ``mauve-text``: the package's own k-means (faiss's random initialisation, 5
  restarts, seed 25 + 2, see :mod:`synthdiv.metrics.mauve_kmeans`) and its plain
  argsort, so the number is the package's on the same features.

The PCA is fitted once for all seeds: it has no randomness (full SVD).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from synthdiv.metrics.choices import DEFAULT_MAUVE_SETTING
from synthdiv.metrics.embedding import single_threaded

SCALING = 5.0  # compute_mauve's mauve_scaling_factor
CURVE_POINTS = 25  # its divergence_curve_discretization_size
EXPLAINED_VARIANCE = 0.9  # its kmeans_explained_var
MAX_ITER = 500  # its kmeans_max_iter


@dataclass(frozen=True)
class MauveSetting:
    seeds: tuple[int, ...]  # one k-means (with its restarts) per seed; mean and sd over them
    kmeans: str  # "sklearn": k-means++ (scikit-learn) | "faiss": faiss.Kmeans's algorithm
    restarts: int  # k-means restarts per seed, best objective kept
    tie_order: bool  # order tied curve points by the other axis (else the package's plain argsort)


SETTINGS = {
    "synthdiv": MauveSetting(seeds=(0, 1, 2), kmeans="sklearn", restarts=1, tie_order=True),
    "mauve-text": MauveSetting(seeds=(25,), kmeans="faiss", restarts=5, tie_order=False),
}
DEFAULT_SETTING = DEFAULT_MAUVE_SETTING


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    if np.any((p != 0) & (q == 0)):
        return float("inf")
    idx = (p != 0) & (q != 0)
    return float(np.sum(p[idx] * np.log(p[idx] / q[idx])))


def divergence_curve(p: np.ndarray, q: np.ndarray, size: int = CURVE_POINTS, scaling: float = SCALING) -> np.ndarray:
    """Points (exp(-c KL(q||r)), exp(-c KL(p||r))) for r = w p + (1-w) q, plus both extremes.
    A loop of ``size`` small sums, written as the package writes it so the sums (and the
    value, to the last bit) are its own; it takes microseconds beside the k-means."""
    points = [[0.0, np.inf]]
    for w in np.linspace(1e-6, 1 - 1e-6, size):
        r = w * p + (1 - w) * q
        points.append([_kl(q, r), _kl(p, r)])
    points.append([np.inf, 0.0])
    return np.exp(-scaling * np.asarray(points))


def mauve_from_histograms(p: np.ndarray, q: np.ndarray, size: int = CURVE_POINTS, scaling: float = SCALING,
                          tie_order: bool = True) -> float:
    x, y = divergence_curve(p, q, size, scaling).T
    if tie_order:
        # Sorted by x with ties by y descending (the curve's own order): the package's plain
        # argsort gives the same area unless points tie, e.g. p == q, where it can drop to 0.5.
        i1, i2 = np.lexsort((-y, x)), np.lexsort((-x, y))
    else:
        i1, i2 = np.argsort(x), np.argsort(y)
    return float(0.5 * (np.trapezoid(y[i1], x[i1]) + np.trapezoid(x[i2], y[i2])))


def reduce_features(p_features, q_features, explained_variance: float = EXPLAINED_VARIANCE) -> np.ndarray:
    """q then p, L2-normalised, projected on the principal axes that keep ``explained_variance``; float32."""
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import normalize

    data = normalize(np.vstack([np.asarray(q_features), np.asarray(p_features)]).astype(np.float64), norm="l2", axis=1)
    # The package passes random_state=seed+1, which the full SVD never uses: one fit serves every seed.
    pca = PCA(n_components=None, whiten=False).fit(data)
    keep = int(np.argmax(np.cumsum(pca.explained_variance_ratio_) >= explained_variance)) + 1
    return pca.transform(data)[:, :keep].astype(np.float32)


def cluster_labels(data: np.ndarray, num_clusters: int, seed: int, kmeans: str, restarts: int,
                   max_iter: int = MAX_ITER) -> np.ndarray:
    if kmeans == "faiss":
        from synthdiv.metrics.mauve_kmeans import faiss_kmeans_labels

        return faiss_kmeans_labels(data, num_clusters, seed + 2, restarts=restarts, max_iter=max_iter)
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=num_clusters, n_init=restarts, max_iter=max_iter, random_state=seed + 2).fit(data).labels_


def histograms(labels: np.ndarray, n_q: int, num_clusters: int) -> tuple[np.ndarray, np.ndarray]:
    """(p, q): the share of each set's points in each cluster (q's points come first)."""
    q_counts = np.bincount(labels[:n_q], minlength=num_clusters).astype(np.float64)
    p_counts = np.bincount(labels[n_q:], minlength=num_clusters).astype(np.float64)
    return p_counts / p_counts.sum(), q_counts / q_counts.sum()


def mauve(p_features, q_features, seeds: Sequence[int] | None = None, num_buckets: int | None = None,
          n_init: int | None = None, setting: str = DEFAULT_SETTING) -> dict:
    """MAUVE of generated (``p``) against real (``q``) features: mean and sd over ``seeds``.
    ``seeds`` and ``n_init`` (k-means restarts) default to those of ``setting``."""
    if setting not in SETTINGS:
        raise ValueError(f"setting must be one of {tuple(SETTINGS)}")
    spec = SETTINGS[setting]
    seeds = list(spec.seeds if seeds is None else seeds)
    n = min(len(p_features), len(q_features))
    out = {"mauve": None, "mauve_sd": None, "mauve_seeds": seeds, "mauve_buckets": None}
    if n < 2:
        return out
    buckets = num_buckets or max(2, int(round(n / 10)))
    buckets = min(buckets, len(p_features) + len(q_features))
    restarts = spec.restarts if n_init is None else n_init
    with single_threaded():
        data = reduce_features(p_features, q_features)
        values = [
            mauve_from_histograms(*histograms(cluster_labels(data, buckets, seed, spec.kmeans, restarts), len(q_features),
                                              buckets), tie_order=spec.tie_order)
            for seed in seeds
        ]
    out.update(mauve=float(np.mean(values)), mauve_sd=float(np.std(values, ddof=1)) if len(values) > 1 else None,
               mauve_buckets=buckets)
    return out


def measure(panel) -> dict:
    """The registry's ``mauve``: generated against real embeddings, over the panel's k-means seeds."""
    return mauve(panel.y, panel.x, seeds=panel.mauve_seeds, setting=panel.mauve_setting)
