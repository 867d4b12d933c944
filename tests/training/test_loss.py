"""The target-token NLL: the fused, chunked head gives the plain cross-entropy's values and gradients."""

import pytest
import torch
import torch.nn.functional as F

from synthdiv.training.loss import ChunkedHeadNLL, TargetNLL


def _problem(rows=37, dim=16, vocab=211, seed=0):
    gen = torch.Generator().manual_seed(seed)
    hidden = torch.randn(rows, dim, generator=gen, dtype=torch.float64)
    weight = torch.randn(vocab, dim, generator=gen, dtype=torch.float64) * 0.3
    labels = torch.randint(0, vocab, (rows,), generator=gen)
    return hidden, weight, labels


@pytest.mark.parametrize("chunk", [1, 5, 37, 100])
def test_chunked_head_equals_cross_entropy_and_its_gradient(chunk):
    hidden, weight, labels = _problem()
    upstream = torch.rand(hidden.shape[0], dtype=torch.float64)  # any weighting of the rows, e.g. 1 / target tokens
    ref_h = hidden.clone().requires_grad_()
    ref = F.cross_entropy(ref_h @ weight.T, labels, reduction="none")
    (ref * upstream).sum().backward()
    ours_h = hidden.clone().requires_grad_()
    ours = ChunkedHeadNLL.apply(ours_h, weight, labels, chunk)
    (ours * upstream.float()).sum().backward()
    assert ours.dtype == torch.float32
    torch.testing.assert_close(ours.double(), ref.detach(), rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(ours_h.grad, ref_h.grad, rtol=1e-6, atol=1e-7)


def _tiny_llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=97, hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
                         num_key_value_heads=1, max_position_embeddings=64, tie_word_embeddings=True)
    return LlamaForCausalLM(config)


def test_target_nll_of_a_lora_model_matches_the_model_own_loss_and_gradients():
    from peft import LoraConfig, get_peft_model

    model = get_peft_model(_tiny_llama(), LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], lora_dropout=0.0))
    for p in model.parameters():
        if p.requires_grad:
            torch.nn.init.normal_(p, std=0.1)  # LoRA's B starts at zero: give the adapter a gradient path both ways
    ids = torch.randint(0, 97, (3, 12), generator=torch.Generator().manual_seed(1))
    mask = torch.ones_like(ids)
    labels = ids.clone()
    labels[:, :7] = -100
    labels[2, :10] = -100  # samples with different numbers of target tokens
    nll, tokens = TargetNLL(model)(ids, mask, labels)
    (nll.sum() / tokens.sum()).backward()
    ours = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
    model.zero_grad()
    ref = model(input_ids=ids, attention_mask=mask, labels=labels).loss  # mean over all target tokens
    ref.backward()
    torch.testing.assert_close(nll.sum() / tokens.sum(), ref.detach(), rtol=1e-5, atol=1e-6)
    assert tokens.tolist() == [5, 5, 2]
    for name, p in model.named_parameters():
        if p.requires_grad:
            torch.testing.assert_close(ours[name], p.grad, rtol=1e-4, atol=1e-6)
