"""Diversity of a set of sentence embeddings (rows of a matrix), numpy only.

* mean pairwise cosine distance over all pairs i != j (e.g. Tevet & Berant, 2021,
  "Evaluating the Evaluation of Diversity in Natural Language Generation"),
  computed in O(N d) from the sum of the unit vectors, not from the N x N matrix;
* the Vendi score (Friedman & Dieng, 2023, "The Vendi Score: A Diversity
  Evaluation Metric for Machine Learning"), the exponential of the Renyi entropy
  of order q of the eigenvalues of K / N, K the cosine-similarity matrix; with
  more samples than dimensions the eigenvalues come from the d x d matrix
  U^T U / N, which has the same non-zero eigenvalues (Pasarkar & Dieng, 2024);
* dispersion: mean Euclidean distance of the unit vectors to their centroid,
  and the k-means inertia per sample (the "cluster inertia" of Du & Black, 2019,
  "Boosting Dialog Response Generation").
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence

import numpy as np

EIG_TOL = 1e-12  # eigenvalues below this (relative to 1) are numerical zeros


def unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("embeddings must be a 2-d array (samples x dimensions)")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


def mean_pairwise_cosine_distance(x: np.ndarray) -> float | None:
    """Mean of 1 - cos(x_i, x_j) over ordered pairs i != j; None for fewer than two rows."""
    u = unit_rows(x)
    n = u.shape[0]
    if n < 2:
        return None
    s = u.sum(axis=0)
    self_sim = float(np.einsum("ij,ij->", u, u))  # n, or fewer if some rows are zero
    mean_sim = (float(s @ s) - self_sim) / (n * (n - 1))
    return 1.0 - mean_sim


def similarity_eigenvalues(x: np.ndarray) -> np.ndarray:
    """Eigenvalues of K / N (K = cosine similarities), summing to one; the d x d form when N > d. On one
    thread: 384 x 384 takes 11 ms so, and 105 ms to 2 s with two threads spinning under load."""
    with single_threaded():
        return _eigenvalues(x)


def _eigenvalues(x: np.ndarray) -> np.ndarray:
    u = unit_rows(x)
    n, d = u.shape
    if n == 0:
        return np.zeros(0)
    gram = (u.T @ u) if n > d else (u @ u.T)
    lam = np.linalg.eigvalsh(gram / n)
    lam = np.clip(lam, 0.0, None)
    total = lam.sum()
    return lam / total if total > 0 else lam


def vendi_from_eigenvalues(lam: np.ndarray, q: float = 1.0) -> float:
    """exp(Renyi entropy of order q): q=1 Shannon, q=inf 1/max, q=0 the number of non-zero eigenvalues."""
    p = lam[lam > EIG_TOL]
    if p.size == 0:
        return 0.0
    if q == 1:
        return float(math.exp(-np.sum(p * np.log(p))))
    if math.isinf(q):
        return float(1.0 / p.max())
    if q == 0:
        return float(p.size)
    return float(np.sum(p**q) ** (1.0 / (1.0 - q)))


def vendi_score(x: np.ndarray, q: float | Sequence[float] = 1.0) -> float | dict[str, float]:
    """Vendi score of order ``q`` (or a dict keyed by str(q) for several orders)."""
    return _vendi_orders(similarity_eigenvalues(x), q)


def _vendi_orders(lam: np.ndarray, q: float | Sequence[float]) -> float | dict[str, float]:
    if isinstance(q, (int, float)):
        return vendi_from_eigenvalues(lam, float(q))
    return {_q_key(v): vendi_from_eigenvalues(lam, float(v)) for v in q}


def draw_vendi(x: np.ndarray, size: int, draws: int, seed: int, q: float = 1.0) -> np.ndarray:
    """Vendi scores of ``draws`` random subsets of ``size`` rows, drawn without replacement (numpy ``default_rng(seed)``),
    all on one thread (setting the thread limit costs 6 ms, about a draw's own time)."""
    rng = np.random.default_rng(seed)
    with single_threaded():
        return np.array([_vendi_orders(_eigenvalues(x[np.sort(rng.choice(len(x), size, replace=False))]), q)
                         for _ in range(draws)])


def single_threaded():
    """One BLAS and one OpenMP thread, for the many small matrices of the k-means, the PCA and the Vendi draws.
    They gain little from threads, and on a busy machine threads that spin-wait for each other cost 5-20x: the
    SVD of 1,742 x 384 took 2.5 s with 2 BLAS threads and 0.12 s with 1; MAUVE of 300 vs 300 points 4.6 s and
    0.06 s; a 384 x 384 eigendecomposition 105 and 11 ms. Setting the limit costs about 6 ms. The values are the same to the last bit or two (MAUVE:
    checked on 300 to 2,000 points per side, and by the tests)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn's dependency; without it only speed is lost
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


def _q_key(q: float) -> str:
    return "inf" if math.isinf(q) else (str(int(q)) if float(q).is_integer() else str(q))


def centroid_radius(x: np.ndarray) -> float | None:
    """Mean Euclidean distance of the unit vectors to their mean."""
    u = unit_rows(x)
    if u.shape[0] == 0:
        return None
    return float(np.linalg.norm(u - u.mean(axis=0), axis=1).mean())


def kmeans_inertia(x: np.ndarray, k: int = 10, seed: int = 0) -> float | None:
    """k-means inertia (sum of squared distances to the nearest centre) per sample, on unit vectors."""
    from sklearn.cluster import KMeans

    u = unit_rows(x)
    if u.shape[0] <= k:
        return None
    with single_threaded():  # 10 centres: threads gain little, and cost seconds on a busy machine
        model = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(u)
    return float(model.inertia_ / u.shape[0])


def embedding_diversity(x: np.ndarray, vendi_q: Sequence[float] = (1.0, 2.0, float("inf")), k: int = 10) -> dict:
    """All embedding diversity metrics of one set, as a flat dict with stable keys."""
    lam = similarity_eigenvalues(x)
    return {
        "mean_pairwise_cosine_distance": mean_pairwise_cosine_distance(x),
        "vendi_score": vendi_from_eigenvalues(lam, 1.0) if lam.size else None,
        "vendi_score_q": {_q_key(q): vendi_from_eigenvalues(lam, float(q)) for q in vendi_q} if lam.size else None,
        "centroid_radius": centroid_radius(x),
        "kmeans_inertia": kmeans_inertia(x, k=k),
        "kmeans_k": k,
        "embedded_samples": int(np.asarray(x).shape[0]),
    }


def measure(panel) -> dict:
    """The registry's ``embedding``: every embedding diversity metric of the panel's embeddings."""
    return {"embedding": embedding_diversity(panel.vectors)}
