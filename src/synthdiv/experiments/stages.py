"""Running a stage: its kind's ``run`` (experiments.kinds), given its node, its folder and its inputs' folders.

Every stage writes its files atomically into its own folder and returns a small
summary (kept in ``done.json``). Long stages resume on their own: generation
through the response cache, training through its checkpoints in the stage folder.
Heavy libraries are imported inside the stages that need them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from synthdiv.experiments.context import RunContext
from synthdiv.experiments.graph import Node
from synthdiv.experiments.kinds import KINDS, data_file, stage_kind

__all__ = ["RUNNERS", "data_file", "execute"]

# what each kind runs, from its declaration (a test may stand in for one here; a kind registered later
# runs its own declaration's)
RUNNERS: dict[str, Callable[[Node, Path, dict[str, Path], RunContext], dict[str, Any]]] = {
    name: stage_kind(name).run for name in KINDS
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
        run = RUNNERS.get(node.kind) or stage_kind(node.kind).run
        summary = run(node, store.dir(node), deps, ctx)
        store.mark_done(node, summary, ran_on)
        return summary
