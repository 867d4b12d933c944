"""Per-step training log: a CSV file and TensorBoard scalars.

The CSV (``train_log.csv``) is append-only on purpose, so it can be read while
training runs; every row is flushed. On resume it is first rewritten
(atomically) with only the rows up to the checkpoint's step, so the log of a
killed-and-resumed run has each step once, like an uninterrupted run's.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from synthdiv.fileio import atomic_write
from synthdiv.console import say

COLUMNS = ("step", "epoch", "loss", "lr", "target_tokens", "tokens", "tokens_per_s", "elapsed_s")


class RunLog:
    def __init__(self, out: Path, resume_step: int = 0, tensorboard: bool = True):
        self.path = out / "train_log.csv"
        kept = self._rows_up_to(resume_step) if resume_step else []
        with atomic_write(self.path, newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows(kept)
        self._fh = open(self.path, "a", encoding="utf-8", newline="")
        self._csv = csv.writer(self._fh, lineterminator="\n")
        self._tb = None
        if not resume_step:
            shutil.rmtree(out / "tensorboard", ignore_errors=True)  # a fresh run: no events of an older one
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:  # pragma: no cover - tensorboard is in the train extra
                say("warning: tensorboard is not installed; logging to train_log.csv only")
            else:
                # purge_step drops events a killed run wrote after its last checkpoint
                self._tb = SummaryWriter(str(out / "tensorboard"), purge_step=resume_step + 1 if resume_step else None)

    def _rows_up_to(self, step: int) -> list[list[str]]:
        if not self.path.exists():
            return []
        with open(self.path, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        return [r for r in rows[1:] if r and r[0].isdigit() and int(r[0]) <= step]

    def log(self, row: dict) -> None:
        self._csv.writerow([_fmt(row[c]) for c in COLUMNS])
        self._fh.flush()
        if self._tb is not None:
            step = row["step"]
            self._tb.add_scalar("train/loss", row["loss"], step)
            self._tb.add_scalar("train/lr", row["lr"], step)
            self._tb.add_scalar("train/tokens_per_s", row["tokens_per_s"], step)

    def close(self) -> None:
        self._fh.close()
        if self._tb is not None:
            self._tb.close()


def _fmt(value) -> str:
    if isinstance(value, float):
        return repr(value)  # full precision: the log is compared across runs
    return str(value)


def read_log(path: Path) -> list[dict]:
    """The rows of a train_log.csv as dicts of numbers."""
    with open(path, encoding="utf-8", newline="") as fh:
        return [{k: float(v) if k not in ("step", "epoch") else int(v) for k, v in row.items()} for row in csv.DictReader(fh)]


def epoch_losses(path: Path) -> list[float]:
    """Each epoch's training loss, token-weighted over its steps (summed NLL / target tokens), from
    the log: a fairer first-vs-last comparison than two single batches, and the same after a resume."""
    totals: dict[int, list[float]] = {}
    for row in read_log(path):
        nll_tokens = totals.setdefault(row["epoch"], [0.0, 0.0])
        nll_tokens[0] += row["loss"] * row["target_tokens"]
        nll_tokens[1] += row["target_tokens"]
    return [nll / tokens for _, (nll, tokens) in sorted(totals.items()) if tokens > 0]
