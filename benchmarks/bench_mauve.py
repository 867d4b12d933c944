"""MAUVE: synthdiv against the reference package ``mauve-text``, side by side in one run
on the same features.

    .venv/bin/python benchmarks/bench_mauve.py [--sizes 435x436 871x871] [--features random|minilm-l6] [--repeat 3]

``mauve-text`` is not a dependency; install it without its dependencies into a
folder of its own and name that folder (it needs faiss-cpu, scikit-learn, numpy):

    .venv/bin/pip install --no-deps --target /tmp/ref mauve-text faiss-cpu
    SYNTHDIV_REFERENCE_PATH=/tmp/ref .venv/bin/python benchmarks/bench_mauve.py

Without it only synthdiv is timed. Per size, three runs on the same features:
``mauve-text`` (``compute_mauve(p_features=..., q_features=...)``, its defaults:
seed 25, 5 k-means restarts), synthdiv's ``setting="mauve-text"`` (the same
algorithm, one seed) and synthdiv's default (``setting="synthdiv"``: seeds 0, 1, 2,
one k-means++ each). Times are wall-clock seconds, best and all of ``--repeat``,
imports excluded.

Features: ``random`` (default) is a 384-d mixture of 40 Gaussians, the generated
side with its own mixture weights and shifted centres, so k-means has structure
to find; ``minilm-l6`` embeds Markov texts with the real model (cached).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from synthdiv.metrics.mauve_score import mauve  # noqa: E402


def load_reference():
    """``mauve.compute_mauve`` from SYNTHDIV_REFERENCE_PATH (or the environment), else None."""
    folder = os.environ.get("SYNTHDIV_REFERENCE_PATH")
    if folder:
        sys.path.append(folder)
    try:
        module = importlib.import_module("mauve")
        from importlib.metadata import version

        return module.compute_mauve, version("mauve-text")
    except ImportError:
        return None, None


def random_features(n_real: int, n_gen: int, dim: int = 384, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, dim))
    real = centres[rng.choice(40, n_real, p=rng.dirichlet(np.ones(40)))] + rng.normal(scale=2.0, size=(n_real, dim))
    shifted = centres + rng.normal(scale=0.5, size=centres.shape)
    gen = shifted[rng.choice(40, n_gen, p=rng.dirichlet(np.ones(40)))] + rng.normal(scale=2.0, size=(n_gen, dim))
    return real.astype(np.float32), gen.astype(np.float32)


def model_features(n_real: int, n_gen: int, embedder: str) -> tuple[np.ndarray, np.ndarray]:
    from _corpus import markov_texts

    from synthdiv.metrics.embed_cache import embed_texts

    real, _ = markov_texts(n_real * 50, words_per_text=50, seed=1)
    gen, _ = markov_texts(n_gen * 40, words_per_text=40, seed=2)
    return embed_texts(real[:n_real], embedder), embed_texts(gen[:n_gen], embedder)


def timed(fn, repeat: int) -> tuple[float, list[float]]:
    times, value = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn()
        times.append(round(time.perf_counter() - t0, 3))
    return value, times


def bench_size(n_real: int, n_gen: int, features: str, repeat: int, reference) -> dict:
    q, p = random_features(n_real, n_gen) if features == "random" else model_features(n_real, n_gen, features)
    row: dict = {"real": n_real, "generated": n_gen, "dim": int(q.shape[1])}
    runs = {
        "synthdiv_mauve_text_setting": lambda: mauve(p, q, setting="mauve-text")["mauve"],
        "synthdiv_default": lambda: mauve(p, q)["mauve"],
    }
    if reference is not None:
        runs = {"mauve_text": lambda: float(reference(p_features=p, q_features=q).mauve), **runs}
    for name, fn in runs.items():
        value, times = timed(fn, repeat)
        row[name] = {"mauve": value, "best_s": min(times), "times_s": times}
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="+", default=["435x436", "871x871"], help="REALxGENERATED point counts")
    parser.add_argument("--features", default="random", help="random | an embedder name (minilm-l6)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    reference, ref_version = load_reference()
    rows = [bench_size(*map(int, s.split("x")), args.features, args.repeat, reference) for s in args.sizes]
    import sklearn

    print(json.dumps({
        "features": args.features, "mauve_text": ref_version, "scikit_learn": sklearn.__version__,
        "numpy": np.__version__, "python": platform.python_version(), "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()], "sizes": rows,
    }, indent=2))


if __name__ == "__main__":
    main()
