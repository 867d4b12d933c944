"""``synthdiv compare`` on 10,000 records with 2,000 resamples, and ``diversity --match-size``.

    .venv/bin/python benchmarks/bench_compare.py [--records 10000] [--resamples 2000] [--repeat 3]

Part 1 writes two per-record loss files of ``--records`` rows (the JSONL of
``synthdiv evaluate --per-sample``; B is A plus per-record noise) and times, best
of ``--repeat``:
  * ``paired_difference`` on the arrays (the bootstrap alone),
  * ``compare_files`` in process (read both files, align by id, bootstrap),
  * the ``synthdiv compare A B --json`` process, start-up included,
and checks that the CLI process never imports torch. Target: under 2 s each.

Part 2 times ``synthdiv diversity F1 F2 F3`` with and without ``--match-size``
(default draws) on three Markov story sets of 200, 400 and 1,000 texts, matched
at 200 (see benchmarks/_corpus.py). Target: well under 10 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "src"))

from _corpus import markov_texts  # noqa: E402

from synthdiv.cli.compare import compare_files  # noqa: E402
from synthdiv.stats.uncertainty import paired_difference  # noqa: E402

SYNTHDIV = Path(sys.executable).parent / "synthdiv"
MATCHED_SIZES = (200, 400, 1000)


def write_loss_files(folder: Path, records: int) -> tuple[Path, Path, dict]:
    rng = np.random.default_rng(0)
    tokens = rng.integers(5, 60, records)
    a = tokens * rng.gamma(4.0, 0.5, records)
    b = a + tokens * rng.normal(0.01, 0.3, records)
    paths = []
    for name, nll in (("a", a), ("b", b)):
        path = folder / f"{name}.jsonl"
        with open(path, "w", encoding="utf-8") as fh:
            for i in range(records):
                row = {"id": f"r{i}", "loss": nll[i] / tokens[i], "nll": float(nll[i]), "tokens": int(tokens[i]),
                       "chars": 4 * int(tokens[i]), "truncated_tokens": 0}
                fh.write(json.dumps(row) + "\n")
        paths.append(path)
    return paths[0], paths[1], {"a": a, "b": b, "tokens": tokens}


def best_of(repeat: int, fn) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def cli_seconds(args: list[str], repeat: int) -> float:
    return best_of(repeat, lambda: subprocess.run([str(SYNTHDIV), *args], check=True, capture_output=True))[0]


def torch_imported_by_compare(a: Path, b: Path) -> bool:
    code = (
        "import sys; from synthdiv.cli.main import main; "
        f"rc = main(['compare', {str(a)!r}, {str(b)!r}, '--json']); print('torch' in sys.modules, file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return proc.stderr.strip().splitlines()[-1] == "True"


def bench_compare(folder: Path, records: int, resamples: int, repeat: int) -> dict:
    a, b, arrays = write_loss_files(folder, records)
    fn_s, delta = best_of(repeat, lambda: paired_difference(arrays["a"], arrays["tokens"], arrays["b"], arrays["tokens"], resamples=resamples))
    files_s, summary = best_of(repeat, lambda: compare_files(str(a), str(b), resamples=resamples))
    cli_s = cli_seconds(["compare", str(a), str(b), "--json", "--resamples", str(resamples)], repeat)
    return {
        "records": records, "resamples": resamples,
        "paired_difference_s": round(fn_s, 3), "compare_files_s": round(files_s, 3), "cli_process_s": round(cli_s, 3),
        "cli_imports_torch": torch_imported_by_compare(a, b),
        "result": {k: summary[k] for k in ("delta", "ci_low", "ci_high", "p_value", "pairs")},
        "same_as_arrays": summary["delta"] == delta.delta and summary["ci_low"] == delta.ci_low,
    }  # fmt: skip


def bench_matched(folder: Path, repeat: int) -> dict:
    files = []
    for seed, size in enumerate(MATCHED_SIZES, start=1):
        texts, source = markov_texts(size * 50, words_per_text=50, seed=seed)
        path = folder / f"stories_{size}.txt"
        path.write_text("\n".join(texts[:size]) + "\n", encoding="utf-8")
        files.append(str(path))
    plain = cli_seconds(["diversity", *files, "--json"], repeat)
    matched = cli_seconds(["diversity", *files, "--json", "--match-size"], repeat)
    out = json.loads(subprocess.run([str(SYNTHDIV), "diversity", *files, "--json", "--match-size"], check=True, capture_output=True, text=True).stdout)
    return {
        "corpus": source, "sizes": list(MATCHED_SIZES), "cli_without_match_s": round(plain, 3), "cli_with_match_size_s": round(matched, 3),
        "per_file": [
            {"samples": f["samples"], "full_score": round(f["ngram_diversity_score"], 4),
             **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in f["matched"].items()
                if k in ("size", "draws", "ngram_diversity_score", "ci_low", "ci_high")}}
            for f in out["files"]
        ],
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="synthdiv-bench-compare-") as tmp:
        report = {
            "compare": bench_compare(Path(tmp), args.records, args.resamples, args.repeat),
            "matched_diversity": bench_matched(Path(tmp), args.repeat),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
