"""The ``loop_set`` stage: a recursive-training loop's training set at one generation (mixing.generations)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthdiv.experiments.kinds import StageKind, write_json
from synthdiv.experiments.params import StageParams

if TYPE_CHECKING:
    from synthdiv.experiments.context import RunContext
    from synthdiv.experiments.graph import Node


@dataclass(frozen=True, eq=False)
class LoopSetParams(StageParams):
    """A recursive-training loop's training set at one generation (mixing.generations)."""

    scenario: str
    generation: int
    size: int | None
    seed: int


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
    write_json(folder / "mix.json", {**summary, "ids": ids})
    return summary


KIND = StageKind("loop_set", LoopSetParams, run_loop_set, data_file="records.jsonl", stored_as="mix", history=(
    (1, "a recursive-training loop's training set, split from 'mix' in code: keyed and stored as mix (stored_as)"),
))
