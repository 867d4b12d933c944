"""MAUVE's ``mauve-text`` setting is the package's number; the default setting did not move."""

from __future__ import annotations

import numpy as np
import pytest

import synthdiv.metrics.mauve_kmeans as mauve_kmeans
from synthdiv.metrics.mauve_score import SETTINGS, mauve, mauve_from_histograms
from synthdiv.metrics.mauve_kmeans import faiss_kmeans_labels, initial_indices

RNG = np.random.default_rng(7)
Q = RNG.normal(size=(150, 32))
P = RNG.normal(size=(140, 32)) + 0.4


def _mt19937_outputs(seed, count):
    return mauve_kmeans._raw(mauve_kmeans._mt19937(seed), count)


def test_draws_are_std_mt19937():
    # C++ [rand.predef]: the 10000th output of a default-constructed mt19937 (seed 5489) is 4123659995.
    assert int(_mt19937_outputs(5489, 10000)[-1]) == 4123659995


def test_initial_points_follow_faiss_rand_perm():
    # rand_perm(n, seed): perm = 0..n-1, then swap i with i + mt() % (n - i), for i = 0, 1, ...
    n, k, seed = 50, 7, 27
    perm = list(range(n))
    for i, r in enumerate(_mt19937_outputs(seed, n - 1)):
        j = i + int(r) % (n - i)
        perm[i], perm[j] = perm[j], perm[i]
    assert initial_indices(n, k, seed).tolist() == perm[:k]


def test_default_setting_is_unchanged():
    # Value of the implementation before the mauve-text setting (commit 09d5349) on these features.
    out = mauve(P, Q)
    assert out["mauve"] == pytest.approx(0.3607848916338181, abs=1e-12)
    assert out["mauve_sd"] == pytest.approx(0.014741273837935361, abs=1e-12)
    assert (out["mauve_seeds"], out["mauve_buckets"]) == ([0, 1, 2], 14)


def test_mauve_text_setting_uses_its_defaults():
    assert SETTINGS["mauve-text"].seeds == (25,) and SETTINGS["mauve-text"].restarts == 5
    out = mauve(P, Q, setting="mauve-text")
    assert out["mauve_seeds"] == [25] and out["mauve_sd"] is None and 0 < out["mauve"] < 1
    with pytest.raises(ValueError, match="setting"):
        mauve(P, Q, setting="faiss")


def test_plain_argsort_of_the_package_on_tied_points():
    same = np.array([0.5, 0.5])
    assert mauve_from_histograms(same, same) == pytest.approx(1.0, abs=1e-4)
    # With every curve point at (1, 1) the package's argsort order is numpy's, whatever it gives.
    assert 0.5 - 1e-9 <= mauve_from_histograms(same, same, tie_order=False) <= 1.0 + 1e-9


def _faiss_labels(faiss, x, k, seed, nredo):
    km = faiss.Kmeans(x.shape[1], k, niter=500, nredo=nredo, seed=seed, update_index=True, verbose=False)
    km.train(x)
    return km.index.search(x, 1)[1].ravel()


@pytest.mark.parametrize("n,d,k,nredo", [(300, 8, 10, 1), (871, 60, 87, 5), (200, 5, 40, 2)])
def test_kmeans_labels_equal_faiss(reference, n, d, k, nredo):
    faiss = reference("faiss")
    x = np.random.default_rng(n).standard_normal((n, d)).astype(np.float32)
    assert np.array_equal(faiss_kmeans_labels(x, k, 27, restarts=nredo), _faiss_labels(faiss, x, k, 27, nredo))


def test_empty_clusters_are_split_as_faiss_splits_them(reference, monkeypatch):
    faiss = reference("faiss")
    # 12 distinct points, 20 copies each, 16 clusters: equal initial centroids leave clusters
    # empty. One iteration (assign, means, split) must give faiss's centroids: the same donors
    # and perturbations, to float32 rounding (faiss sums the means in its own order). Later
    # iterations may not: a split centroid pair is equidistant from the copies it came from,
    # so float rounding, which is not faiss's, picks the winner.
    x = np.repeat(np.random.default_rng(3).standard_normal((12, 4)), 20, axis=0).astype(np.float32)
    splits = []
    original = mauve_kmeans.split_empty
    monkeypatch.setattr(mauve_kmeans, "split_empty", lambda *a: splits.append(original(*a)) or splits[-1])
    x_norms = np.einsum("ij,ij->i", x, x)
    objective, ours = mauve_kmeans._one_run(x, x_norms, 16, 5 + 1, max_iter=1)  # faiss restart 0 seeds rand_perm with seed + 1
    km = faiss.Kmeans(4, 16, niter=1, nredo=1, seed=5, verbose=False)
    km.train(x)
    assert sum(splits) > 0
    np.testing.assert_allclose(ours, km.centroids, rtol=1e-6, atol=1e-6)
    assert objective == pytest.approx(float(km.obj[-1]), rel=1e-6)


@pytest.mark.parametrize("shift", [0.0, 0.4])
def test_equals_mauve_text_on_the_same_features(reference, shift):
    compute_mauve = reference("mauve").compute_mauve
    rng = np.random.default_rng(11)
    q = rng.normal(size=(300, 48)).astype(np.float32)
    p = (rng.normal(size=(280, 48)) + shift).astype(np.float32)
    theirs = compute_mauve(p_features=p, q_features=q)  # seed 25, 5 restarts
    ours = mauve(p, q, setting="mauve-text")
    assert ours["mauve_buckets"] == theirs.num_buckets
    assert ours["mauve"] == pytest.approx(theirs.mauve, abs=1e-12)


def test_settings_are_the_cli_choices_and_shift_passes_the_setting(monkeypatch):
    import inspect

    import synthdiv.metrics.mauve_score as mauve_module
    from synthdiv.cli.metrics import _mauve_options, shift_cmd
    from synthdiv.metrics.choices import DEFAULT_MAUVE_SETTING, MAUVE_SETTINGS
    from synthdiv.metrics.shift import shift_report

    assert tuple(SETTINGS) == MAUVE_SETTINGS and mauve_module.DEFAULT_SETTING == DEFAULT_MAUVE_SETTING
    assert inspect.signature(shift_cmd).parameters["mauve_setting"].default.default == DEFAULT_MAUVE_SETTING
    assert inspect.signature(shift_report).parameters["mauve_setting"].default == DEFAULT_MAUVE_SETTING
    # The default setting's seeds are shift_report's default seeds: the CLI changes nothing by default.
    assert _mauve_options(DEFAULT_MAUVE_SETTING)["mauve_seeds"] == inspect.signature(shift_report).parameters["mauve_seeds"].default
    seen = {}
    monkeypatch.setattr(mauve_module, "mauve", lambda p, q, seeds, setting: seen.update(seeds=seeds, setting=setting) or {})
    shift_report(["a b c d"] * 12, ["a b d c"] * 12, encoder=lambda t: np.eye(12, 8)[: len(t)] + 0.01,
                 mmd_permutations=5, bootstrap=5, **_mauve_options("mauve-text"))
    assert seen == {"seeds": (25,), "setting": "mauve-text"}
