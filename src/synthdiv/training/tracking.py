"""Experiment tracking: training curves, parameters and result files sent to TensorBoard, MLflow or W&B.

A tracker has four methods (``start``, ``log_metrics``, ``log_artifact``, ``finish``) and
three implementations; :func:`make_tracker` builds one per name and fans out to all of
them (an empty list gives a tracker that does nothing). Each checks its package when it
is built, so a missing one fails before any model loads, with the pip command.

Where the runs go, under ``root`` (``OUT/tracking`` for ``synthdiv train``, ``RUN_DIR/tracking``
for a sweep) unless the tool's own environment variable says otherwise:

* tensorboard: ``root/tensorboard/<run name>-<time>/`` (event files; artifacts copied beside them);
* mlflow: ``$MLFLOW_TRACKING_URI``, else a file store ``root/mlruns`` (experiment
  ``$MLFLOW_EXPERIMENT_NAME``, else the project name);
* wandb: ``$WANDB_DIR``, else ``root``; ``WANDB_MODE=offline`` works without a key
  (``wandb sync`` uploads later), project ``$WANDB_PROJECT``, else the project name.

Credentials (``WANDB_API_KEY``, ``MLFLOW_TRACKING_TOKEN`` …) are read by the tools themselves
from the environment; nothing here passes, logs or writes them, and :func:`public_params`
drops any parameter whose name says it is a secret.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from synthdiv.errors import UserError, check_choice
from synthdiv.fileio import made_folders

TRACKERS = ("tensorboard", "mlflow", "wandb")
NO_TRACKER = "none"  # as in transformers' report_to: no tracker (the default, an empty list)
# what to install for each; the `track` extra holds mlflow-skinny (the client, no server) and wandb
PIP = {"tensorboard": "pip install tensorboard", "mlflow": "pip install 'synthdiv[track]'", "wandb": "pip install 'synthdiv[track]'"}
_SECRET = re.compile(r"(api_?key|token|secret|password|credential)", re.IGNORECASE)


def parse_report_to(values: str | Iterable[str] | None, where: str | None = None, field: str = "report_to") -> list[str]:
    """Tracker names from a comma list, a list, or both (``["tensorboard,mlflow", "wandb"]``), in order, once each."""
    items = [values] if isinstance(values, str) else list(values or [])
    given = [name.strip().lower() for item in items for name in str(item).split(",") if name.strip()]
    if NO_TRACKER in given:
        if set(given) != {NO_TRACKER}:
            raise UserError(f"{NO_TRACKER!r} means no tracker; give it alone, or name the trackers without it", where=where, field=field)
        return []
    names: list[str] = []
    for name in given:
        name = check_choice(name, TRACKERS, what="tracker", where=where, field=field)
        if name not in names:
            names.append(name)
    return names


def public_params(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters with JSON-friendly values, less any whose name says it holds a secret."""
    return {k: (v if isinstance(v, (int, float, str, bool)) or v is None else json.loads(json.dumps(v, default=str)))
            for k, v in params.items() if not _SECRET.search(k)}


def train_params(config) -> dict[str, Any]:
    """The TrainConfig fields a run is compared by (``extra`` is free-form, ``progress`` cosmetic)."""
    return public_params({k: v for k, v in config.to_dict().items() if k not in ("extra", "progress")})


def _require(module: str, name: str, where: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise UserError(f"tracking with {name} needs the {module.split('.')[0]} package: {PIP[name]}", where=where) from None


def _slug(text: str) -> str:
    """A run name as a folder or artifact name: letters, digits, '.', '_' and '-'."""
    return re.sub(r"[^\w.-]+", "_", text).strip("_.") or "run"


def _redact(uri: str) -> str:
    """A tracking URI without the user:password part, for error messages."""
    return re.sub(r"//[^/@]*@", "//", uri)


class Tracker:
    """The interface, and the tracker that does nothing."""

    name = "none"

    def start(self, run_name: str, params: dict[str, Any]) -> None: ...

    def log_metrics(self, step: int, metrics: dict[str, float]) -> None: ...

    def log_artifact(self, path: str | os.PathLike) -> None: ...

    def finish(self, ok: bool = True) -> None: ...


class TensorBoardTracker(Tracker):
    name = "tensorboard"

    def __init__(self, root: Path, where: str = "--report-to"):
        _require("tensorboard", self.name, where)
        _require("torch", self.name, where)  # the writer is torch.utils.tensorboard's
        self.root, self.dir, self._writer = Path(root) / "tensorboard", None, None

    def start(self, run_name: str, params: dict[str, Any]) -> None:
        from torch.utils.tensorboard import SummaryWriter

        # a folder per start, as MLflow and W&B make a run per start: a rerun never mixes its events with an older run's
        stem = f"{_slug(run_name)}-{time.strftime('%Y%m%d-%H%M%S')}"
        self.dir = self.root / stem
        for i in range(2, 1000):
            if not self.dir.exists():
                break
            self.dir = self.root / f"{stem}-{i}"
        self._writer = SummaryWriter(str(self.dir))
        self._writer.add_text("params", "```\n" + json.dumps(public_params(params), indent=2) + "\n```", 0)

    def log_metrics(self, step: int, metrics: dict[str, float]) -> None:
        for key, value in metrics.items():
            self._writer.add_scalar(key, float(value), step)

    def log_artifact(self, path: str | os.PathLike) -> None:
        """TensorBoard has no artifact store: the file (or folder) is copied into the run's folder."""
        from synthdiv.fileio import atomic_path

        path = Path(path)
        target = self.dir / "artifacts" / path.name
        if path.is_dir():
            shutil.copytree(path, target, dirs_exist_ok=True)
        else:
            with atomic_path(target) as tmp:
                shutil.copyfile(path, tmp)
        self._writer.add_text("artifacts", f"artifacts/{path.name}", 0)

    def finish(self, ok: bool = True) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class MlflowTracker(Tracker):
    name = "mlflow"

    def __init__(self, root: Path, project: str = "synthdiv", where: str = "--report-to"):
        _require("mlflow", self.name, where)
        self.where = where
        self.uri = os.environ.get("MLFLOW_TRACKING_URI") or (Path(root) / "mlruns").resolve().as_uri()
        self.experiment = os.environ.get("MLFLOW_EXPERIMENT_NAME") or project
        self._client, self._run_id = None, None

    def start(self, run_name: str, params: dict[str, Any]) -> None:
        from mlflow.entities import Param
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient

        if self.uri.startswith("file:"):
            # MLflow 3 refuses a file store unless asked; it is the one store that needs no server or database
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        store = Path(self.uri.removeprefix("file://")) if self.uri.startswith("file:") else None
        try:
            with made_folders(store) if store is not None else contextlib.nullcontext():  # a failed start leaves no empty store
                self._client = MlflowClient(tracking_uri=self.uri)
                run = self._client.create_run(self._experiment_id(), run_name=run_name)
        except MlflowException as exc:
            first = str(exc).splitlines()[0][:200]
            raise UserError(f"MLflow cannot start a run at {_redact(self.uri)} ({first}); check MLFLOW_TRACKING_URI", where=self.where) from None
        self._run_id = run.info.run_id
        # MLflow keeps params as strings of at most 6000 characters
        self._client.log_batch(self._run_id, params=[Param(k, str(v)[:6000]) for k, v in public_params(params).items()])

    def _experiment_id(self) -> str:
        from mlflow.exceptions import MlflowException

        for _ in range(2):  # two processes of a sweep may create the experiment at once: the loser reads it
            found = self._client.get_experiment_by_name(self.experiment)
            if found is not None:
                return found.experiment_id
            with contextlib.suppress(MlflowException):
                return self._client.create_experiment(self.experiment)
        raise UserError(f"MLflow cannot create the experiment {self.experiment!r} at {_redact(self.uri)}", where=self.where)

    def log_metrics(self, step: int, metrics: dict[str, float]) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self._client.log_batch(self._run_id, metrics=[Metric(k, float(v), now, step) for k, v in metrics.items()])

    def log_artifact(self, path: str | os.PathLike) -> None:
        path = Path(path)
        if path.is_dir():
            self._client.log_artifacts(self._run_id, str(path), artifact_path=path.name)
        else:
            self._client.log_artifact(self._run_id, str(path))

    def finish(self, ok: bool = True) -> None:
        if self._run_id is not None:
            self._client.set_terminated(self._run_id, "FINISHED" if ok else "FAILED")
            self._run_id = None


class WandbTracker(Tracker):
    name = "wandb"

    def __init__(self, root: Path, project: str = "synthdiv", where: str = "--report-to"):
        _require("wandb", self.name, where)
        self.where = where
        self.dir = Path(os.environ.get("WANDB_DIR") or root)
        self.project = os.environ.get("WANDB_PROJECT") or project
        self._run, self._run_name = None, "run"

    def start(self, run_name: str, params: dict[str, Any]) -> None:
        import wandb

        # console="off": W&B would otherwise copy this process's terminal output into the run
        settings = wandb.Settings(console="off", save_code=False)
        try:
            with made_folders(self.dir):  # a run that cannot start leaves no empty folder behind
                self._run = wandb.init(project=self.project, name=run_name, config=public_params(params), dir=str(self.dir),
                                       reinit="create_new", settings=settings)
        except (wandb.errors.UsageError, wandb.errors.CommError) as exc:
            first = str(exc).splitlines()[0][:200]
            raise UserError(f"W&B cannot start a run ({first}); set WANDB_API_KEY, or WANDB_MODE=offline to log locally", where=self.where) from None
        self._run_name = run_name

    def log_metrics(self, step: int, metrics: dict[str, float]) -> None:
        self._run.log({k: float(v) for k, v in metrics.items()}, step=step)

    def log_artifact(self, path: str | os.PathLike) -> None:
        import wandb

        path = Path(path)
        artifact = wandb.Artifact(_slug(f"{self._run_name}-{path.name}"), type="synthdiv-run")
        if path.is_dir():
            artifact.add_dir(str(path), name=path.name)
        else:
            artifact.add_file(str(path))
        self._run.log_artifact(artifact)

    def finish(self, ok: bool = True) -> None:
        if self._run is not None:
            self._run.finish(exit_code=0 if ok else 1)
            self._run = None


class FanOut(Tracker):
    """Several trackers as one; every call goes to each, in order."""

    name = "fan-out"

    def __init__(self, trackers: list[Tracker]):
        self.trackers = trackers

    def start(self, run_name: str, params: dict[str, Any]) -> None:
        for t in self.trackers:
            t.start(run_name, params)

    def log_metrics(self, step: int, metrics: dict[str, float]) -> None:
        for t in self.trackers:
            t.log_metrics(step, metrics)

    def log_artifact(self, path: str | os.PathLike) -> None:
        for t in self.trackers:
            t.log_artifact(path)

    def finish(self, ok: bool = True) -> None:
        errors = []
        for t in self.trackers:  # every run is closed, even when one tool fails to
            try:
                t.finish(ok)
            except Exception as exc:  # noqa: BLE001 - re-raised below, after the others finished
                errors.append(exc)
        if errors:
            raise errors[0]


def make_tracker(names: str | Iterable[str] | None, root: str | os.PathLike, *, project: str = "synthdiv",
                 where: str = "--report-to") -> FanOut:
    """One tracker for ``names`` (see :func:`parse_report_to`), writing under ``root``; checks every package now."""
    root = Path(root)
    built: list[Tracker] = []
    for name in parse_report_to(names, where):
        if name == "tensorboard":
            built.append(TensorBoardTracker(root, where))
        elif name == "mlflow":
            built.append(MlflowTracker(root, project, where))
        else:
            built.append(WandbTracker(root, project, where))
    return FanOut(built)


def training_tracker(config, out: Path, given: Tracker | None, main: bool) -> tuple[Tracker, bool]:
    """(tracker, owned) for a training run: ``given`` (its caller starts and finishes it), else one
    for ``config.report_to`` that the recipe owns; on processes other than the main one, none."""
    if not main:
        return Tracker(), False
    if given is not None:
        return given, False
    return make_tracker(config.report_to, Path(out) / "tracking"), True


@contextlib.contextmanager
def tracked(tracker: Tracker, run_name: str, params: dict[str, Any]) -> Iterator[Tracker]:
    """A started run, finished when the block ends (as failed when it raises)."""
    tracker.start(run_name, params)
    try:
        yield tracker
    except BaseException:
        tracker.finish(ok=False)
        raise
    tracker.finish(ok=True)
