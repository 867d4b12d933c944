"""Gradient diversity and fluency under the real offline SmolLM2 (slower; marked integration)."""

from __future__ import annotations

import pytest

from synthdiv.records import Record

pytestmark = pytest.mark.integration


def test_g_vendi_of_story_cloze_under_smollm2(story_cloze_csv):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    from synthdiv.data import read_input
    from synthdiv.metrics.choices import GradientSettings
    from synthdiv.metrics.gradient import g_vendi, gradient_vectors

    records = read_input(story_cloze_csv)[:6]
    settings = GradientSettings(dim=256)
    vectors = gradient_vectors(records, settings)
    assert vectors.shape == (6, 256)
    assert 1.0 < g_vendi(vectors) <= 6.0
    one = records[0]
    repeated = [Record(id=f"r{i}", task=one.task, context=one.context, target=one.target) for i in range(3)]
    assert g_vendi(gradient_vectors(repeated, settings)) == pytest.approx(1.0, abs=1e-6)  # from the cache: the same record


def test_fluency_of_story_cloze_under_smollm2(story_cloze_csv):
    """Real stories against themselves shuffled into two halves: losses near SmolLM2's on real text, no difference."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    from synthdiv.data import read_input
    from synthdiv.metrics import fluency
    from synthdiv.metrics.texts import text_set

    records = read_input(story_cloze_csv)[:16]
    real, gen = text_set(records[:8], "real"), text_set(records[8:], "gen")
    values = {name: fluency.per_record(s.records, s.texts) for name, s in (("real", real), ("gen", gen))}
    assert all(1.0 < v < 8.0 for v in values["gen"]["loss"])
    assert fluency.compare_with_real(values["real"], values["gen"])["verdict"] == fluency.SAME
