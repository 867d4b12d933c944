"""Checkpoints on a tiny torch module: the folder guard, rotation, and an exact restore."""

from __future__ import annotations

import json
import random

import pytest
import torch

from synthdiv.errors import UserError
from synthdiv.training import TrainConfig
from synthdiv.training.checkpoints import (
    STATE,
    Position,
    list_checkpoints,
    prepare_out,
    restore,
    run_fingerprint,
    save_after_step,
    save_checkpoint,
)


def _trained():
    """(model, optimizer, scheduler) of a linear layer with one frozen weight, one step in."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1))
    model[0].weight.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=0.1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 / (1 + step))
    model(torch.ones(4, 3)).sum().backward()
    optimizer.step()
    scheduler.step()
    return model, optimizer, scheduler


def _fingerprint(**settings) -> dict:
    return run_fingerprint(TrainConfig(model="tiny", **settings), None, world=1)


def _save(out, step: int, fingerprint: dict, keep: int = 5) -> None:
    state = {"step": step, "epoch": 0, "step_in_epoch": step, "loss": 1.0, "fingerprint": fingerprint}
    save_checkpoint(out / "checkpoints", *_trained(), state, keep)


def test_the_fingerprint_holds_the_settings_that_change_the_numbers():
    fp = _fingerprint(lr=5e-4)
    assert fp["config"]["lr"] == 5e-4 and fp["data"] is None and fp["world"] == 1
    assert fp == json.loads(json.dumps(fp))  # compared with the one read back from state.json
    assert _fingerprint(progress=False) == _fingerprint(progress=True)  # a progress bar is no other run


def test_without_resume_the_checkpoints_are_removed(tmp_path):
    _save(tmp_path, 1, _fingerprint())
    assert prepare_out(tmp_path, _fingerprint(), resume=False) is None
    assert not (tmp_path / "checkpoints").exists()


def test_the_newest_complete_checkpoint_is_resumed(tmp_path):
    assert prepare_out(tmp_path, _fingerprint(), resume=True) is None
    for step in (2, 10):
        _save(tmp_path, step, _fingerprint())
    (tmp_path / "checkpoints" / ".step-000011.partial").mkdir()  # a kill while saving
    (tmp_path / "checkpoints" / "step-000012").mkdir()  # no state.json: never complete
    assert [p.name for p in list_checkpoints(tmp_path / "checkpoints")] == ["step-000002", "step-000010"]
    assert prepare_out(tmp_path, _fingerprint(), resume=True) == tmp_path / "checkpoints" / "step-000010"


def test_a_folder_of_another_run_is_refused_naming_what_differs(tmp_path):
    _save(tmp_path, 1, _fingerprint())
    with pytest.raises(UserError, match="settings lr differ"):
        prepare_out(tmp_path, _fingerprint(lr=5e-4), resume=True)
    with pytest.raises(UserError, match="the training data differs"):
        prepare_out(tmp_path, _fingerprint() | {"data": "other"}, resume=True)


def test_only_the_newest_checkpoints_are_kept(tmp_path):
    for step in (1, 2, 3):
        _save(tmp_path, step, _fingerprint(), keep=2)
    assert [p.name for p in list_checkpoints(tmp_path / "checkpoints")] == ["step-000002", "step-000003"]


def test_restore_puts_back_weights_optimizer_scheduler_rng_and_position(tmp_path):
    class MainProcess:
        is_main_process = True

        def wait_for_everyone(self):
            pass

    model, optimizer, scheduler = _trained()
    fingerprint = _fingerprint()
    save_after_step(MainProcess(), tmp_path, Position(7, 1, 2), 0.5, fingerprint, model, optimizer, scheduler, keep=1)
    saved = json.loads((tmp_path / "checkpoints" / "step-000007" / STATE).read_text())
    assert saved == {"step": 7, "epoch": 1, "step_in_epoch": 2, "loss": 0.5, "fingerprint": fingerprint}
    expected = {
        "weights": {n: p.detach().clone() for n, p in model.named_parameters()},
        "lr": scheduler.get_last_lr(),
        "draws": (random.random(), torch.rand(3)),
    }

    other, other_optimizer, other_scheduler = _trained()
    other(torch.ones(4, 3)).sum().backward()
    other_optimizer.step()
    other_scheduler.step()
    assert restore(tmp_path, fingerprint, True, other, other_optimizer, other_scheduler) == Position(7, 1, 2)
    for name, value in other.named_parameters():
        torch.testing.assert_close(value, expected["weights"][name], atol=0, rtol=0)
    assert other_scheduler.get_last_lr() == expected["lr"]
    for mine, theirs in zip(other_optimizer.state_dict()["state"].values(), optimizer.state_dict()["state"].values()):
        assert mine.keys() == theirs.keys() and all(torch.equal(mine[k], theirs[k]) for k in mine)
    draws = (random.random(), torch.rand(3))
    assert draws[0] == expected["draws"][0] and torch.equal(draws[1], expected["draws"][1])


def test_only_the_main_process_writes_a_checkpoint(tmp_path):
    class OtherProcess:
        is_main_process = False
        waited = False

        def wait_for_everyone(self):
            self.waited = True

    process = OtherProcess()
    save_after_step(process, tmp_path, Position(1, 0, 1), 0.5, _fingerprint(), *_trained(), keep=1)
    assert process.waited and not (tmp_path / "checkpoints").exists()


def test_without_a_checkpoint_a_run_starts_at_the_beginning(tmp_path):
    assert restore(tmp_path, _fingerprint(), True, *_trained()) == Position(0, 0, 0)
