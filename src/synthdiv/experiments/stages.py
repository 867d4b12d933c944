"""What each stage kind does, given its node, its folder and its inputs' folders.

Every stage writes its files atomically into its own folder and returns a small
summary (kept in ``done.json``). Long stages resume on their own: generation
through the response cache, training through its checkpoints in the stage folder.
Heavy libraries are imported inside the stages that need them.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from synthdiv.console import say
from synthdiv.errors import UserError
from synthdiv.experiments import layout
from synthdiv.experiments.context import RunContext
from synthdiv.experiments.graph import DATA_FILE, Node
from synthdiv.fileio import atomic_write
from synthdiv.records import Record
from synthdiv.tasks import TASKS


def data_file(node: Node, folder: Path) -> Path:
    return folder / DATA_FILE[node.kind]


def _write_json(path: Path, value: Any) -> None:
    with atomic_write(path) as fh:
        json.dump(value, fh, indent=2, ensure_ascii=False, default=str)


# ----- real -----------------------------------------------------------------
def load_source(source: str, fmt: str, task: str, columns: dict | None) -> list[Record]:
    from synthdiv.data import read_input
    from synthdiv.data.inputs import KEYED_AUTO_FORMAT

    return read_input(source, task=task, fmt=None if fmt == KEYED_AUTO_FORMAT else fmt, columns=columns)


def _subsample(records: list[Record], n: int | None, task: str, seed: int, what: str) -> list[Record]:
    """``n`` stories, or for QA all pairs of ``n`` long contexts (seeded)."""
    from synthdiv.data.splits import group_of, sample_records

    if n is None:
        return records
    if not TASKS[task].grouped:
        if n > len(records):
            raise UserError(f"real.{what} is {n}, but the real data has only {len(records)} {what.split('_')[1]} records")
        return sample_records(records, n, seed=seed)
    groups = sorted({group_of(r) for r in records})
    if n > len(groups):
        raise UserError(f"real.{what} is {n} long contexts, but the real data has {len(groups)}")
    keep = set(random.Random(seed).sample(groups, n))
    return [r for r in records if group_of(r) in keep]


def run_real(node: Node, folder: Path, deps: dict[str, Path], ctx: RunContext) -> dict[str, Any]:
    from synthdiv.data.records_io import write_records
    from synthdiv.data.splits import sample_per_group, split_by_group

    p = node.params
    task, source = p.task, p.source_name
    if source == "corpus":
        from synthdiv.data.corpus import load_corpus_stories

        train, test = load_corpus_stories("train"), load_corpus_stories("test")
    else:
        records = load_source(source, p.format, task, p.columns)
        if p.per_group:
            records = sample_per_group(records, p.per_group, seed=p.seed)
        if p.test_source is not None:
            test = load_source(p.test_source["path"] if "path" in p.test_source else p.test_source["id"], p.format, task, p.columns)
            train = records
        else:
            train, test = split_by_group(records, test_fraction=p.test_fraction, seed=p.seed)
    train = _subsample(train, p.n_train, task, p.seed, "n_train")
    test = _subsample(test, p.n_test, task, p.seed + 1, "n_test")
    write_records(test, folder / "test.jsonl")
    write_records(train, folder / "train.jsonl")
    return {"train": len(train), "test": len(test), "train_groups": len({r.group for r in train}),
            "test_groups": len({r.group for r in test})}


# ----- topics -----------------------------------------------------------------
def run_topics(node: Node, folder: Path, deps: dict[str, Path], ctx: RunContext) -> dict[str, Any]:
    """A topic pool grown by the generator (generation.topic_tree.grow_pool, as ``synthdiv topics``
    grows it: the same recipe sends the same prompts, answered from the same response cache)."""
    from synthdiv.backends.base import SamplingParams
    from synthdiv.generation.runner import opened_engine
    from synthdiv.generation.topic_tree import grow_pool, write_pool_file

    p = node.params
    options = {"base_url": p.base_url, **p.backend_options, **ctx.request_mechanics.get("backend_options", {})}
    sampling = SamplingParams(temperature=p.temperature, top_p=p.top_p, seed=p.seed)
    with opened_engine(p.backend, p.model, {k: v for k, v in options.items() if v is not None}, sampling) as engine:
        growth = grow_pool(engine, p.recipe(), warn=say)
    if not growth.topics:
        raise UserError("the model produced no usable topics; give generation.topics a file (or builtin)")
    if len(growth.topics) < p.size:
        why = f" ({growth.stopped})" if growth.stopped else ""
        say(f"warning: {node.name}: the pool reached {len(growth.topics)} of {p.size} distinct topics after "
            f"{growth.requests} requests{why}; the levels draw from these")
    write_pool_file(folder / "topics.txt", growth.topics, f"{len(growth.topics)} topics, {p.backend} {p.model}, seed {p.seed}")
    summary = growth.summary()
    _write_json(folder / "summary.json", summary)
    return summary


# ----- generate ---------------------------------------------------------------
def generation_config(node: Node, folder: Path, deps: dict[str, Path], ctx: RunContext):
    """The GenerationConfig of a generate stage (its run and the plan of ``synthdiv run --dry-run``):
    its parameters, and the request mechanics, prices and cost cap of the run (``ctx.request_mechanics``).
    A setting's own check names it as the spec's key (``generation.backend_options.concurrency``)."""
    mechanics = dict(ctx.request_mechanics)
    options = {"base_url": node.params.base_url, **node.params.backend_options, **mechanics.pop("backend_options", {})}
    if "generator" in deps:  # a loop generation: the previous generation's student writes the data
        options["adapter"] = str(deps["generator"])
    params = node.params
    if "topics" in deps:  # the generated pool; a dry run's plan before it exists counts with the built-in topics
        pool = deps["topics"] / "topics.txt"
        params = replace(params, topics=str(pool) if pool.exists() else "builtin")
    try:
        return _generation_config(params, folder, deps["real"] / "train.jsonl", options, mechanics)
    except UserError as exc:
        if exc.field is None:
            raise
        section = "generation.backend_options" if exc.field in options else "generation"
        raise UserError(exc.message, where=f"{section}.{exc.field}") from None


def _generation_config(p, folder: Path, real: Path, options: dict[str, Any], mechanics: dict[str, Any]):
    from synthdiv.backends.base import SamplingParams
    from synthdiv.generation.runner import GenerationConfig
    from synthdiv.generation.settings import default

    return GenerationConfig(
        task=p.task, strategy=p.strategy, level=p.level, n=p.n, out=folder / "records.jsonl",
        real=real, topics=p.topics, pool_size=p.pool_size, backend=p.backend,
        model=p.model, backend_options=options,
        sampling=SamplingParams(temperature=p.temperature, top_p=p.top_p, seed=p.seed, max_tokens=p.max_tokens),
        level_overrides=p.level_overrides, seed=p.seed, max_attempts=p.max_attempts,
        rejects=folder / "rejects.jsonl", progress=True, generation=p.generation, overdraw=p.overdraw,
        pool_growth=p.pool_growth or default("pool_growth"), min_topic_adherence=p.min_topic_adherence, constrain=p.constrain,
        **mechanics,  # prices and generation.max_cost
    )


def run_generate(node: Node, folder: Path, deps: dict[str, Path], ctx: RunContext) -> dict[str, Any]:
    from synthdiv.generation.runner import run_generation, summary_dict

    cfg = generation_config(node, folder, deps, ctx)
    options = cfg.backend_options
    summary = summary_dict(run_generation(cfg))
    if summary["records"] < cfg.n:
        # a sweep goes on (its sets are then smaller, as datasets.csv's records column shows), but says so
        say(f"warning: {node.name}: only {summary['records']} of {cfg.n} records were generated "
            f"({summary['rejects']} answers rejected); the training sets built from it are smaller")
    if "adapter" in options:
        summary["adapter"] = options["adapter"]  # which student wrote the data
    _write_json(folder / "summary.json", summary)
    return summary


# ----- select -------------------------------------------------------------------
def run_select(node: Node, folder: Path, deps: dict[str, Path], ctx: RunContext) -> dict[str, Any]:
    """``n`` records of the level's pool by one strategy (:func:`synthdiv.selection.api.select_records`);
    each keeps its provenance and gains ``provenance.extra["selection"]``."""
    from synthdiv.data.records_io import read_records, write_records
    from synthdiv.selection.api import select_records
    from synthdiv.selection.settings import SelectionSettings

    p = node.params
    pool_node = node.deps["pool"]
    pool = read_records(data_file(pool_node, deps["pool"]))
    real = read_records(deps["real"] / "train.jsonl") if "real" in deps else None
    settings = SelectionSettings(seed=p.seed, **p.reads)
    # the pool is named by its stage, which says where it lives in every store
    report = select_records(pool, p.n, p.strategy, real=real, settings=settings,
                            pool_name=f"{pool_node.kind}/{pool_node.key}")
    write_records(report.records, folder / "records.jsonl")
    _write_json(folder / "selection.json", report.summary)
    return {k: v for k, v in report.summary.items() if k != "timings_s"}


# ----- mix --------------------------------------------------------------------
def run_mix(node: Node, folder: Path, deps: dict[str, Path], ctx: RunContext) -> dict[str, Any]:
    from synthdiv.data.records_io import read_records, write_records
    from synthdiv.mixing.mix import mix

    p = node.params
    real = read_records(deps["real"] / "train.jsonl")
    generated = read_records(deps["generated"] / "records.jsonl") if "generated" in deps else []
    result = mix(real, generated, p.ratio, mode=p.mode, size=p.size, seed=p.seed)
    write_records(result.records, folder / "records.jsonl")
    summary = result.summary()
    _write_json(folder / "mix.json", {**summary, "real_ids": result.real_ids, "generated_ids": result.generated_ids})
    return summary


def run_loop_set(node: Node, folder: Path, deps: dict[str, Path], ctx: RunContext) -> dict[str, Any]:
    """A loop generation's training set: the records of the generations it draws from (roles gen1, gen2 …)."""
    from synthdiv.data.records_io import read_records, write_records
    from synthdiv.mixing.generations import generation_set, source_of

    p = node.params
    real = read_records(deps["real"] / "train.jsonl")
    # the graph gives each set only the generations it draws from (mixing.generations.drawn_generations)
    generated = [read_records(deps[f"gen{j}"] / "records.jsonl") if f"gen{j}" in deps else []
                 for j in range(1, p.generation + 1)]
    result = generation_set(p.scenario, real, generated, size=p.size, seed=p.seed)
    write_records(result.records, folder / "records.jsonl")
    summary = result.summary()
    ids = {s: [r.id for r in result.records if source_of(r) == s] for s in result.by_generation}
    _write_json(folder / "mix.json", {**summary, "ids": ids})
    return summary


# ----- measure ----------------------------------------------------------------
def run_measure(node: Node, folder: Path, deps: dict[str, Path], ctx: RunContext) -> dict[str, Any]:
    from synthdiv.metrics.panel import diversity_report
    from synthdiv.metrics.shift import shift_report
    from synthdiv.metrics.texts import load_texts

    p = node.params
    data = node.deps["data"]
    texts = load_texts(str(data_file(data, deps["data"])))
    reference = deps["reference"] / "train.jsonl" if "reference" in deps else None
    result: dict[str, Any] = {"diversity": diversity_report(texts, n=p.n, tokenizer=p.tokenizer, embedder=p.embedder)}
    if p.shift and reference is not None:
        result["shift"] = shift_report(load_texts(str(reference)), texts, embedder=p.embedder, tokenizer=p.tokenizer, seed=p.seed)
    _write_json(folder / "metrics.json", result)
    return {"samples": len(texts), "ngram_diversity_score": result["diversity"].get("ngram_diversity_score")}


# ----- train and evaluate ------------------------------------------------------
def run_train(node: Node, folder: Path, deps: dict[str, Path], ctx: RunContext) -> dict[str, Any]:
    from synthdiv.training.launch import run_in_processes

    # a tracked run per train stage, named after it; the runner fills ctx.tracking from training.report_to
    track = ctx.tracking or {"names": [], "dir": str(folder / layout.TRACKING), "project": "synthdiv"}
    job = TrainStage(node.name, {"stage_key": node.key, "dataset": node.info.get("dataset")}, node.params.run_config(ctx.checkpoint_every, ctx.processes),
                     deps["data"] / "records.jsonl", folder, track)
    if ctx.processes > 1:
        summary = run_in_processes(train_stage_process, job, ctx.processes, what=node.name,
                                   rerun="run the sweep again: the stage resumes from its last checkpoint")
    else:
        result = train_stage(job)
        ctx.hand_over(node.key, result.model, result.tokenizer)
        summary = result.summary()
    _write_json(folder / "result.json", summary)
    return summary


@dataclass(frozen=True)
class TrainStage:
    """What a train stage's processes need (picklable: each process of a several-process stage gets it)."""

    name: str
    labels: dict[str, Any]  # stage key and data set, beside the settings in the tracked run's params
    config: Any  # TrainConfig
    records: Path
    folder: Path
    track: dict[str, Any]


def train_stage(job: TrainStage):
    """Train as the stage does, in this process (one of several, or the only one): the TrainResult."""
    from synthdiv.data.records_io import read_records
    from synthdiv.training.launch import is_main_process
    from synthdiv.training.recipe import train
    from synthdiv.training.tracking import make_tracker, tracked, train_params

    names = job.track["names"] if is_main_process() else []
    tracker = make_tracker(names, job.track["dir"], project=job.track["project"], where="training.report_to")
    with tracked(tracker, job.name, {**train_params(job.config), **job.labels}):
        return train(read_records(job.records), job.config, job.folder, tracker=tracker)


def train_stage_process(job: TrainStage) -> dict[str, Any] | None:
    """One process of a several-process train stage: the run's summary from the main process."""
    from synthdiv.training.launch import is_main_process

    result = train_stage(job)
    return result.summary() if is_main_process() else None


def run_evaluate(node: Node, folder: Path, deps: dict[str, Path], ctx: RunContext) -> dict[str, Any]:
    from synthdiv.evaluation.test_loss import EvalResult

    p = node.params
    trained = node.deps.get("model")
    handed = ctx.take(trained.key if trained is not None else None)
    model = str(deps["model"]) if trained is not None else p.model
    if handed is not None:
        from synthdiv.data.records_io import read_records
        from synthdiv.evaluation.test_loss import evaluate

        model_obj, tokenizer = handed
        result = evaluate(model_obj, tokenizer, read_records(deps["test"] / "test.jsonl"), batch_size=p.batch_size,
                          max_length=p.max_length).to_dict(per_sample=True)
    else:
        from synthdiv.training.jobs import EvalJob, eval_job
        from synthdiv.training.launch import run_in_processes

        job = EvalJob(model=model, test_file=str(deps["test"] / "test.jsonl"), batch_size=p.batch_size, max_length=p.max_length, base=False)
        report = run_in_processes(eval_job, job, ctx.processes, what=node.name, rerun="run the sweep again")
        result = {k: report[k] for k in EvalResult.__dataclass_fields__}  # the result, not the report's labels
    _write_json(folder / "eval.json", result)
    return {k: v for k, v in result.items() if k != "per_sample"}


RUNNERS: dict[str, Callable[[Node, Path, dict[str, Path], RunContext], dict[str, Any]]] = {
    "topics": run_topics, "real": run_real, "generate": run_generate, "select": run_select, "mix": run_mix, "loop_set": run_loop_set,
    "measure": run_measure, "train": run_train, "evaluate": run_evaluate,
}


def execute(node: Node, store, ctx: RunContext | None = None, ran_on: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run ``node`` unless its output is already in ``store``; returns its summary.
    Holds the stage's lock, so a second process waits and then finds it done.
    ``ran_on`` (the Ray node and host, or the host) goes into its done.json."""
    ctx = ctx if ctx is not None else RunContext()
    with store.lock(node):
        if store.is_done(node):
            return store.summary(node)["summary"]
        deps = {role: store.dir(dep) for role, dep in node.deps.items()}
        summary = RUNNERS[node.kind](node, store.dir(node), deps, ctx)
        store.mark_done(node, summary, ran_on)
        return summary
