"""Self-BLEU-4 on 10k samples with synthdiv, checked against nltk on a subsample.

    .venv/bin/python benchmarks/bench_self_bleu.py [--samples 10000] [--check 200]

nltk's quadratic loop (each sample against all others) is timed on a subsample
of --check samples and extrapolated to the full set by the number of pairs
(it grows as N^2); on that subsample both implementations must agree to 1e-9.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _corpus import markov_texts  # noqa: E402

from synthdiv.metrics.self_bleu_score import self_bleu, self_bleu_scores  # noqa: E402
from synthdiv.metrics.ngrams.tokenize import split_words, tokenize  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--check", type=int, default=200)
    args = parser.parse_args()
    texts, source = markov_texts(args.samples * 40, words_per_text=40)
    texts = texts[: args.samples]

    t0 = time.perf_counter()
    ours = self_bleu(texts, tokenizer="regex")
    t_ours = time.perf_counter() - t0

    from nltk.translate.bleu_score import sentence_bleu

    sub = texts[: args.check]
    toks = [split_words(t) for t in sub]
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = [sentence_bleu(toks[:i] + toks[i + 1 :], toks[i]) for i in range(len(toks))]
    t_nltk = time.perf_counter() - t0
    t0 = time.perf_counter()
    sub_scores = self_bleu_scores(tokenize(sub, "regex"))
    t_ours_sub = time.perf_counter() - t0
    worst = max(abs(a - b) / max(abs(b), 1e-300) for a, b in zip(sub_scores, ref))
    assert worst < 1e-9, worst
    n, m = args.samples, args.check
    extrapolated = t_nltk * (n * (n - 1)) / (m * (m - 1))
    print(
        json.dumps(
            {
                "corpus": source,
                "samples": n,
                "self_bleu_4": ours.self_bleu,
                "ours_s": t_ours,
                "check_samples": m,
                "ours_check_s": t_ours_sub,
                "nltk_check_s": t_nltk,
                "max_relative_difference_vs_nltk": worst,
                "nltk_extrapolated_full_s": extrapolated,
                "speedup_extrapolated": extrapolated / t_ours,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
