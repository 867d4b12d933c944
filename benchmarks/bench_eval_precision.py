"""How far bf16 moves the test loss: a model scored in fp32, under bf16 autocast and with bf16 weights.

synthdiv evaluates in fp32 (``synthdiv.evaluation.heldout_loss.evaluate`` turns a caller's autocast off);
this measures what bf16 would change, against the ±0.002 nats/token the findings resolve. Variants:

* ``fp32``: ``evaluate`` itself, as ``synthdiv evaluate`` runs;
* ``bf16-autocast``: fp32 weights, bf16 matrix products (what a bf16 training run's forward computes);
* ``bf16-weights``: the model cast to bf16 (what loading a model in bf16 gives).

Every variant takes the log-probabilities in fp32 (``TargetNLL`` upcasts the logits) and sums in float64,
so the differences are the forward pass's rounding alone. Records: a seeded sample of ``--n`` stories of
the embedded corpus's test split (``synthdiv data corpus --split test``; the demo's test set). Run:

    .venv/bin/python benchmarks/bench_eval_precision.py --n 64

``--model`` takes a registry name, a model folder or a ``synthdiv train`` adapter folder.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
VARIANTS = ("fp32", "bf16-autocast", "bf16-weights")  # in this order: fp32 is the reference, the weights' cast comes last


def _nll_under_autocast(model, tokenizer, records, batch_size: int, max_length: int) -> list[float]:
    """Per-record summed NLL with the forward under bf16 autocast (evaluate() refuses to be autocast)."""
    import torch

    from synthdiv.training.encoding import collate, encode_records, sorted_batches
    from synthdiv.training.loss import TargetNLL

    data = encode_records(records, tokenizer, max_length)
    scorer, nll = TargetNLL(model.eval()), [0.0] * len(data)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        for idx in sorted_batches(data.lengths, batch_size):
            per_sample, _ = scorer(**collate([data.examples[i] for i in idx], tokenizer.pad_token_id))
            for i, value in zip(idx, per_sample.double().tolist()):
                nll[i] = value
    return nll


def _variant(name: str, model, tokenizer, records, args) -> tuple[list[float], float]:
    """(per-record NLL, seconds) of one variant."""
    from synthdiv.evaluation.heldout_loss import evaluate

    t = time.perf_counter()
    if name == "bf16-autocast":
        nll = _nll_under_autocast(model, tokenizer, records, args.batch_size, args.max_length)
    else:
        result = evaluate(model, tokenizer, records, batch_size=args.batch_size, max_length=args.max_length)
        nll = [p["nll"] for p in result.per_sample]
    return nll, time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--n", type=int, default=64, help="test stories (a seeded sample of the corpus's test split)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS[1:]), choices=VARIANTS[1:], help="besides fp32")
    args = parser.parse_args()

    import torch

    from synthdiv.data.corpus import load_corpus_stories
    from synthdiv.evaluation.loading import load_for_evaluation
    from synthdiv.training.encoding import encode_records

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    torch.set_num_threads(args.threads)
    test = load_corpus_stories("test")
    records = random.Random(args.seed).sample(test, min(args.n, len(test)))
    model, tokenizer, _ = load_for_evaluation(args.model)
    data = encode_records(records, tokenizer, args.max_length)
    tokens = data.target_tokens
    print(json.dumps({"model": args.model, "records": len(records), "of": len(test), "seed": args.seed, "target_tokens": tokens,
                      "tokens": sum(data.lengths), "threads": args.threads, "load_average": os.getloadavg(),
                      "time": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}), flush=True)
    results = {}
    for name in [v for v in VARIANTS if v == "fp32" or v in args.variants]:
        if name == "bf16-weights":
            model = model.to(torch.bfloat16)  # not undone: this variant runs last
        nll, seconds = _variant(name, model, tokenizer, records, args)
        results[name] = nll
        row = {"variant": name, "test_loss": math.fsum(nll) / tokens, "seconds": seconds}
        if name != "fp32":
            per_record = [(a - b) / e.n_target for a, b, e in zip(nll, results["fp32"], data.examples)]
            mean = sum(per_record) / len(per_record)
            row |= {"minus_fp32": row["test_loss"] - math.fsum(results["fp32"]) / tokens,
                    "per_record_loss_diff": {"mean": mean, "sd": math.sqrt(sum((d - mean) ** 2 for d in per_record) / (len(per_record) - 1)),
                                             "max_abs": max(abs(d) for d in per_record)}}
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
