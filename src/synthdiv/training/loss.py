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
            logits = lm.get_output_embeddings()(hidden[:, :-1][keep])
        else:
            out = lm(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)
            logits = out.logits[:, :-1][keep]
        # float32 for the softmax whatever the compute dtype (bf16 log-probs lose ~3 digits)
        nll = F.cross_entropy(logits.float(), next_labels[keep], reduction="none")
        rows = keep.nonzero(as_tuple=True)[0]
        per_sample = torch.zeros(labels.shape[0], dtype=torch.float32, device=nll.device).index_add_(0, rows, nll)
        return per_sample, keep.sum(dim=1)
