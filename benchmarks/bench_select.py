"""``synthdiv select`` at scale: N = 10,000 of 100,000 candidates, time and peak memory per strategy.

    .venv/bin/python benchmarks/bench_select.py [--pool 100000] [--n 10000] [--dim 384]
        [--strategies dedup diverse matched] [--textbook-steps 200]

Embeddings are given (no model), float32, 384-d: the real set (10,000 rows, for matched) is
standard normal; the pool is too, except its last 30 % of rows, shifted by 3 along 16 of the
dimensions (off-distribution), so matched has something to remove. Texts (for dedup) are 50-word Markov texts (benchmarks/_corpus.py) in which 5 %
are exact copies of another text (other case, extra punctuation) and 10 % near-copies (one word
replaced, Jaccard about 0.88 to their source on 3-word shingles). Each strategy runs in its own
process, so its peak RSS (getrusage ru_maxrss) is its own: it includes the inputs and the
imports, which are printed beside it. ``--textbook-steps`` also times that many steps of the
textbook farthest-point loop (every distance recomputed after each pick) for comparison.

The 2-core machine is shared: run ``uptime`` before and after, and compare ratios measured in
one run rather than seconds measured in two.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "src"))

EXACT_SHARE, NEAR_SHARE = 0.05, 0.10
SHIFTED_DIMS, SHIFT, OFF_SHARE = 16, 3.0, 0.3


def rss_mb() -> float:
    """Current resident set size (VmRSS) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def planted_texts(size: int, seed: int = 1) -> list[str]:
    """Markov texts with planted exact and near-copies (module docstring)."""
    from _corpus import markov_texts

    texts, _ = markov_texts(size * 50, words_per_text=50, seed=seed)
    rng = np.random.default_rng(seed)
    slots = rng.permutation(size)
    n_exact, n_near = int(EXACT_SHARE * size), int(NEAR_SHARE * size)
    sources = rng.choice(slots[n_exact + n_near :], n_exact + n_near)  # copies of texts left as they are
    for slot, src in zip(slots[:n_exact], sources[:n_exact]):
        texts[slot] = texts[src].upper() + " !"
    for slot, src in zip(slots[n_exact : n_exact + n_near], sources[n_exact:]):
        words = texts[src].split()
        words[rng.integers(5, 45)] = f"zebra{rng.integers(1000)}"
        texts[slot] = " ".join(words)
    return texts


def embeddings(size: int, dim: int, seed: int, off_share: float = 0.0) -> np.ndarray:
    """Standard normal rows; the last ``off_share`` of them shifted by SHIFT along SHIFTED_DIMS dimensions."""
    x = np.random.default_rng(seed).standard_normal((size, dim), dtype=np.float32)
    x[size - int(off_share * size) :, :SHIFTED_DIMS] += SHIFT
    return x


def textbook_ms_per_pick(x: np.ndarray, steps: int, threads: int = 1) -> float:
    """The plain loop on unit float32 rows: one pass over the pool per pick (one BLAS thread,
    as the lazy loop runs; ``--textbook-threads 0`` leaves BLAS its default threads)."""
    import contextlib

    from synthdiv.selection.diverse import one_blas_thread, unit_rows32

    u = unit_rows32(x)
    nearest = 1.0 - u @ u[0]
    with one_blas_thread() if threads == 1 else contextlib.nullcontext():
        started = time.perf_counter()
        for _ in range(steps):
            i = int(np.argmax(nearest))
            np.minimum(nearest, 1.0 - u @ u[i], out=nearest)
        return (time.perf_counter() - started) / steps * 1e3


def run_one(args) -> dict:
    """One strategy in this process: build its inputs, select, measure."""
    from synthdiv.selection.settings import SelectionSettings
    from synthdiv.selection.strategies import STRATEGIES, SelectionInput, select_random

    strategy = STRATEGIES[args.only]
    texts = planted_texts(args.pool) if args.only == "dedup" else [""] * args.pool
    pool = embeddings(args.pool, args.dim, seed=2, off_share=OFF_SHARE) if strategy.needs_embeddings else None
    real = embeddings(args.real, args.dim, seed=3) if strategy.needs_real else None
    inp = SelectionInput(texts=texts, n=args.n, settings=SelectionSettings(seed=0), pool_embeddings=pool, real_embeddings=real)
    if strategy.needs_real:
        import sklearn.linear_model  # noqa: F401  (imported before the clock starts, as the CLI would have)
    if args.only == "dedup":
        import datasketch  # noqa: F401
    before = rss_mb()
    started = time.perf_counter()
    picked = strategy.select(inp)
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()  # before the objectives below allocate their own
    out = {"strategy": args.only, "pool": args.pool, "n": args.n, "dim": args.dim, "seconds": round(seconds, 2),
           "peak_rss_mb": round(peak, 1), "rss_before_mb": round(before, 1),
           "inputs_mb": round(((pool.nbytes if pool is not None else 0) + (real.nbytes if real is not None else 0)) / 2**20, 1)}  # fmt: skip
    random = select_random(inp).indices
    if args.only == "dedup":
        out |= {k: picked.info[k] for k in ("exact_duplicates", "near_duplicates", "left")}
        out["planted"] = {"exact": int(EXACT_SHARE * args.pool), "near": int(NEAR_SHARE * args.pool)}
    if args.only == "diverse":
        from synthdiv.metrics.embedding import vendi_score
        from synthdiv.selection.diverse import min_pairwise_cosine_distance

        out["vendi"] = {"random": vendi_score(pool[random]), "selected": vendi_score(pool[picked.indices])}
        out["min_pairwise_cosine_distance"] = {"random": min_pairwise_cosine_distance(pool[random]), "selected": float(picked.scores[-1])}
        if args.textbook_steps:
            per_pick = textbook_ms_per_pick(pool, args.textbook_steps, args.textbook_threads)
            out["textbook_ms_per_pick"] = round(per_pick, 2)
            out["textbook_extrapolated_s"] = round(per_pick * args.n / 1e3, 1)
    if args.only == "matched":
        from synthdiv.metrics.shift_embedding import frechet_distance

        out["frechet_to_real"] = {"random": frechet_distance(real, pool[random]), "selected": frechet_distance(real, pool[picked.indices])}
    if pool is not None:
        first_off = args.pool - int(OFF_SHARE * args.pool)
        out["off_distribution_share"] = {"random": float(np.mean(random >= first_off)), "selected": float(np.mean(picked.indices >= first_off))}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pool", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--real", type=int, default=10_000)
    parser.add_argument("--strategies", nargs="+", default=["dedup", "diverse", "matched"])
    parser.add_argument("--textbook-steps", type=int, default=200)
    parser.add_argument("--textbook-threads", type=int, default=1, choices=(0, 1))
    parser.add_argument("--only", help=argparse.SUPPRESS)  # the child process: run one strategy
    args = parser.parse_args()
    if args.only:
        print(json.dumps(run_one(args)))
        return
    rows = []
    for name in args.strategies:
        cmd = [sys.executable, __file__, "--only", name, "--pool", str(args.pool), "--n", str(args.n), "--dim", str(args.dim),
               "--real", str(args.real), "--textbook-steps", str(args.textbook_steps), "--textbook-threads", str(args.textbook_threads)]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    print(json.dumps({"target_s": 60, "met": all(r["seconds"] < 60 for r in rows)}))


if __name__ == "__main__":
    main()
