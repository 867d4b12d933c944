"""The negative log-likelihood of target tokens: one module for training and evaluation.

:class:`TargetNLL` wraps a causal LM (plain or PEFT) and returns, per sample,
the summed NLL of its target tokens and their number. Training divides the sum
over a whole optimizer step by the number of target tokens in that step;
evaluation divides the sum over the test set by its number of target tokens
(never a mean of batch means). Both call this one forward.

Why not ``model(..., labels=...)``: that returns a mean over the batch, whose
weight per token changes with batch composition, and it computes vocabulary
logits for every position. Here the language-model head runs only on the
positions whose next token is a target token: for stories (a ~60-token prompt,
a ~15-token target) that skips most of the head's work, which for a small model
with a 49k vocabulary is a large share of the forward pass.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from synthdiv.training.encoding import IGNORE_INDEX


def _causal_lm(model: nn.Module) -> nn.Module:
    """The transformers model inside a PEFT wrapper (LoRA layers are injected in place)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def _head_is_plain(lm: nn.Module) -> bool:
    """True when logits = lm_head(last hidden state), so the head may run on a subset of positions.
    Models that post-process logits (soft-capping, scaling) take the full forward instead."""
    config = getattr(lm, "config", None)
    if config is None or lm.get_output_embeddings() is None:
        return False
    for attr in ("final_logit_softcapping", "logit_scale", "logits_scaling", "output_multiplier_scale"):
        value = getattr(config, attr, None)
        if value not in (None, 1, 1.0):
            return False
    return getattr(lm, "base_model", lm) is not lm


class TargetNLL(nn.Module):
    """forward(input_ids, attention_mask, labels) -> (summed NLL per sample, target tokens per sample)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor):
        lm = _causal_lm(self.model)
        next_labels = labels[:, 1:]  # the token each position predicts
        keep = next_labels != IGNORE_INDEX  # (batch, seq - 1)
        if _head_is_plain(lm):
            hidden = lm.base_model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)[0]
            nll = _head_nll(lm.get_output_embeddings(), hidden[:, :-1][keep], next_labels[keep])
        else:
            out = lm(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)
            # float32 for the softmax whatever the compute dtype (bf16 log-probs lose ~3 digits)
            nll = F.cross_entropy(out.logits[:, :-1][keep].float(), next_labels[keep], reduction="none")
        rows = keep.nonzero(as_tuple=True)[0]
        per_sample = torch.zeros(labels.shape[0], dtype=torch.float32, device=nll.device).index_add_(0, rows, nll)
        return per_sample, keep.sum(dim=1)


HEAD_CHUNK_BYTES = 8 << 20  # fp32 logits per chunk of the fused head: stays in cache, and its buffer is reused


def _head_nll(head: nn.Module, hidden: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """NLL of ``labels`` under ``head(hidden)``, in float32. A frozen bias-free head outside autocast (LoRA's case)
    takes :class:`ChunkedHeadNLL`, which never holds the (targets × vocabulary) logits; any other takes the plain
    product and cross-entropy."""
    weight = head.weight
    if getattr(head, "bias", None) is None and not weight.requires_grad and not torch.is_autocast_enabled(hidden.device.type):
        chunk = max(1, HEAD_CHUNK_BYTES // (4 * weight.shape[0]))
        return ChunkedHeadNLL.apply(hidden, weight, labels, chunk)
    return F.cross_entropy(head(hidden).float(), labels, reduction="none")


class ChunkedHeadNLL(torch.autograd.Function):
    """Per-row NLL of ``labels`` under the logits ``hidden @ weight.T``, computed a chunk of rows at a time.

    With a 49k vocabulary the logits of a batch's target tokens are hundreds of MB: allocating, filling, soft-maxing
    and back-propagating through them costs more than the small model that produced ``hidden`` (measured in
    docs/training.md). Here each chunk's logits live in a few MB, and the gradient with respect to ``hidden``,
    (softmax − one-hot) · weight, is computed in the same pass, so nothing of the logits is kept for the backward
    pass. The weight is frozen (no gradient). Same values as ``F.cross_entropy(hidden @ weight.T, labels)`` up to
    float rounding (tests/training/test_loss.py)."""

    @staticmethod
    def forward(ctx, hidden: torch.Tensor, weight: torch.Tensor, labels: torch.Tensor, chunk: int) -> torch.Tensor:
        nll = torch.empty(hidden.shape[0], dtype=torch.float32, device=hidden.device)
        grad = torch.empty_like(hidden) if ctx.needs_input_grad[0] else None
        for start in range(0, hidden.shape[0], chunk):
            part = slice(start, start + chunk)
            # log_softmax, not logsumexp: about 3x faster on a CPU (measured), and its exp is the softmax the gradient needs
            log_probs = torch.log_softmax((hidden[part] @ weight.T).float(), dim=1)
            target = labels[part, None]
            nll[part] = -log_probs.gather(1, target).squeeze(1)
            if grad is not None:
                probs = log_probs.exp_()
                probs.scatter_add_(1, target, torch.full(target.shape, -1.0, dtype=probs.dtype, device=probs.device))
                grad[part] = probs.to(weight.dtype) @ weight
        ctx.save_for_backward(grad)
        return nll

    @staticmethod
    def backward(ctx, grad_nll: torch.Tensor):
        (grad,) = ctx.saved_tensors
        return grad * grad_nll[:, None].to(grad.dtype), None, None, None
