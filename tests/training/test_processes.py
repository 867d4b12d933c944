"""``synthdiv train --processes N`` and ``synthdiv evaluate --processes N``: two CPU processes joined
by gloo on the tiny random-init Llama, against one process.

Tolerance 1e-5 on losses per token. Two processes compute the same sums as one (the same records per
step, the gradient summed over the step's target tokens), in another order: float32 rounding, about
1e-7 relative per operation, which Adam carries from step to step. Measured over the 60 steps of the
test: step losses within 8.0e-7, test losses within 1.1e-7. A wrong global batch (each process taking
a whole batch of 4, so 8 a step) moves the test loss by 1.1e-3 over the same 60 steps: 1e-5 catches it
with a margin of 100 either way. Dropout is off: each process draws its own dropout masks, so with
dropout two runs agree in distribution only.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synthdiv.cli.main import main
from synthdiv.data.records_io import write_records
from synthdiv.errors import UserError
from synthdiv.training import TrainConfig
from synthdiv.training.recipe import _share
from synthdiv.training.runlog import read_log

REPO = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-5


@pytest.fixture
def files(tmp_path, records_of):
    train, test = tmp_path / "train.jsonl", tmp_path / "test.jsonl"
    write_records(records_of(24), train)
    write_records(records_of(10), test)
    return train, test


def train_args(model_dir, train, test, out, *extra):
    return ["train", "--train", str(train), "--model", str(model_dir), "--out", str(out), "--batch-size", "4", "--lr", "1e-2",
            "--lora-dropout", "0", "--no-progress", "--test", str(test), *extra]


def _workers(launcher: int) -> list[int]:
    """The pids of the training processes the launcher started (multiprocessing's spawned children), in start order."""
    import psutil

    found = [p for p in psutil.Process(launcher).children(recursive=True) if "spawn_main" in " ".join(p.cmdline())]
    return [p.pid for p in sorted(found, key=lambda p: p.create_time())]


def test_two_processes_killed_then_resumed_give_one_process_result(tiny_model_dir, tiny_llama, files, tmp_path):
    """Two processes of ``synthdiv train --processes 2 --test``: one is killed with SIGKILL mid-run (one error line,
    exit 5, no half-written checkpoint), the same command resumes from the last checkpoint, and the run ends as one
    uninterrupted process does: the same steps, learning rates and records per step (the global batch and the
    schedule), the same losses, the same test loss, and each test record scored once by the two processes."""
    train, test = files
    out = tmp_path / "run"
    args = [sys.executable, "-m", "synthdiv.cli.main", *train_args(tiny_model_dir, train, test, out, "--lr", "1e-3", "--max-steps", "60",
                                                                    "--checkpoint-every", "5", "--processes", "2", "--json")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    log = out / "train_log.csv"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists() and len(log.read_text().splitlines()) > 12:  # the header and 12 steps: past checkpoint 10
            break
        time.sleep(0.01)
    victims = _workers(proc.pid)
    assert len(victims) == 2 and proc.poll() is None, proc.communicate()
    os.kill(victims[-1], signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    last = err.strip().splitlines()[-1]
    match = re.fullmatch(r"error: training process 1 of 2 was killed by SIGKILL \(killed by hand, or out of memory\); the other "
                         r"processes were stopped; run the same command again to resume from step (\d+) \((.+)\)", last)
    assert proc.returncode == 5 and match, err[-3000:]
    step = int(match[1])
    assert step >= 10 and Path(match[2]) == out / "checkpoints" / f"step-{step:06d}"
    assert not list((out / "checkpoints").glob(".*partial"))  # no half-written checkpoint
    assert not (out / "train_config.json").exists()  # the run is not marked finished

    rerun = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    two = json.loads(rerun.stdout)
    assert two["train"]["resumed_from"] == step and two["train"]["steps"] == 60
    log_two = read_log(log)
    assert [r["step"] for r in log_two] == list(range(1, 61))  # each step once: the killed run's tail was dropped

    # one uninterrupted process, here (the tiny model, one thread), on the same settings
    from synthdiv.data.records_io import read_records
    from synthdiv.evaluation.heldout_loss import evaluate, evaluate_base
    from synthdiv.training.recipe import train as train_fn

    model, tokenizer = tiny_llama
    config = TrainConfig(model="tiny", batch_size=4, lr=1e-3, lora_dropout=0.0, max_steps=60, checkpoint_every=0, progress=False)
    one = train_fn(read_records(train), config, tmp_path / "one", model=model, tokenizer=tokenizer)
    log_one = read_log(tmp_path / "one" / "train_log.csv")
    assert [(r["step"], r["lr"], r["target_tokens"], r["tokens"]) for r in log_two] == [
        (r["step"], r["lr"], r["target_tokens"], r["tokens"]) for r in log_one]
    assert max(abs(a["loss"] - b["loss"]) for a, b in zip(log_one, log_two)) < TOLERANCE
    records = read_records(test)
    tuned = evaluate(one.model, tokenizer, records, batch_size=8, max_length=512)
    base = evaluate_base(one.model, tokenizer, records, batch_size=8, max_length=512)
    assert abs(two["test"]["test_loss"] - tuned.test_loss) < TOLERANCE
    assert abs(two["test"]["base_test_loss"] - base.test_loss) < TOLERANCE
    # the two processes scored every test record once: the per-record rows of eval.json, in the records' order
    rows = json.loads((out / "eval.json").read_text())["per_sample"]
    assert [r["id"] for r in rows] == [r["id"] for r in tuned.per_sample] == [f"s{i}" for i in range(10)]
    assert max(abs(a["loss"] - b["loss"]) for a, b in zip(rows, tuned.per_sample)) < TOLERANCE  # per token: nll sums ~20 tokens
    # files once, by the main process: the one-process run's, with the checkpoints and eval.json
    assert sorted(p.name for p in out.iterdir()) == sorted([p.name for p in (tmp_path / "one").iterdir()] + ["checkpoints", "eval.json"])


def test_each_process_takes_every_nth_record_of_each_micro_batch():
    group = [[5, 1, 7, 3], [2, 8], [9]]
    assert _share(group, 0, 2) == [[5, 7], [2], [9]]
    assert _share(group, 1, 2) == [[1, 3], [8]]  # nothing of the one-record batch: it skips it
    shares = [i for rank in range(3) for batch in _share(group, rank, 3) for i in batch]
    assert sorted(shares) == sorted(i for b in group for i in b)  # every record once


def test_processes_must_fit_the_batch_and_the_machine(tmp_path, files, capsys, tiny_model_dir, monkeypatch):
    with pytest.raises(UserError, match=r"processes: must be at most batch_size \(2\)"):
        TrainConfig(model="m", batch_size=2, processes=3)
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    train, test = files
    capsys.readouterr()
    code = main([*train_args(tiny_model_dir, train, test, tmp_path / "o"), "--processes", "2"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err == ["error: --processes: 2 processes need 2 GPUs (one each); this machine has 1"]


def _failing(kind: str):
    if kind == "user":
        raise UserError("its target alone is 9 tokens; use --max-length 12 or more", where="record s3")
    if kind == "lost":
        raise RuntimeError("[gloo/transport/tcp/pair.cc:534] Connection closed by peer [127.0.0.1]:4321")
    raise KeyError("a bug")


def test_what_a_process_raised_becomes_the_one_error(tmp_path, monkeypatch):
    """The launching side of a failure, without launching: each process keeps what it raised
    (launch._process), and the launcher picks the cause (launch._failure)."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, ProcessFailure

    from synthdiv.training.launch import ProcessesFailed, _failure, _process

    def failed(ranks_and_kinds: dict[int, str], exitcodes: dict[int, int]):
        folder = tmp_path / "-".join(ranks_and_kinds.values())
        folder.mkdir()
        for rank, kind in ranks_and_kinds.items():
            monkeypatch.setenv("RANK", str(rank))
            with pytest.raises(Exception):
                _process(_failing, kind, str(folder))
        failures = {r: ProcessFailure(local_rank=r, pid=100 + r, exitcode=code, error_file="<N/A>") for r, code in exitcodes.items()}
        return _failure(ChildFailedError("train", failures), folder, 2, "training", "run it again")

    # the process that failed first, not its partner that lost the connection to it
    error = failed({1: "lost", 0: "user"}, {0: 1, 1: 1})
    assert isinstance(error, UserError) and str(error) == "record s3: its target alone is 9 tokens; use --max-length 12 or more"
    bug = failed({0: "bug"}, {0: 1})
    assert isinstance(bug, RuntimeError) and "training process 0 of 2 failed:" in str(bug) and "KeyError: 'a bug'" in str(bug)
    killed = failed({0: "lost"}, {0: 1, 1: -9})
    assert isinstance(killed, ProcessesFailed) and killed.exit_code == 5
    assert str(killed) == ("training process 1 of 2 was killed by SIGKILL (killed by hand, or out of memory); the other processes "
                           "were stopped; run it again")


def test_checkpoints_of_another_process_count_are_refused_naming_it(tmp_path):
    from synthdiv.training.checkpoints import prepare_out, run_fingerprint, save_checkpoint
    from test_checkpoints import _trained

    config = TrainConfig(model="tiny")
    two = run_fingerprint(config, None, world=2)
    save_checkpoint(tmp_path / "checkpoints", *_trained(), {"step": 5, "epoch": 0, "step_in_epoch": 5, "loss": 1.0, "fingerprint": two}, 2)
    with pytest.raises(UserError, match="it ran in 2 processes, this run in 1: rerun with --processes 2"):
        prepare_out(tmp_path, run_fingerprint(config, None, world=1), resume=True)
