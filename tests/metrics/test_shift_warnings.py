"""The shift panel states its sample sizes, warns below the stable sizes and marks an MMD
p-value at its permutation floor."""

from __future__ import annotations

import numpy as np

from synthdiv.cli.metrics_text import print_shift
from synthdiv.metrics.shift import MIN_POINTS, p_value_floor_text, sample_size_warnings, shift_report, shift_verdict

WORDS = ["cat", "dog", "sun", "rain", "house", "tree", "bird", "river"]


def letter_counts(texts):
    """A 26-dimensional stand-in embedder: letter counts."""
    out = np.zeros((len(texts), 26))
    for i, t in enumerate(texts):
        for ch in t:
            if "a" <= ch <= "z":
                out[i, ord(ch) - 97] += 1
    return out + 1e-3


def _sets(n_real, n_gen, seed=0):
    rng = np.random.default_rng(seed)
    real = [" ".join(rng.choice(WORDS, 6)) for _ in range(n_real)]
    gen = [" ".join(rng.choice(WORDS[:3], 4)) for _ in range(n_gen)]
    return real, gen


def test_small_sets_get_warnings_and_the_sizes_are_stated(capsys):
    real, gen = _sets(20, 35)
    rep = shift_report(real, gen, encoder=letter_counts, mauve_seeds=(0,), mmd_permutations=20, bootstrap=10)
    assert (rep["n_real"], rep["n_generated"], rep["samples_compared"]) == (20, 35, 20)
    text = " | ".join(rep["warnings"])
    assert len(rep["warnings"]) == 4  # MAUVE, PRDC, classifier AUC, and Fréchet (20 points in 26 dims)
    for key in MIN_POINTS:
        assert f"{key} on 20 points per side" in text
    assert "frechet_distance on 20 points in 26 dimensions" in text
    # Far apart sets: no permutation reaches the observed MMD², the p-value sits at 1/21.
    emb = rep["embedding"]
    assert emb["mmd2_p_value"] == 1 / 21 and emb["mmd_p_at_floor"] is True and emb["mmd2_p_value_text"] == "≤ 1/21"
    print_shift(rep | {"verdict": shift_verdict(rep)})
    out = capsys.readouterr().out
    assert "permutation p ≤ 1/21 (floor of 20 permutations)" in out
    assert sum(line.startswith("warning: ") for line in out.splitlines()) == 4


def test_thresholds_and_floor_text():
    assert sample_size_warnings(500, None) == []  # no embedding panel: nothing to warn about
    assert sample_size_warnings(500, {"dimensions": 384}) == []
    middle = sample_size_warnings(100, {"dimensions": 384})
    assert [w.split(" ")[0] for w in middle] == ["mauve", "prdc", "frechet_distance"]
    assert sample_size_warnings(385, {"dimensions": 384}) == []  # one point more than the dimensions
    assert len(sample_size_warnings(199, {"dimensions": 8})) == 2 and sample_size_warnings(200, {"dimensions": 8}) == []
    assert p_value_floor_text(1 / 201, 200) == (True, "≤ 1/201")
    assert p_value_floor_text(0.25, 200) == (False, "0.2500")


def test_lexical_only_report_has_no_warnings_and_keeps_its_keys():
    real, gen = _sets(10, 10, seed=1)
    rep = shift_report(real, gen, bootstrap=10)
    assert rep["warnings"] == [] and rep["embedding"] is None
    assert {"real", "generated", "samples_compared", "seed", "tokenizer", "lengths", "ngram_js"} <= set(rep)
