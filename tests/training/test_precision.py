"""bf16 mixed precision: where it is allowed, what ``auto`` resolves to, and a bf16 run on the CPU against fp32.

The CPU's bf16 support is monkeypatched: these tests run alike on a CPU with AVX512-BF16 and on one
without (torch emulates bf16 there, slowly, which a 2-layer model of width 32 does not notice)."""

from __future__ import annotations

import json
import math

import pytest
import torch

import synthdiv.training.precision as precision
from synthdiv.errors import UserError
from synthdiv.training import TrainConfig
from synthdiv.training.recipe import train


@pytest.fixture
def cpu_only(monkeypatch):
    """A machine without a GPU, whose CPU's bf16 support the test sets with ``cpu_only(True/False)``."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)

    def with_bf16(has: bool) -> None:
        monkeypatch.setattr(precision, "cpu_has_bf16", lambda: has)

    return with_bf16


def _cfg(**kw) -> TrainConfig:
    base = {"model": "tiny", "batch_size": 4, "progress": False, "checkpoint_every": 0, "lora_dropout": 0.0, "lr": 1e-2}
    return TrainConfig(**(base | kw))


@pytest.mark.parametrize("flags,has", [
    ("fpu vme avx avx2 fma", False),  # AVX2 only (AMD Zen 3): torch emulates bf16
    ("fpu avx512f avx512_bf16 avx512_vnni", True),  # AMD Zen 4, Intel Cooper Lake
    ("fpu avx512f amx_bf16 amx_tile", True),  # Intel Sapphire Rapids
])  # fmt: skip
def test_cpu_bf16_is_read_from_the_cpu_flags(flags, has, tmp_path, monkeypatch):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: some cpu\nflags\t\t: {flags}\n\nprocessor\t: 1\nflags\t\t: {flags}\n")
    monkeypatch.setattr(precision, "CPUINFO", cpuinfo)
    assert precision.cpu_has_bf16() is has
    monkeypatch.setattr(precision, "CPUINFO", tmp_path / "absent")  # macOS, Windows: no /proc
    assert precision.cpu_flags() == set() and precision.cpu_has_bf16() is False


def test_bf16_on_a_cpu_without_it_is_one_user_error(cpu_only):
    cpu_only(False)
    with pytest.raises(UserError, match="AVX512-BF16 or AMX-BF16") as err:
        precision.resolve_precision("bf16")
    assert err.value.field == "precision" and "use fp32" in str(err.value)
    assert precision.resolve_precision("auto") == precision.resolve_precision("fp32") == "fp32"


def test_auto_stays_fp32_on_a_bf16_cpu_and_bf16_must_be_asked_for(cpu_only):
    """``auto`` is in the stage key as written: resolving it to bf16 on some CPUs would give one key two computations."""
    cpu_only(True)
    assert precision.resolve_precision("auto") == "fp32"
    assert precision.resolve_precision("bf16") == "bf16"


def test_auto_is_bf16_on_a_gpu_that_supports_it(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    assert precision.resolve_precision("auto") == precision.resolve_precision("bf16") == "bf16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)  # a pre-Ampere GPU
    assert precision.resolve_precision("auto") == "fp32"
    with pytest.raises(UserError, match="GPU that supports it"):
        precision.resolve_precision("bf16")


def test_bf16_training_on_a_cpu_is_close_to_fp32(cpu_only, tiny_llama, tmp_path, records_of):
    """Two steps in each precision from the same LoRA initialisation: the step losses agree to bf16's rounding
    (measured: 4e-5 nats on this model; bf16 keeps 8 bits of mantissa, ~4e-3 relative per product), the weights
    the run leaves stay fp32 (an evaluation after it is exact), and the run says what it used."""
    import copy

    cpu_only(True)
    model, tok = tiny_llama
    runs = {prec: train(records_of(8), _cfg(precision=prec, max_steps=2), tmp_path / prec, model=copy.deepcopy(model), tokenizer=tok)
            for prec in ("fp32", "bf16")}
    fp32, bf16 = runs["fp32"], runs["bf16"]
    assert (fp32.precision, bf16.precision) == ("fp32", "bf16") and bf16.steps == 2
    for attr in ("first_loss", "final_loss"):
        a, b = getattr(fp32, attr), getattr(bf16, attr)
        assert math.isfinite(b) and b == pytest.approx(a, abs=2e-2)
    assert fp32.final_loss != bf16.final_loss  # bf16 did run: the products were rounded
    assert {p.dtype for p in bf16.model.parameters()} == {torch.float32}
    saved = json.loads((tmp_path / "bf16" / "train_config.json").read_text())
    assert saved["config"]["precision"] == "bf16" and saved["run"]["precision"] == "bf16"


def test_train_cli_refuses_bf16_on_a_cpu_without_it_in_one_line(cpu_only, tiny_model_dir, tmp_path, capsys, records_of):
    from synthdiv.cli.main import main
    from synthdiv.data.records_io import write_records

    cpu_only(False)
    train_file, out = tmp_path / "train.jsonl", tmp_path / "run"
    write_records(records_of(4), train_file)
    code = main(["train", "--train", str(train_file), "--model", str(tiny_model_dir), "--out", str(out), "--precision", "bf16",
                 "--no-progress"])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: --precision:") and "AVX512-BF16" in err[0]
    assert not out.exists()  # refused before anything was written
