"""The ``real`` stage: the real data, split into training and test records and subsampled (seeded)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthdiv.errors import UserError
from synthdiv.experiments.kinds import StageKind
from synthdiv.experiments.params import StageParams
from synthdiv.records import Record
from synthdiv.tasks import TASKS

if TYPE_CHECKING:
    from synthdiv.experiments.context import RunContext
    from synthdiv.experiments.graph import Node


@dataclass(frozen=True, eq=False)
class RealParams(StageParams):
    task: str
    source: dict[str, Any] | None  # graph.fingerprint of real.source: its content, not only its name
    source_name: str
    format: str
    columns: dict[str, str] | None
    test_source: dict[str, Any] | None
    test_fraction: float
    per_group: int | None
    n_train: int | None
    n_test: int | None
    seed: int


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
    from synthdiv.data.corpus import SOURCES, corpus_split

    if source in SOURCES:
        train, test = corpus_split(source, p.test_fraction, p.seed)
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


KIND = StageKind("real", RealParams, run_real, data_file="train.jsonl", history=(
    (1, "the first keyed version"),
))
