"""Several processes on one machine: ``synthdiv train --processes N`` and ``synthdiv evaluate --processes N``.

:func:`run_in_processes` starts ``N`` copies of a job through torch.distributed's elastic launcher (the
engine behind ``torchrun``, no scheduler of ours): each gets ``RANK``, ``WORLD_SIZE`` and a rendezvous on
this machine, accelerate joins them (NCCL on GPUs, one GPU per process; gloo on a CPU), and the main
process's return value comes back. A process that dies takes the others down (the launcher stops them),
and the failure becomes one line: a UserError in a process is raised as such, a process killed by a
signal (``kill -9``, the out-of-memory killer) is :class:`ProcessesFailed`, whose message says what the
rerun resumes from. Inside a process that a launcher started (``accelerate launch``, ``torchrun``, or one
of ours) the job simply runs: that process is one rank of the run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import tempfile
import time
import traceback
import uuid
from pathlib import Path
from typing import Any, Callable

from synthdiv.errors import UserError

# the launcher logs every stop of a process at WARNING/ERROR level; the one line below says it
_LAUNCHER_LOGGERS = ("torch.distributed.elastic", "torch.distributed.launcher", "torch.multiprocessing")


class ProcessesFailed(UserError):
    """A process of a several-process run died (killed, out of memory): exit code 5, the rerun resumes."""

    exit_code = 5


def launched() -> bool:
    """True in a process a launcher started as one of several (ours, ``torchrun``, ``accelerate launch``)."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def check_processes(processes: int, where: str = "--processes") -> None:
    """At least one, and on a GPU machine at most one process per GPU."""
    if processes < 1:
        raise UserError(f"must be at least 1 (got {processes})", where=where)
    if processes == 1 or launched():
        return
    import torch

    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if gpus and processes > gpus:
        raise UserError(f"{processes} processes need {processes} GPUs (one each); this machine has {gpus}", where=where)


def run_in_processes(job: Callable[[Any], Any], payload: Any, processes: int, *, what: str, rerun: str | Callable[[], str]) -> Any:
    """``job(payload)`` in ``processes`` processes; the main process's return value. ``job`` must be a
    module-level function (each process imports it). ``what`` names the run in a failure's line
    ("training"); ``rerun`` says what running the same command again does (a function: asked when it fails)."""
    if processes == 1 or launched():
        return job(payload)
    from torch.distributed.elastic.multiprocessing import DefaultLogsSpecs
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    with tempfile.TemporaryDirectory(prefix="synthdiv-launch-") as tmp, _quiet_launcher(), _process_environment(processes):
        config = LaunchConfig(min_nodes=1, max_nodes=1, nproc_per_node=processes, run_id=uuid.uuid4().hex, rdzv_backend="c10d",
                              rdzv_endpoint="127.0.0.1:0", max_restarts=0, monitor_interval=0.1, start_method="spawn",
                              logs_specs=DefaultLogsSpecs(log_dir=str(Path(tmp) / "logs")))
        try:
            results = elastic_launch(config, _process)(job, payload, tmp)
        except ChildFailedError as exc:
            raise _failure(exc, Path(tmp), processes, what, rerun() if callable(rerun) else rerun) from None
    return results[0]


def _process(job: Callable[[Any], Any], payload: Any, folder: str) -> Any:
    """One process of the run: the job, with what it raised kept for the launching process."""
    try:
        return job(payload)
    except BaseException as exc:
        record = {"time": time.time(), "traceback": traceback.format_exc()}
        try:
            record["error"] = pickle.loads(pickle.dumps(exc))  # not every exception survives a round trip
        except Exception:  # noqa: BLE001 - then its text and traceback are what the launching process gets
            record["error"] = None
        (Path(folder) / f"rank-{os.environ.get('RANK', '0')}.pickle").write_bytes(pickle.dumps(record))
        raise


def _failure(exc, folder: Path, processes: int, what: str, rerun: str) -> Exception:
    """The exception that says why the run failed: a process killed by a signal, else the first
    error a process raised (a UserError or a write failure as itself, a bug with its traceback)."""
    for rank, failure in sorted(exc.failures.items()):
        if failure.exitcode < 0:
            signal = failure.signal_name()
            return ProcessesFailed(f"{what} process {rank} of {processes} was killed by {signal} (killed by hand, or out of memory); "
                                   f"the other processes were stopped; {rerun}")
    raised = {}
    for path in folder.glob("rank-*.pickle"):
        with contextlib.suppress(Exception):
            raised[int(path.stem.split("-")[1])] = pickle.loads(path.read_bytes())
    chosen = _root_cause(raised)
    if chosen is not None:
        rank, record = chosen
        error = record.get("error")
        if isinstance(error, (UserError, OSError)):
            return error
        return RuntimeError(f"{what} process {rank} of {processes} failed:\n{record['traceback']}")
    rank, failure = exc.get_first_failure()
    return ProcessesFailed(f"{what} process {rank} of {processes} exited with code {failure.exitcode}; {rerun}")


def _root_cause(raised: dict[int, dict]) -> tuple[int, dict] | None:
    """The first failure that is not another process's lost connection to the failed one."""
    def secondary(record: dict) -> bool:
        text = record["traceback"].lower()
        return isinstance(record.get("error"), RuntimeError) and ("connection closed" in text or "gloo" in text or "nccl" in text)

    ordered = sorted(raised.items(), key=lambda item: (secondary(item[1]), item[1]["time"]))
    return ordered[0] if ordered else None


@contextlib.contextmanager
def _quiet_launcher():
    loggers = [logging.getLogger(name) for name in _LAUNCHER_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


@contextlib.contextmanager
def _process_environment(processes: int):
    """What the processes inherit: the machine's cores shared among them (OMP_NUM_THREADS, unless set: N
    processes each spinning every core slow each other down many times over on a CPU), and no warning from
    multiprocessing's resource tracker about the semaphores of a killed process (the kill is reported)."""
    saved = {name: os.environ.get(name) for name in ("OMP_NUM_THREADS", "PYTHONWARNINGS")}
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // processes)))
    quiet = "ignore::UserWarning:multiprocessing.resource_tracker"
    os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [saved["PYTHONWARNINGS"], quiet]))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
