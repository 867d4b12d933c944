"""The ``generate`` stage: a level's records from the generator (generation.runner), as ``synthdiv generate`` makes them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthdiv.console import say
from synthdiv.errors import UserError
from synthdiv.experiments.kinds import StageKind, write_json
from synthdiv.experiments.params import WHEN_SET, StageParams
from synthdiv.generation.settings import default

if TYPE_CHECKING:
    from synthdiv.experiments.context import RunContext
    from synthdiv.experiments.graph import Node


@dataclass(frozen=True, eq=False)
class GenerateParams(StageParams):
    task: str
    strategy: str
    level: str
    n: int
    seed: int
    backend: str
    model: str
    base_url: str | None
    topics: str | None
    topics_content: dict[str, Any] | None  # a topics file's fingerprint
    pool_size: int | None
    level_overrides: dict[str, Any]
    temperature: float
    top_p: float
    max_tokens: int
    max_attempts: int
    # options that change the text (an adapter, a device's numerics); never the run mechanics
    backend_options: dict[str, Any]
    overdraw: float = field(default=default("overdraw"), metadata=WHEN_SET)
    # how a generated pool grows: None when the topics are given (then it changes nothing)
    pool_growth: str | None = field(default=None, metadata=WHEN_SET)
    min_topic_adherence: float | None = field(default=None, metadata=WHEN_SET)
    constrain: bool = field(default=False, metadata=WHEN_SET)
    generation: int | None = field(default=None, metadata=WHEN_SET)  # a recursive-training loop's generation

    def for_generation(self, k: int, model: str, n: int) -> GenerateParams:
        """Generation ``k`` of a loop: the student ``model`` writes ``n`` records from the same prompts."""
        return replace(self, model=model, n=n, generation=k)


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
    write_json(folder / "summary.json", summary)
    return summary


KIND = StageKind("generate", GenerateParams, run_generate, data_file="records.jsonl", history=(
    (1, "the first keyed version; overdraw, pool_growth, min_topic_adherence, constrain and generation "
                     "joined the key only when set"),
))
