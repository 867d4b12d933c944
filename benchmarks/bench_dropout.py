"""LoRA training steps with the gap-drawn dropout masks (synthdiv.training.dropout) against PEFT's nn.Dropout, step by step.

One SmolLM2-135M with LoRA (r 8, alpha 16, dropout 0.05 on q/k/v/o_proj, as ``synthdiv train``), one batch of
8 Story Cloze stories, the recipe's loss (TargetNLL: the LM head on target positions only); each round times one
forward and backward with each kind of mask, in alternating order, so a change in the machine's speed hits both.
The gain is the median nn.Dropout step time over the median gap-dropout step time. Run:

    .venv/bin/python benchmarks/bench_dropout.py --threads 2 --rounds 14
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
DEFAULT_DATA = REPO.parent / "shared" / "data" / "story_cloze_sample.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=14)
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()

    import torch

    from synthdiv.data.loaders import load_story_cloze
    from synthdiv.models.registry import load_causal_lm
    from synthdiv.training import TrainConfig
    from synthdiv.training.dropout import GapDropout
    from synthdiv.training.encoding import collate, encode_records
    from synthdiv.training.loss import TargetNLL
    from synthdiv.training.recipe import add_lora

    torch.set_num_threads(args.threads)
    model, tok = load_causal_lm(args.model)
    model = add_lora(model, TrainConfig(model=args.model, lora_dropout=0.05))
    slots = [(m.lora_dropout, name) for m in model.modules()
             if isinstance(getattr(m, "lora_dropout", None), torch.nn.ModuleDict) for name in m.lora_dropout]
    data = encode_records(load_story_cloze(args.data)[: args.batch_size], tok, 128)
    batch = collate(data.examples, tok.pad_token_id)
    loss_module = TargetNLL(model).train()
    params = [p for p in model.parameters() if p.requires_grad]

    def step(gap: bool) -> float:
        for holder, name in slots:
            holder[name] = GapDropout(0.05) if gap else torch.nn.Dropout(0.05)
        start = time.perf_counter()
        per_sample, _ = loss_module(**batch)
        per_sample.sum().backward()
        for p in params:
            p.grad = None
        return time.perf_counter() - start

    step(True), step(False)  # warm-up
    times: dict[bool, list[float]] = {True: [], False: []}
    for k in range(args.rounds):
        for gap in (True, False) if k % 2 == 0 else (False, True):
            times[gap].append(step(gap))
    pairs = [plain / gap for gap, plain in zip(times[True], times[False])]
    print(json.dumps({
        "time": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "threads": args.threads, "lora_modules": len(slots),
        "real_tokens": int(batch["attention_mask"].sum()), "rounds": args.rounds,
        "gap_step_s_median": round(statistics.median(times[True]), 3), "nn_dropout_step_s_median": round(statistics.median(times[False]), 3),
        "gain": round(statistics.median(times[False]) / statistics.median(times[True]), 3),
        "gain_per_round": [round(r, 3) for r in pairs],
    }))  # fmt: skip


if __name__ == "__main__":
    main()
