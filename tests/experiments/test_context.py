"""The run context: mechanics and the in-memory hand-over travel with the run, not in module globals."""

from __future__ import annotations

from synthdiv.experiments.context import RunContext
from synthdiv.training.config import TrainConfig


def test_a_context_holds_one_model_and_hands_it_over_once():
    ctx = RunContext()
    assert ctx.checkpoint_every == TrainConfig.checkpoint_every and ctx.keep_in_memory
    ctx.hand_over("a", "model-a", "tok-a")
    ctx.hand_over("b", "model-b", "tok-b")
    assert ctx.take("a") is None and ctx.take("b") == ("model-b", "tok-b") and ctx.take("b") is None
    assert ctx.take(None) is None


def test_two_runs_do_not_share_a_model_and_a_worker_gets_none():
    first, second = RunContext(checkpoint_every=5), RunContext()
    first.hand_over("a", "m", "t")
    assert second.take("a") is None
    worker = first.for_worker()
    assert (worker.checkpoint_every, worker.keep_in_memory, worker.trained) == (5, False, {})
    worker.hand_over("x", "m", "t")
    assert worker.take("x") is None  # another process: the evaluate stage loads from disk
