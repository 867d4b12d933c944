"""`synthdiv diversity FILE --metrics distinct` as a whole process against the plain-Python reference
as a whole process, on the same file, in one run.

    .venv/bin/python benchmarks/bench_distinct_process.py [--tokens 4100000] [--repeat 3]

What a user waits for: each side is a fresh interpreter that reads the file (one text per line),
tokenises it and prints distinct-1..5, start-up, imports and exit included. The reference splits
each line with ``str.split`` (synthdiv's ``--tokenizer whitespace``; ``--tokenizer regex`` for both
sides takes the default tokeniser instead) and counts with
:func:`synthdiv.metrics.distinct_reference.reference_counts`, sets of tuples. The corpus is the
metric benchmarks' Markov text (benchmarks/_corpus.py); the script checks that both sides count the
same n-grams. One untimed synthdiv run first fills the file cache (and, on a fresh install, builds
the compiled loops: synthdiv.metrics.ngrams.compiled); then the two alternate ``--repeat`` times and
the medians are compared, so a change in the machine's load moves both; their CPU times (user +
system) are compared too, since waiting for a core on a busy machine stretches the short synthdiv
process's wall time more than the long reference's. ``--phases`` also prints
where one synthdiv process spends its time (imports, parsing the command line, reading, tokenising,
counting, printing, exit). Both sides run with Python's bytecode cache on, as an installed package
does: ``PYTHONDONTWRITEBYTECODE`` is dropped from their environment.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import markov_texts  # noqa: E402
from bench_help import entry_point  # noqa: E402

TARGET = 20.0
SRC = Path(__file__).resolve().parents[1] / "src"
REFERENCE = """
import json, sys
from synthdiv.metrics.distinct_reference import reference_counts
from synthdiv.metrics.ngrams.tokenize import split_words
with open(sys.argv[1], encoding="utf-8") as fh:
    samples = [split_words(line, sys.argv[2]) for line in fh.read().splitlines()]
print(json.dumps([[r["distinct"], r["total"]] for r in reference_counts(samples, 5, "corpus")]))
"""
PHASES = """
import atexit, functools, json, sys, time
start = time.perf_counter()
marks = []
import synthdiv.cli.metrics as cli_metrics
def timed(module, name, label):
    fn = getattr(module, name)
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        marks.append(("before " + label, time.perf_counter()))
        try:
            return fn(*args, **kwargs)
        finally:
            marks.append((label, time.perf_counter()))
    setattr(module, name, wrapper)
timed(cli_metrics, "diversity_cmd", "command")
from synthdiv.cli.main import main
marks.append(("imports", time.perf_counter()))
import synthdiv.metrics.texts, synthdiv.metrics.panel, synthdiv.metrics.distinct
timed(synthdiv.metrics.texts, "load_texts", "read")
timed(synthdiv.metrics.panel, "tokenize", "tokenise")
timed(synthdiv.metrics.distinct, "count_ngrams", "count")
timed(cli_metrics, "print_diversity", "print")
def report():
    out, last = {}, start
    for label, t in marks:
        out[label] = round(t - last, 3)
        last = t
    out["total before exit"] = round(last - start, 3)
    print(json.dumps(out), file=sys.stderr)
atexit.register(report)
sys.exit(main(sys.argv[1:]))
"""


def run(argv: list[str], env: dict) -> tuple[float, str, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - t0, proc.stdout, proc.stderr


def cpu_seconds() -> float:
    """User + system CPU time of the children that have exited so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(argv: list[str], env: dict, cpu: list[float]) -> tuple[float, str]:
    """Wall seconds and stdout of one run; its CPU seconds are appended to ``cpu``."""
    before = cpu_seconds()
    seconds, stdout, _ = run(argv, env)
    cpu.append(cpu_seconds() - before)
    return seconds, stdout


def synthdiv_counts(stdout: str) -> list[list[int]]:
    payload = json.loads(stdout)
    return [[payload["unique_ngrams"][k], payload["ngrams"][k]] for k in sorted(payload["ngrams"], key=int)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=4_100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tokenizer", choices=("whitespace", "regex"), default="whitespace")
    parser.add_argument("--phases", action="store_true", help="also time the phases of one synthdiv process")
    parser.add_argument("--with-jit", action="store_true",
                        help="also time synthdiv with the loops through numba's JIT (SYNTHDIV_PREBUILT=0), as before their build")
    args = parser.parse_args()

    texts, source = markov_texts(args.tokens)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: the untimed first run writes the cache
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "texts.txt"
        path.write_text("\n".join(texts) + "\n", encoding="utf-8")
        del texts
        ours_cmd = [*entry_point(), "diversity", str(path), "--metrics", "distinct", "--tokenizer", args.tokenizer, "--json"]
        ref_cmd = [sys.executable, "-c", REFERENCE, str(path), args.tokenizer]
        result: dict = {"corpus": source, "file_mb": round(path.stat().st_size / 2**20, 1), "tokenizer": args.tokenizer,
                        "command": " ".join(["synthdiv", *ours_cmd[len(entry_point()):]]).replace(str(path), "FILE"),
                        "load_average_before": [round(x, 2) for x in os.getloadavg()]}
        first, stdout, _ = run(ours_cmd, env)  # fills the file cache; builds the compiled loops on a fresh install
        result["synthdiv_first_run_s"] = round(first, 3)
        counts = synthdiv_counts(stdout)
        result["tokens"] = counts[0][1]
        jit_env = dict(env, SYNTHDIV_PREBUILT="0")
        if args.with_jit:
            run(ours_cmd, jit_env)  # numba compiles into its cache on the first run
        ours, ref, jit, ours_cpu, ref_cpu, jit_cpu = [], [], [], [], [], []
        for _ in range(args.repeat):
            seconds, stdout = timed_run(ref_cmd, env, ref_cpu)
            assert json.loads(stdout) == counts, "the reference counts other n-grams"
            ref.append(seconds)
            seconds, stdout = timed_run(ours_cmd, env, ours_cpu)
            assert synthdiv_counts(stdout) == counts
            ours.append(seconds)
            line = {"reference_s": round(ref[-1], 3), "synthdiv_s": round(ours[-1], 3),
                    "reference_cpu_s": round(ref_cpu[-1], 3), "synthdiv_cpu_s": round(ours_cpu[-1], 3)}
            if args.with_jit:
                seconds, stdout = timed_run(ours_cmd, jit_env, jit_cpu)
                assert synthdiv_counts(stdout) == counts
                jit.append(seconds)
                line.update(synthdiv_jit_s=round(seconds, 3), synthdiv_jit_cpu_s=round(jit_cpu[-1], 3))
            print(json.dumps({**line, "load_average": round(os.getloadavg()[0], 2)}), flush=True)
        if args.phases:
            seconds, _, stderr = run([sys.executable, "-c", PHASES, *ours_cmd[len(entry_point()):]], env)
            phases = json.loads(stderr.strip().splitlines()[-1])
            phases["interpreter start and exit"] = round(seconds - phases["total before exit"], 3)
            result["synthdiv_phases_s"] = phases
        result.update(
            reference_s=[round(s, 3) for s in ref], synthdiv_s=[round(s, 3) for s in ours],
            reference_median_s=round(statistics.median(ref), 3), synthdiv_median_s=round(statistics.median(ours), 3),
            load_average_after=[round(x, 2) for x in os.getloadavg()],
        )
        result["speedup"] = round(result["reference_median_s"] / result["synthdiv_median_s"], 1)
        result["speedup_per_pair"] = [round(r / o, 1) for r, o in zip(ref, ours)]
        # CPU time (user + system): what each process computed, less moved by waiting for a core on a busy machine
        result["speedup_cpu"] = round(statistics.median(ref_cpu) / statistics.median(ours_cpu), 1)
        result["cpu_s"] = {"reference": [round(s, 3) for s in ref_cpu], "synthdiv": [round(s, 3) for s in ours_cpu]}
        if jit:
            result.update(synthdiv_jit_s=[round(s, 3) for s in jit], synthdiv_jit_median_s=round(statistics.median(jit), 3),
                          speedup_jit=round(result["reference_median_s"] / statistics.median(jit), 1),
                          speedup_jit_cpu=round(statistics.median(ref_cpu) / statistics.median(jit_cpu), 1))
            result["cpu_s"]["synthdiv_jit"] = [round(s, 3) for s in jit_cpu]
        result["target"] = TARGET
        result["met"] = result["speedup"] >= TARGET
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
