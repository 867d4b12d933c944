"""The ``generate`` stage: a level's records from the generator (generation.runner), as ``synthdiv generate`` makes them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthdiv.console import say
from synthdiv.errors import UserError
from synthdiv.experiments.kinds import StageKind, write_json
from synthdiv.experiments.params import StageParams
from synthdiv.generation.config import GenerationConfig

if TYPE_CHECKING:
    from synthdiv.experiments.context import RunContext
    from synthdiv.experiments.graph import Node


@dataclass(frozen=True, eq=False, repr=False)
class GenerateParams(StageParams):
    """A level's generation config (generation.config, built from the spec) and what its key adds to it."""

    config: GenerationConfig
    topics_content: dict[str, Any] | None = None  # a topics file's fingerprint: editing the file changes the key
    pool_stage: bool = False  # the topics come from a topics stage, whose key holds how the pool grows

    def key_fields(self) -> dict[str, Any]:
        out = {**self.config.computation(), "topics_content": self.topics_content}
        if self.pool_stage:
            out.pop("pool_growth", None)
        return out

    def __repr__(self) -> str:  # what keys the stage; the run's mechanics are not its own
        return f"GenerateParams({self.key_fields()!r})"

    def for_generation(self, k: int, model: str, n: int) -> GenerateParams:
        """Generation ``k`` of a loop: the student ``model`` writes ``n`` records from the same prompts."""
        return replace(self, config=replace(self.config, model=model, n=n, generation=k))


def generation_config(node: Node, folder: Path, deps: dict[str, Path], ctx: RunContext) -> GenerationConfig:
    """The config a generate stage runs (and the plan of ``synthdiv run --dry-run`` counts): its level's config,
    with this stage's paths, the topic pool of its topics stage, the loop's generator, and the run's request
    mechanics, prices and cost cap (``ctx.request_mechanics``: outside every key). A setting's own check names it
    as the spec's key (``generation.backend_options.concurrency``)."""
    mechanics = dict(ctx.request_mechanics)
    options = {**node.params.config.backend_options, **mechanics.pop("backend_options", {})}
    if "generator" in deps:  # a loop generation: the previous generation's student writes the data
        options["adapter"] = str(deps["generator"])
    run: dict[str, Any] = {}
    if "base_url" in options:  # several servers: replicas of one model, in no key
        run["base_url"] = options.pop("base_url")
    if "topics" in deps:  # the generated pool; a dry run's plan before it exists counts with the built-in topics
        pool = deps["topics"] / "topics.txt"
        run["topics"] = str(pool) if pool.exists() else "builtin"
    try:
        return replace(node.params.config, out=folder / "records.jsonl", real=deps["real"] / "train.jsonl",
                       rejects=folder / "rejects.jsonl", backend_options=options, **run, **mechanics)
    except UserError as exc:
        if exc.field is None:
            raise
        section = "generation.backend_options" if exc.field in options else "generation"
        raise UserError(exc.message, where=f"{section}.{exc.field}") from None


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
