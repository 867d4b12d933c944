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


def test_training_processes_reach_the_train_and_evaluate_stages_and_no_key(tiny_spec, tmp_path, monkeypatch):
    """training.processes is a mechanic: in no stage key, handed to every train and evaluate stage, which run
    through the launcher (here replaced by a call in this process that records what it was asked)."""
    from synthdiv.experiments.graph import build_graph
    from synthdiv.experiments.runner import run_experiment
    from synthdiv.experiments.spec import load_spec
    from synthdiv.training import launch

    asked = []

    def in_this_process(job, payload, processes, *, what, rerun):
        asked.append((job.__name__, processes, what))
        return job(payload)

    monkeypatch.setattr(launch, "run_in_processes", in_this_process)
    one = load_spec(tiny_spec(mixing={"ratios": [0.0]}, training={"evaluate_base": False}))
    two = load_spec(tiny_spec("two.yaml", mixing={"ratios": [0.0]}, training={"evaluate_base": False, "processes": 2}))
    assert two.training.processes == 2 and [n.key for n in build_graph(one).nodes] == [n.key for n in build_graph(two).nodes]
    result = run_experiment(two, tmp_path / "run")
    assert [(name, n) for name, n, _ in asked] == [("train_stage_process", 2), ("eval_job", 2)]
    assert asked[0][2].startswith("train ") and asked[1][2].startswith("evaluate ")
    assert len(result.results) == 1 and result.results[0]["test_loss"] > 0
