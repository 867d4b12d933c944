"""The shift panel on 5k real vs 5k generated samples: time per metric.

    .venv/bin/python benchmarks/bench_shift.py [--samples 5000] [--embedder minilm-l6|random]

Real = Markov texts from one seed, generated = from another seed with shorter
texts. With ``--embedder random`` (the default, no model) the embeddings are
fixed random projections of letter counts, so the timing is that of the metrics
alone; with ``minilm-l6`` the real model embeds (and caches) the texts first.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _corpus import markov_texts  # noqa: E402

from synthdiv.metrics.shift import shift_report  # noqa: E402

_PROJECTION = np.random.default_rng(0).normal(size=(128, 384))


def random_projection_encoder(texts):
    """Stand-in embedder: 384-d random projection of byte counts (deterministic)."""
    counts = np.zeros((len(texts), 128))
    for i, t in enumerate(texts):
        b = np.frombuffer(t.encode("utf-8", "ignore"), dtype=np.uint8)
        counts[i] = np.bincount(b % 128, minlength=128)
    return (counts @ _PROJECTION).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--embedder", default="random")
    args = parser.parse_args()
    real, source = markov_texts(args.samples * 50, words_per_text=50, seed=1)
    gen, _ = markov_texts(args.samples * 40, words_per_text=40, seed=2)
    real, gen = real[: args.samples], gen[: args.samples]
    kwargs = {"encoder": random_projection_encoder} if args.embedder == "random" else {"embedder": args.embedder}
    import os
    import tempfile

    # A fresh embedding cache (unless SYNTHDIV_CACHE is set), so "embed" times the model.
    with tempfile.TemporaryDirectory(prefix="synthdiv-bench-") as tmp:
        os.environ.setdefault("SYNTHDIV_CACHE", tmp)
        t0 = time.perf_counter()
        rep = shift_report(real, gen, **kwargs)
        total = time.perf_counter() - t0
    emb = rep["embedding"]
    print(
        json.dumps(
            {
                "corpus": source,
                "samples_each": rep["samples_compared"],
                "embedder": args.embedder,
                "total_s": total,
                "timings_s": rep["timings_s"],
                "values": {
                    k: emb[k]
                    for k in ("frechet_distance", "mmd2", "mmd2_p_value", "mmd_samples", "precision", "recall",
                              "density", "coverage", "mauve", "mauve_sd", "mauve_buckets", "classifier_auc")
                },
                "ngram_js": rep["ngram_js"],
                "length_ks": rep["lengths"]["text"]["ks"],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
