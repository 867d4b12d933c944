"""Gradient diversity (G-Vendi) on a tiny random Llama: against a direct computation, its bounds,
Vendi's additivity over orthogonal sets, and the per-record cache."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from synthdiv.metrics import gradient as gradient_module
from synthdiv.metrics.gradient import GradientSettings, g_vendi, gradient_vectors, rademacher_matrix, with_parameters
from synthdiv.records import Record
from synthdiv.training.encoding import encode_records

SETTINGS = GradientSettings(proxy="tiny-llama-test", dim=16, seed=3)


def _direct(model, tok, records, params: str, settings: GradientSettings) -> np.ndarray:
    """Each record alone: a full forward, cross entropy averaged over its target positions, autograd, the
    explicit Rademacher matrix of the seed, unit rows."""
    model, parameters = with_parameters(model, params, settings.seed)
    model.eval()
    rows = []
    for ex in encode_records(records, tok, settings.max_length).examples:
        logits = model(input_ids=torch.tensor([ex.input_ids])).logits[0, :-1]
        labels = torch.tensor(ex.labels[1:])
        keep = labels != -100
        loss = F.cross_entropy(logits[keep], labels[keep])
        grads = torch.autograd.grad(loss, parameters, allow_unused=True)
        rows.append(torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1) for g, p in zip(grads, parameters)]))
    g = torch.stack(rows).double()
    r = rademacher_matrix(g.shape[1], settings.dim, settings.seed).double()
    assert set(torch.unique(r * settings.dim**0.5).tolist()) == {-1.0, 1.0}
    projected = (g @ r).numpy()
    return projected / np.linalg.norm(projected, axis=1, keepdims=True)


def _vendi_by_eigvals(u: np.ndarray) -> float:
    lam = np.linalg.eigvals(u @ u.T / len(u)).real
    lam = lam[lam > 1e-12]
    return float(np.exp(-np.sum(lam * np.log(lam))))


@pytest.mark.parametrize("params", ["lora", "full"])
def test_matches_a_direct_computation(tiny_llama, records_of, params):
    model, tok = tiny_llama
    records = records_of(5)
    settings = GradientSettings(proxy=f"tiny-{params}", params=params, dim=16, seed=3)
    vectors = gradient_vectors(records, settings, model=model, tokenizer=tok)  # a copy of the model is wrapped
    direct = _direct(model, tok, records, params, settings)
    np.testing.assert_allclose(vectors, direct, atol=1e-6)
    assert g_vendi(vectors) == pytest.approx(_vendi_by_eigvals(direct), abs=1e-6)
    assert 1.0 <= g_vendi(vectors) <= len(records)


def test_lora_gradient_lives_in_b_at_initialisation(tiny_llama, records_of):
    """PEFT's B starts at zero: dL/dA is zero, dL/dB is not (the docstring's reading)."""
    model, tok = tiny_llama
    wrapped, parameters = with_parameters(model, "lora", seed=0)
    g = gradient_module.record_gradients(wrapped, tok, records_of(1), parameters, 512)[0]
    names = [n for n, p in wrapped.named_parameters() if p.requires_grad]
    sizes = [p.numel() for p in parameters]
    parts = dict(zip(names, torch.split(g, sizes)))
    assert all(float(v.abs().sum()) == 0.0 for n, v in parts.items() if "lora_A" in n)
    assert any(float(v.abs().sum()) > 0.0 for n, v in parts.items() if "lora_B" in n)


def test_a_repeated_record_gives_one(tiny_llama, records_of):
    model, tok = tiny_llama
    one = records_of(1)[0]
    same = [Record(id=f"r{i}", task=one.task, context=one.context, target=one.target) for i in range(6)]
    assert g_vendi(gradient_vectors(same, SETTINGS, model=model, tokenizer=tok)) == pytest.approx(1.0, abs=1e-9)


def test_orthogonal_sets_add_as_vendi_does():
    """Two sets of equal size and equal Vendi v whose vectors are orthogonal across the sets: the union has 2v."""
    rng = np.random.default_rng(0)
    a = np.hstack([rng.normal(size=(7, 5)), np.zeros((7, 5))])
    b = np.hstack([np.zeros((7, 5)), a[:, :5] @ np.linalg.qr(rng.normal(size=(5, 5)))[0]])  # a rotated: the same Vendi
    assert g_vendi(a) == pytest.approx(g_vendi(b), rel=1e-9)
    assert g_vendi(np.vstack([a, b])) == pytest.approx(2 * g_vendi(a), rel=1e-9)


def test_two_distinct_records_on_the_model_add_as_vendi_does(tiny_llama, records_of):
    """On the model: a set of one record repeated and a set of another: each 1, the union 1 < v ≤ 2
    (2 exactly when their gradients are orthogonal, as the constructed test shows)."""
    model, tok = tiny_llama
    a, b = records_of(2)
    va = gradient_vectors([a, a], SETTINGS, model=model, tokenizer=tok)
    vb = gradient_vectors([b, b], SETTINGS, model=model, tokenizer=tok)
    union = np.vstack([va, vb])
    cos = float(va[0] @ vb[0])
    lam = np.array([1 + abs(cos), 1 - abs(cos)]) / 2  # the eigenvalues of the 2x2 Gram of two unit vectors, over 2
    assert g_vendi(union) == pytest.approx(float(np.exp(-np.sum(lam * np.log(lam)))), abs=1e-9)


def test_second_call_reads_the_cache(tiny_llama, records_of, monkeypatch):
    model, tok = tiny_llama
    records = records_of(4)
    first = gradient_vectors(records[:3], SETTINGS, model=model, tokenizer=tok)
    computed = []
    real = gradient_module.record_gradients
    monkeypatch.setattr(gradient_module, "record_gradients", lambda m, t, recs, *a: computed.append(len(recs)) or real(m, t, recs, *a))
    again = gradient_vectors(records[:3], SETTINGS, model=model, tokenizer=tok)
    assert computed == [] and np.array_equal(first, again)
    larger = gradient_vectors(records, SETTINGS, model=model, tokenizer=tok)  # a larger set: only the new record
    assert computed == [1] and np.array_equal(larger[:3], first)
    other_seed = GradientSettings(proxy=SETTINGS.proxy, dim=SETTINGS.dim, seed=4)
    gradient_vectors(records[:1], other_seed, model=model, tokenizer=tok)  # another seed is another vector
    assert computed == [1, 1]


def test_projection_chunks_make_one_matrix(monkeypatch):
    """Rows made in chunks are the same matrix however many rows a pass asks for."""
    monkeypatch.setattr(gradient_module, "CHUNK_ROWS", 7)
    g = torch.randn(3, 30)
    projected = gradient_module.project(g, 8, seed=1)
    np.testing.assert_allclose(projected, (g.double() @ rademacher_matrix(30, 8, 1).double()).numpy(), atol=1e-6)


def test_bad_settings_are_user_errors(records_of):
    from synthdiv.errors import UserError

    with pytest.raises(UserError, match="lora or full"):
        gradient_vectors(records_of(1), GradientSettings(params="some"))
    with pytest.raises(UserError, match="positive whole number"):
        gradient_vectors(records_of(1), GradientSettings(dim=0))
