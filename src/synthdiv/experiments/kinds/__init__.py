"""The stage kinds of a sweep, one registry: each kind is one declaration in its own module
(:class:`StageKind`: its parameters, the file the stages reading it take, its key version and why,
what it runs, what it asks the Ray executor for).

datatrove's shape: a step declares what it needs and does. The graph builds nodes of these kinds
(experiments.graph), the stages run them (experiments.stages.execute), the store keeps them under
``STORE/KIND/KEY`` and a node's key hashes its kind's version. Adding a kind is its module (a
``StageParams`` class, a ``run`` function and its ``KIND``) and one line in :data:`KINDS`, plus the
graph's call that puts its nodes in the pipeline.

Key versions: a stage's key hashes its kind, its version, its parameters' key fields and its inputs'
keys. Bump a kind's version, and add a line to its history, when its code changes what it writes for
the same parameters: its old outputs (and everything computed from them) are then not reused. A new
setting does not need a bump: mark its field ``when_set`` (experiments.params) so the stages keyed
before it existed keep their keys. A kind split from another in code but not in what it writes is
stored as the old one (``stored_as``): its keys and folders stay the old kind's, so the outputs
stored before the split stay reusable.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# name -> the module whose KIND declares it, in pipeline order (how `synthdiv validate` lists them)
KINDS: dict[str, str] = {
    "topics": "synthdiv.experiments.kinds.topics",
    "real": "synthdiv.experiments.kinds.real",
    "generate": "synthdiv.experiments.kinds.generate",
    "select": "synthdiv.experiments.kinds.select",
    "measure": "synthdiv.experiments.kinds.measure",
    "mix": "synthdiv.experiments.kinds.mix",
    "loop_set": "synthdiv.experiments.kinds.loop_set",
    "train": "synthdiv.experiments.kinds.train",
    "evaluate": "synthdiv.experiments.kinds.evaluate",
}

ONE_CPU = {"cpus": 1, "gpus": 0}


@dataclass(frozen=True)
class StageKind:
    name: str
    params: type  # its StageParams class: typed, frozen, hashed into the key
    run: Callable[..., dict[str, Any]]  # (node, folder, deps' folders, RunContext) -> the summary kept in done.json
    history: tuple[tuple[int, str], ...]  # (key version, why), the last one current
    data_file: str | None = None  # the file of its folder that the stages reading it take
    stored_as: str | None = None  # keyed and stored as this older kind (split from it in code, not in what it writes)
    resources: Callable[[Any], dict[str, Any]] | None = None  # spec -> what a stage asks the Ray executor for (default: a CPU)

    @property
    def version(self) -> int:
        return self.history[-1][0]

    def resources_for(self, spec) -> dict[str, Any]:
        return dict(ONE_CPU) if self.resources is None else self.resources(spec)


def stage_kind(name: str) -> StageKind:
    return importlib.import_module(KINDS[name]).KIND


def stored_kind(kind: str) -> str:
    """The kind a stage is keyed and stored under (``STORE/KIND/KEY``)."""
    return stage_kind(kind).stored_as or kind


def key_version(kind: str) -> int:
    """The version a stage's key hashes: its stored kind's."""
    return stage_kind(stored_kind(kind)).version


def data_file(node, folder: Path) -> Path:
    """The file of a finished stage's folder that the stages reading it take."""
    name = stage_kind(node.kind).data_file
    if name is None:
        raise KeyError(f"a {node.kind} stage has no data file")  # a bug: the graph reads only kinds that write one
    return folder / name


def stage_history() -> dict[str, list[tuple[int, str]]]:
    """Every kind's key versions with why (a kind stored as another is keyed with that one's version)."""
    return {name: list(stage_kind(name).history) for name in KINDS}


def write_json(path: Path, value: Any) -> None:
    """A stage's JSON file, written atomically."""
    import json

    from synthdiv.fileio import atomic_write

    with atomic_write(path) as fh:
        json.dump(value, fh, indent=2, ensure_ascii=False, default=str)


def stage_versions() -> dict[str, int]:
    """The current key version of every kind stored under its own name."""
    return {name: stage_kind(name).version for name in KINDS if stage_kind(name).stored_as is None}


def __getattr__(name: str):
    """``STAGE_HISTORY`` and ``STAGE_VERSIONS`` as tables, made from the kinds' declarations when first read
    (the kinds' modules import this one, so they cannot be gathered while it loads)."""
    tables = {"STAGE_HISTORY": stage_history, "STAGE_VERSIONS": stage_versions}
    if name in tables:
        return tables[name]()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
