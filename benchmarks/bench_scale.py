"""What every stage costs as the data grows: wall time and peak RSS per stage and size, and the growth exponent.

    .venv/bin/python benchmarks/bench_scale.py [--sizes 1000 3000 10000 30000] [--big-sizes 100000]
        [--stages convert-jsonl ...] [--stage-limit 180] [--workdir DIR] [--markdown FILE]

Each measurement is its own process (``--child STAGE --size N``), started by this script, which reads
the child's wall time and peak RSS (``ru_maxrss`` from ``os.wait4``): start-up and imports included,
as a user running the command sees them. Inputs are built beforehand, outside the measurement: story
records (``story_completion``: a 45-word context and a 15-word target) cut from second-order Markov
texts over real text (benchmarks/_corpus.py), a real set (seed 0) and a generated set (seed 1) of N
records each.

The models' own arithmetic is left out: where a stage embeds texts, the child replaces the embedding
model by a fixed random 384-d vector per text (from the text's sha256; the embedding cache, the
metrics, selection and the report run as usual on them), so a stage's cost is everything around the
model. ``--minilm`` adds ``shift`` with the real MiniLM at the sizes given, to extrapolate the
embedding cost itself. Tokenising and batching use SmolLM2's tokenizer and synthdiv's own encoding,
batching and collation (no forward pass).

The exponent of a stage is the slope of log(time) against log(size) over the sizes it ran at, and
the same for the memory above the import baseline (peak RSS of a child that only imports the CLI and
returns). Sizes above ``--sizes`` (``--big-sizes``) run only for the stages in BIG_STAGES (the lexical
metrics, selection and compare). A stage whose time at one size passes ``--stage-limit`` seconds is
not run at larger sizes (the table says so). Run ``uptime`` before and after: the 2-core machine is
shared, and seconds measured under load are upper bounds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "src"))

CONTEXT_WORDS, TARGET_WORDS = 45, 15
EMBED_DIM = 384
POOL_TOPICS = 10_000
LEVELS = ("D0", "D1", "D2", "D3", "D4", "D5", "D6")
BIG_STAGES = ("diversity-lexical", "shift-lexical", "select-dedup", "select-diverse", "select-matched", "compare")
STAGES = ("convert-jsonl", "convert-csv", "generate", "diversity", "diversity-lexical", "shift", "shift-lexical",
          "select-dedup", "select-diverse", "select-matched", "mix", "tokenise-train", "tokenise-eval", "compare",
          "trends-plane", "ladder", "report", "export-hf")
WHAT = {
    "convert-jsonl": "`data convert` prompt/completion JSONL -> records",
    "convert-csv": "`data convert` prompt/completion CSV -> records",
    "generate": "`generate --backend dummy --level D6` with a 10,000-topic pool (empty cache)",
    "diversity": "`diversity` real + generated, every metric (embedding given), `--match-size`",
    "diversity-lexical": "`diversity` real + generated, distinct, compression, self-BLEU, `--match-size`",
    "shift": "`shift` real vs generated, embedding given (Fréchet, MMD, PRDC, MAUVE, classifier)",
    "shift-lexical": "`shift --embedder none` (n-gram JS, lengths)",
    "select-dedup": "`select --strategy dedup --n N/10` of N",
    "select-diverse": "`select --strategy diverse --n N/10` of N (embedding given)",
    "select-matched": "`select --strategy matched --n N/10` of N, real N (embedding given)",
    "mix": "`mix --ratio 0.5` of N real and N generated",
    "tokenise-train": "encode N records (SmolLM2 tokenizer), length-grouped batches of 8, collate every batch",
    "tokenise-eval": "encode N records, sorted batches of 8, collate every batch",
    "compare": "`compare A B --json` on two per-record loss files of N records",
    "trends-plane": "`loss_trends` and `plane` on 7 levels x 2 seeds, N test records each (in process)",
    "ladder": "`ladder` on D0, D3, D6 files of N records each (embedding given)",
    "report": "`report` on a run folder with N records per set (3 levels, 1 seed, 1 student, embedding map)",
    "export-hf": "`export --format hf` of N generated records with its card (shift against N real, embedding given)",
    "shift-minilm": "`shift` real vs generated with the real MiniLM-L6 (embedding arithmetic included)",
}


# ----- inputs (built by the parent, not measured) ----------------------------------------------------------
def story_records(n: int, seed: int, source: str):
    from _corpus import markov_texts

    from synthdiv.records import Provenance, Record

    texts, _ = markov_texts(n * (CONTEXT_WORDS + TARGET_WORDS), words_per_text=CONTEXT_WORDS + TARGET_WORDS, seed=seed)
    out = []
    for i, text in enumerate(texts[:n]):
        words = text.split()
        prov = (Provenance(strategy="topic", level="D3", model="dummy", backend="dummy", seed_ids=[f"real-0-{i % 997}"])
                if source == "generated" else Provenance())
        out.append(Record(id=f"{source}-{seed}-{i}", task="story_completion", context=" ".join(words[:CONTEXT_WORDS]),
                          target=" ".join(words[CONTEXT_WORDS:]), source=source, provenance=prov))
    return out


class Inputs:
    """Input files of one size, each built on first use."""

    def __init__(self, folder: Path, size: int):
        self.folder, self.size = folder, size
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, name: str, build) -> Path:
        path = self.folder / name
        if not path.exists():
            build(path)
        return path

    def real(self) -> Path:
        from synthdiv.data.records_io import write_records

        return self._path("real.jsonl", lambda p: write_records(story_records(self.size, 0, "real"), p))

    def generated(self, seed: int = 1, name: str = "gen.jsonl") -> Path:
        from synthdiv.data.records_io import write_records

        return self._path(name, lambda p: write_records(story_records(self.size, seed, "generated"), p))

    def plain(self, fmt: str) -> Path:
        def build(path: Path) -> None:
            rows = [{"prompt": r.context, "completion": r.target} for r in story_records(self.size, 0, "real")]
            if fmt == "csv":
                import csv

                with open(path, "w", encoding="utf-8", newline="") as fh:
                    writer = csv.DictWriter(fh, fieldnames=["prompt", "completion"])
                    writer.writeheader()
                    writer.writerows(rows)
            else:
                path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")

        return self._path(f"plain.{fmt}", build)

    def topics(self) -> Path:
        """10,000 distinct 'Theme > Subtopic > Topic' lines (the dummy backend's topic growth stalls near 600)."""
        lines = [f"Theme {t} > Subtopic {t}.{s} > Topic {t}.{s}.{k}" for t in range(20) for s in range(25) for k in range(20)]
        return self._path("topics.txt", lambda p: p.write_text("\n".join(lines[:POOL_TOPICS]) + "\n", encoding="utf-8"))

    def losses(self, which: str) -> Path:
        def build(path: Path) -> None:
            rng = np.random.default_rng(0 if which == "a" else 1)
            tokens = rng.integers(10, 30, self.size)
            nll = tokens * (3.0 + rng.normal(0, 0.3, self.size)).clip(0.1)
            path.write_text("".join(json.dumps({"id": f"t{i}", "nll": float(v), "tokens": int(t)}) + "\n"
                                    for i, (v, t) in enumerate(zip(nll, tokens))), encoding="utf-8")

        return self._path(f"losses-{which}.jsonl", build)

    def run_dir(self) -> Path:
        def build(path: Path) -> None:
            sys.path.insert(0, str(ROOT / "tests" / "reports"))
            from report_run_factory import build_run_dir

            build_run_dir(path, levels=("D0", "D3", "D6"), seeds=(0,), models=("gpt2",), n=self.size, train_logs=True)

        return self._path("run", build)


def prepare(stage: str, inp: Inputs) -> list[str]:
    """The stage's arguments to the child: a CLI command line (``synthdiv ...``) or an in-process call."""
    n, out = inp.size, str(inp.folder / f"out-{stage}")
    emb = ["--embedder", "minilm-l6"]
    columns = ["--column", "context=prompt", "--column", "target=completion"]
    table = {
        "convert-jsonl": lambda: ["data", "convert", str(inp.plain("jsonl")), "--task", "story_completion", *columns, "-o", out + ".jsonl"],
        "convert-csv": lambda: ["data", "convert", str(inp.plain("csv")), "--task", "story_completion", *columns, "-o", out + ".jsonl"],
        "generate": lambda: ["generate", "--backend", "dummy", "--n", str(n), "--level", "D6", "--topics", str(inp.topics()),
                             "--out", out + ".jsonl", "--no-progress"],
        "diversity": lambda: ["diversity", str(inp.real()), str(inp.generated()), "--metrics", "distinct,compression,self-bleu,embedding",
                              *emb, "--match-size", "--json"],
        "diversity-lexical": lambda: ["diversity", str(inp.real()), str(inp.generated()), "--match-size", "--json"],
        "shift": lambda: ["shift", str(inp.real()), str(inp.generated()), *emb, "--json"],
        "shift-minilm": lambda: ["shift", str(inp.real()), str(inp.generated()), *emb, "--json"],
        "shift-lexical": lambda: ["shift", str(inp.real()), str(inp.generated()), "--embedder", "none", "--json"],
        "select-dedup": lambda: ["select", "--pool", str(inp.generated()), "--n", str(n // 10), "--strategy", "dedup",
                                 "--embedder", "none", "-o", out + ".jsonl", "--json"],
        "select-diverse": lambda: ["select", "--pool", str(inp.generated()), "--n", str(n // 10), "--strategy", "diverse", *emb,
                                   "-o", out + ".jsonl", "--json"],
        "select-matched": lambda: ["select", "--pool", str(inp.generated()), "--n", str(n // 10), "--strategy", "matched",
                                   "--real", str(inp.real()), *emb, "-o", out + ".jsonl", "--json"],
        "mix": lambda: ["mix", "--real", str(inp.real()), "--generated", str(inp.generated()), "--ratio", "0.5", "-o", out + ".jsonl",
                        "--json"],
        "compare": lambda: ["compare", str(inp.losses("a")), str(inp.losses("b")), "--json"],
        "ladder": lambda: ["ladder", *(str(inp.generated(seed, f"level-{lv}.jsonl")) for seed, lv in ((11, "D0"), (14, "D3"), (17, "D6"))),
                           "--real", str(inp.real()), *emb, "--json"],
        "report": lambda: ["report", str(inp.run_dir()), "--out", out, "--quiet", *emb],
        "export-hf": lambda: ["export", str(inp.generated()), "--format", "hf", "--out", out, "--real", str(inp.real()), *emb,
                              "--overwrite"],
        "tokenise-train": lambda: ["@tokenise", str(inp.real()), "train"],
        "tokenise-eval": lambda: ["@tokenise", str(inp.real()), "eval"],
        "trends-plane": lambda: ["@trends-plane", str(n)],
        "baseline": lambda: ["@baseline"],
    }
    return table[stage]()


# ----- the child: one stage in this process ---------------------------------------------------------------
def given_embeddings() -> None:
    """Replace the embedding model by a fixed random vector per text (its sha256 picks and signs three rows of
    a seeded table): what the metrics get is a given embedding matrix, and no model is loaded."""
    from synthdiv.metrics import embed_cache

    table = np.random.default_rng(0).standard_normal((4096, EMBED_DIM), dtype=np.float32)

    def encoder(model: str, batch_size: int):
        def encode(texts: list[str]) -> np.ndarray:
            digests = np.frombuffer(b"".join(hashlib.sha256(t.encode("utf-8")).digest()[:6] for t in texts), dtype=np.uint16)
            idx = digests.reshape(-1, 3).astype(np.int64) % table.shape[0]
            return table[idx[:, 0]] + 0.5 * table[idx[:, 1]] + 0.25 * table[idx[:, 2]]

        return encode

    embed_cache._default_encoder = encoder


def tokenise(records_path: str, mode: str) -> dict:
    from synthdiv.data.records_io import read_records
    from synthdiv.metrics.ngrams.tokenize import load_hf_tokenizer
    from synthdiv.training.encoding import collate, encode_records, length_grouped_batches, sorted_batches

    tokenizer = load_hf_tokenizer("smollm2-135m-instruct")
    records = read_records(records_path)
    encoded = encode_records(records, tokenizer, max_length=512)
    if mode == "train":
        batches = length_grouped_batches(encoded.lengths, 8, seed=0, epoch=0)
    else:
        batches = sorted_batches(encoded.lengths, 8)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    cells = 0
    for batch in batches:
        cells += collate([encoded.examples[i] for i in batch], pad)["input_ids"].numel()
    return {"tokens": encoded.tokens, "padded_cells": int(cells), "batches": len(batches)}


def trends_plane(n: int) -> dict:
    from synthdiv.stats.evidence import PerRecord
    from synthdiv.stats.plane import plane
    from synthdiv.stats.sweep_trends import loss_trends

    rng = np.random.default_rng(0)
    ids = tuple(f"t{i}" for i in range(n))
    tokens = rng.integers(10, 30, n).astype(float)
    rows, losses = [], []
    for k, level in enumerate(LEVELS):
        for seed in (0, 1):
            nll = tokens * (3.0 - 0.02 * k + rng.normal(0, 0.3, n)).clip(0.1)
            losses.append(PerRecord(ids, nll, tokens))
            rows.append({"dataset": f"gen-{level}", "role": "generated", "level": level, "model": "m", "seed": seed, "mode": "fixed",
                         "ratio": 1.0, "size_asked": None, "test_loss": float(nll.sum() / tokens.sum()),
                         "div_matched_ngram_diversity_score": 2.0 + 0.1 * k, "div_matched_ci_low": 1.95 + 0.1 * k,
                         "div_matched_ci_high": 2.05 + 0.1 * k, "shift_ngram_js_2": 0.3 - 0.02 * k + 0.01 * seed})
    trends = loss_trends(rows, losses)
    fitted = plane(rows, losses)
    return {"trends": len(trends), "plane_groups": len(fitted["groups"])}


def run_child(stage: str, argv: list[str]) -> None:
    if stage != "shift-minilm":
        given_embeddings()
    if argv[0] == "@baseline":
        import synthdiv.cli.main  # noqa: F401  (what every CLI child imports before its stage)

        return
    if argv[0] == "@tokenise":
        print(json.dumps(tokenise(argv[1], argv[2])))
        return
    if argv[0] == "@trends-plane":
        print(json.dumps(trends_plane(int(argv[1]))))
        return
    from synthdiv.cli.main import main as cli_main

    code = cli_main(argv)
    if code:
        sys.exit(code)


# ----- the parent: one process per measurement ------------------------------------------------------------
def measure(stage: str, size: int, inp: Inputs, cache: Path, timeout: float) -> dict:
    # Inputs are built in a process of their own: a child inherits the peak RSS of the process it was
    # forked from (Linux carries the pre-exec peak into ru_maxrss), so this one must stay small.
    prep = [sys.executable, __file__, "--prepare", stage, str(size), str(inp.folder)]
    argv = json.loads(subprocess.run(prep, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
    shutil.rmtree(cache / "responses", ignore_errors=True)
    shutil.rmtree(cache / "embeddings", ignore_errors=True)
    env = dict(os.environ, SYNTHDIV_CACHE=str(cache), PYTHONPATH=str(ROOT / "src"), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               HF_DATASETS_OFFLINE="1", OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "2"))
    log = inp.folder / f"log-{stage}.txt"
    cmd = [sys.executable, __file__, "--child", stage, "--", *argv]
    with open(log, "w", encoding="utf-8") as fh:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=inp.folder)
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        killer.cancel()
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    row = {"stage": stage, "size": size, "seconds": round(seconds, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
           "cpu_s": round(usage.ru_utime + usage.ru_stime, 2), "exit": code}
    if code:
        row["error"] = log.read_text(encoding="utf-8", errors="replace")[-600:]
    return row


def slope(xs: list[float], ys: list[float]) -> float | None:
    pts = [(np.log(x), np.log(y)) for x, y in zip(xs, ys) if y and y > 0]
    if len(pts) < 2:
        return None
    lx, ly = np.array(pts).T
    return round(float(np.polyfit(lx, ly, 1)[0]), 2)


def mb_per_1k(two: list[dict]) -> float | None:
    """Peak RSS added per 1,000 records between the two largest sizes: what extrapolates to larger sets,
    whatever a stage's imports weigh."""
    if len(two) < 2:
        return None
    (a, b) = two
    return round((b["peak_rss_mb"] - a["peak_rss_mb"]) / (b["size"] - a["size"]) * 1000, 1)


def fits(rows: list[dict], baseline_mb: float) -> dict[str, dict]:
    out = {}
    for stage in dict.fromkeys(r["stage"] for r in rows):
        ok = [r for r in rows if r["stage"] == stage and r["exit"] == 0]
        sizes = [r["size"] for r in ok]
        times = [r["seconds"] for r in ok]
        out[stage] = {"time_exponent": slope(sizes, times),
                      "time_exponent_last_two": slope(sizes[-2:], times[-2:]),  # start-up weighs least here
                      "cpu_exponent": slope(sizes, [r["cpu_s"] for r in ok]),  # less swayed by the machine's load than wall time
                      "memory_exponent": slope(sizes, [max(r["peak_rss_mb"] - baseline_mb, 0.0) for r in ok]),
                      "mb_per_1k_last_two": mb_per_1k(ok[-2:])}
    return out


def markdown(rows: list[dict], exponents: dict, sizes: list[int], skipped: dict[str, int], planned: set) -> str:
    head = "| stage | " + " | ".join(f"{s:,}" for s in sizes) + " | time exp. | last two | CPU exp. | memory exp. | MB per 1k |"
    lines = [head, "| --- | " + " | ".join("---:" for _ in sizes) + " | ---: | ---: | ---: | ---: | ---: |"]
    for stage, exp in exponents.items():
        cells = []
        for s in sizes:
            r = next((r for r in rows if r["stage"] == stage and r["size"] == s), None)
            if r is None:
                cells.append("stopped" if stage in skipped and s > skipped[stage] and (stage, s) in planned else "")
            elif r["exit"] == -9:  # the time limit killed it
                cells.append(f"killed at {r['seconds']:.0f} s ({r['peak_rss_mb']:,.0f} MB by then)")
            elif r["exit"]:
                cells.append(f"exit {r['exit']}")
            else:
                cells.append(f"{r['seconds']:.1f} s, {r['peak_rss_mb']:,.0f} MB")
        fmt = lambda v: "" if v is None else f"{v:.2f}"  # noqa: E731
        exps = (exp["time_exponent"], exp["time_exponent_last_two"], exp["cpu_exponent"], exp["memory_exponent"], exp["mb_per_1k_last_two"])
        lines.append(f"| {stage} | " + " | ".join(cells) + " | " + " | ".join(fmt(v) for v in exps) + " |")
    return "\n".join(lines)


def main() -> None:
    if sys.argv[1:2] == ["--child"]:  # the measured process: --child STAGE -- ARGS
        run_child(sys.argv[2], sys.argv[4:])
        return
    if sys.argv[1:2] == ["--prepare"]:  # build a stage's inputs: --prepare STAGE SIZE FOLDER
        print(json.dumps(prepare(sys.argv[2], Inputs(Path(sys.argv[4]), int(sys.argv[3])))))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10000, 30000])
    parser.add_argument("--big-sizes", type=int, nargs="*", default=[100000])
    parser.add_argument("--stages", nargs="+", default=list(STAGES), choices=[*STAGES, "shift-minilm"])
    parser.add_argument("--minilm", type=int, nargs="*", default=[], help="sizes for shift with the real MiniLM")
    parser.add_argument("--stage-limit", type=float, default=180.0, help="seconds; a stage past it stops growing")
    parser.add_argument("--workdir", type=Path, help="keeps the inputs between runs (default: a temporary folder)")
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    parser.add_argument("--rows", type=Path, help="measure nothing: print the table and fit of the JSON rows this script printed")
    args = parser.parse_args()
    if args.rows:
        lines = [json.loads(x) for x in args.rows.read_text(encoding="utf-8").splitlines() if x.startswith('{"stage"')]
        baseline = next(r for r in lines if r["stage"] == "baseline")
        rows = [r for r in lines if r["stage"] != "baseline"]
        skipped = {}
        for r in rows:
            if r["exit"] or r["seconds"] > args.stage_limit:
                skipped.setdefault(r["stage"], r["size"])
        return summarise(rows, baseline, skipped, set(plan_of(args)), args.markdown)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    cache = work / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    models = Path(os.environ.get("SYNTHDIV_CACHE") or Path.home() / ".cache" / "synthdiv") / "models"
    if models.exists() and not (cache / "models").exists():
        (cache / "models").symlink_to(models)  # the SmolLM2 tokenizer and MiniLM, built once on this machine
    plan = plan_of(args)
    baseline = measure("baseline", 0, Inputs(work / "baseline", 0), cache, 600)
    print(json.dumps(baseline), flush=True)
    rows, skipped = [], {}
    for stage, n in sorted(plan, key=lambda p: p[1]):
        if stage in skipped:
            continue
        row = measure(stage, n, Inputs(work / str(n), n), cache, timeout=max(4 * args.stage_limit, 600))
        rows.append(row)
        print(json.dumps(row), flush=True)
        if row["exit"] or row["seconds"] > args.stage_limit:
            skipped[stage] = n
    summarise(rows, baseline, skipped, set(plan), args.markdown)


def plan_of(args) -> list[tuple[str, int]]:
    plan = [(s, n) for n in args.sizes for s in args.stages]
    plan += [(s, n) for n in args.big_sizes for s in args.stages if s in BIG_STAGES]
    return plan + [("shift-minilm", n) for n in args.minilm]


def summarise(rows: list[dict], baseline: dict, skipped: dict[str, int], planned: set, markdown_path: Path | None) -> None:
    exponents = fits(rows, baseline["peak_rss_mb"])
    all_sizes = sorted({r["size"] for r in rows})
    table = markdown(rows, exponents, all_sizes, skipped, planned)
    print(json.dumps({"baseline_peak_rss_mb": baseline["peak_rss_mb"], "baseline_s": baseline["seconds"], "exponents": exponents,
                      "stopped_after": skipped}))
    print(table)
    if markdown_path:
        markdown_path.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
