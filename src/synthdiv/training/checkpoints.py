"""Checkpoints that let a killed run resume exactly where it stopped, and the guard of its folder.

A checkpoint folder ``OUT/checkpoints/step-000120/`` holds the trainable (LoRA)
weights, the optimizer and scheduler states, every random-number generator
state, and the data position (epoch, optimizer step within the epoch). The
batch order of an epoch is a pure function of (seed, epoch), so the position
is enough to skip the batches already seen. A checkpoint is written to a
hidden ``.partial`` folder and renamed into place: a kill while saving leaves
the previous checkpoint intact and no half-written one that looks complete.

Each checkpoint also records the run's fingerprint (its settings, data and
number of processes): a folder is resumed only by the same run, never mixed
with another one. With several processes it keeps every process's random-number
states (each draws its own dropout masks), so each resumes its own stream.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from synthdiv.errors import UserError
from synthdiv.training.config import TrainConfig
from synthdiv.training.encoding import EncodedSet

if TYPE_CHECKING:
    import torch

STATE = "state.json"
FOLDER = "checkpoints"  # inside the run's output folder


class Position(NamedTuple):
    """Where an optimizer step starts: how many steps are done, and the epoch and step inside it.
    A checkpoint stores the position of the step after it."""

    step: int
    epoch: int
    step_in_epoch: int


def run_fingerprint(config: TrainConfig, data: EncodedSet | None, world: int) -> dict:
    """What a checkpoint must match to be resumed: the settings that change the numbers, the data, the processes."""
    return json.loads(json.dumps({"config": config.computation(), "data": data and data.fingerprint(), "world": world}))


def prepare_out(out: Path, fingerprint: dict, resume: bool) -> Path | None:
    """The checkpoint to resume from, if any; refuses to mix two different runs in one folder.
    Called twice: with the settings only (before the model loads, to fail fast) and with the data."""
    root = out / FOLDER
    if not resume:
        shutil.rmtree(root, ignore_errors=True)
        return None
    ckpts = list_checkpoints(root)
    if not ckpts:
        return None
    saved = json.loads((ckpts[-1] / STATE).read_text(encoding="utf-8"))["fingerprint"]
    changed = [k for k in fingerprint["config"] if saved["config"].get(k) != fingerprint["config"][k]]
    if changed or any(saved.get(k) != v for k, v in fingerprint.items()):
        if changed:
            what = f"settings {', '.join(changed)} differ"
        elif saved.get("world") != fingerprint.get("world"):
            what = f"it ran in {saved.get('world')} processes, this run in {fingerprint.get('world')}: rerun with --processes {saved.get('world')}"
        else:
            what = "the training data differs"
        raise UserError(
            f"this folder holds checkpoints of a different run ({what}); use a new --out folder, or --overwrite to start over",
            where=str(out),
        )
    return ckpts[-1]


def restore(out: Path, fingerprint: dict, resume: bool, model, optimizer, scheduler, rank: int = 0) -> Position:
    """The position of the newest checkpoint in ``out``, its weights, optimizer, scheduler and RNG
    states (process ``rank``'s) loaded in place; the start when there is none (or ``resume`` is off)."""
    ckpt = prepare_out(out, fingerprint, resume)
    if ckpt is None:
        return Position(0, 0, 0)
    state = load_checkpoint(ckpt, model, optimizer, scheduler, rank=rank)
    return Position(state["step"], state["epoch"], state["step_in_epoch"])


def save_after_step(accelerator, out: Path, at: Position, loss: float, fingerprint: dict, model, optimizer, scheduler, keep: int,
                    rng_by_rank: list[dict] | None = None) -> None:
    """A checkpoint after ``at.step`` optimizer steps, written by the main process once every process
    is there; it holds the (epoch, step in epoch) of the next step, so a resume neither repeats nor skips a batch.
    ``rng_by_rank``: every process's random-number states (several processes), else the main one's are kept."""
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        state = {"step": at.step, "epoch": at.epoch, "step_in_epoch": at.step_in_epoch, "loss": loss, "fingerprint": fingerprint}
        save_checkpoint(out / FOLDER, model, optimizer, scheduler, state, keep, rng_by_rank)
    accelerator.wait_for_everyone()  # no process runs ahead of a checkpoint that a kill may need


def save_checkpoint(root: Path, model, optimizer, scheduler, state: dict, keep: int, rng_by_rank: list[dict] | None = None) -> Path:
    """Write checkpoint ``step-{state['step']}`` under ``root``; keep the newest ``keep``."""
    import torch
    from safetensors.torch import save_file

    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step-{state['step']:06d}"
    tmp = root / f".{final.name}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    save_file(trainable_state(model), str(tmp / "trainable.safetensors"))
    blob = {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "rng": rng_state()}
    if rng_by_rank is not None:
        blob["rng_by_rank"] = rng_by_rank
    torch.save(blob, tmp / "training_state.pt")
    (tmp / STATE).write_text(json.dumps(state, indent=2), encoding="utf-8")
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    for old in list_checkpoints(root)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def list_checkpoints(root: Path) -> list[Path]:
    """Complete checkpoints, oldest first (a .partial folder is never complete)."""
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and p.name.startswith("step-") and (p / STATE).exists()]
    return sorted(found, key=lambda p: int(p.name.split("-")[1]))


def load_checkpoint(path: Path, model, optimizer, scheduler, rank: int = 0) -> dict:
    """Restore weights, optimizer, scheduler and (process ``rank``'s) RNG states in place; return the saved state dict."""
    import torch
    from safetensors.torch import load_file

    from synthdiv.backends.base import check_safetensors

    fix = f"delete {path} and rerun: training resumes from the checkpoint before it, or from the start"
    check_safetensors(path / "trainable.safetensors", fix=fix)  # damaged on disk: one line, not a traceback
    weights = load_file(str(path / "trainable.safetensors"))
    params = dict(model.named_parameters())
    missing = [n for n, p in params.items() if p.requires_grad and n not in weights]
    if missing or any(n not in params for n in weights):
        raise UserError(
            "checkpoint does not match this model's trainable weights; resume with the same model and LoRA settings, "
            "or train into a new --out folder",
            where=str(path),
        )
    with torch.no_grad():
        for name, value in weights.items():
            params[name].copy_(value)
    try:
        blob = torch.load(path / "training_state.pt", weights_only=False)
    except (RuntimeError, EOFError, ValueError, pickle.UnpicklingError) as exc:  # truncated or not a torch file
        raise UserError(f"training_state.pt cannot be read ({type(exc).__name__}); {fix}", where=str(path)) from None
    optimizer.load_state_dict(blob["optimizer"])
    scheduler.load_state_dict(blob["scheduler"])
    by_rank = blob.get("rng_by_rank") or [blob["rng"]]
    _set_rng_state(by_rank[rank] if rank < len(by_rank) else blob["rng"])
    return json.loads((path / STATE).read_text(encoding="utf-8"))


def trainable_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.detach().cpu().contiguous() for n, p in model.named_parameters() if p.requires_grad}


def rng_state() -> dict:
    import numpy as np
    import torch

    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict) -> None:
    import numpy as np
    import torch

    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
