"""Training throughput: our LoRA recipe against a plain HF Trainer + PEFT baseline.

Both fine-tune the same model (default smollm2-135m-instruct from the offline
registry) with the same LoRA settings, on the same real stories (Story Cloze
sample), with the same batch size, for the same number of optimizer steps.

* baseline: what users commonly write: ``tokenizer(..., padding="max_length",
  truncation=True, max_length=L)``, labels = input ids with padding masked,
  ``Trainer(model=get_peft_model(...), args=TrainingArguments(...))``;
* ours: :func:`synthdiv.training.recipe.train` (length-grouped batches padded to
  their own longest record, the LM head only on target positions).

Throughput counts only real (non-pad) tokens for both, and leaves out the
first optimizer step (warm-up, allocation). Run:

    .venv/bin/python benchmarks/bench_training.py --steps 6 --max-length 128 80 --repeat 2

Results go to stdout as one JSON object per configuration.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))
DEFAULT_DATA = REPO.parent / "shared" / "data" / "story_cloze_sample.csv"


def load_stories(path: Path, n: int):
    from synthdiv.data.loaders import load_story_cloze

    return load_story_cloze(path)[:n]


def run_baseline(model_name: str, records, batch_size: int, max_length: int, steps: int, lora: dict) -> dict:
    from _trainer_baseline import run_trainer_peft
    from synthdiv.models.registry import load_causal_lm

    model, tok = load_causal_lm(model_name)
    return run_trainer_peft(model, tok, records, lora, batch_size=batch_size, max_length=max_length, steps=steps, warmup=1)


def run_ours(model_name: str, records, batch_size: int, max_length: int, steps: int, lora: dict) -> dict:
    from synthdiv.training import TrainConfig
    from synthdiv.training.recipe import train
    from synthdiv.training.runlog import read_log

    cfg = TrainConfig(
        model=model_name, batch_size=batch_size, max_length=max_length, max_steps=steps, lora_r=lora["r"],
        lora_alpha=lora["lora_alpha"], lora_dropout=lora["lora_dropout"], progress=False, checkpoint_every=0,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        train(records, cfg, tmp, resume=False)
        rows = read_log(Path(tmp) / "train_log.csv")
    tokens = sum(r["tokens"] for r in rows[1:])
    seconds = rows[-1]["elapsed_s"] - rows[0]["elapsed_s"]
    return {"tokens": int(tokens), "seconds": seconds, "tokens_per_s": tokens / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--steps", type=int, default=10, help="optimizer steps per run (the first is not timed)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, nargs="+", default=[128], help="the baseline pads to this; ours truncates at it")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2, help="alternating baseline/ours pairs")
    args = parser.parse_args()

    import torch

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    torch.set_num_threads(args.threads)
    from synthdiv.models.registry import resolve_causal_lm

    target = "c_attn,c_proj" if "gpt2" in args.model else "q_proj,k_proj,v_proj,o_proj"
    lora = {"r": 8, "lora_alpha": 16, "lora_dropout": 0.05, "target_modules": target.split(",")}
    resolve_causal_lm(args.model)  # build the cached copy before any timing
    records = load_stories(args.data, args.steps * args.batch_size)
    for max_length in args.max_length:
        runs = []
        # alternate the two, so that load from other processes on a shared machine hits both alike
        for rep in range(args.repeat):
            base = run_baseline(args.model, records, args.batch_size, max_length, args.steps, lora)
            ours = run_ours(args.model, records, args.batch_size, max_length, args.steps, lora)
            runs.append((base, ours))
            print(json.dumps({
                "rep": rep, "model": args.model, "records": len(records), "batch_size": args.batch_size, "max_length": max_length,
                "steps_timed": args.steps - 1, "threads": args.threads, "baseline": base, "ours": ours,
                "speedup": ours["tokens_per_s"] / base["tokens_per_s"],
            }), flush=True)  # fmt: skip
        best_base = max(b["tokens_per_s"] for b, _ in runs)
        best_ours = max(o["tokens_per_s"] for _, o in runs)
        print(json.dumps({
            "summary": True, "max_length": max_length, "baseline_best_tokens_per_s": best_base,
            "ours_best_tokens_per_s": best_ours, "speedup_best_vs_best": best_ours / best_base,
            "speedup_per_rep": [o["tokens_per_s"] / b["tokens_per_s"] for b, o in runs],
        }), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
