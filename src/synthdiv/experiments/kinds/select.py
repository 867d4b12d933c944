"""The ``select`` stage: ``n`` records of a level's pool by one selection strategy (synthdiv.selection)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthdiv.experiments.kinds import StageKind, data_file, write_json
from synthdiv.experiments.params import StageParams

if TYPE_CHECKING:
    from synthdiv.experiments.context import RunContext
    from synthdiv.experiments.graph import Node


@dataclass(frozen=True, eq=False)
class SelectParams(StageParams):
    strategy: str
    n: int
    seed: int
    reads: dict[str, Any]  # the SelectionSettings the strategy reads (graph.SELECTION_READS)

    def key_fields(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "n": self.n, "seed": self.seed, **self.reads}


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
    write_json(folder / "selection.json", report.summary)
    return {k: v for k, v in report.summary.items() if k != "timings_s"}


KIND = StageKind("select", SelectParams, run_select, data_file="records.jsonl", history=(
    (1, "the first keyed version"),
))
