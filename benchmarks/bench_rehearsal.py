"""The full-size rehearsal, measured: `synthdiv run story-levels-rehearsal --report` from an empty store and cache,
its wall time, the peak memory of its whole process tree, each stage kind's share, and what the paper's real
students would cost at the token counts the run measured.

    .venv/bin/python benchmarks/bench_rehearsal.py --workdir /tmp/rehearsal

runs it (about 45-60 minutes on a 2-core CPU; SmolLM2's de-quantised folder is linked in from the user's cache
when it is there, since building it is a first-use cost, not the sweep's). ``--log FILE --store DIR`` summarises a
run made another way from its stderr and its stage store, without running anything.

The extrapolation counts 4 x parameters FLOPs per trained token (forward, and the backward pass to the inputs of
every frozen layer; LoRA's own weight gradients are negligible) and 2 x parameters per evaluated token, over the
paper's sizes (8 training sets of 30,000 records, 3 epochs, 10,000 test records) at the tokens per record this run
measured on its generated sets. It leaves out attention over the context (small at ~100 tokens) and all overheads,
so the times it gives are lower bounds at the stated throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = "story-levels-rehearsal"
FINISHED = re.compile(r"\[run\] \d+/\d+ (\w+) .*: finished in ([\d.]+) s")
PAPER = {"sets": 8, "records": 30_000, "epochs": 3, "test_records": 10_000}  # §4.2: real + Gen-D0…D6
STUDENTS = {"GPT-2 (124M)": 124.4e6, "Llama-3.2-1B": 1.236e9, "Llama-3.1-8B": 8.03e9}


def stage_shares(log: str) -> dict[str, tuple[int, float]]:
    """Stage kind -> (stages, seconds), from the ``[run] … finished in`` lines of a run's stderr."""
    shares: dict[str, list] = defaultdict(lambda: [0, 0.0])
    for match in FINISHED.finditer(log):
        shares[match.group(1)][0] += 1
        shares[match.group(1)][1] += float(match.group(2))
    return {kind: (n, s) for kind, (n, s) in shares.items()}


def training_tokens(store: Path) -> list[dict]:
    """Per train stage: its dataset's role, records, tokens (tokens/s x seconds) and tokens/s."""
    rows = []
    for done in sorted((store / "train").glob("*/done.json")):
        stage = json.loads(done.read_text())
        summary, info = stage["summary"], stage["node"].get("info", {})
        rows.append({"dataset": info.get("dataset"), "role": info.get("role"), "records": summary["records"],
                     "tokens": summary["tokens_per_s"] * summary["elapsed_s"] / summary["epochs"],
                     "tokens_per_s": summary["tokens_per_s"], "elapsed_s": summary["elapsed_s"]})
    return rows


def extrapolate(rows: list[dict], flops_per_s: float, gpu_flops_per_s: float = 0.0) -> list[dict]:
    """The paper's training and evaluation FLOPs per student, and their time at ``flops_per_s`` (and on a GPU)."""
    generated = [r for r in rows if r["role"] == "generated"]
    per_record = sum(r["tokens"] for r in generated) / max(1, sum(r["records"] for r in generated))
    train_tokens = PAPER["sets"] * PAPER["records"] * PAPER["epochs"] * per_record
    eval_tokens = PAPER["sets"] * PAPER["test_records"] * per_record
    out = []
    for name, params in STUDENTS.items():
        flops = 4 * params * train_tokens + 2 * params * eval_tokens
        out.append({"student": name, "tokens_per_record": per_record, "train_tokens": train_tokens,
                    "eval_tokens": eval_tokens, "pflop": flops / 1e15, "hours": flops / flops_per_s / 3600,
                    "gpu_hours": flops / gpu_flops_per_s / 3600 if gpu_flops_per_s else None})
    return out


def _tree_rss_mb(pid: int) -> float:
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


def run_rehearsal(workdir: Path) -> tuple[str, float, float, Path]:
    """Run the config from nothing in ``workdir``: (stderr, wall seconds, peak tree RSS in MB, store)."""
    cache = workdir / "cache"
    (cache / "models").mkdir(parents=True, exist_ok=True)
    user_smollm2 = Path(os.environ.get("SYNTHDIV_CACHE", Path.home() / ".cache" / "synthdiv")) / "models" / "smollm2-135m-instruct"
    if user_smollm2.exists() and not (cache / "models" / user_smollm2.name).exists():
        (cache / "models" / user_smollm2.name).symlink_to(user_smollm2)
    env = {**os.environ, "SYNTHDIV_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "PYTHONPATH": str(REPO / "src")}
    cmd = [sys.executable, "-m", "synthdiv.cli.main", "run", CONFIG, "--out", str(workdir / "run"), "--report"]
    start, peak = time.monotonic(), 0.0
    with open(workdir / "stderr.txt", "w") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err, cwd=workdir)
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.wait(2.0):
                peak = max(peak, _tree_rss_mb(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = proc.wait()
        stop.set()
    wall = time.monotonic() - start
    log = (workdir / "stderr.txt").read_text(errors="replace")
    if code != 0:
        raise SystemExit(f"the rehearsal failed (exit {code}); see {workdir / 'stderr.txt'}")
    return log, wall, peak, workdir / "stages"


def report(log: str, store: Path, wall: float | None, peak: float | None, flops_per_s: float, gpu_flops_per_s: float) -> str:
    shares = stage_shares(log)
    total = sum(s for _, s in shares.values())
    lines = []
    if wall is not None:
        lines.append(f"wall {wall / 60:.1f} min, peak memory of the process tree {peak / 1024:.2f} GB")
    lines += ["", "| stage kind | stages | time (s) | share |", "| --- | ---: | ---: | ---: |"]
    for kind, (n, s) in sorted(shares.items(), key=lambda kv: -kv[1][1]):
        lines.append(f"| {kind} | {n} | {s:.1f} | {100 * s / total:.1f} % |")
    lines.append(f"| all | {sum(n for n, _ in shares.values())} | {total:.1f} | 100 % |")
    rows = training_tokens(store)
    if rows:
        lines += ["", "| training set | records | tokens | tokens/s | time (s) |", "| --- | ---: | ---: | ---: | ---: |"]
        lines += [f"| {r['dataset']} | {r['records']} | {r['tokens']:.0f} | {r['tokens_per_s']:.0f} | {r['elapsed_s']:.1f} |"
                  for r in rows]
        lines += ["", f"the paper's §4.2 (4 x params FLOPs a trained token, 2 x an evaluated one; lower bounds) at "
                  f"{flops_per_s / 1e9:.0f} GFLOP/s (this CPU) and {gpu_flops_per_s / 1e12:.0f} TFLOP/s (a GPU)",
                  "| student | tokens/record | training tokens | PFLOP | hours here | hours on the GPU |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        lines += [f"| {e['student']} | {e['tokens_per_record']:.0f} | {e['train_tokens']:.3g} | {e['pflop']:.1f} | "
                  f"{e['hours']:,.0f} | {e['gpu_hours']:.2f} |" for e in extrapolate(rows, flops_per_s, gpu_flops_per_s)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", type=Path, help="run the rehearsal here, from nothing (an empty folder)")
    ap.add_argument("--log", type=Path, help="summarise a run's stderr instead of running (with --store)")
    ap.add_argument("--store", type=Path, help="the stage store of the run given with --log")
    ap.add_argument("--flops", type=float, default=55e9,
                    help="FLOP/s for the extrapolation (default 55e9: LoRA training of SmolLM2-135M on this 2-core "
                         "CPU, benchmarks/bench_training.py)")
    ap.add_argument("--gpu-flops", type=float, default=4e14,
                    help="FLOP/s of the GPU column (default 4e14: an H100's 989 dense bf16 TFLOP/s at an assumed 40 %% MFU)")
    args = ap.parse_args(argv)
    if args.log:
        if not args.store:
            ap.error("--log needs --store")
        print(report(args.log.read_text(errors="replace"), args.store, None, None, args.flops, args.gpu_flops))
        return
    if not args.workdir:
        ap.error("give --workdir (to run) or --log and --store (to summarise)")
    args.workdir.mkdir(parents=True, exist_ok=True)
    log, wall, peak, store = run_rehearsal(args.workdir)
    print(report(log, store, wall, peak, args.flops, args.gpu_flops))


if __name__ == "__main__":
    main()
