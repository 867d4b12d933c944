"""Distribution shift between two sets of sentence embeddings (real X, generated Y).

* Fréchet distance of Gaussians fitted to each set (Heusel et al., 2017, "GANs
  Trained by a Two Time-Scale Update Rule..."; on sentence embeddings as in
  Semeniuta et al., 2018): |mu_x - mu_y|^2 + tr(Cx + Cy - 2 (Cx^1/2 Cy Cx^1/2)^1/2);
* unbiased MMD^2 with an RBF kernel (Gretton et al., 2012, "A Kernel Two-Sample
  Test"), bandwidth by the median heuristic, p-value from label permutations;
* precision, recall, density and coverage with k-NN balls (Naeem et al., 2020,
  "Reliable Fidelity and Diversity Metrics for Generative Models");
* a classifier two-sample test (Lopez-Paz & Oquab, 2017, "Revisiting Classifier
  Two-Sample Tests"): logistic regression, 5-fold cross-validated ROC AUC; 0.5
  means the sets cannot be told apart.
"""

from __future__ import annotations

import numpy as np


def _as2d(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("embeddings must be a 2-d array")
    return x


def _psd_sqrt(c: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((c + c.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(x, y) -> float:
    """Fréchet distance of the Gaussians fitted to x and y (sample covariances, ddof=1).
    The symmetric form tr((Cx^1/2 Cy Cx^1/2)^1/2) avoids the complex sqrtm of a non-symmetric product."""
    x, y = _as2d(x), _as2d(y)
    mu = x.mean(0) - y.mean(0)
    cx, cy = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    sx = _psd_sqrt(np.atleast_2d(cx))
    cross = np.linalg.eigvalsh(sx @ np.atleast_2d(cy) @ sx)
    value = float(mu @ mu + np.trace(np.atleast_2d(cx)) + np.trace(np.atleast_2d(cy)) - 2 * np.sqrt(np.clip(cross, 0, None)).sum())
    return max(value, 0.0)


# Distances a k-NN pass holds at once (32 MB of float64): a block of rows against all the points, so the
# memory stays flat as the sets grow (a 2,048-row block against 30,000 points held 2 GB of temporaries).
BLOCK_CELLS = 1 << 22


def _sq_dists(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a_i - b_j|² = |a_i|² + |b_j|² - 2 a_i·b_j, clipped at 0, in one len(a) x len(b) matrix: the sums are
    made a block of rows at a time into the products' matrix (the same floats: doubling is exact)."""
    d = a @ b.T
    d *= 2
    aa, bb = (a * a).sum(1), (b * b).sum(1)
    rows = _block_rows(b.shape[0], None)
    for s in range(0, a.shape[0], rows):
        block = d[s : s + rows]
        np.subtract(aa[s : s + rows, None] + bb[None, :], block, out=block)
    return np.clip(d, 0, None, out=d)


def _block_rows(columns: int, chunk: int | None) -> int:
    return chunk or max(1, BLOCK_CELLS // max(columns, 1))


def median_bandwidth(z: np.ndarray, max_points: int = 2000, seed: int = 0) -> float:
    """Median pairwise Euclidean distance of the pooled sample (on at most ``max_points`` points)."""
    if z.shape[0] > max_points:
        z = z[np.random.default_rng(seed).choice(z.shape[0], max_points, replace=False)]
    d = _sq_dists(z, z)[np.triu_indices(z.shape[0], 1)]
    med = float(np.sqrt(np.median(d))) if d.size else 1.0
    return med if med > 0 else 1.0


def mmd2_unbiased(x, y, permutations: int = 200, seed: int = 0, bandwidth: float | None = None) -> dict:
    """Unbiased MMD^2 (RBF, median heuristic) and its permutation p-value.

    The pooled kernel matrix is built once; each permutation is a relabelling, and
    all permutations are evaluated together as one matrix product."""
    x, y = _as2d(x), _as2d(y)
    z = np.vstack([x, y])
    sigma = bandwidth or median_bandwidth(z, seed=seed)
    k = _sq_dists(z, z)  # exp(-d / 2σ²) in place: one (2m)² matrix, not three
    np.negative(k, out=k)
    k /= 2 * sigma**2
    np.exp(k, out=k)
    n, m = x.shape[0], y.shape[0]
    rng = np.random.default_rng(seed)
    labels = np.zeros((n + m, permutations + 1))
    labels[:n, 0] = 1.0
    for j in range(1, permutations + 1):
        labels[rng.permutation(n + m)[:n], j] = 1.0
    a, b = labels, 1.0 - labels
    ka = k @ a
    kaa = (a * ka).sum(0)
    kab = (b * ka).sum(0)
    kbb = (b * (k @ b)).sum(0)
    diag = np.diag(k)
    kaa_off = kaa - diag @ a
    kbb_off = kbb - diag @ b
    stats = kaa_off / (n * (n - 1)) + kbb_off / (m * (m - 1)) - 2 * kab / (n * m)
    observed = float(stats[0])
    p_value = float((1 + np.sum(stats[1:] >= observed)) / (1 + permutations))
    return {"mmd2": observed, "mmd2_p_value": p_value, "mmd_bandwidth": sigma, "mmd_permutations": permutations}


def _kth_neighbour_radius(a: np.ndarray, k: int, chunk: int | None = None) -> np.ndarray:
    out = np.empty(a.shape[0])
    chunk = _block_rows(a.shape[0], chunk)
    for s in range(0, a.shape[0], chunk):
        d = _sq_dists(a[s : s + chunk], a)
        out[s : s + chunk] = np.sqrt(np.partition(d, k, axis=1)[:, k])  # index 0 is the point itself
    return out


def prdc(real, fake, k: int = 5, chunk: int | None = None) -> dict:
    """Precision, recall, density and coverage (Naeem et al., 2020) with k nearest neighbours, in blocks of
    ``chunk`` rows (default: :data:`BLOCK_CELLS` distances a block)."""
    real, fake = _as2d(real), _as2d(fake)
    k = min(k, real.shape[0] - 1, fake.shape[0] - 1)
    if k < 1:
        return {"precision": None, "recall": None, "density": None, "coverage": None, "prdc_k": k}
    r_real = _kth_neighbour_radius(real, k, chunk)
    r_fake = _kth_neighbour_radius(fake, k, chunk)
    in_real_balls = np.zeros(fake.shape[0])  # how many real balls hold each fake point
    real_covered = np.zeros(real.shape[0], dtype=bool)
    fake_to_real_min = np.full(real.shape[0], np.inf)  # for recall: real inside some fake ball
    chunk = _block_rows(real.shape[0], chunk)
    for s in range(0, fake.shape[0], chunk):
        d = np.sqrt(_sq_dists(fake[s : s + chunk], real))  # fake x real
        inside = d <= r_real[None, :]
        in_real_balls[s : s + chunk] = inside.sum(1)
        real_covered |= inside.any(0)
        fake_to_real_min = np.minimum(fake_to_real_min, (d - r_fake[s : s + chunk, None]).min(0))
    return {
        "precision": float((in_real_balls > 0).mean()),
        "recall": float((fake_to_real_min <= 0).mean()),
        "density": float(in_real_balls.sum() / (k * fake.shape[0])),
        "coverage": float(real_covered.mean()),
        "prdc_k": k,
    }


def classifier_auc(x, y, folds: int = 5, seed: int = 0) -> dict:
    """Mean and sd of the 5-fold ROC AUC of a logistic regression telling x from y."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = _as2d(x), _as2d(y)
    folds = min(folds, x.shape[0], y.shape[0])
    if folds < 2:
        return {"classifier_auc": None, "classifier_auc_sd": None, "classifier_folds": folds}
    z = np.vstack([x, y])
    labels = np.r_[np.zeros(x.shape[0]), np.ones(y.shape[0])]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = cross_val_score(model, z, labels, cv=cv, scoring="roc_auc")
    return {"classifier_auc": float(scores.mean()), "classifier_auc_sd": float(scores.std(ddof=1)), "classifier_folds": folds}


def p_value_floor_text(p_value: float, permutations: int) -> tuple[bool, str]:
    """(at floor, display): a permutation p-value (1 + #extreme) / (B + 1) at 1/(B+1) means no
    permutation was as extreme; the true p-value is then only known to be at most that."""
    at_floor = p_value <= 1.0 / (permutations + 1) + 1e-15
    return at_floor, (f"≤ 1/{permutations + 1}" if at_floor else f"{p_value:.4f}")


# ----- the registry's shift metrics (metrics.registry): each reads the panel's embeddings x (real), y (generated)
def measure_frechet(panel) -> dict:
    from synthdiv.metrics.embedding import single_threaded

    with single_threaded():  # two d x d eigendecompositions: 2.4 s with two threads under load, 0.1 s on one
        return {"frechet_distance": frechet_distance(panel.x, panel.y)}


def measure_mmd(panel) -> dict:
    """MMD² of the panel's embeddings: the panel is capped (the registry's ``max_samples``), since the pooled
    kernel matrix is (2m)² floats."""
    out = mmd2_unbiased(panel.x, panel.y, permutations=panel.mmd_permutations, seed=panel.seed)
    out["mmd_p_at_floor"], out["mmd2_p_value_text"] = p_value_floor_text(out["mmd2_p_value"], panel.mmd_permutations)
    return out


def measure_prdc(panel) -> dict:
    return prdc(panel.x, panel.y)


def measure_classifier(panel) -> dict:
    return classifier_auc(panel.x, panel.y, seed=panel.seed)
