"""The LoRA recipe on tiny random-init models: loop, outputs, determinism, accumulation, resume."""

from __future__ import annotations

import json

import pytest
import torch

from synthdiv.errors import UserError
from synthdiv.training import TrainConfig, default_target_modules
from synthdiv.training.recipe import add_lora, train
from synthdiv.training.runlog import read_log


def _cfg(**kw) -> TrainConfig:
    base = {"model": "tiny", "batch_size": 4, "progress": False, "checkpoint_every": 0}
    return TrainConfig(**(base | kw))


def _adapter_weights(model) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def test_paper_defaults():
    cfg = TrainConfig(model="m")
    assert (cfg.lora_r, cfg.lora_alpha, cfg.lr, cfg.weight_decay, cfg.epochs) == (8, 16, 1e-4, 1e-4, 3)


@pytest.mark.parametrize(
    "arch,expected",
    [("gpt2", {"c_attn", "c_proj"}), ("llama", {"q_proj", "k_proj", "v_proj", "o_proj"})],
)
def test_lora_targets_per_architecture(arch, expected, request):
    model, _ = request.getfixturevalue(f"tiny_{arch}")
    peft_model = add_lora(model, _cfg())
    wrapped = {n.split(".")[-1] for n, m in peft_model.named_modules() if hasattr(m, "lora_A")}
    assert wrapped == expected
    assert default_target_modules("opt") == ["q_proj", "k_proj", "v_proj", "out_proj"]
    trainable = sum(p.numel() for p in peft_model.parameters() if p.requires_grad)
    assert 0 < trainable < sum(p.numel() for p in peft_model.parameters()) / 2


def test_lora_on_tiny_opt():
    from transformers import OPTConfig, OPTForCausalLM

    model = OPTForCausalLM(OPTConfig(vocab_size=100, hidden_size=16, ffn_dim=32, num_hidden_layers=1, num_attention_heads=2, word_embed_proj_dim=16))
    wrapped = {n.split(".")[-1] for n, m in add_lora(model, _cfg()).named_modules() if hasattr(m, "lora_A")}
    assert wrapped == {"q_proj", "k_proj", "v_proj", "out_proj"}


def test_unknown_target_module_is_a_user_error(tiny_llama):
    model, _ = tiny_llama
    with pytest.raises(UserError, match="--target-modules"):
        add_lora(model, _cfg(target_modules=["no_such_layer"]))


@pytest.mark.parametrize("arch", ["gpt2", "llama"])
def test_training_lowers_the_loss_and_writes_every_output(arch, request, tmp_path, records_of):
    model, tok = request.getfixturevalue(f"tiny_{arch}")
    res = train(records_of(16), _cfg(lr=1e-2, epochs=6, lora_dropout=0.0), tmp_path / "run", model=model, tokenizer=tok)
    assert res.steps == 6 * 4 and res.epochs == 6
    rows = read_log(tmp_path / "run" / "train_log.csv")
    assert [r["step"] for r in rows] == list(range(1, 25))
    first_epoch = sum(r["loss"] for r in rows if r["epoch"] == 0) / 4
    last_epoch = sum(r["loss"] for r in rows if r["epoch"] == 5) / 4
    assert last_epoch < first_epoch - 0.1
    assert all(r["tokens"] >= r["target_tokens"] > 0 for r in rows)
    out = tmp_path / "run"
    assert (out / "adapter_config.json").exists() and (out / "adapter_model.safetensors").exists()
    assert list((out / "tensorboard").glob("events.out.tfevents.*"))
    saved = json.loads((out / "train_config.json").read_text())
    assert saved["config"]["lr"] == 1e-2 and saved["lora"]["r"] == 8 and saved["lora"]["lora_alpha"] == 16
    assert saved["run"]["steps"] == 24 and saved["run"]["final_loss"] == pytest.approx(rows[-1]["loss"], rel=1e-6)


def test_same_seed_same_losses_other_seed_other_losses(tiny_llama, tmp_path, records_of):
    import copy

    model, tok = tiny_llama
    runs = {}
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        res = train(records_of(12), _cfg(seed=seed, max_steps=5), tmp_path / name, model=copy.deepcopy(model), tokenizer=tok)
        runs[name] = [r["loss"] for r in read_log(tmp_path / name / "train_log.csv")]
        assert res.final_loss == runs[name][-1]
    assert runs["a"] == pytest.approx(runs["b"], abs=1e-6, rel=0)
    assert runs["a"] != pytest.approx(runs["c"], abs=1e-6, rel=0)


def test_gradient_accumulation_equals_one_big_batch(tiny_llama, tmp_path, records_of):
    """Two micro-batches of 4 and one batch of 8 take the same optimizer step: the loss is
    normalised by the target tokens of the whole step, not averaged over micro-batches.
    (Llama: it has no dropout of its own, which would draw random numbers per micro-batch.)"""
    import copy

    model, tok = tiny_llama
    recs = records_of(8)
    big = train(recs, _cfg(batch_size=8, max_steps=1, lora_dropout=0.0), tmp_path / "big", model=copy.deepcopy(model), tokenizer=tok)
    acc = train(recs, _cfg(batch_size=4, grad_accum=2, max_steps=1, lora_dropout=0.0), tmp_path / "acc", model=copy.deepcopy(model), tokenizer=tok)
    assert big.final_loss == pytest.approx(acc.final_loss, abs=1e-6)
    wa, wb = _adapter_weights(big.model), _adapter_weights(acc.model)
    for name in wa:
        torch.testing.assert_close(wa[name], wb[name], atol=1e-6, rtol=0)


class _Killed(Exception):
    pass


def test_resume_after_a_kill_gives_the_same_run(tiny_llama, tmp_path, records_of):
    """Kill at step 5 (the last checkpoint is step 3), rerun: the run resumes at step 3 and ends
    exactly as an uninterrupted run (weights, optimizer, scheduler, RNG with dropout on, data position)."""
    import copy

    model, tok = tiny_llama
    recs = records_of(20)  # 5 steps per epoch: the kill and the checkpoint fall in different epochs
    cfg = _cfg(epochs=2, checkpoint_every=3, lora_dropout=0.1, lr=1e-3)
    whole = train(recs, cfg, tmp_path / "whole", model=copy.deepcopy(model), tokenizer=tok)

    def kill_at_5(step, row):
        if step == 5:
            raise _Killed

    with pytest.raises(_Killed):
        train(recs, cfg, tmp_path / "killed", model=copy.deepcopy(model), tokenizer=tok, on_step=kill_at_5)
    assert [p.name for p in (tmp_path / "killed" / "checkpoints").iterdir()] == ["step-000003"]
    resumed = train(recs, cfg, tmp_path / "killed", model=copy.deepcopy(model), tokenizer=tok)
    assert resumed.resumed_from == 3 and resumed.steps == whole.steps == 10
    assert resumed.final_loss == pytest.approx(whole.final_loss, abs=1e-6, rel=0)
    for name, value in _adapter_weights(whole.model).items():
        torch.testing.assert_close(value, _adapter_weights(resumed.model)[name], atol=1e-6, rtol=0)
    whole_log = read_log(tmp_path / "whole" / "train_log.csv")
    resumed_log = read_log(tmp_path / "killed" / "train_log.csv")
    assert [r["step"] for r in resumed_log] == list(range(1, 11))  # each step once
    assert [r["loss"] for r in resumed_log] == pytest.approx([r["loss"] for r in whole_log], abs=1e-6)


def test_resume_refuses_a_folder_of_another_run(tiny_llama, tmp_path, records_of):
    import copy

    model, tok = tiny_llama
    cfg = _cfg(max_steps=3, checkpoint_every=1)
    train(records_of(12), cfg, tmp_path / "run", model=copy.deepcopy(model), tokenizer=tok)
    with pytest.raises(UserError, match="lr"):
        train(records_of(12), _cfg(max_steps=3, checkpoint_every=1, lr=5e-4), tmp_path / "run", model=copy.deepcopy(model), tokenizer=tok)
    again = train(records_of(12), _cfg(max_steps=3, checkpoint_every=1, lr=5e-4), tmp_path / "run", model=copy.deepcopy(model), tokenizer=tok, resume=False)
    assert again.resumed_from == 0


def test_bad_settings_are_user_errors():
    with pytest.raises(UserError, match="--lora-r"):
        TrainConfig(model="m", lora_r=0)
    with pytest.raises(UserError, match="--scheduler"):
        TrainConfig(model="m", scheduler="exponential")
