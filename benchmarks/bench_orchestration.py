"""Orchestration overhead of `synthdiv generate`.

A local HTTP server in a separate process answers every chat completion at once
with a valid five-sentence story, so the numbers measure our side only: the
async client, rate bookkeeping, the SQLite cache writes, parsing and record
building. Two numbers:

* requests/s at concurrency 64 (a fresh cache: every story is a request);
* records/s when every answer is cached (the same run again).

Run: .venv/bin/python benchmarks/bench_orchestration.py [--n 5000] [--concurrency 64]
Targets on a 2-core machine: >= 500 requests/s, >= 5,000 cached records/s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _chat_server import start  # noqa: E402 - after the path setup


def story(c: int) -> str:
    """The c-th answer: a valid five-sentence story, different for every request."""
    return (f"Ann found coin {c} in the park. She showed it to her friend number {c % 97}. They took it to "
            f"the shop on street {c % 13}. The owner paid them {c % 50} dollars. They bought ice cream for everyone.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000, help="stories (= requests on the first run)")
    ap.add_argument("--concurrency", type=int, default=64)
    args = ap.parse_args()

    from synthdiv.backends.base import SamplingParams
    from synthdiv.generation.runner import GenerationConfig, run_generation
    from synthdiv.records import Record

    proc, url = start(story)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            real = tmp / "real.jsonl"
            with open(real, "w") as fh:
                for i in range(200):
                    s = [f"Tom saw thing {i}-{j} near the river bank today." for j in range(5)]
                    fh.write(Record(id=f"r{i}", task="story_completion", context=" ".join(s[:4]), target=s[4]).to_json() + "\n")
            cfg = GenerationConfig(
                task="story_completion", strategy="topic", level="D6", n=args.n, out=tmp / "out.jsonl", real=real,
                topics="builtin", backend="openai", model="bench",
                backend_options={"base_url": url, "concurrency": args.concurrency, "timeout": 30},
                sampling=SamplingParams(seed=0, max_tokens=120), cache_dir=tmp / "cache", progress=False,
            )
            cpu0 = time.process_time()
            first = run_generation(cfg)
            cpu1 = time.process_time()
            second = run_generation(cfg)
            cpu2 = time.process_time()
    finally:
        proc.terminate()
    # On a shared machine the wall-clock rate depends on the neighbours; the rate per CPU-second of
    # this (client) process says what our code costs. Both are printed; the server runs in its own process.
    print(f"n={args.n} concurrency={args.concurrency}")
    print(f"uncached: {first.requests} requests in {first.seconds:.2f} s wall = {first.requests / first.seconds:.0f} requests/s; "
          f"{cpu1 - cpu0:.2f} CPU-s = {first.requests / (cpu1 - cpu0):.0f} requests per CPU-second "
          f"({first.records} records, {first.failures} failures)")
    print(f"cached:   {second.records} records in {second.seconds:.2f} s wall = {second.records / second.seconds:.0f} records/s; "
          f"{cpu2 - cpu1:.2f} CPU-s = {second.records / (cpu2 - cpu1):.0f} records per CPU-second "
          f"({second.cache_hits} cache hits, {second.requests} requests)")


if __name__ == "__main__":
    main()
