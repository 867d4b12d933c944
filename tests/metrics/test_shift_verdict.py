"""The one-line reading of the shift panel: it follows the MMD² permutation test and nothing else."""

from __future__ import annotations

import numpy as np

from synthdiv.metrics.shift import DIRECTIONS, NO_TEST, shift_report, shift_verdict


def letters(texts):
    """A deterministic stand-in embedder: letter counts."""
    out = np.zeros((len(texts), 26))
    for i, t in enumerate(texts):
        for ch in t.lower():
            if "a" <= ch <= "z":
                out[i, ord(ch) - 97] += 1
    return out + 1e-3


def _sets(shifted: bool, n: int = 60):
    rng = np.random.default_rng(0)
    words = ["cat", "dog", "sun", "rain", "house", "tree", "bird", "river"]
    real = [" ".join(rng.choice(words, 6)) for _ in range(n)]
    gen = [" ".join(rng.choice(words[:3] if shifted else words, 6)) for _ in range(n)]
    return real, gen


def test_a_clear_shift_is_called_shifted_with_its_p_value():
    real, gen = _sets(shifted=True)
    rep = shift_report(real, gen, encoder=letters, mauve_seeds=(0,), mmd_permutations=99, bootstrap=10)
    assert rep["embedding"]["mmd2_p_value"] < 0.05
    assert shift_verdict(rep).startswith("shifted: the MMD² permutation test rejects") and "≤ 1/100" in shift_verdict(rep)


def test_the_same_distribution_is_not_called_shifted():
    real, gen = _sets(shifted=False)
    rep = shift_report(real, gen, encoder=letters, mauve_seeds=(0,), mmd_permutations=99, bootstrap=10)
    assert rep["embedding"]["mmd2_p_value"] >= 0.05
    assert shift_verdict(rep).startswith("no shift resolved at 60 per side")


def test_the_verdict_reads_the_p_value_against_the_interval_level():
    base = {"samples_compared": 50, "embedding": {"mmd_samples": 50, "mmd2_p_value_text": None}}
    at = {**base, "embedding": {**base["embedding"], "mmd2_p_value": 0.049}}
    above = {**base, "embedding": {**base["embedding"], "mmd2_p_value": 0.05}}
    assert shift_verdict(at).startswith("shifted") and shift_verdict(above).startswith("no shift resolved")
    assert shift_verdict(at, level=0.99).startswith("no shift resolved")  # p 0.049 is not below 0.01


def test_too_few_permutations_cannot_reject():
    floor = {"samples_compared": 50, "embedding": {"mmd_samples": 50, "mmd2_p_value": 1 / 11, "mmd2_p_value_text": "≤ 1/11"}}
    assert shift_verdict(floor).startswith("no shift resolved") and "≤ 1/11" in shift_verdict(floor)


def test_without_an_embedder_there_is_no_verdict():
    real, gen = _sets(shifted=True, n=10)
    assert shift_verdict(shift_report(real, gen, bootstrap=5)) == NO_TEST


def test_every_printed_statistic_has_a_direction():
    assert {"ks", "wasserstein", "ngram_js", "frechet_distance", "mmd2", "precision", "recall", "density", "coverage",
            "mauve", "classifier_auc"} == set(DIRECTIONS)
    assert all(words.startswith(("higher = ", "near 1 = ")) for words in DIRECTIONS.values())  # density: near 1 = closer
