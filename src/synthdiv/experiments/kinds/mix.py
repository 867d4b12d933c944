"""The ``mix`` stage: real and generated records at a mixing ratio (synthdiv.mixing)."""

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
class MixParams(StageParams):
    mode: str
    ratio: float
    size: int | None
    seed: int


def run_mix(node: Node, folder: Path, deps: dict[str, Path], ctx: RunContext) -> dict[str, Any]:
    from synthdiv.data.records_io import read_records, write_records
    from synthdiv.mixing.mix import mix

    p = node.params
    real = read_records(deps["real"] / "train.jsonl")
    generated = read_records(deps["generated"] / "records.jsonl") if "generated" in deps else []
    result = mix(real, generated, p.ratio, mode=p.mode, size=p.size, seed=p.seed)
    write_records(result.records, folder / "records.jsonl")
    summary = result.summary()
    write_json(folder / "mix.json", {**summary, "real_ids": result.real_ids, "generated_ids": result.generated_ids})
    return summary


KIND = StageKind("mix", MixParams, run_mix, data_file="records.jsonl", history=(
    (1, "the first keyed version"),
))
