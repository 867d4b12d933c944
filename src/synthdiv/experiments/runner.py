"""``synthdiv run``: validate a spec, expand it, check everything, run the stages, gather the tables.

RUN_DIR gets ``spec.yaml`` (the resolved spec), ``graph.json`` (every stage, its
key and folder), ``datasets.csv/.parquet`` and ``results.csv/.parquet``. Stage
outputs live in the store, by default ``stages/`` beside RUN_DIR, so experiments run under one
folder (``runs/``) share every stage they have in common; ``--store`` picks another.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthdiv.experiments.executors import run_graph
from synthdiv.experiments.graph import Graph, build_graph
from synthdiv.experiments.spec import ExperimentSpec, spec_to_yaml
from synthdiv.experiments.store import Store
from synthdiv.fileio import atomic_write


@dataclass
class RunResult:
    out: Path
    graph: Graph
    datasets: list[dict[str, Any]]
    results: list[dict[str, Any]]
    generations: list[dict[str, Any]]
    seconds: float
    reused: int  # stages found finished before this run
    tables: list[Path]


def default_out(spec: ExperimentSpec) -> Path:
    return Path("runs") / spec.name


def default_store(out: Path) -> Path:
    """Beside the run folder: runs under one parent folder (runs/) share every common stage."""
    return Path(out).resolve().parent / "stages"


def plan(spec: ExperimentSpec, out: Path, store: Path | None = None) -> tuple[Graph, Store]:
    graph = build_graph(spec)
    return graph, Store(store or default_store(out))


def describe(graph: Graph, store: Store) -> list[str]:
    """One line per stage: done or to run."""
    return [f"{'done ' if store.is_done(n) else 'to run'}  {n.kind:<8} {n.key}  {n.name}" for n in graph.nodes]


def run_experiment(
    spec: ExperimentSpec,
    out: Path | None = None,
    *,
    store: Path | None = None,
    executor: str = "local",
    dry_run: bool = False,
    checkpoint_every: int | None = None,
    log=None,
) -> RunResult:
    from synthdiv.experiments import stages
    from synthdiv.experiments.preflight import preflight
    from synthdiv.experiments.results import gather, gather_generations, write_table

    log = log or (lambda msg: print(f"[run] {msg}", file=sys.stderr, flush=True))
    start = time.monotonic()
    out = Path(out or default_out(spec))
    graph, st = plan(spec, out, store)
    stages.OPTIONS["checkpoint_every"] = checkpoint_every if checkpoint_every is not None else spec.training.checkpoint_every
    counts = preflight(spec, graph, st)  # before anything expensive; runs the cheap real-data stage
    reused = sum(st.is_done(n) for n in graph.nodes)
    log(f"{spec.name}: {len(graph.nodes)} stages ({reused} done before); real data: {counts['train']} train, "
        f"{counts['test']} test records; store {st.root}")
    out.mkdir(parents=True, exist_ok=True)
    with atomic_write(out / "spec.yaml") as fh:
        fh.write(spec_to_yaml(spec))
    _write_graph(out, graph, st)
    if dry_run:
        for line in describe(graph, st):
            log(line)
        return RunResult(out, graph, [], [], [], time.monotonic() - start, reused, [])
    run_graph(graph, st, executor, log)
    datasets, results = gather(spec.name, graph, st)
    tables = write_table(datasets, out / "datasets") + write_table(results, out / "results")
    generations = gather_generations(spec.name, graph, st) if graph.loops else []
    if generations:
        tables += write_table(generations, out / "generations")
    return RunResult(out, graph, datasets, results, generations, time.monotonic() - start, reused, tables)


def _write_graph(out: Path, graph: Graph, store: Store) -> None:
    data = graph.to_dict()
    for node in data["nodes"]:
        node["dir"] = str((store.root / node["kind"] / node["key"]).resolve())
    with atomic_write(out / "graph.json") as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False, default=str)


def format_generations(rows: list[dict[str, Any]]) -> str:
    """The loop as a small text table: one line per scenario × seed × generation."""
    header = f"{'scenario':<21} {'seed':>4} {'gen':>3} {'train set':<24} {'new distinct 1-5':>16} {'set distinct 1-5':>16} {'test loss':>9}"
    lines = [header, "-" * len(header)]
    for r in rows:
        new = r.get("new_div_ngram_diversity_score")
        lines.append(f"{r['scenario'][:21]:<21} {r['seed']!s:>4} {r['generation']:>3} {r['by_generation'][:24]:<24} "
                     f"{(f'{new:.3f}' if isinstance(new, float) else '-'):>16} {r['div_ngram_diversity_score']:>16.3f} "
                     f"{r['test_loss']:>9.4f}")
    return "\n".join(lines)


def format_results(results: list[dict[str, Any]]) -> str:
    """The results as a small text table: one line per evaluated model."""
    header = f"{'model':<24} {'training set':<22} {'seed':>4} {'distinct 1-5 sum':>16} {'norm':>5} {'test loss':>9}"
    lines = [header, "-" * len(header)]
    for r in results:
        div = r.get("div_ngram_diversity_score")
        norm = r.get("div_norm")
        lines.append(f"{str(r['model'])[:24]:<24} {str(r['dataset'])[:22]:<22} {r['seed']!s:>4} "
                     f"{(f'{div:.3f}' if isinstance(div, float) else '-'):>16} {(f'{norm:.2f}' if isinstance(norm, float) else '-'):>5} "
                     f"{r['test_loss']:>9.4f}")
    return "\n".join(lines)
