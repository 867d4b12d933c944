"""Diverse subsets: greedy farthest-point selection (Gonzalez, 1985) on unit embeddings.

Why farthest-point and not facility location or a Vendi maximiser: each pick is the
record farthest (cosine distance) from everything picked so far, so the picks spread
over the whole pool and a near-copy is taken only once nothing farther is left; the
result is within a factor two of the best possible k-center covering radius (Gonzalez)
and of the best possible minimum pairwise distance (Ravi, Rosenkrantz & Tayi, 1994),
both NP-hard to optimise. Facility location rewards covering the dense regions instead,
which is closer to matching the pool than to diversifying it; direct Vendi maximisation
needs an eigendecomposition per candidate. The price: farthest-point seeks the
extremes, off-distribution records included when they are spread out; matched-diverse
restricts it to records matched to the real data.

Speed: the textbook loop computes, after each pick, the distance of every record to
the new pick: N x k dot products read from memory (100,000 x 10,000 x 384 float32 is
1.5 TB of reads; measured on the 2-core development machine: 3.1 ms a pick idle,
5.3 ms under load, so 31-53 s in all). We run the same greedy lazily, as Minoux's lazy
greedy does for submodular gains: a record's distance to the picked set only shrinks,
so its last computed value is an upper bound. The record with the largest bound is
brought up to date against the picks made since (a small matrix that stays in cache)
and taken if it is still the largest; otherwise it goes back in the heap. The picks are
those of the textbook loop (up to float32 ties), in 7.8 s under the same load
(docs/benchmarks.md), so no projection to fewer dimensions is needed, and none is made.
"""

from __future__ import annotations

import contextlib
import heapq

import numpy as np


def unit_rows32(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, float32 (half the memory traffic of float64); zero rows stay zero."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError("embeddings must be a 2-d array (records x dimensions)")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, np.float32(1.0))


def farthest_point_order(x: np.ndarray, n: int, first: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Greedy farthest-point selection of ``n`` rows of ``x``, starting at row ``first``.

    Returns (indices in pick order, scores): the score of a pick is its cosine distance
    (1 - cosine similarity, in [0, 2]) to the nearest earlier pick, i.e. how far it was
    from the set when it was taken; the first pick has none and gets NaN. Scores never
    rise, and the last one is the minimum pairwise distance of the picked set."""
    u = unit_rows32(x)
    rows = u.shape[0]
    if not 0 < n <= rows:
        raise ValueError(f"cannot pick {n} of {rows} rows")
    with one_blas_thread():
        return _lazy_farthest_point(u, n, first)


def one_blas_thread():
    """Limit BLAS to one thread (threadpoolctl ships with scikit-learn; without it, no limit).
    The lazy loop makes hundreds of thousands of small matrix-vector products: waking and
    joining BLAS threads costs more than they save, and on a loaded machine every product
    waits for a descheduled thread. Measured at 100,000 x 10,000 with the 2-core machine
    under a load of 4: 125 s with two BLAS threads, 9 s with one."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn's dependency; only speed is lost
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _lazy_farthest_point(u: np.ndarray, n: int, first: int) -> tuple[np.ndarray, np.ndarray]:
    rows = u.shape[0]
    picks = np.empty(n, dtype=np.int64)
    scores = np.full(n, np.nan)
    centres = np.empty((n, u.shape[1]), dtype=np.float32)
    picks[0], centres[0] = first, u[first]
    bound = 1.0 - u @ u[first]  # exact distances to the one pick so far
    fresh_until = [1] * rows  # bound of record i accounts for picks[:fresh_until[i]]; a list: scalar access is faster
    heap = [(-float(b), i) for i, b in enumerate(bound.tolist()) if i != first]
    heapq.heapify(heap)  # ties: the lower index first, as np.argmax would
    for t in range(1, n):
        while True:
            neg_bound, i = heapq.heappop(heap)
            since = fresh_until[i]
            if since < t:
                nearest = 1.0 - float((centres[since:t] @ u[i]).max())
                fresh_until[i] = t
                if nearest < -neg_bound:  # it moved down: it may no longer be the farthest
                    heapq.heappush(heap, (-nearest, i))
                    continue
            picks[t], scores[t], centres[t] = i, -neg_bound, u[i]
            break
    return picks, scores


def min_pairwise_cosine_distance(x: np.ndarray, block: int = 2048) -> float:
    """The smallest 1 - cos(x_i, x_j) over pairs i != j (blocks of rows, so 10,000 rows need
    80 MB, not 400); the quantity farthest-point selection keeps large."""
    u = unit_rows32(x)
    best = np.inf
    for start in range(0, u.shape[0], block):
        sims = u[start : start + block] @ u.T
        rows = np.arange(sims.shape[0])
        sims[rows, start + rows] = -np.inf  # a row with itself
        best = min(best, 1.0 - float(sims.max()))
    return float(best)
