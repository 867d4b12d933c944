"""The ``train`` stage: LoRA fine-tuning of a student on a training set (synthdiv.training), resumed from its checkpoints."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthdiv.experiments import layout
from synthdiv.experiments.kinds import StageKind, write_json
from synthdiv.experiments.params import StageParams
from synthdiv.training.config import TrainConfig

if TYPE_CHECKING:
    from synthdiv.experiments.context import RunContext
    from synthdiv.experiments.graph import Node


@dataclass(frozen=True, eq=False)
class TrainParams(StageParams):
    config: TrainConfig

    def key_fields(self) -> dict[str, Any]:
        out = self.config.computation()
        if out.get("loss_on") == "target":
            del out["loss_on"]  # the default: stages keyed before the option existed keep their keys
        return out

    def run_config(self, checkpoint_every: int, processes: int = 1) -> TrainConfig:
        """The config a stage trains with: its computation, this run's checkpoint interval and processes, a
        progress bar (the trackers come from the run's context, not the config)."""
        return replace(self.config, checkpoint_every=checkpoint_every, processes=processes, progress=True, report_to=[])


def run_train(node: Node, folder: Path, deps: dict[str, Path], ctx: RunContext) -> dict[str, Any]:
    from synthdiv.training.launch import run_in_processes

    # a tracked run per train stage, named after it; the runner fills ctx.tracking from training.report_to
    track = ctx.tracking or {"names": [], "dir": str(folder / layout.TRACKING), "project": "synthdiv"}
    job = TrainStage(node.name, {"stage_key": node.key, "dataset": node.info.get("dataset")}, node.params.run_config(ctx.checkpoint_every, ctx.processes),
                     deps["data"] / "records.jsonl", folder, track)
    if ctx.processes > 1:
        summary = run_in_processes(train_stage_process, job, ctx.processes, what=node.name,
                                   rerun="run the sweep again: the stage resumes from its last checkpoint")
    else:
        result = train_stage(job)
        ctx.hand_over(node.key, result.model, result.tokenizer)
        summary = result.summary()
    write_json(folder / "result.json", summary)
    return summary


@dataclass(frozen=True)
class TrainStage:
    """What a train stage's processes need (picklable: each process of a several-process stage gets it)."""

    name: str
    labels: dict[str, Any]  # stage key and data set, beside the settings in the tracked run's params
    config: Any  # TrainConfig
    records: Path
    folder: Path
    track: dict[str, Any]


def train_stage(job: TrainStage):
    """Train as the stage does, in this process (one of several, or the only one): the TrainResult."""
    from synthdiv.data.records_io import read_records
    from synthdiv.training.launch import is_main_process
    from synthdiv.training.recipe import train
    from synthdiv.training.tracking import make_tracker, tracked, train_params

    names = job.track["names"] if is_main_process() else []
    tracker = make_tracker(names, job.track["dir"], project=job.track["project"], where="training.report_to")
    with tracked(tracker, job.name, {**train_params(job.config), **job.labels}):
        return train(read_records(job.records), job.config, job.folder, tracker=tracker)


def train_stage_process(job: TrainStage) -> dict[str, Any] | None:
    """One process of a several-process train stage: the run's summary from the main process."""
    from synthdiv.training.launch import is_main_process

    result = train_stage(job)
    return result.summary() if is_main_process() else None


def train_resources(spec) -> dict[str, float | None]:
    """What a train or evaluate stage asks the Ray executor for: a CPU per process, and training.gpus_per_stage
    GPUs; unset, a GPU per process when bf16 needs one, else None: one per process where the cluster has GPUs
    (experiments.cluster.stage_resources)."""
    t = spec.training
    gpus = t.gpus_per_stage if t.gpus_per_stage is not None else (t.processes if t.precision == "bf16" else None)
    return {"cpus": t.processes, "gpus": gpus, "processes": t.processes}


KIND = StageKind("train", TrainParams, run_train, resources=train_resources, history=(
    (1, "the first keyed version; loss_on joined the key only when not 'target'"),
))
