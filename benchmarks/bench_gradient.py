"""Gradient diversity (G-Vendi) speed: records/s under SmolLM2-135M-Instruct on Story Cloze records.

    .venv/bin/python benchmarks/bench_gradient.py [--records 64] [--params lora] [--dim 1024] [--threads 0] [--csv PATH]

Reads the first ``--records`` stories of the Story Cloze sample (``../shared/data/story_cloze_sample.csv``
by default; ``--csv`` for another copy) and times, in a fresh gradient cache:

* load: loading the proxy (the de-quantised SmolLM2, cached by ``synthdiv models prepare``);
* gradients: per-record gradients, projection and unit-normalising (``gradient_vectors``) with the
  model already loaded, reported as records/s; split into the backward passes and the projection;
* cached: the same call again, every vector read from the cache.

The 2-core machine is shared: run ``uptime`` before and after, and read the numbers with its load. Under
load, ``--threads 1`` is several times faster than torch's two threads (they wait on each other).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=64)
    parser.add_argument("--params", default="lora", choices=["lora", "full"])
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--csv", default=str(ROOT.parent / "shared" / "data" / "story_cloze_sample.csv"))
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from synthdiv.data import read_input
    from synthdiv.metrics import gradient
    from synthdiv.metrics.choices import GradientSettings
    from synthdiv.models.registry import load_causal_lm

    records = read_input(args.csv)[: args.records]
    settings = GradientSettings(params=args.params, dim=args.dim)
    t0 = time.perf_counter()
    model, tokenizer = load_causal_lm(settings.proxy)
    load_s = time.perf_counter() - t0

    timings = {"backward": 0.0, "project": 0.0}
    record_gradients, project = gradient.record_gradients, gradient.project

    def timed(name, fn):
        def run(*a, **k):
            t = time.perf_counter()
            out = fn(*a, **k)
            timings[name] += time.perf_counter() - t
            return out
        return run

    gradient.record_gradients, gradient.project = timed("backward", record_gradients), timed("project", project)
    with tempfile.TemporaryDirectory(prefix="bench-gradient-") as cache:
        os.environ["SYNTHDIV_CACHE"] = cache
        t0 = time.perf_counter()
        vectors = gradient.gradient_vectors(records, settings, model=model, tokenizer=tokenizer)
        compute_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        gradient.gradient_vectors(records, settings, model=model, tokenizer=tokenizer)
        cached_s = time.perf_counter() - t0
    parameters = sum(p.numel() for p in gradient.with_parameters(model, settings.params, settings.seed)[1])
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {len(records)} records, params {settings.params} "
          f"({parameters:,} measured), dim {settings.dim}")
    print(f"load proxy            {load_s:8.2f} s")
    print(f"gradients (computed)  {compute_s:8.2f} s  = {len(records) / compute_s:6.2f} records/s "
          f"(backward {timings['backward']:.2f} s, projection {timings['project']:.2f} s)")
    print(f"gradients (cached)    {cached_s:8.3f} s  = {len(records) / cached_s:6.0f} records/s")
    print(f"G-Vendi               {gradient.g_vendi(vectors):8.3f}")


if __name__ == "__main__":
    main()
