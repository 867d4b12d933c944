"""Training throughput on this machine: our LoRA recipe beside HF Trainer + PEFT at its fastest, against the matmul peak.

Both fine-tune the same model (default smollm2-135m-instruct from the offline registry) with the
same LoRA settings, on the same real stories (the Story Cloze sample), with the same batch size, for
the same number of optimizer steps, in the same precision, alternating in one process:

* ours: :func:`synthdiv.training.recipe.train` (length-grouped batches padded to their own longest
  record, the LM head only on target positions);
* baseline: ``Trainer(model=get_peft_model(...))`` at its fastest on short records: the same token ids
  and labels, Trainer's length-grouped sampler and ``DataCollatorForSeq2Seq`` padding each batch to its
  own longest row (``--baseline-padding max_length`` pads to ``--max-length`` instead, the usual recipe);
  bf16 mixed precision where ours runs bf16 (``TrainingArguments(bf16=True)``).

Throughput counts real (non-pad) tokens only and leaves out the first optimizer step. Model FLOPs per
trained token: 4 × N (N: every parameter of the base model, embeddings included; the forward pass is
2·N, the backward computes the activations' gradients, another 2·N, and no gradient of the frozen
weights). MFU = tokens/s × 4·N / the peak of a 2,048² matmul in the same precision, measured by this
script on the same threads before and after the runs (the best of the two: the machine is shared).
``--profile K`` also profiles K steps of ours after its first (torch.profiler) and prints where the time goes;
``--nn-dropout`` also runs ours with PEFT's ``nn.Dropout`` masks in each pair (what synthdiv.training.dropout saves). Run:

    .venv/bin/python benchmarks/bench_training.py --steps 12 --repeat 2 --profile 4

Precisions: fp32, and bf16 where the machine multiplies bf16 natively (synthdiv.training.precision);
``--precision`` chooses. Results go to stdout as one JSON object per line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))
from _peak import peaks  # noqa: E402 - after the path setup

DEFAULT_DATA = REPO.parent / "shared" / "data" / "story_cloze_sample.csv"
LORA = {"r": 8, "lora_alpha": 16, "lora_dropout": 0.05}  # the paper's rank and alpha, PEFT examples' dropout


def load_stories(path: Path, n: int):
    from synthdiv.data.loaders import load_story_cloze

    return load_story_cloze(path)[:n]


def _model(model_name: str):
    from synthdiv.models.registry import load_causal_lm

    model, tok = load_causal_lm(model_name)
    return model, tok, sum(p.numel() for p in model.parameters())


def run_ours(model_name: str, records, args, precision: str, profile_steps: int = 0, nn_dropout: bool = False) -> dict:
    """Ours; ``nn_dropout``: with PEFT's ``nn.Dropout`` masks left in place (before synthdiv.training.dropout)."""
    from synthdiv.training import TrainConfig, dropout
    from synthdiv.training.recipe import train
    from synthdiv.training.runlog import read_log

    if nn_dropout:
        swap, dropout.use_gap_dropout = dropout.use_gap_dropout, lambda model: 0
        try:
            return run_ours(model_name, records, args, precision, profile_steps) | {"dropout": "nn.Dropout"}
        finally:
            dropout.use_gap_dropout = swap

    model, tok, n_params = _model(model_name)
    steps = profile_steps + 1 if profile_steps else args.steps  # the first step is not profiled
    cfg = TrainConfig(
        model=model_name, batch_size=args.batch_size, max_length=args.max_length, max_steps=steps, lora_r=LORA["r"],
        lora_alpha=LORA["lora_alpha"], lora_dropout=LORA["lora_dropout"], progress=False, checkpoint_every=0, precision=precision,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        if profile_steps:
            return {"profile": _profiled(lambda on_step: train(records, cfg, tmp, model=model, tokenizer=tok, resume=False, on_step=on_step))}
        train(records, cfg, tmp, model=model, tokenizer=tok, resume=False)
        rows = read_log(Path(tmp) / "train_log.csv")
    tokens = sum(r["tokens"] for r in rows[1:])
    seconds = rows[-1]["elapsed_s"] - rows[0]["elapsed_s"]
    return {"tokens": int(tokens), "seconds": seconds, "tokens_per_s": tokens / seconds, "n_params": n_params}


def run_baseline(model_name: str, records, args, precision: str) -> dict:
    from _trainer_baseline import run_trainer_peft

    model, tok, n_params = _model(model_name)
    target = ["c_attn", "c_proj"] if "gpt2" in model_name else ["q_proj", "k_proj", "v_proj", "o_proj"]
    run = run_trainer_peft(model, tok, records, LORA | {"target_modules": target}, batch_size=args.batch_size, max_length=args.max_length,
                           steps=args.steps, warmup=1, padding=args.baseline_padding, bf16=precision == "bf16")
    return run | {"n_params": n_params}


# which operators count as what, for the profile's summary (aten names, matched by prefix)
CATEGORIES = {
    "matrix products": ("aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "aten::_weight_int", "mkldnn"),
    "attention": ("aten::_scaled_dot_product", "aten::_flash_attention", "aten::_softmax", "aten::_efficient_attention"),
    "optimizer": ("aten::_foreach", "aten::_fused_adam", "aten::lerp", "aten::addcdiv", "aten::addcmul"),
    "copies and casts": ("aten::copy_", "aten::to", "aten::_to_copy", "aten::contiguous", "aten::clone", "aten::cat", "aten::index"),
}


def _profiled(run) -> dict:
    """``run(on_step)`` under torch.profiler from its first step's end on (set-up and the first step left out):
    the top operators by self CPU time and their share by category."""
    from torch.profiler import ProfilerActivity, profile

    prof = profile(activities=[ProfilerActivity.CPU])
    run(lambda step, row: prof.start() if step == 1 else None)
    prof.stop()
    ops = [(e.key, e.self_cpu_time_total / 1e6) for e in prof.key_averages()]
    total = sum(s for _, s in ops)
    shares = {name: 0.0 for name in (*CATEGORIES, "everything else")}
    for key, seconds in ops:
        name = next((c for c, prefixes in CATEGORIES.items() if key.startswith(prefixes)), "everything else")
        shares[name] += seconds / total
    top = sorted(ops, key=lambda o: -o[1])[:15]
    return {"self_cpu_s": total, "shares": shares, "top": [{"op": k, "s": s, "share": s / total} for k, s in top]}


def _mfu(run: dict, peak_gflops: float) -> dict:
    flops = run["tokens_per_s"] * 4 * run["n_params"]
    return run | {"model_gflops": flops / 1e9, "mfu": flops / (peak_gflops * 1e9)}


def _precisions(asked: list[str] | None) -> list[str]:
    from synthdiv.errors import UserError
    from synthdiv.training.precision import resolve_precision

    runnable = []
    for p in asked or ["fp32", "bf16"]:
        try:
            runnable.append(resolve_precision(p))
        except UserError as exc:
            print(json.dumps({"skipped": p, "why": exc.message}), flush=True)
    return sorted(set(runnable), key=runnable.index)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--steps", type=int, default=12, help="optimizer steps per run (the first is not timed)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=128, help="ours and the baseline truncate at it (max_length padding: pads to it)")
    parser.add_argument("--precision", nargs="+", choices=["fp32", "bf16"], help="default: fp32, and bf16 where it is native")
    parser.add_argument("--baseline-padding", choices=["longest", "max_length"], default="longest")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--peak-size", type=int, default=2048, help="side of the square matmul that measures the peak")
    parser.add_argument("--repeat", type=int, default=2, help="alternating baseline/ours pairs per precision")
    parser.add_argument("--profile", type=int, default=0, metavar="K", help="also profile K optimizer steps of ours")
    parser.add_argument("--nn-dropout", action="store_true",
                        help="also run ours with PEFT's nn.Dropout masks in each pair (what the gap-drawn masks save)")
    args = parser.parse_args()

    import torch

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    torch.set_num_threads(args.threads)
    from synthdiv.models.registry import resolve_causal_lm

    precisions = _precisions(args.precision)
    resolve_causal_lm(args.model)  # build the cached copy before any timing
    records = load_stories(args.data, args.steps * args.batch_size)
    before = {"load_average": os.getloadavg(), "matmul_gflops": peaks(args.peak_size)}
    print(json.dumps({"machine": before, "threads": args.threads, "model": args.model, "records": len(records),
                      "batch_size": args.batch_size, "max_length": args.max_length, "steps_timed": args.steps - 1,
                      "baseline_padding": args.baseline_padding, "time": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}), flush=True)
    runs = {p: [] for p in precisions}
    for rep in range(args.repeat):
        for precision in precisions:  # alternate, so that load from other processes hits both alike
            runs[precision].append((run_baseline(args.model, records, args, precision), run_ours(args.model, records, args, precision)))
            base, ours = runs[precision][-1]
            line = {"rep": rep, "precision": precision, "baseline": base, "ours": ours, "speedup": ours["tokens_per_s"] / base["tokens_per_s"]}
            if args.nn_dropout:
                plain = run_ours(args.model, records, args, precision, nn_dropout=True)
                line.update(ours_nn_dropout=plain, gap_dropout_gain=ours["tokens_per_s"] / plain["tokens_per_s"])
            print(json.dumps(line), flush=True)
    after = {"load_average": os.getloadavg(), "matmul_gflops": peaks(args.peak_size)}
    for precision, pairs in runs.items():
        peak = max(before["matmul_gflops"][precision], after["matmul_gflops"][precision])
        best_base = _mfu(max((b for b, _ in pairs), key=lambda r: r["tokens_per_s"]), peak)
        best_ours = _mfu(max((o for _, o in pairs), key=lambda r: r["tokens_per_s"]), peak)
        print(json.dumps({
            "summary": precision, "peak_gflops": peak, "machine_after": after, "baseline_best": best_base, "ours_best": best_ours,
            "speedup_best_vs_best": best_ours["tokens_per_s"] / best_base["tokens_per_s"],
            "speedup_per_rep": [o["tokens_per_s"] / b["tokens_per_s"] for b, o in pairs],
            "speedup_median": statistics.median(o["tokens_per_s"] / b["tokens_per_s"] for b, o in pairs),
        }), flush=True)  # fmt: skip
    for precision in precisions if args.profile else []:
        print(json.dumps({"precision": precision, "steps": args.profile, **run_ours(args.model, records, args, precision, args.profile)}), flush=True)


if __name__ == "__main__":
    main()
