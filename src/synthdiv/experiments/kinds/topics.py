"""The ``topics`` stage: a topic pool grown by the generator, read by every generate stage that asks for one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthdiv.console import say
from synthdiv.errors import UserError
from synthdiv.experiments.kinds import StageKind, write_json
from synthdiv.experiments.params import StageParams

if TYPE_CHECKING:
    from synthdiv.experiments.context import RunContext
    from synthdiv.experiments.graph import Node


@dataclass(frozen=True, eq=False)
class TopicsParams(StageParams):
    """A generated topic pool (generation.topic_tree.PoolRecipe), asked from the generator's backend:
    every generate stage that asks for a pool of this size reads it, in one sweep or several."""

    backend: str
    model: str
    base_url: str | None
    backend_options: dict[str, Any]  # as GenerateParams.backend_options: only what changes the text
    temperature: float
    top_p: float
    size: int
    seed: int
    growth: str
    per_request: int
    depth: int
    embedder: str | None
    near_duplicate_threshold: float
    max_tokens: int

    def recipe(self):
        from synthdiv.generation.topic_tree import PoolRecipe

        return PoolRecipe(size=self.size, seed=self.seed, growth=self.growth, per_request=self.per_request, depth=self.depth,
                          embedder=self.embedder, near_duplicate_threshold=self.near_duplicate_threshold,
                          max_tokens=self.max_tokens)


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
    write_json(folder / "summary.json", summary)
    return summary


KIND = StageKind("topics", TopicsParams, run_topics, data_file="topics.txt", history=(
    (1, "a generated topic pool as its own stage (topic_tree.PoolRecipe, near-duplicates removed by embedding); "
                   "the generate stages that draw from it read it as a dependency, so their keys changed with it"),
))
