"""The offline demo: the paper's §4.2 story experiment at a small scale, end to end.

real corpus → topic-guided generation at several diversity levels (SmolLM2-135M-Instruct)
→ diversity and shift metrics → LoRA fine-tuning on the real set and on each generated set
→ test loss on real test data → a results table.

Every step writes its output atomically and is skipped when that output exists, so a
second run reuses everything, and a killed run resumes (generation through the response
cache, training through its checkpoints). The experiments issue replaces this fixed
sequence with declarative sweeps; until then this is the longest real path.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from synthdiv.fileio import atomic_write


@dataclass
class DemoConfig:
    out: Path = Path("runs/demo")
    model: str = "smollm2-135m-instruct"
    backend: str = "transformers"
    # The built-in pool has the paper's 100 Appendix A.4 topics, so levels with |T| ≤ 100
    # differ: D0 = 1 topic, D2 = 25, D3 = 100.
    levels: tuple[str, ...] = ("D0", "D2", "D3")
    topics: str = "builtin"
    # Small enough for a 2-core CPU: SmolLM2 writes about one usable story per 4 s there.
    n_generated: int = 32  # per level, the same size as the real training set
    n_train_real: int = 32
    n_test: int = 64
    epochs: int = 2
    batch_size: int = 8
    max_length: int = 192
    embedder: str | None = "minilm-l6"
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _log(msg: str) -> None:
    print(f"[demo] {msg}", file=sys.stderr, flush=True)


def _json_step(path: Path, compute) -> Any:
    """Load ``path`` if a previous run wrote it, else compute, write atomically and return."""
    if path.exists():
        return json.loads(path.read_text())
    value = compute()
    with atomic_write(path) as fh:
        json.dump(value, fh, indent=2)
    return value


def prepare_real(cfg: DemoConfig) -> tuple[Path, Path]:
    from synthdiv.data.corpus import load_corpus_stories
    from synthdiv.data.records_io import write_records
    from synthdiv.data.splits import sample_records

    train_path, test_path = cfg.out / "data" / "real-train.jsonl", cfg.out / "data" / "real-test.jsonl"
    if not train_path.exists():
        write_records(sample_records(load_corpus_stories("train"), cfg.n_train_real, seed=cfg.seed), train_path)
    if not test_path.exists():
        write_records(sample_records(load_corpus_stories("test"), cfg.n_test, seed=cfg.seed), test_path)
    return train_path, test_path


def generate_level(cfg: DemoConfig, level: str, real_train: Path) -> Path:
    from synthdiv.generation.runner import GenerationConfig, run_generation

    out = cfg.out / "data" / f"gen-{level}.jsonl"
    if out.exists():
        return out
    _log(f"generating {cfg.n_generated} stories at level {level} with {cfg.model}")
    summary = run_generation(
        GenerationConfig(
            task="story_completion", strategy="topic", level=level, n=cfg.n_generated, out=out, real=real_train,
            topics=cfg.topics, backend=cfg.backend, model=cfg.model, seed=cfg.seed,
        )
    )
    for line in summary.lines():
        _log(f"  {line}")
    return out


def measure(cfg: DemoConfig, name: str, path: Path, real_train: Path) -> dict[str, Any]:
    from synthdiv.metrics.report import diversity_report
    from synthdiv.metrics.shift import shift_report
    from synthdiv.metrics.texts import load_texts

    def compute() -> dict[str, Any]:
        texts = load_texts(str(path))
        result = {"diversity": diversity_report(texts, n=5, embedder=cfg.embedder)}
        if name != "real":
            result["shift"] = shift_report(load_texts(str(real_train)), texts, embedder=cfg.embedder, seed=cfg.seed)
        return result

    return _json_step(cfg.out / "metrics" / f"{name}.json", compute)


def train_and_evaluate(cfg: DemoConfig, name: str, train_path: Path | None, test_path: Path) -> dict[str, Any]:
    """Fine-tune on ``train_path`` (None: the base model) and return its test loss."""

    def compute() -> dict[str, Any]:
        from synthdiv.data.records_io import read_records
        from synthdiv.evaluation.loading import load_for_evaluation
        from synthdiv.evaluation.test_loss import evaluate
        from synthdiv.training.config import TrainConfig
        from synthdiv.training.recipe import train

        records = read_records(test_path)
        train_info: dict[str, Any] = {}
        if train_path is None:
            model, tokenizer, _ = load_for_evaluation(cfg.model)
        else:
            tc = TrainConfig(model=cfg.model, epochs=cfg.epochs, batch_size=cfg.batch_size, max_length=cfg.max_length,
                             seed=cfg.seed, checkpoint_every=4)
            _log(f"fine-tuning {cfg.model} with LoRA on {name} ({train_path.name})")
            result = train(read_records(train_path), tc, cfg.out / "adapters" / name)
            train_info = {"first_train_loss": result.first_loss, "final_train_loss": result.final_loss, "steps": result.steps}
            model, tokenizer = result.model, result.tokenizer
        _log(f"evaluating {name} on the real test set")
        ev = evaluate(model, tokenizer, records, batch_size=cfg.batch_size, max_length=cfg.max_length)
        return {**ev.to_dict(), **train_info}

    return _json_step(cfg.out / "eval" / f"{name}.json", compute)


def run_demo(cfg: DemoConfig) -> dict[str, Any]:
    """Run (or resume) the demo; returns the results table rows and writes results.csv/json."""
    start = time.monotonic()
    cfg.out.mkdir(parents=True, exist_ok=True)
    real_train, real_test = prepare_real(cfg)
    sets = {"real": real_train}
    for level in cfg.levels:
        sets[level] = generate_level(cfg, level, real_train)
    rows = []
    base = train_and_evaluate(cfg, "base", None, real_test)
    for name, path in sets.items():
        metrics = measure(cfg, name, path, real_train)
        ev = train_and_evaluate(cfg, name, path, real_test)
        div = metrics["diversity"]
        shift = metrics.get("shift", {})
        rows.append(
            {
                "train_set": name,
                "records": _count_lines(path),
                "distinct_1": div["distinct"]["1"],
                "distinct_5": div["distinct"]["5"],
                "ngram_diversity_score": div["ngram_diversity_score"],
                "self_bleu_4": div.get("self_bleu"),
                "compression_ratio": div.get("compression_ratio"),
                "ngram_js_1": (shift.get("ngram_js") or {}).get("1"),
                "frechet_distance": (shift.get("embedding") or {}).get("frechet_distance"),
                "test_loss": ev["test_loss"],
                "base_test_loss": base["test_loss"],
            }
        )
    best = max(r["ngram_diversity_score"] for r in rows)
    for r in rows:
        r["normalised_diversity"] = r["ngram_diversity_score"] / best if best else None
    with atomic_write(cfg.out / "results.csv", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with atomic_write(cfg.out / "results.json") as fh:
        json.dump({"config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()}, "rows": rows}, fh, indent=2)
    return {"rows": rows, "seconds": time.monotonic() - start, "out": str(cfg.out)}


def _count_lines(path: Path) -> int:
    with open(path, encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip())


def format_table(rows: list[dict[str, Any]]) -> str:
    head = f"{'train set':<10}{'records':>8}{'distinct-5':>11}{'sum d1..5':>10}{'norm.':>7}{'test loss':>10}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['train_set']:<10}{r['records']:>8}{_fmt(r['distinct_5'])}{_fmt(r['ngram_diversity_score'], 10)}"
            f"{_fmt(r['normalised_diversity'], 7, 2)}{_fmt(r['test_loss'], 10)}"
        )
    lines.append(f"base model (no fine-tuning) test loss: {rows[0]['base_test_loss']:.3f}")
    return "\n".join(lines)


def _fmt(value, width: int = 11, digits: int = 3) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.{digits}f}"
