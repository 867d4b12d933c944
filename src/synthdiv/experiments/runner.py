"""``synthdiv run``: validate a spec, expand it, check everything, run the stages, gather the tables.

RUN_DIR gets ``spec.yaml`` (the resolved spec), ``graph.json`` (every stage, its
key and folder), ``datasets.csv/.parquet`` and ``results.csv/.parquet``. Stage
outputs live in the store, by default ``stages/`` beside RUN_DIR, so experiments run under one
folder (``runs/``) share every stage they have in common; ``--store`` picks another.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthdiv.experiments import layout
from synthdiv.experiments.context import RunContext
from synthdiv.experiments.executors import run_graph
from synthdiv.experiments.graph import Graph, build_graph, generation_mechanics
from synthdiv.experiments.spec import ExperimentSpec, spec_to_yaml
from synthdiv.experiments.store import ScratchStore, Store
from synthdiv.fileio import atomic_write
from synthdiv.stats.formatting import format_interval


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
    evidence: Any = None  # synthdiv.stats.assess.Evidence; None for a dry run
    plan: list[str] = field(default_factory=list)  # a dry run: what the generate stages would send and cost


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
    address: str | None = None,
    dry_run: bool = False,
    checkpoint_every: int | None = None,
    log=None,
) -> RunResult:
    from synthdiv.experiments.ladder import add_fluency, copy_to_datasets, ladder_rows
    from synthdiv.experiments.results import gather, gather_generations, write_table
    from synthdiv.stats.assess import (
        add_matched_diversity, add_matched_gradient, assess, copy_matched_to_results, table_rows, write_evidence,
    )
    from synthdiv.stats.ladder import ladder_verdicts

    log = log or (lambda msg: print(f"[run] {msg}", file=sys.stderr, flush=True))
    start = time.monotonic()
    out = Path(out or default_out(spec))
    graph, st = plan(spec, out, store)
    ctx = RunContext(checkpoint_every=checkpoint_every if checkpoint_every is not None else spec.training.checkpoint_every,
                     processes=spec.training.processes,
                     tracking=_tracking_options(spec, out),  # checks the trackers' packages before anything runs
                     request_mechanics=generation_mechanics(spec))
    if dry_run:  # writes nothing into the run folder or the store: spec.yaml and graph.json describe the data made
        with tempfile.TemporaryDirectory(prefix="synthdiv-dry-run-") as scratch:
            dry = ScratchStore(st, scratch)
            reused = _preflight(spec, graph, dry, log)
            for line in describe(graph, dry):
                log(line)
            return RunResult(out, graph, [], [], [], time.monotonic() - start, reused, [], plan=generation_plan(graph, dry, ctx))
    reused = _preflight(spec, graph, st, log)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_write(out / layout.SPEC) as fh:
        fh.write(spec_to_yaml(spec))
    _write_graph(out, graph, st)
    run_graph(graph, st, executor, log, ctx, address=address)
    datasets, results, eval_dirs = gather(spec.name, graph, st)
    add_matched_diversity(datasets, n=spec.metrics.n, tokenizer=spec.metrics.tokenizer)
    add_matched_gradient(datasets, spec.metrics)
    copy_matched_to_results(datasets, results, [r.get("train_set_key") for r in results])
    evidence = assess(datasets, results, eval_dirs, resamples=spec.evaluation.resamples)
    ladder = ladder_rows(graph, st, spec.metrics.embedder)  # is measured diversity rising with the level?
    add_fluency(ladder, datasets)  # and do the levels differ in fluency as well?
    evidence.ladder = ladder_verdicts(ladder)
    copy_to_datasets(ladder, datasets)
    tables = write_table(table_rows(datasets), out / layout.DATASETS) + write_table(results, out / layout.RESULTS)
    tables += write_evidence(evidence, out, write_table)
    tables += write_table(ladder, out / layout.LADDER) if ladder else []
    generations = gather_generations(spec.name, graph, st) if graph.loops else []
    if generations:
        tables += write_table(generations, out / layout.GENERATIONS)
    track_run_folder(spec, out, graph)
    return RunResult(out, graph, datasets, results, generations, time.monotonic() - start, reused, tables, evidence)


def _preflight(spec: ExperimentSpec, graph: Graph, store: Store, log) -> int:
    """Every check before anything expensive (it runs the cheap real-data stage); returns the stages done before."""
    from synthdiv.experiments.preflight import preflight

    counts = preflight(spec, graph, store)
    reused = sum(store.is_done(n) for n in graph.nodes)
    log(f"{spec.name}: {len(graph.nodes)} stages ({reused} done before); real data: {counts['train']} train, "
        f"{counts['test']} test records; store {store.root}")
    return reused


def _tracking_options(spec: ExperimentSpec, out: Path) -> dict[str, Any]:
    """Where the train stages' tracked runs go (RUN_DIR/tracking); building the tracker checks its packages."""
    from synthdiv.training.tracking import make_tracker, parse_report_to

    names = parse_report_to(spec.training.report_to, where="training.report_to")
    make_tracker(names, out / layout.TRACKING, where="training.report_to")
    return {"names": names, "dir": str((out / layout.TRACKING).resolve()), "project": spec.name}


def track_run_folder(spec: ExperimentSpec, out: Path, graph: Graph) -> None:
    """One summary run per sweep holding the run folder's tables, findings and report as artifacts.
    The report is there when it was written before this call (``synthdiv report`` writes it after a run)."""
    from synthdiv.training.tracking import make_tracker, tracked

    if not spec.training.report_to:
        return
    files = [out / layout.SPEC, out / layout.csv_name(layout.RESULTS), out / layout.csv_name(layout.DATASETS), out / layout.FINDINGS,
             out / layout.REPORT]
    tracker = make_tracker(spec.training.report_to, out / layout.TRACKING, project=spec.name, where="training.report_to")
    with tracked(tracker, f"{spec.name} summary", {"experiment": spec.name, "stages": len(graph.nodes),
                                                   "train_stages": len(graph.of_kind("train"))}):
        for path in files:
            if path.exists():
                tracker.log_artifact(path)


def generation_plan(graph: Graph, store: Store, ctx: RunContext) -> list[str]:
    """A dry run's cost lines: each generate stage still to run (generation.cost.plan_generation), then the total."""
    from synthdiv.experiments.kinds.generate import generation_config
    from synthdiv.generation.cost import plan_generation
    from synthdiv.generation.topic_tree import request_budget

    lines, plans = [], []
    for node in graph.of_kind("topics"):
        p = node.params
        lines.append(f"{node.name}: done before, nothing to send" if store.is_done(node) else
                     f"{node.name}: at most {request_budget(p.size, p.per_request)} requests of at most {p.max_tokens} "
                     f"completion tokens (the tree stops when the pool is full or its growth stalls; answered ones come from the cache); "
                     "not in the total below, whose stages count their prompts with the built-in topics until the pool exists")
    for node in graph.of_kind("generate"):
        if store.is_done(node):
            lines.append(f"{node.name}: done before, nothing to send")
            continue
        cfg = generation_config(node, store.dir(node), {role: store.dir(dep) for role, dep in node.deps.items()}, ctx)
        plans.append(plan_generation(cfg))
        p = plans[-1]
        lines.append(f"{node.name}: {p.requests} requests ({p.cached} more cached), {p.prompt_tokens} prompt tokens, "
                     f"at most {p.completion_bound} completion tokens; cost {p.cost_text()}")
    if not plans:
        return lines
    methods = "; ".join(sorted({p.counter for p in plans}))
    costs = [p.cost for p in plans]
    cost = ("no price known for some stages: set generation.price_in/price_out" if None in costs else
            f"at most {sum(costs):.4f} USD, up to {sum(c * p.max_attempts for c, p in zip(costs, plans)):.4f} USD with every retry")
    lines.append(f"total over {len(plans)} generate stages: {sum(p.requests for p in plans)} requests "
                 f"({sum(p.cached for p in plans)} more cached), {sum(p.prompt_tokens for p in plans)} prompt tokens ({methods}), "
                 f"at most {sum(p.completion_bound for p in plans)} completion tokens (max_tokens per request); cost {cost}")
    cap = ctx.request_mechanics.get("max_cost")
    if cap is not None:
        lines.append(f"generation.max_cost {cap:g} USD caps each generate stage: at most {cap * len(plans):g} USD over these {len(plans)}")
    return lines


def _write_graph(out: Path, graph: Graph, store: Store) -> None:
    data = graph.to_dict()
    for entry, node in zip(data["nodes"], graph.nodes, strict=True):
        entry["dir"] = str(store.dir(node).resolve())
    with atomic_write(out / layout.GRAPH) as fh:
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
    """The results as a small text table: one line per evaluated model, with 95 % intervals
    (test records resampled) on the test loss and on its difference from real data alone."""
    header = (f"{'model':<22} {'training set':<16} {'seed':>4} {'distinct 1-5':>12} "
              f"{'test loss [95% CI]':>26} {'Δ vs real [95% CI]':>29}")
    lines = [header, "-" * len(header)]
    for r in results:
        div = r.get("div_ngram_diversity_score")
        loss = format_interval(r.get("test_loss"), r.get("test_loss_ci_low"), r.get("test_loss_ci_high"))
        delta = format_interval(r.get("delta_vs_real"), r.get("delta_vs_real_ci_low"), r.get("delta_vs_real_ci_high"), signed=True)
        lines.append(f"{str(r['model'])[:22]:<22} {str(r['dataset'])[:16]:<16} {r['seed']!s:>4} "
                     f"{(f'{div:.3f}' if isinstance(div, float) else '-'):>12} {loss:>26} {delta:>29}")
    first = next((r for r in results if r.get("test_samples")), None)
    if first is not None:
        lines.append(f"test set: {first['test_samples']} real records, {first['test_tokens']} target tokens; "
                     f"95 % intervals: bootstrap over test records, paired for Δ")
    return "\n".join(lines)


def format_aggregate(rows: list[dict[str, Any]]) -> str:
    """Means over seeds, with two-level (seeds, then records) intervals: one line per model × set × size."""
    header = f"{'model':<22} {'training set':<16} {'seeds':>5} {'mean test loss [95% CI]':>26} {'Δ vs real [95% CI]':>29}"
    lines = [header, "-" * len(header)]
    for r in rows:
        loss = format_interval(r.get("test_loss"), r.get("test_loss_ci_low"), r.get("test_loss_ci_high"))
        delta = format_interval(r.get("delta_vs_real"), r.get("delta_vs_real_ci_low"), r.get("delta_vs_real_ci_high"), signed=True)
        lines.append(f"{str(r['model'])[:22]:<22} {str(r['dataset'])[:16]:<16} {r['seeds']:>5} {loss:>26} {delta:>29}")
    return "\n".join(lines)
