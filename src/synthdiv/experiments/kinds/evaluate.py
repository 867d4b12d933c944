"""The ``evaluate`` stage: a student's test loss on the real test records (synthdiv.evaluation)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthdiv.experiments.kinds import StageKind, write_json
from synthdiv.experiments.kinds.train import train_resources
from synthdiv.experiments.params import StageParams

if TYPE_CHECKING:
    from synthdiv.experiments.context import RunContext
    from synthdiv.experiments.graph import Node


@dataclass(frozen=True, eq=False)
class EvaluateParams(StageParams):
    model: str
    batch_size: int
    max_length: int


def run_evaluate(node: Node, folder: Path, deps: dict[str, Path], ctx: RunContext) -> dict[str, Any]:
    from synthdiv.evaluation.heldout_loss import EvalResult

    p = node.params
    trained = node.deps.get("model")
    handed = ctx.take(trained.key if trained is not None else None)
    model = str(deps["model"]) if trained is not None else p.model
    if handed is not None:
        from synthdiv.data.records_io import read_records
        from synthdiv.evaluation.heldout_loss import evaluate

        model_obj, tokenizer = handed
        result = evaluate(model_obj, tokenizer, read_records(deps["test"] / "test.jsonl"), batch_size=p.batch_size,
                          max_length=p.max_length).to_dict(per_sample=True)
    else:
        from synthdiv.training.jobs import EvalJob, eval_job
        from synthdiv.training.launch import run_in_processes

        job = EvalJob(model=model, test_file=str(deps["test"] / "test.jsonl"), batch_size=p.batch_size, max_length=p.max_length, base=False)
        report = run_in_processes(eval_job, job, ctx.processes, what=node.name, rerun="run the sweep again")
        result = {k: report[k] for k in EvalResult.__dataclass_fields__}  # the result, not the report's labels
    write_json(folder / "eval.json", result)
    return {k: v for k, v in result.items() if k != "per_sample"}


KIND = StageKind("evaluate", EvaluateParams, run_evaluate, resources=train_resources, history=(
    (1, "the first keyed version"),
))
