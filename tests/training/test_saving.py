"""What a finished run saves: the merged weights give the adapter's outputs."""

from __future__ import annotations

import pytest

from synthdiv.training import TrainConfig
from synthdiv.training.recipe import train
from synthdiv.training.saving import save_merged


def _cfg(**kw) -> TrainConfig:
    base = {"model": "tiny", "batch_size": 4, "progress": False, "checkpoint_every": 0}
    return TrainConfig(**(base | kw))


def test_merged_weights_give_the_adapters_outputs(tiny_llama, tmp_path, records_of):
    from transformers import AutoModelForCausalLM

    from synthdiv.evaluation.heldout_loss import evaluate

    model, tok = tiny_llama
    res = train(records_of(8), _cfg(max_steps=3, lr=1e-2), tmp_path / "run", model=model, tokenizer=tok)
    adapter_loss = evaluate(res.model, tok, records_of(8)).test_loss
    folder = save_merged(res.model, tok, tmp_path / "run")
    merged = AutoModelForCausalLM.from_pretrained(folder)
    assert evaluate(merged, tok, records_of(8)).test_loss == pytest.approx(adapter_loss, abs=1e-5)
