"""LoRA dropout drawn as gaps (training.dropout): the same distribution as nn.Dropout, from the seeded generator."""

from __future__ import annotations

import math

import pytest
import torch

from synthdiv.training.dropout import GapDropout, dropped_positions, use_gap_dropout


def test_each_position_is_dropped_with_probability_p_independently_of_its_neighbour():
    gen = torch.Generator().manual_seed(0)
    n, p, draws = 200, 0.1, 20_000
    dropped = torch.zeros(draws, n, dtype=torch.bool)
    for k in range(draws):
        dropped[k, dropped_positions(n, p, gen)] = True
    rate = dropped.double().mean(0)  # each position over 20,000 draws: sd 0.0021
    assert (rate - p).abs().max() < 5 * math.sqrt(p * (1 - p) / draws)
    both = (dropped[:, :-1] & dropped[:, 1:]).double().mean()  # neighbours: p^2 if independent (sd 9e-5 over 3.98M pairs)
    assert abs(both - p * p) < 5 * math.sqrt(p * p * (1 - p * p) / (draws * (n - 1)))
    counts = dropped.sum(1).double()  # Binomial(n, p): mean 20, variance 18
    assert abs(counts.mean() - n * p) < 5 * math.sqrt(n * p * (1 - p) / draws)
    assert abs(counts.var() / (n * p * (1 - p)) - 1) < 0.05


@pytest.mark.parametrize("per_round", [1, 3, None])
def test_positions_are_ascending_distinct_and_inside_whatever_the_rounds(per_round):
    gen = torch.Generator().manual_seed(1)
    for n, p in [(1, 0.5), (7, 0.9), (1000, 0.05), (50_000, 0.3)]:
        pos = dropped_positions(n, p, gen, per_round=per_round)
        assert pos.dtype == torch.int64 and (pos.diff() > 0).all() and (pos.numel() == 0 or (0 <= pos[0] and pos[-1] < n))
    rounds = [dropped_positions(10_000, 0.2, torch.Generator().manual_seed(2), per_round=r).numel() for r in (1, 5, None)]
    assert all(abs(c - 2000) < 5 * math.sqrt(10_000 * 0.2 * 0.8) for c in rounds)
    assert dropped_positions(0, 0.5).numel() == 0 and dropped_positions(10, 0.0).numel() == 0


def test_kept_elements_are_scaled_as_nn_dropout_scales_them_and_the_gradient_is_the_mask():
    torch.manual_seed(3)
    x = torch.randn(64, 48, requires_grad=True)
    y = GapDropout(0.25)(x)
    kept = y != 0
    assert torch.allclose(y[kept], x[kept] / 0.75)
    y.sum().backward()
    assert torch.equal(x.grad, kept.float() / 0.75)
    assert 0.15 < 1 - kept.float().mean() < 0.35


def test_the_seed_decides_the_masks_and_a_restored_generator_draws_them_again():
    x = torch.ones(32, 32)
    torch.manual_seed(4)
    first = GapDropout(0.1)(x)
    state = torch.get_rng_state()
    second = GapDropout(0.1)(x)
    torch.set_rng_state(state)  # what a checkpoint's restore does
    assert torch.equal(GapDropout(0.1)(x), second) and not torch.equal(first, second)
    torch.manual_seed(4)
    assert torch.equal(GapDropout(0.1)(x), first)


def test_in_evaluation_and_at_p_zero_the_input_passes_unchanged():
    x = torch.randn(8, 8)
    assert GapDropout(0.0)(x) is x and GapDropout(0.5).eval()(x) is x
    with pytest.raises(ValueError, match="must lie in"):
        GapDropout(1.0)


def test_off_the_cpu_it_is_nn_dropouts_own_function(monkeypatch):
    calls = []
    monkeypatch.setattr(torch.nn.functional, "dropout", lambda x, p, training: calls.append((x.device.type, p, training)) or x)
    GapDropout(0.1)(torch.empty(4, 4, device="meta"))
    assert calls == [("meta", 0.1, True)]


def test_every_lora_dropout_of_a_peft_model_is_swapped_and_nothing_else():
    from peft import LoraConfig, get_peft_model
    from transformers import GPT2Config, GPT2LMHeadModel

    model = GPT2LMHeadModel(GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=64, n_positions=32))
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_dropout=0.1, target_modules=["c_attn", "c_proj"], fan_in_fan_out=True))
    assert use_gap_dropout(peft_model) == 4 + 2  # c_attn and c_proj of the attention, c_proj of the MLP, per layer
    lora = [d for m in peft_model.modules() if isinstance(getattr(m, "lora_dropout", None), torch.nn.ModuleDict)
            for d in m.lora_dropout.values()]
    assert len(lora) == 6 and all(isinstance(d, GapDropout) and d.p == 0.1 for d in lora)
    assert sum(type(m) is torch.nn.Dropout for m in peft_model.modules()) == 2 * 3 + 1  # GPT-2's own: attention, residual, MLP; embeddings
