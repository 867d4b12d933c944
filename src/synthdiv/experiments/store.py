"""Where stage outputs live: ``STORE/KIND/KEY/``, finished when ``done.json`` is there.

A stage writes its files atomically and ``done.json`` last, so a folder without it
is work in progress (or a killed run) and is resumed, never read as a result.
A lock file per stage keeps two processes (two experiments, or Ray workers) from
running the same stage at once: the second waits and then finds it done.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from synthdiv.experiments.graph import Node
from synthdiv.experiments.layout import STAGE_DONE
from synthdiv.experiments.kinds import stored_kind
from synthdiv.fileio import atomic_write

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no cross-process lock, one process per store
    fcntl = None  # type: ignore[assignment]


class Store:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def dir(self, node: Node) -> Path:
        return self.root / stored_kind(node.kind) / node.key

    def is_done(self, node: Node) -> bool:
        return (self.dir(node) / STAGE_DONE).exists()

    def summary(self, node: Node) -> dict[str, Any]:
        return json.loads((self.dir(node) / STAGE_DONE).read_text(encoding="utf-8"))

    def mark_done(self, node: Node, summary: dict[str, Any], ran_on: dict[str, Any] | None = None) -> None:
        record = {"node": node.to_dict(), "summary": summary, **({"ran_on": ran_on} if ran_on else {})}
        with atomic_write(self.dir(node) / STAGE_DONE) as fh:
            json.dump(record, fh, indent=2, ensure_ascii=False, default=str)

    @contextmanager
    def lock(self, node: Node) -> Iterator[None]:
        folder = self.dir(node)
        folder.mkdir(parents=True, exist_ok=True)
        if fcntl is None:  # pragma: no cover
            yield
            return
        with open(folder.parent / f"{node.key}.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


class ScratchStore(Store):
    """A dry run's store: stages finished in ``store`` are read there; a stage run now (the cheap
    real-data stage the preflight needs) goes to ``scratch``, a folder thrown away after the dry run,
    so a dry run writes nothing into the store (or the run folder)."""

    def __init__(self, store: Store, scratch: str | os.PathLike):
        super().__init__(store.root)
        self.base, self.scratch = store, Store(scratch)

    def dir(self, node: Node) -> Path:
        return self.base.dir(node) if self.base.is_done(node) else self.scratch.dir(node)

    @contextmanager
    def lock(self, node: Node) -> Iterator[None]:
        if self.base.is_done(node):  # finished: read only, no lock file to touch
            yield
            return
        with self.scratch.lock(node):
            yield
