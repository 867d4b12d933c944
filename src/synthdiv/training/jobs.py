"""What ``synthdiv train`` and ``synthdiv evaluate`` run, as jobs that one process or several run alike.

A job is a picklable description (files, settings, output folder): :func:`synthdiv.training.launch.run_in_processes`
hands it to each process, which reads the records itself. Every process trains (or scores) its share;
the main one alone writes files, logs to the trackers and returns the summary the command prints.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthdiv.training.config import TrainConfig


@dataclass(frozen=True)
class TrainJob:
    train_file: str
    config: TrainConfig
    out: Path
    resume: bool = True
    test_file: str | None = None  # also the base and fine-tuned test loss on these records (OUT/eval.json)
    eval_batch_size: int = 8
    merge: bool = False  # also OUT/merged
    reading: dict[str, Any] = field(default_factory=dict)  # read_input's options: split, config, columns


@dataclass(frozen=True)
class EvalJob:
    model: str  # an adapter folder, registry name, hub id or model folder
    test_file: str
    batch_size: int = 8
    max_length: int | None = None  # None: the adapter's training max length, else 512
    base: bool = True  # for an adapter, also the base model's loss
    per_sample: Path | None = None  # the per-record losses, as JSONL
    progress: bool = False
    reading: dict[str, Any] = field(default_factory=dict)  # read_input's options: split, config, columns


def _main() -> bool:
    from synthdiv.training.launch import is_main_process

    return is_main_process()


def train_job(job: TrainJob) -> dict[str, Any] | None:
    """Train (and evaluate, merge) as ``synthdiv train`` does: the summary on the main process, None elsewhere."""
    from synthdiv.data import read_input
    from synthdiv.training.recipe import train
    from synthdiv.training.saving import save_merged
    from synthdiv.training.tracking import make_tracker, tracked, train_params

    config, out = job.config, Path(job.out)
    records = read_input(job.train_file, **job.reading)
    test_records = read_input(job.test_file, **job.reading) if job.test_file else None  # read before training: a bad file fails fast
    tracker = make_tracker(config.report_to if _main() else [], out / "tracking")
    with tracked(tracker, out.resolve().name, train_params(config)):
        result = train(records, config, out, resume=job.resume, tracker=tracker)
        summary: dict[str, Any] = {"train": result.summary()}
        if test_records is not None:
            summary["test"], per_sample = base_and_tuned_losses(result, test_records, job.test_file, job.eval_batch_size, config.max_length,
                                                      config.progress)
            tracker.log_metrics(result.steps, eval_metrics(summary["test"], per_sample))
            tracker.log_artifact(out / "eval.json")
        tracker.log_artifact(out / "train_log.csv")
    if job.merge and _main():
        summary["merged"] = str(save_merged(result.model, result.tokenizer, out))
    return summary if _main() else None


def base_and_tuned_losses(result, records, test: str, batch_size: int, max_length: int, progress: bool = False) -> tuple[dict, list[dict]]:
    """Base and fine-tuned test loss on ``records`` and the per-record losses; OUT/eval.json (written by the main
    process) holds both with the rows, so ``synthdiv compare`` reads it as it reads ``evaluate --per-sample``."""
    from synthdiv.evaluation.heldout_loss import evaluate, evaluate_base
    from synthdiv.fileio import atomic_write

    kw = {"batch_size": batch_size, "max_length": max_length, "progress": progress}  # a bar each: minutes on a CPU
    before = evaluate_base(result.model, result.tokenizer, records, desc="test loss, base model", **kw)
    after = evaluate(result.model, result.tokenizer, records, desc="test loss, fine-tuned", **kw)
    losses = {"file": test, "base_test_loss": before.test_loss, **after.to_dict()}
    if _main():
        with atomic_write(Path(result.out) / "eval.json") as fh:
            json.dump({**losses, "per_sample": after.per_sample}, fh, indent=2)
    return losses, after.per_sample


def eval_metrics(losses: dict, rows: list[dict]) -> dict[str, float]:
    """The test losses for the trackers, the fine-tuned one with its 95 % interval (test records resampled)."""
    from synthdiv.stats.uncertainty import loss_interval

    ci = loss_interval([r["nll"] for r in rows], [r["tokens"] for r in rows])
    return {"eval/test_loss": losses["test_loss"], "eval/test_loss_ci_low": ci.ci_low, "eval/test_loss_ci_high": ci.ci_high,
            "eval/base_test_loss": losses["base_test_loss"]}


def eval_job(job: EvalJob) -> dict[str, Any] | None:
    """The test loss as ``synthdiv evaluate`` reports it (per-record rows included): the report on the main process."""
    from synthdiv.data import read_input
    from synthdiv.evaluation.heldout_loss import evaluate_model

    records = read_input(job.test_file, **job.reading)
    result, base_loss, info = evaluate_model(job.model, records, batch_size=job.batch_size, max_length=job.max_length,
                                             base=job.base, progress=job.progress)
    report = {"model": job.model, **info, "test": job.test_file, **result.to_dict(per_sample=True)}
    if base_loss is not None:
        report["base_test_loss"] = base_loss
    if not _main():
        return None
    if job.per_sample is not None:
        from synthdiv.fileio import atomic_write

        with atomic_write(job.per_sample) as fh:
            for row in result.per_sample:
                fh.write(json.dumps(row) + "\n")
    return report
