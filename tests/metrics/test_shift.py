"""Shift metrics on random vectors and small text sets (no model)."""

from __future__ import annotations

import numpy as np
import pytest

from synthdiv.errors import UserError
from synthdiv.metrics import shift_report
from synthdiv.metrics.mauve_score import mauve, mauve_from_histograms
from synthdiv.metrics.shift import equal_size_indices
from synthdiv.metrics.shift_embedding import classifier_auc, frechet_distance, mmd2_unbiased, prdc
from synthdiv.metrics.shift_lexical import js_divergence_counts, ks_statistic, ngram_js, wasserstein1
from synthdiv.metrics.texts import TextSet

RNG = np.random.default_rng(0)
X = RNG.normal(size=(150, 6))
Y_SAME = RNG.normal(size=(150, 6))
Y_FAR = RNG.normal(size=(150, 6)) + 3.0


def test_frechet_matches_the_scipy_sqrtm_formula():
    scipy_linalg = pytest.importorskip("scipy.linalg")
    y = Y_SAME * 1.5 + 0.2
    cx, cy = np.cov(X, rowvar=False), np.cov(y, rowvar=False)
    mu = X.mean(0) - y.mean(0)
    ref = mu @ mu + np.trace(cx + cy - 2 * np.real(scipy_linalg.sqrtm(cx @ cy)))
    assert frechet_distance(X, y) == pytest.approx(ref, rel=1e-8)
    assert frechet_distance(X, X) == pytest.approx(0.0, abs=1e-8)


def test_unbiased_mmd_equals_the_double_sum_and_the_test_separates():
    x, y = X[:20], Y_FAR[:25]
    res = mmd2_unbiased(x, y, permutations=50, bandwidth=2.0)
    k = lambda a, b: np.exp(-np.sum((a - b) ** 2) / (2 * 2.0**2))  # noqa: E731
    kxx = sum(k(x[i], x[j]) for i in range(20) for j in range(20) if i != j) / (20 * 19)
    kyy = sum(k(y[i], y[j]) for i in range(25) for j in range(25) if i != j) / (25 * 24)
    kxy = sum(k(a, b) for a in x for b in y) / (20 * 25)
    assert res["mmd2"] == pytest.approx(kxx + kyy - 2 * kxy, rel=1e-10)
    assert res["mmd2_p_value"] == pytest.approx(1 / 51)
    # Under the null the p-value is uniform: few of 20 same-distribution pairs fall below 0.05.
    null_p = []
    for seed in range(20):
        rng = np.random.default_rng(100 + seed)
        null_p.append(mmd2_unbiased(rng.normal(size=(60, 6)), rng.normal(size=(60, 6)), permutations=100)["mmd2_p_value"])
    assert sum(p < 0.05 for p in null_p) <= 4


def test_prdc_extremes():
    same = prdc(X, X, k=5)
    assert same["precision"] == same["recall"] == same["coverage"] == 1.0
    far = prdc(X, Y_FAR, k=5)
    assert far["precision"] < 0.1 and far["coverage"] < 0.1


def test_classifier_auc_near_half_for_same_and_one_for_far():
    assert classifier_auc(X, Y_SAME)["classifier_auc"] < 0.7
    assert classifier_auc(X, Y_FAR)["classifier_auc"] > 0.99


def test_mauve_extremes():
    p = np.array([0.5, 0.5, 0.0])
    assert mauve_from_histograms(p, p) == pytest.approx(1.0, abs=1e-4)
    assert mauve_from_histograms(np.array([1.0, 0.0]), np.array([0.0, 1.0])) < 0.05
    same = mauve(Y_SAME, X, seeds=(0, 1), n_init=1)
    far = mauve(Y_FAR, X, seeds=(0, 1), n_init=1)
    assert far["mauve"] < same["mauve"] and same["mauve_buckets"] == 15 and same["mauve_sd"] is not None


def test_lexical_shift_pieces():
    a, b = np.array([1, 2, 3, 4]), np.array([3, 4, 5, 6])
    assert ks_statistic(a, b) == 0.5
    assert wasserstein1(a, b) == pytest.approx(2.0)
    assert js_divergence_counts(np.array([1.0, 0]), np.array([0, 1.0])) == pytest.approx(1.0)
    assert ngram_js(["a b c"], ["a b c"])["1"] == pytest.approx(0.0)
    assert ngram_js(["a b"], ["c d"])["2"] == pytest.approx(1.0)
    assert ngram_js(["a"], ["b"])["2"] is None


def test_equal_size_subsampling_is_seeded_and_sorted():
    r, g = equal_size_indices(10, 4, seed=3)
    assert g.tolist() == [0, 1, 2, 3] and len(r) == 4 and list(r) == sorted(r)
    assert equal_size_indices(10, 4, seed=3)[0].tolist() == r.tolist()


def fake_encoder(texts):
    """A deterministic stand-in for a sentence embedder: bag of letters."""
    out = np.zeros((len(texts), 26), dtype=np.float32)
    for i, t in enumerate(texts):
        for ch in t.lower():
            if "a" <= ch <= "z":
                out[i, ord(ch) - 97] += 1
    return out + 1e-3


def test_shift_report_with_a_fake_encoder_has_every_key():
    rng = np.random.default_rng(0)
    words = ["cat", "dog", "sun", "rain", "house", "tree", "bird", "river"]
    real = [" ".join(rng.choice(words, 6)) for _ in range(60)]
    gen = [" ".join(rng.choice(words[:4], 4)) for _ in range(80)]
    rep = shift_report(real, gen, encoder=fake_encoder, mauve_seeds=(0, 1), mmd_permutations=20, bootstrap=20)
    assert rep["samples_compared"] == 60
    assert rep["lengths"]["text"]["real"]["mean"] == 6 and rep["lengths"]["text"]["generated"]["mean"] == 4
    emb = rep["embedding"]
    for key in ("frechet_distance", "mmd2", "mmd2_p_value", "precision", "recall", "density", "coverage",
                "mauve", "mauve_sd", "classifier_auc", "classifier_auc_sd"):
        assert emb[key] is not None, key
    assert set(rep["timings_s"]) >= {"lengths", "ngram_js", "frechet", "mmd", "prdc", "mauve", "classifier"}


def test_mismatched_tasks_are_a_user_error():
    a = TextSet("real.jsonl", ["a b", "c d"], task="story_completion", fields={"text": ["a b", "c d"]})
    b = TextSet("gen.jsonl", ["a b", "c d"], task="long_context_qa", fields={"text": ["a b", "c d"]})
    with pytest.raises(UserError, match="same task"):
        shift_report(a, b)
