"""SmolLM2-135M-Instruct (offline registry copy) fine-tuned with LoRA on 64 real stories."""

from __future__ import annotations

import math

import pytest

pytestmark = pytest.mark.integration


def test_lora_on_64_real_stories_lowers_training_loss(story_cloze_csv, tmp_path, capsys):
    import torch

    from synthdiv.data.loaders import load_story_cloze
    from synthdiv.evaluation.heldout_loss import evaluate, evaluate_base
    from synthdiv.training import TrainConfig
    from synthdiv.training.recipe import train

    torch.set_num_threads(2)
    stories = load_story_cloze(story_cloze_csv)
    train_set, test_set = stories[:64], stories[600:632]  # held out: never trained on
    # lr 1e-3 rather than the paper's 1e-4: 8 steps must move the loss measurably
    cfg = TrainConfig(model="smollm2-135m-instruct", batch_size=8, epochs=1, max_length=96, lr=1e-3, warmup_ratio=0.0, progress=False, checkpoint_every=0)
    res = train(train_set, cfg, tmp_path / "run", resume=False)
    assert res.steps == 8 and res.truncated_records == 0
    kw = {"batch_size": 16, "max_length": 96}
    train_before = evaluate_base(res.model, res.tokenizer, train_set, **kw).test_loss
    train_after = evaluate(res.model, res.tokenizer, train_set, **kw).test_loss
    test_before = evaluate_base(res.model, res.tokenizer, test_set, **kw)
    test_after = evaluate(res.model, res.tokenizer, test_set, **kw)
    with capsys.disabled():
        print(
            f"\nsmollm2 LoRA, 8 steps on 64 stories: train loss {train_before:.4f} -> {train_after:.4f}; "
            f"held-out test loss ({test_after.samples} stories, {test_after.tokens} tokens) "
            f"{test_before.test_loss:.4f} -> {test_after.test_loss:.4f}"
        )
    assert 1.0 < train_before < 8.0  # a trained model, not a random one (log 49152 = 10.8)
    assert train_after < train_before - 0.05
    assert math.isfinite(test_after.test_loss)


def test_two_processes_on_smollm2_train_and_evaluate_as_one(story_cloze_csv, tmp_path, capsys):
    """``train --processes 2`` and ``evaluate --processes 2`` (gloo, one thread each) against one process, on
    24 real stories and SmolLM2. Tolerance 1e-4 on losses per token: the same sums in another order (float32,
    about 1e-7 relative per operation, through 30 layers and 3 Adam steps; measured in two runs: step losses within
    5.5e-7, test loss within 5.4e-7, per-record losses equal), while one Adam step at lr 1e-3 on other records moves the
    step loss by 1e-3 or more (LoRA initialised from another seed: 6e-3 at the second step)."""
    import json

    from synthdiv.cli.main import main
    from synthdiv.data.loaders import load_story_cloze
    from synthdiv.data.records_io import write_records
    from synthdiv.training.runlog import read_log

    stories = load_story_cloze(story_cloze_csv)
    train_file, test_file = tmp_path / "train.jsonl", tmp_path / "test.jsonl"
    write_records(stories[:24], train_file)
    write_records(stories[600:612], test_file)
    runs = {}
    for n in ("1", "2"):
        code = main(["train", "--train", str(train_file), "--model", "smollm2-135m-instruct", "--out", str(tmp_path / n), "--batch-size", "8",
                     "--max-steps", "3", "--max-length", "96", "--lr", "1e-3", "--lora-dropout", "0", "--warmup-ratio", "0",
                     "--checkpoint-every", "0", "--test", str(test_file), "--eval-batch-size", "8", "--no-progress", "--json",
                     "--processes", n])
        assert code == 0
        runs[n] = json.loads(capsys.readouterr().out)
    logs = {n: read_log(tmp_path / n / "train_log.csv") for n in runs}
    assert [(r["lr"], r["target_tokens"], r["tokens"]) for r in logs["2"]] == [(r["lr"], r["target_tokens"], r["tokens"]) for r in logs["1"]]
    step_diff = max(abs(a["loss"] - b["loss"]) for a, b in zip(logs["1"], logs["2"]))
    test_diff = abs(runs["1"]["test"]["test_loss"] - runs["2"]["test"]["test_loss"])
    per = {}
    for n in ("1", "2"):
        path = tmp_path / f"per{n}.jsonl"
        assert main(["evaluate", "--model", str(tmp_path / "2"), "--test", str(test_file), "--per-sample", str(path), "--no-base",
                     "--processes", n, "--json"]) == 0
        capsys.readouterr()
        per[n] = [json.loads(line) for line in path.read_text().splitlines()]
    record_diff = max(abs(a["loss"] - b["loss"]) for a, b in zip(per["1"], per["2"]))
    with capsys.disabled():
        print(f"\nsmollm2, 2 processes vs 1: step losses within {step_diff:.1e}, test loss within {test_diff:.1e} "
              f"({runs['1']['test']['test_loss']:.6f}); evaluation per record within {record_diff:.1e}")
    assert step_diff < 1e-4 and test_diff < 1e-4 and record_diff < 1e-4
    assert [r["id"] for r in per["2"]] == [r["id"] for r in per["1"]] and len(per["2"]) == 12
def test_chat_records_go_through_smollm2s_own_chat_template():
    """A chat record's prompt is SmolLM2's template with the generation prompt; the loss falls on the answer and
    the end-of-turn token that ends it, so the student learns to stop where its chat format stops."""
    from synthdiv.generation.instruct import shipped_examples
    from synthdiv.models.registry import load_causal_lm
    from synthdiv.training.encoding import IGNORE_INDEX, encode_records

    _, tokenizer = load_causal_lm("smollm2-135m-instruct")
    record = shipped_examples()[0]
    example = encode_records([record], tokenizer, max_length=512).examples[0]
    n_prompt = example.labels.count(IGNORE_INDEX)
    prompt = tokenizer.decode(example.input_ids[:n_prompt])
    assert prompt.startswith("<|im_start|>") and prompt.endswith("<|im_start|>assistant\n")
    assert record.messages[0]["content"] in prompt
    assert tokenizer.decode(example.input_ids[n_prompt:]) == record.target + tokenizer.eos_token
    assert tokenizer.eos_token == "<|im_end|>"
