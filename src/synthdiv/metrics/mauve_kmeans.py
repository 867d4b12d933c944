"""k-means as ``faiss.Kmeans`` runs it (faiss 1.x ``Clustering::train``), in numpy.

``mauve-text`` quantises with ``faiss.Kmeans(d, k, niter=500, nredo=5, seed=seed + 2)``;
faiss is a 30 MB native wheel we do not depend on, so this module repeats its
algorithm step for step:

* initialisation of restart ``r``: the first ``k`` entries of faiss's ``rand_perm``
  (a forward Fisher–Yates shuffle drawing ``mt19937() % (n - i)``) seeded with
  ``seed + 1 + r * 15486557``. numpy's legacy ``RandomState(seed)`` is the same
  Mersenne Twister with the same 32-bit seeding, so its raw draws are faiss's;
* Lloyd iterations: nearest centroid by ``|x|² + |c|² - 2 x·c`` in float32 (clamped
  at 0, first index on ties), centroids as means, empty clusters filled by
  ``split_clusters`` (donor drawn with ``RandomGenerator(1234)``, perturbed by 1/1024);
* of the restarts, the one with the lowest objective (sum of squared distances at
  its last assignment) is kept; the labels are the nearest final centroids.

faiss always runs all ``niter`` iterations. Once an assignment repeats with no
empty cluster, the centroids are a fixed point and every further iteration is
identical, so we stop there: same result, a fraction of the work. Float32 sums are
taken in another order than faiss's, so a point almost equidistant from two
centroids can land on the other side; the labels then differ in that point only.
"""

from __future__ import annotations

import numpy as np

RESTART_SEED_STRIDE = 15486557  # faiss: rand_perm(perm, nx, seed + 1 + redo * 15486557)
SPLIT_SEED = 1234  # faiss split_clusters: RandomGenerator rng(1234)
SPLIT_EPS = np.float32(1 / 1024)  # faiss: "a bit above machine epsilon for float16"
MT_MAX = np.float32(2**32 - 1)  # std::mt19937::max(), as faiss's rand_float divides by it


def _mt19937(seed: int) -> np.random.RandomState:
    # RandomState seeds with init_genrand(seed & 0xffffffff), as std::mt19937(seed) does.
    return np.random.RandomState(seed & 0xFFFFFFFF)


def _raw(rng: np.random.RandomState, size: int) -> np.ndarray:
    # A full-range uint32 draw is one untouched mt19937 output.
    return rng.randint(0, 2**32, size=size, dtype=np.uint32).astype(np.int64)


def initial_indices(n: int, k: int, seed: int) -> np.ndarray:
    """The first ``k`` entries of faiss's ``rand_perm(n, seed)``: the points that seed the centroids."""
    draws = _raw(_mt19937(seed), min(k, n - 1))
    perm = np.arange(n)
    # Forward Fisher-Yates: entry i is final after step i, so k steps fix perm[:k].
    for i, r in enumerate(draws):
        j = i + int(r % (n - i))
        perm[i], perm[j] = perm[j], perm[i]
    return perm[:k]


def nearest(x: np.ndarray, x_norms: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of and squared distance to the nearest centroid, as IndexFlatL2's BLAS path computes it."""
    dist = x_norms[:, None] + np.einsum("ij,ij->i", centroids, centroids)[None, :] - 2 * (x @ centroids.T)
    np.maximum(dist, 0, out=dist)
    labels = np.argmin(dist, axis=1)
    return labels, dist[np.arange(len(x)), labels]


def centroid_means(x: np.ndarray, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean of each cluster's points (zero for an empty cluster) and the cluster sizes."""
    order = np.argsort(labels, kind="stable")
    counts = np.bincount(labels, minlength=k)
    sums = np.zeros((k, x.shape[1]), dtype=np.float32)
    filled = counts > 0
    starts = np.r_[0, np.cumsum(counts)[:-1]][filled]
    # float32, point after point in index order, as faiss's compute_centroids adds them.
    sums[filled] = np.add.reduceat(x[order], starts, axis=0)
    scale = np.where(filled, np.float32(1) / np.maximum(counts, 1).astype(np.float32), 0).astype(np.float32)
    return sums * scale[:, None], counts


def split_empty(centroids: np.ndarray, counts: np.ndarray, n: int) -> int:
    """faiss ``split_clusters``: each empty cluster copies a donor drawn in proportion to
    its size, and the two are pushed apart by 1/1024. Returns the number of splits."""
    hassign = counts.astype(np.float32)
    rng = _mt19937(SPLIT_SEED)
    splits = 0
    for ci in np.flatnonzero(hassign == 0):
        donor = _pick_donor(hassign, n, rng)
        centroids[ci] = centroids[donor]
        sign = np.where(np.arange(centroids.shape[1]) % 2 == 0, 1, -1).astype(np.float32)
        centroids[ci] *= 1 + sign * SPLIT_EPS
        centroids[donor] *= 1 - sign * SPLIT_EPS
        hassign[ci] = hassign[donor] / 2  # float sizes, as faiss keeps them
        hassign[donor] -= hassign[ci]
        splits += 1
    return splits


def _pick_donor(hassign: np.ndarray, n: int, rng: np.random.RandomState) -> int:
    k = len(hassign)
    # faiss walks the clusters in a circle, accepting cluster j with probability
    # (size_j - 1) / (n - k); after 10 k refusals it takes the largest (faiss >= 1.9).
    for tries in range(10 * k):
        j = tries % k
        p = np.float32((float(hassign[j]) - 1.0) / float(np.float32(n - k)))
        r = np.float32(_raw(rng, 1)[0]) / MT_MAX
        if r < p:
            return j
    return int(np.argmax(hassign))


def _one_run(x: np.ndarray, x_norms: np.ndarray, k: int, seed: int, max_iter: int) -> tuple[float, np.ndarray]:
    centroids = x[initial_indices(len(x), k, seed)].copy()
    previous, objective = None, np.inf
    for _ in range(max_iter):
        labels, dist = nearest(x, x_norms, centroids)
        objective = float(dist.sum(dtype=np.float64))
        centroids, counts = centroid_means(x, labels, k)
        splits = split_empty(centroids, counts, len(x))
        if splits == 0 and previous is not None and np.array_equal(labels, previous):
            break  # a fixed point: faiss's remaining iterations change nothing
        previous = labels
    return objective, centroids


def faiss_kmeans_labels(x: np.ndarray, k: int, seed: int, restarts: int = 5, max_iter: int = 500) -> np.ndarray:
    """Cluster labels of ``x`` (float32, n x d) as ``faiss.Kmeans(d, k, niter=max_iter,
    nredo=restarts, seed=seed)`` followed by ``index.search(x, 1)`` gives them."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if k > len(x):
        raise ValueError(f"k-means needs at least k = {k} points (got {len(x)})")
    x_norms = np.einsum("ij,ij->i", x, x)
    best_objective, best = np.inf, None
    for restart in range(restarts):
        objective, centroids = _one_run(x, x_norms, k, seed + 1 + restart * RESTART_SEED_STRIDE, max_iter)
        if best is None or objective < best_objective:  # faiss keeps the first of equal objectives
            best_objective, best = objective, centroids
    return nearest(x, x_norms, best)[0]
