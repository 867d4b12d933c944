"""Distinct-1..5 on 10M+ tokens: synthdiv (numba and numpy backends) against the
plain-Python set-of-tuples reference and the `diversity` package's
ngram_diversity_score, in one run.

    .venv/bin/python benchmarks/bench_distinct.py [--tokens 10000000]

All see the same texts, tokenised the same way (whitespace split, corpus mode: the
texts are concatenated), and the script checks that they agree. End to end means
texts -> the five values (``distinct_n``, tokenising included); tokenising and
counting are also timed apart. Every synthdiv timing is warm: a tiny call first
loads or compiles the numba functions, and that first call is timed apart, both
from an empty numba cache and from a filled one, in fresh processes.

Memory: the growth of the process's resident set over one ``distinct_n`` call, at
its peak (freed heap memory is handed back with malloc_trim and the kernel's peak
counter, VmHWM, reset through /proc/self/clear_refs just before the call), so
numba's allocations, which tracemalloc does not see,
are counted. The `diversity` package is installed with --no-deps (it pulls an
unpinned torch); its __init__ imports spacy and others, so its ngram_diversity.py
module is loaded from the file directly and called unmodified.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _corpus import markov_texts  # noqa: E402

from synthdiv.metrics.ngrams.engine import numba_available  # noqa: E402
from synthdiv.metrics.distinct import distinct_n  # noqa: E402
from synthdiv.metrics.distinct_reference import reference_counts  # noqa: E402
from synthdiv.metrics.ngrams.count import count_ngrams  # noqa: E402
from synthdiv.metrics.ngrams.tokenize import tokenize  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src"


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


def _memory_mb() -> tuple[float, float]:
    """(resident now, resident peak since the last reset) in MiB, from /proc/self/status."""
    fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _reset_peak() -> bool:
    """Give freed heap memory back to the system (else a call could reuse it unseen), then
    reset the peak counter. False where /proc/self/clear_refs cannot be written."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def first_call_seconds(cache_dir: str) -> float:
    """Seconds of a fresh process's first numba call (import, then compile or load from
    ``cache_dir``), on a tiny input, for both tokenisers and every mode."""
    code = (
        "import time, warnings; warnings.simplefilter('ignore'); t = time.perf_counter()\n"
        "from synthdiv.metrics.distinct import distinct_n\n"
        "for tk in ('whitespace', 'regex'):\n"
        "    for mode in ('corpus', 'sample', 'group'):\n"
        "        distinct_n(['a b c', 'A b'], n=5, mode=mode, tokenizer=tk, groups=[0, 1], backend='numba')\n"
        "print(time.perf_counter() - t)"
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, PYTHONPATH=str(SRC))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def measure_backend(texts: list[str], n: int, backend: str, tokenizer: str) -> dict:
    """Warm timings of one backend: tokenise, count, and distinct_n end to end (with its peak memory)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        distinct_n(texts[:50], n=n, tokenizer=tokenizer, backend=backend)  # warm-up (numba: load/compile)
    tok, t_tok = timed(tokenize, texts, tokenizer, backend=backend)
    _, t_count = timed(count_ngrams, tok.ids, tok.vocab_size, n, backend=backend)
    id_mb = tok.ids.nbytes / 2**20
    del tok
    reset = _reset_peak()
    rss0, _ = _memory_mb()
    result, t_e2e = timed(distinct_n, texts, n=n, mode="corpus", tokenizer=tokenizer, backend=backend)
    _, peak = _memory_mb()
    return {
        "tokenize_s": t_tok,
        "count_s": t_count,
        "end_to_end_s": t_e2e,
        "tokens_per_s_end_to_end": result.tokens / t_e2e,
        "token_id_array_mb": id_mb,
        "peak_rss_growth_mb": peak - rss0 if reset else None,
        "result": result,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=10_000_000)
    parser.add_argument("--n", type=int, default=5)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--skip-diversity", action="store_true")
    parser.add_argument("--skip-regex", action="store_true", help="time only the whitespace tokeniser")
    args = parser.parse_args()

    texts, source = markov_texts(args.tokens)
    print(f"corpus: {len(texts)} texts, {source}", flush=True)
    results: dict = {"texts": len(texts), "corpus": source, "n": args.n, "python": platform.python_version()}
    backends = ["numba", "numpy"] if numba_available() else ["numpy"]
    if "numba" in backends:
        import numba

        with tempfile.TemporaryDirectory() as cache:
            results["numba_version"] = numba.__version__
            results["numba_first_call_empty_cache_s"] = first_call_seconds(cache)
            results["numba_first_call_cached_s"] = first_call_seconds(cache)
        print(json.dumps({k: results[k] for k in results if k.startswith("numba")}), flush=True)

    ours: dict = {}
    for tokenizer in ["whitespace"] + ([] if args.skip_regex else ["regex"]):
        for backend in backends:
            m = measure_backend(texts, args.n, backend, tokenizer)
            ours[(backend, tokenizer)] = m.pop("result")
            results[f"{backend}_{tokenizer}"] = m
            print(json.dumps({f"{backend}_{tokenizer}": m}), flush=True)
        first = ours[(backends[0], tokenizer)]
        for backend in backends[1:]:  # the backends agree exactly
            other = ours[(backend, tokenizer)]
            assert (other.unique_ngrams, other.ngrams) == (first.unique_ngrams, first.ngrams), tokenizer
    ws = ours[(backends[0], "whitespace")]
    results.update(
        tokens=ws.tokens,
        unique_ngrams=ws.unique_ngrams,
        distinct=ws.distinct,
        ngram_diversity_score=ws.ngram_diversity_score,
        memory_budget_mb=2 * results[f"{backends[0]}_whitespace"]["token_id_array_mb"] + 1024,
    )

    if not args.skip_diversity:
        fn, version = load_diversity_function()
        if fn is None:
            print("diversity package not installed: pip install --no-deps diversity", flush=True)
        else:
            score, t_div = timed(fn, texts, args.n)
            results.update(diversity_version=version, diversity_s=t_div, diversity_score=score)
            assert abs(score - round(ws.ngram_diversity_score, 3)) < 1e-9, (score, ws.ngram_diversity_score)
            print(json.dumps({"diversity_s": t_div, "score": score}), flush=True)

    if not args.skip_reference:
        words, t_split = timed(lambda: " ".join(texts).split())
        ref, t_ref = timed(reference_counts, [words], args.n, "corpus")
        assert [r["distinct"] for r in ref] == list(ws.unique_ngrams.values())
        assert [r["total"] for r in ref] == list(ws.ngrams.values())
        results.update(reference_split_s=t_split, reference_count_s=t_ref, reference_total_s=t_split + t_ref)
        print(json.dumps({"reference_count_s": t_ref, "reference_split_s": t_split}), flush=True)

    for backend in backends:
        m = results[f"{backend}_whitespace"]
        if "reference_count_s" in results:
            m["speedup_vs_reference_end_to_end"] = results["reference_total_s"] / m["end_to_end_s"]
            m["speedup_vs_reference_counting"] = results["reference_count_s"] / m["count_s"]
        if "diversity_s" in results:
            m["speedup_vs_diversity_end_to_end"] = results["diversity_s"] / m["end_to_end_s"]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
