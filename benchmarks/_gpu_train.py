"""The GPU check's training runs: our LoRA recipe and HF Trainer + PEFT on the same model shape,
records and LoRA settings, and our recipe over two processes (launched by torchrun).

Throughput counts real (non-pad) tokens only and leaves out the first ``warmup`` optimizer steps
(kernel selection, allocator growth). The baseline pads to the maximum length, as the usual
``tokenizer(..., padding="max_length")`` recipe does; ours pads each length-grouped batch to its
own longest record and runs the LM head on target positions only.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from _gpu_setup import SHAPES, Shape, build_model, build_tokenizer, lora_train_flops_per_token, make_records

LORA = {"r": 8, "lora_alpha": 16, "lora_dropout": 0.05}  # the paper's rank and alpha, PEFT examples' dropout


def _device() -> str:
    import torch

    if not torch.cuda.is_available():
        return "cpu"
    return f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"


def _reset_memory() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def _peak_memory_gib() -> float | None:
    import torch

    return torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None


def _model_for(shape: Shape, tokenizer, device: str):
    model = build_model(shape, device)
    model.config.pad_token_id = tokenizer.pad_token_id
    model.config.eos_token_id = tokenizer.eos_token_id
    return model


def run_ours(shape: Shape, records, tokenizer, *, batch_size: int, max_length: int, steps: int, warmup: int) -> dict:
    """Our recipe (synthdiv.training.recipe.train) for ``steps`` optimizer steps; in a torchrun launch,
    each process takes its share of every batch (the global batch stays ``batch_size``)."""
    import torch

    from synthdiv.training import TrainConfig
    from synthdiv.training.recipe import train
    from synthdiv.training.runlog import read_log

    gpu = torch.cuda.is_available()
    cfg = TrainConfig(model=shape.name, batch_size=batch_size, max_length=max_length, max_steps=steps, progress=False,
                      checkpoint_every=0, precision="bf16" if gpu else "fp32",
                      lora_r=LORA["r"], lora_alpha=LORA["lora_alpha"], lora_dropout=LORA["lora_dropout"])
    _reset_memory()
    model = _model_for(shape, tokenizer, _device())
    with tempfile.TemporaryDirectory() as tmp:
        result = train(records, cfg, tmp, model=model, tokenizer=tokenizer, resume=False)
        rows = read_log(Path(tmp) / "train_log.csv") if (Path(tmp) / "train_log.csv").exists() else []
    out = {"processes": int(os.environ.get("WORLD_SIZE", 1)), "peak_memory_gib": _peak_memory_gib(), "final_loss": result.final_loss}
    if rows:  # the main process's log: every process's tokens
        timed = rows[warmup:]
        seconds = rows[-1]["elapsed_s"] - rows[warmup - 1]["elapsed_s"] if warmup else rows[-1]["elapsed_s"]
        tokens = sum(r["tokens"] for r in timed)
        out |= {"steps_timed": len(timed), "tokens": int(tokens), "seconds": seconds, "tokens_per_s": tokens / seconds}
    del result, model
    return out


def run_baseline(shape: Shape, records, tokenizer, *, batch_size: int, max_length: int, steps: int, warmup: int) -> dict:
    """HF Trainer + PEFT as users commonly write it (_trainer_baseline), bf16 mixed precision on a GPU."""
    import torch

    from _trainer_baseline import run_trainer_peft
    from synthdiv.training.config import default_target_modules

    _reset_memory()
    model = _model_for(shape, tokenizer, _device())
    lora = {**LORA, "target_modules": default_target_modules(shape.arch), "fan_in_fan_out": shape.arch == "gpt2"}
    run = run_trainer_peft(model, tokenizer, records, lora, batch_size=batch_size, max_length=max_length, steps=steps, warmup=warmup,
                           gpu=torch.cuda.is_available())
    del model
    return run | {"peak_memory_gib": _peak_memory_gib()}


def with_mfu(run: dict, shape: Shape, mean_length: float, peak: float | None) -> dict:
    """``run`` with the model FLOP/s and the MFU its tokens/s give (None without a known peak)."""
    if "tokens_per_s" not in run:
        return run
    flops = run["tokens_per_s"] * lora_train_flops_per_token(shape, mean_length)
    return run | {"model_tflops": flops / 1e12, "mfu": flops / (peak * 1e12) if peak else None}


def worker_main(shapes: list[str], batch_size: int, max_length: int, steps: int, warmup: int, records: int, result: str) -> None:
    """One process of a torchrun launch: our recipe on each shape; the main process writes ``result``."""
    import torch

    if not torch.cuda.is_available():
        torch.set_num_threads(1)  # two processes on a small CPU: one thread each
    tokenizer = build_tokenizer()
    data = make_records(tokenizer, records, max_length)
    runs = {name: run_ours(SHAPES[name], data, tokenizer, batch_size=batch_size, max_length=max_length, steps=steps, warmup=warmup)
            for name in shapes}
    if int(os.environ.get("RANK", 0)) == 0:
        Path(result).write_text(json.dumps(runs), encoding="utf-8")
