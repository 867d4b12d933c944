"""What a run hands its stages besides their parameters: run mechanics, never part of a stage key.

A :class:`RunContext` is made by the runner for one run and passed to every stage, so nothing of a
run lives in module globals (two runs in one process, or a Ray worker, each see their own):

``checkpoint_every``
    optimizer steps between training checkpoints (``training.checkpoint_every``, ``--checkpoint-every``);
``processes``
    processes each train and evaluate stage runs in (``training.processes``; synthdiv.training.launch);
``keep_in_memory``
    hand a trained model to the evaluate stage that follows in the same process instead of reloading it
    from disk (off in a Ray worker: the evaluate stage may run elsewhere);
``tracking``
    the experiment trackers of ``training.report_to`` (names, folder, project), checked before the run;
``request_mechanics``
    what the generate stages read besides their parameters (graph.generation_mechanics): the backend
    options that change how requests are sent (concurrency, rate limits, timeouts, batch polling), the
    prices and ``generation.max_cost``;
``trained``
    the hand-over itself: at most one (model, tokenizer) by its train stage's key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from synthdiv.training.config import TrainConfig  # light: the recipe's checkpoint default


@dataclass
class RunContext:
    checkpoint_every: int = TrainConfig.checkpoint_every
    keep_in_memory: bool = True
    processes: int = TrainConfig.processes
    tracking: dict[str, Any] | None = None
    request_mechanics: dict[str, Any] = field(default_factory=dict)
    trained: dict[str, tuple[Any, Any]] = field(default_factory=dict, repr=False)

    def for_worker(self) -> RunContext:
        """The context a stage gets in another process: the same mechanics, no model handed over."""
        return RunContext(self.checkpoint_every, keep_in_memory=False, processes=self.processes, tracking=self.tracking,
                          request_mechanics=self.request_mechanics)

    def hand_over(self, key: str, model, tokenizer) -> None:
        if self.keep_in_memory and self.processes == 1:  # several processes: the model lived in them
            self.trained.clear()  # at most one model held: the one the next stage evaluates
            self.trained[key] = (model, tokenizer)

    def take(self, key: str | None):
        """The (model, tokenizer) a train stage handed over, or None (then the evaluate stage loads from disk)."""
        return self.trained.pop(key, None) if key is not None else None
