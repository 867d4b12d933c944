"""Shift between real and generated texts without embeddings.

* per field, the length distribution (tokens of the chosen tokeniser): mean, sd
  and quantiles of each side, the two-sample Kolmogorov-Smirnov statistic and the
  Wasserstein-1 distance, with percentile bootstrap intervals (cheap: lengths
  are one number per text);
* the Jensen-Shannon divergence (Lin, 1991, "Divergence Measures Based on the
  Shannon Entropy") between the n-gram frequency distributions of the two sets,
  in bits (0 = identical, 1 = disjoint), for n = 1..3; n-grams are counted
  exactly with one shared vocabulary and never cross a sample boundary.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from synthdiv.metrics.ngrams.count import ngram_ids
from synthdiv.metrics.ngrams.tokenize import tokenize

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """sup |F_a - F_b| over all values (the two-sample KS statistic)."""
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / a.size
    fb = np.searchsorted(b, grid, side="right") / b.size
    return float(np.abs(fa - fb).max())


def wasserstein1(a: np.ndarray, b: np.ndarray) -> float:
    """Wasserstein-1 distance of two 1-d samples: the area between their CDFs."""
    a, b = np.sort(a.astype(np.float64)), np.sort(b.astype(np.float64))
    grid = np.sort(np.concatenate([a, b]))
    fa = np.searchsorted(a, grid[:-1], side="right") / a.size
    fb = np.searchsorted(b, grid[:-1], side="right") / b.size
    return float(np.sum(np.abs(fa - fb) * np.diff(grid)))


def _describe(x: np.ndarray) -> dict:
    return {
        "mean": float(x.mean()),
        "sd": float(x.std(ddof=1)) if x.size > 1 else None,
        "quantiles": {str(q): float(v) for q, v in zip(QUANTILES, np.quantile(x, QUANTILES))},
    }


def length_shift(real: Sequence[str], gen: Sequence[str], tokenizer: str = "regex",
                 bootstrap: int = 200, seed: int = 0) -> dict:
    """Length statistics of both sides, KS and Wasserstein-1 with 95% bootstrap intervals."""
    a = tokenize(real, tokenizer).lengths
    b = tokenize(gen, tokenizer).lengths
    out = {"real": _describe(a), "generated": _describe(b), "ks": ks_statistic(a, b), "wasserstein": wasserstein1(a, b)}
    if bootstrap:
        rng = np.random.default_rng(seed)
        ks, w = np.empty(bootstrap), np.empty(bootstrap)
        for i in range(bootstrap):
            ra, rb = a[rng.integers(0, a.size, a.size)], b[rng.integers(0, b.size, b.size)]
            ks[i], w[i] = ks_statistic(ra, rb), wasserstein1(ra, rb)
        out["ks_ci95"] = [float(v) for v in np.quantile(ks, [0.025, 0.975])]
        out["wasserstein_ci95"] = [float(v) for v in np.quantile(w, [0.025, 0.975])]
        out["bootstrap"] = bootstrap
    return out


def js_divergence_counts(p_counts: np.ndarray, q_counts: np.ndarray) -> float:
    """Jensen-Shannon divergence in bits between two count vectors over the same support."""
    p = p_counts / p_counts.sum()
    q = q_counts / q_counts.sum()
    m = (p + q) / 2

    def kl(a: np.ndarray) -> float:
        nz = a > 0
        return float(np.sum(a[nz] * np.log2(a[nz] / m[nz])))

    return max(0.0, 0.5 * kl(p) + 0.5 * kl(q))


def ngram_js(real: Sequence[str], gen: Sequence[str], max_n: int = 3, tokenizer: str = "regex") -> dict[str, float | None]:
    """JS divergence of the n-gram distributions for n = 1..max_n (None where a side has no n-gram)."""
    tok = tokenize(list(real) + list(gen), tokenizer)  # one vocabulary for both sides
    split = tok.offsets[len(real)]
    out: dict[str, float | None] = {}
    for n in range(1, max_n + 1):
        positions, gram = ngram_ids(tok.ids, tok.vocab_size, n, tok.offsets)
        size = int(gram.max()) + 1 if gram.size else 0
        p = np.bincount(gram[positions < split], minlength=size).astype(np.float64)
        q = np.bincount(gram[positions >= split], minlength=size).astype(np.float64)
        out[str(n)] = js_divergence_counts(p, q) if p.sum() and q.sum() else None
    return out


def measure_lengths(panel) -> dict:
    """The registry's ``lengths``: KS and Wasserstein-1 of each shared field's lengths, with bootstrap intervals."""
    return {"lengths": {f: length_shift(*panel.field_texts(f), panel.tokenizer, panel.bootstrap, panel.seed) for f in panel.fields}}


def measure_ngram_js(panel) -> dict:
    """The registry's ``ngram_js``: Jensen-Shannon divergence of the 1- to 3-gram distributions."""
    return {"ngram_js": ngram_js(panel.real_texts, panel.gen_texts, 3, panel.tokenizer)}
