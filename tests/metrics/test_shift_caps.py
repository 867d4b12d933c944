"""The shift metrics whose cost grows with the square of the points (MMD², PRDC, MAUVE) run on a seeded
subsample past their cap, and the report states each one's points and the draw's seed."""

from __future__ import annotations

import numpy as np
import pytest

from synthdiv.metrics import registry, shift_report
from synthdiv.metrics.mauve_score import mauve
from synthdiv.metrics.shift import SUBSAMPLE_SEED_OFFSET, max_points
from synthdiv.metrics.shift_embedding import prdc
from tests.metrics.test_shift_warnings import letter_counts  # a stand-in embedder: letter counts, no model

WORDS = ["cat", "dog", "sun", "rain", "house", "tree", "bird", "river", "stone", "cloud"]


def texts(n: int, seed: int, words=WORDS) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(words, 6)) for _ in range(n)]


def test_the_registry_declares_the_caps_once_and_overrides_replace_them():
    caps = {m.name: m.max_samples for m in registry.metrics(registry.SHIFT) if m.max_samples}
    assert caps == max_points() == {"mmd": 2000, "prdc": 10_000, "mauve": 5000}
    assert max_points({"mauve": 40}) == {**caps, "mauve": 40}
    with pytest.raises(ValueError, match="no capped shift metric 'frechet_distance'"):
        max_points({"frechet_distance": 10})
    with pytest.raises(ValueError, match="at least 2"):
        max_points({"prdc": 1})


def test_a_capped_metric_runs_on_the_stated_subsample_and_says_so():
    real, gen = texts(90, 0), texts(90, 1, WORDS[:6])
    rep = shift_report(real, gen, encoder=letter_counts, seed=3, mauve_seeds=(0,), mmd_permutations=20, bootstrap=10,
                       max_samples={"mauve": 40, "prdc": 50})
    emb = rep["embedding"]
    assert rep["samples_compared"] == 90
    assert (emb["mauve_samples"], emb["prdc_samples"], emb["mmd_samples"]) == (40, 50, 90)  # MMD under its cap
    assert emb["subsample_seed"] == 3 + SUBSAMPLE_SEED_OFFSET
    assert emb["mauve_buckets"] == 4  # round(40 / 10): the buckets follow the subsample

    x, y = (letter_counts(t).astype(np.float32).astype(np.float64) for t in (real, gen))  # as the panel gets them

    def draw(points):  # real, then generated, from one generator seeded subsample_seed; kept in order
        rng = np.random.default_rng(emb["subsample_seed"])
        return np.sort(rng.choice(90, points, replace=False)), np.sort(rng.choice(90, points, replace=False))

    xi, yi = draw(40)
    assert emb["mauve"] == mauve(y[yi], x[xi], seeds=(0,))["mauve"]
    xi, yi = draw(50)
    expected = prdc(x[xi], y[yi])
    assert {k: emb[k] for k in expected} == expected
    # the uncapped metrics still see every compared point
    full = shift_report(real, gen, encoder=letter_counts, seed=3, mauve_seeds=(0,), mmd_permutations=20, bootstrap=10)
    assert full["embedding"]["frechet_distance"] == emb["frechet_distance"]
    assert full["embedding"]["mauve_samples"] == 90 and full["embedding"]["mauve_buckets"] == 9


def test_prdc_in_blocks_is_the_same_as_in_one_piece():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(70, 5)), rng.normal(size=(60, 5)) + 0.3
    assert prdc(real, fake, chunk=7) == prdc(real, fake, chunk=1000) == prdc(real, fake)


def test_the_shift_command_names_the_subsample_in_its_settings():
    from synthdiv.cli.metrics_text import shift_settings

    payload = {"samples_compared": 30_000, "real": {"samples": 30_000}, "generated": {"samples": 30_000}, "seed": 0,
               "tokenizer": "regex", "lengths": {"text": {"bootstrap": 200}}, "embedder": "minilm-l6",
               "embedding": {"dimensions": 384, "subsample_seed": 7, "mmd_samples": 2000, "mmd_bandwidth": 1.0,
                             "mmd_permutations": 200, "prdc_k": 5, "prdc_samples": 10_000, "mauve_buckets": 500,
                             "mauve_samples": 5000, "classifier_folds": 5}}
    lines = shift_settings(payload)
    assert "PRDC k = 5 on 10000 per side; MAUVE 500 buckets on 5000 per side; classifier 5-fold" in lines
    assert lines[-1] == ("MMD on 2000, PRDC on 10000 and MAUVE on 5000 of the 30000 records per side: seeded subsamples "
                         "(numpy seed 7), since their cost grows with the square of the points")
