"""``shift_report``: how far a generated set is from a real one, as a plain dict.

The paper reports a "distribution distance" without saying which (see
docs/metrics.md); we report a panel. The two sets are compared at equal size:
the larger is subsampled (seeded) to the size of the smaller, since most of
these statistics depend on the sample size. Lexical parts always run; the
embedding parts (Fréchet, MMD, PRDC, MAUVE, classifier AUC) need an embedder.

The report states its sample sizes (``n_real``, ``n_generated``, and
``samples_compared`` per side) and lists in ``warnings`` each statistic whose
value is not stable at that size (thresholds in :data:`MIN_POINTS`, reasons in
docs/uncertainty.md). An MMD permutation p-value at its floor 1/(B+1) is flagged
(``mmd_p_at_floor``) and displayed as "≤ 1/(B+1)" (``mmd2_p_value_text``): no
permutation was as extreme, so the p-value is only bounded, not measured.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from synthdiv.errors import UserError
from synthdiv.metrics.choices import DEFAULT_MAUVE_SETTING
from synthdiv.metrics.shift_lexical import length_shift, ngram_js
from synthdiv.metrics.texts import TEXT_FIELD, TextSet

# Points per side below which a statistic moves too much with the sample to be read alone.
MIN_POINTS = {
    "mauve": 200,  # k-means quantisation into ~n/10 buckets: fewer points, few and noisy buckets
    "prdc": 200,  # k-NN radii in high dimension: precision/recall swing with each point added
    "classifier_auc": 50,  # 5-fold CV with ~10 points per class per fold: AUC sd near 0.1
}


def equal_size_indices(n_real: int, n_gen: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices into each set so both have min(n_real, n_gen) items; the larger is
    subsampled without replacement with ``seed`` and kept in its original order."""
    n = min(n_real, n_gen)
    rng = np.random.default_rng(seed)

    def pick(size: int) -> np.ndarray:
        return np.arange(size) if size == n else np.sort(rng.choice(size, n, replace=False))

    return pick(n_real), pick(n_gen)


def _as_textset(x: TextSet | Sequence[str], name: str) -> TextSet:
    if isinstance(x, TextSet):
        return x
    texts = list(x)
    return TextSet(path=name, texts=texts, fields={TEXT_FIELD: texts})


def shift_report(
    real: TextSet | Sequence[str],
    generated: TextSet | Sequence[str],
    embedder: str | None = None,
    *,
    encoder=None,
    tokenizer: str = "regex",
    seed: int = 0,
    mmd_max_samples: int = 2000,
    mmd_permutations: int = 200,
    mauve_seeds: Sequence[int] = (0, 1, 2),
    bootstrap: int = 200,
    mauve_setting: str = DEFAULT_MAUVE_SETTING,
) -> dict[str, Any]:
    """The shift panel between ``real`` and ``generated`` (texts or loaded files)."""
    real, gen = _as_textset(real, "<real>"), _as_textset(generated, "<generated>")
    if real.task and gen.task and real.task != gen.task:
        raise UserError(
            f"REAL is {real.task} but GENERATED is {gen.task}; compare sets of the same task",
            where=f"{real.path} vs {gen.path}",
        )
    if len(real) < 2 or len(gen) < 2:
        raise UserError("each set needs at least two texts to compare distributions", where=f"{real.path} vs {gen.path}")
    ri, gi = equal_size_indices(len(real), len(gen), seed)
    timings: dict[str, float] = {}
    fields = [f for f in real.fields if f in gen.fields]
    report: dict[str, Any] = {
        "real": {"file": real.path, "samples": len(real)},
        "generated": {"file": gen.path, "samples": len(gen)},
        "samples_compared": int(ri.size),
        "n_real": len(real),
        "n_generated": len(gen),
        "seed": seed,
        "tokenizer": tokenizer,
        "lengths": {},
    }
    t0 = time.perf_counter()
    for f in fields:
        report["lengths"][f] = length_shift(
            [real.fields[f][i] for i in ri], [gen.fields[f][i] for i in gi], tokenizer, bootstrap, seed
        )
    timings["lengths"] = time.perf_counter() - t0
    real_texts = [real.texts[i] for i in ri]
    gen_texts = [gen.texts[i] for i in gi]
    t0 = time.perf_counter()
    report["ngram_js"] = ngram_js(real_texts, gen_texts, 3, tokenizer)
    timings["ngram_js"] = time.perf_counter() - t0
    report["embedder"] = embedder
    report["embedding"] = None
    if embedder or encoder:
        report["embedding"] = _embedding_panel(
            real_texts, gen_texts, embedder or "custom", encoder, seed, mmd_max_samples, mmd_permutations, mauve_seeds, timings,
            mauve_setting,
        )
    report["warnings"] = sample_size_warnings(int(ri.size), report["embedding"])
    report["timings_s"] = {k: round(v, 4) for k, v in timings.items()}
    return report


def sample_size_warnings(points: int, embedding: dict[str, Any] | None) -> list[str]:
    """One line per statistic of the panel that ``points`` per side cannot pin down."""
    if embedding is None:
        return []
    notes = []
    for key, minimum in MIN_POINTS.items():
        if points < minimum:
            notes.append(f"{key} on {points} points per side is unstable (needs at least {minimum}); read it with care")
    dims = embedding["dimensions"]
    if points <= dims:
        notes.append(
            f"frechet_distance on {points} points in {dims} dimensions: the covariances are singular "
            f"(rank at most {points - 1}), so the value mostly reflects the sample size; use more than {dims} points"
        )
    return notes


def p_value_floor_text(p_value: float, permutations: int) -> tuple[bool, str]:
    """(at floor, display): a permutation p-value (1 + #extreme) / (B + 1) at 1/(B+1) means no
    permutation was as extreme; the true p-value is then only known to be at most that."""
    at_floor = p_value <= 1.0 / (permutations + 1) + 1e-15
    return at_floor, (f"≤ 1/{permutations + 1}" if at_floor else f"{p_value:.4f}")


def _embedding_panel(real_texts, gen_texts, embedder, encoder, seed, mmd_max, permutations, mauve_seeds, timings,
                     mauve_setting) -> dict:
    from synthdiv.metrics.embed_cache import embed_texts
    from synthdiv.metrics.mauve_score import mauve
    from synthdiv.metrics.shift_embedding import classifier_auc, frechet_distance, mmd2_unbiased, prdc

    t0 = time.perf_counter()
    x = embed_texts(real_texts, embedder, encoder=encoder).astype(np.float64)
    y = embed_texts(gen_texts, embedder, encoder=encoder).astype(np.float64)
    timings["embed"] = time.perf_counter() - t0
    out: dict[str, Any] = {"dimensions": int(x.shape[1])}

    t0 = time.perf_counter()
    out["frechet_distance"] = frechet_distance(x, y)
    timings["frechet"] = time.perf_counter() - t0

    # The MMD kernel matrix is (2m)^2 floats: cap m so 5k vs 5k stays within memory.
    t0 = time.perf_counter()
    m = min(x.shape[0], mmd_max)
    rng = np.random.default_rng(seed + 7)
    xi = np.sort(rng.choice(x.shape[0], m, replace=False)) if m < x.shape[0] else np.arange(m)
    yi = np.sort(rng.choice(y.shape[0], m, replace=False)) if m < y.shape[0] else np.arange(m)
    out.update(mmd2_unbiased(x[xi], y[yi], permutations=permutations, seed=seed))
    out["mmd_samples"] = int(m)
    out["mmd_p_at_floor"], out["mmd2_p_value_text"] = p_value_floor_text(out["mmd2_p_value"], permutations)
    timings["mmd"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    out.update(prdc(x, y))
    timings["prdc"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    out.update(mauve(y, x, seeds=mauve_seeds, setting=mauve_setting))
    timings["mauve"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    out.update(classifier_auc(x, y, seed=seed))
    timings["classifier"] = time.perf_counter() - t0
    return out


# ----- reading the panel: what each number's direction means, and the one test it has ----------
# Only the MMD² permutation test compares the sets with a null (equal distributions); the other
# statistics are distances or scores without a null reference here, so the verdict rests on it.
VERDICT_LEVEL = 0.95  # the level of the panel's bootstrap intervals (ks_ci95, wasserstein_ci95)
DIRECTIONS = {
    "ks": "higher = more shifted",
    "wasserstein": "higher = more shifted",
    "ngram_js": "higher = more shifted (0 same, 1 disjoint)",
    "frechet_distance": "higher = more shifted",
    "mmd2": "higher = more shifted",
    "precision": "higher = closer (generated inside the real support)",
    "recall": "higher = closer (real support covered)",
    "density": "near 1 = closer (above 1: packed more tightly than real)",
    "coverage": "higher = closer",
    "mauve": "higher = closer (1 same)",
    "classifier_auc": "higher = more shifted (0.5 indistinguishable)",
}
NO_TEST = ("no verdict without an embedder: the lexical distances have no null reference here "
           "(add --embedder minilm-l6 for the MMD² permutation test)")


def shift_verdict(report: dict[str, Any], level: float = VERDICT_LEVEL) -> str:
    """One line: does the MMD² permutation test reject equal distributions at ``1 - level``?"""
    embedding = report.get("embedding") or {}
    p = embedding.get("mmd2_p_value")
    if p is None:
        return NO_TEST
    alpha = round(1 - level, 12)  # 1 - 0.95 is 0.050000000000000044 in floats
    shown = embedding.get("mmd2_p_value_text") or f"{p:.4f}"
    n = embedding.get("mmd_samples", report["samples_compared"])
    if p < alpha:
        return f"shifted: the MMD² permutation test rejects equal distributions (p {_p_words(shown)} < {alpha:g}, {n} per side)"
    return f"no shift resolved at {n} per side: the MMD² permutation test does not reject equal distributions (p {_p_words(shown)} ≥ {alpha:g})"


def _p_words(text: str) -> str:
    return text if text.startswith("≤") else f"= {text}"
