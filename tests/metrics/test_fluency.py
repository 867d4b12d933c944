"""Fluency, self-repetition and length per record and per set, and the verdict against a real set."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from synthdiv.metrics import fluency
from synthdiv.metrics.choices import FluencySettings
from synthdiv.training.encoding import encode_records

SETTINGS = FluencySettings(reference="tiny-reference-test", batch_size=3)


def test_record_losses_match_a_direct_computation(tiny_llama, records_of):
    """Each record alone: a full forward, cross entropy averaged over its target positions only."""
    model, tok = tiny_llama
    records = records_of(5)
    losses = fluency.record_losses(records, SETTINGS, model=model, tokenizer=tok)
    direct = []
    with torch.no_grad():
        for ex in encode_records(records, tok, 512).examples:
            logits = model(input_ids=torch.tensor([ex.input_ids])).logits[0, :-1]
            labels = torch.tensor(ex.labels[1:])
            keep = labels != -100
            direct.append(F.cross_entropy(logits[keep], labels[keep]).item())
    np.testing.assert_allclose(losses, direct, atol=1e-5)


def test_record_losses_are_cached(tiny_llama, records_of, monkeypatch):
    model, tok = tiny_llama
    first = fluency.record_losses(records_of(3), SETTINGS, model=model, tokenizer=tok)
    monkeypatch.setattr("synthdiv.evaluation.heldout_loss.evaluate", lambda *a, **k: pytest.fail("computed again"))
    assert np.array_equal(fluency.record_losses(records_of(3), SETTINGS, model=model, tokenizer=tok), first)


def test_repetition_and_length_per_record():
    values = fluency.text_values(["The cat sat on the cat, sat on the mat.", "Too short.", "one two three four five"])
    # 10 words, 7 word 4-grams, of which 'the cat sat on' and 'cat sat on the' come back once each: 2 of 7 repeat
    grams = [tuple("the cat sat on the cat sat on the mat".split()[i:i + 4]) for i in range(7)]
    assert values["repetition"] == [pytest.approx(1 - len(set(grams)) / len(grams)), 0.0] == [pytest.approx(2 / 7), 0.0]  # 'Too short.' has no 4-gram
    assert values["words"] == [10.0, 2.0, 5.0]


def test_each_mean_has_a_bootstrap_interval():
    rng = np.random.default_rng(0)
    values = {"loss": list(rng.normal(3.0, 0.5, 60)), "repetition": [0.1] * 60, "words": list(rng.integers(20, 40, 60).astype(float))}
    out = fluency.summarise(values)
    for name in ("loss", "words"):
        assert out[f"{name}_ci_low"] < out[name] < out[f"{name}_ci_high"] and out[name] == pytest.approx(np.mean(values[name]))
    assert out["loss_ci_high"] - out["loss_ci_low"] == pytest.approx(2 * 1.96 * 0.5 / np.sqrt(60), rel=0.3)
    assert [out["repetition_ci_low"], out["repetition"], out["repetition_ci_high"]] == pytest.approx([0.1] * 3)  # no spread, no width


def test_the_verdict_on_sets_that_differ_and_sets_that_do_not():
    rng = np.random.default_rng(1)
    real = {"loss": list(rng.normal(3.0, 0.3, 50)), "repetition": list(rng.uniform(0, 0.1, 50)), "words": [30.0] * 50}
    same = {"loss": list(rng.normal(3.0, 0.3, 50)), "repetition": list(rng.uniform(0, 0.1, 50)), "words": [30.0] * 50}
    worse = {**same, "loss": list(rng.normal(3.4, 0.3, 50))}
    assert fluency.compare_with_real(real, same)["verdict"] == fluency.SAME
    differs = fluency.compare_with_real(real, worse)
    assert differs["verdict"] == fluency.DIFFERS and differs["differs"] and differs["loss_p_value"] < 0.001
    assert differs["loss_difference"] == pytest.approx(np.mean(worse["loss"]) - np.mean(real["loss"]))
    assert differs["words_p_value"] == 1.0  # equal lengths: every permutation is as extreme
