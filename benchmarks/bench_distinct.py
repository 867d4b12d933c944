"""Distinct-1..5 on 10M+ tokens: synthdiv against the plain-Python set-of-tuples
reference and the `diversity` package's ngram_diversity_score, in one run.

    .venv/bin/python benchmarks/bench_distinct.py [--tokens 10000000]

All three see the same texts, tokenised the same way (whitespace split, corpus
mode: the texts are concatenated), and the script checks that they agree. The
`diversity` package is installed with --no-deps (it pulls an unpinned torch); its
__init__ imports spacy and others, so its ngram_diversity.py module is loaded
from the file directly and called unmodified. Peak memory of our counting is
measured with tracemalloc (numpy reports its buffers to it).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _corpus import markov_texts  # noqa: E402

from synthdiv.metrics.distinct import distinct_n  # noqa: E402
from synthdiv.metrics.distinct_reference import reference_counts  # noqa: E402
from synthdiv.metrics.ngram_count import count_ngrams  # noqa: E402
from synthdiv.metrics.tokenize import tokenize  # noqa: E402


def load_diversity_function():
    spec = importlib.util.find_spec("diversity")
    if spec is None or not spec.submodule_search_locations:
        return None, None
    folder = Path(spec.submodule_search_locations[0])
    mod_spec = importlib.util.spec_from_file_location("diversity_ngram", folder / "ngram_diversity.py")
    module = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(module)
    from importlib.metadata import version

    return module.ngram_diversity_score, version("diversity")


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=10_000_000)
    parser.add_argument("--n", type=int, default=5)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--skip-diversity", action="store_true")
    args = parser.parse_args()

    texts, source = markov_texts(args.tokens)
    print(f"corpus: {len(texts)} texts, {source}", flush=True)
    results: dict = {"texts": len(texts), "corpus": source, "n": args.n, "python": platform.python_version()}

    # synthdiv: tokenise once (token ids), then count. Peak memory measured on the counting
    # (tracemalloc) and for tokenising + counting as the growth of the process's peak RSS.
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tok, t_tok = timed(tokenize, texts, "whitespace")
    tracemalloc.start()
    counts, t_count = timed(count_ngrams, tok.ids, tok.vocab_size, args.n)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ours = distinct_n(n=args.n, mode="corpus", token_ids=tok)
    results.update(
        tokens=int(tok.ids.size),
        vocab=tok.vocab_size,
        ours_tokenize_s=t_tok,
        ours_count_s=t_count,
        ours_total_s=t_tok + t_count,
        token_id_array_mb=tok.ids.nbytes / 2**20,
        ours_count_peak_mb=peak / 2**20,
        ours_peak_rss_growth_mb=rss_after - rss_before,
        memory_budget_mb=2 * tok.ids.nbytes / 2**20 + 1024,
        distinct={k: v for k, v in ours.distinct.items()},
        ngram_diversity_score=ours.ngram_diversity_score,
    )
    print(json.dumps({k: results[k] for k in ("tokens", "ours_tokenize_s", "ours_count_s", "ours_count_peak_mb")}), flush=True)

    if not args.skip_diversity:
        fn, version = load_diversity_function()
        if fn is None:
            print("diversity package not installed: pip install --no-deps diversity", flush=True)
        else:
            score, t_div = timed(fn, texts, args.n)
            results.update(diversity_version=version, diversity_s=t_div, diversity_score=score)
            assert abs(score - round(ours.ngram_diversity_score, 3)) < 1e-9, (score, ours.ngram_diversity_score)
            print(json.dumps({"diversity_s": t_div, "score": score}), flush=True)

    if not args.skip_reference:
        words, t_split = timed(lambda: " ".join(texts).split())
        ref, t_ref = timed(reference_counts, [words], args.n, "corpus")
        assert [r["distinct"] for r in ref] == list(ours.unique_ngrams.values())
        assert [r["total"] for r in ref] == list(ours.ngrams.values())
        results.update(reference_split_s=t_split, reference_count_s=t_ref, reference_total_s=t_split + t_ref)
        print(json.dumps({"reference_count_s": t_ref, "reference_split_s": t_split}), flush=True)

    if "reference_count_s" in results:
        results["speedup_vs_reference_counting"] = results["reference_count_s"] / results["ours_count_s"]
        results["speedup_vs_reference_end_to_end"] = results["reference_total_s"] / results["ours_total_s"]
    if "diversity_s" in results:
        results["speedup_vs_diversity_end_to_end"] = results["diversity_s"] / results["ours_total_s"]
        results["speedup_vs_diversity_counting"] = results["diversity_s"] / results["ours_count_s"]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
