"""The GPU check (benchmarks/gpu_check.py) in its --smoke mode: tiny random models on the CPU, so
we know the script a GPU machine will run works end to end and writes its JSON and tables."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def gpu_check(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import gpu_check

    yield gpu_check
    for name in ("gpu_check", "_gpu_setup", "_gpu_train", "_gpu_infer", "_trainer_baseline"):
        sys.modules.pop(name, None)


def test_smoke_run_measures_each_section_and_writes_json_and_tables(gpu_check, tmp_path):
    # the two-process section starts torchrun (seconds of imports) and the embedding one a model: left out here
    code = gpu_check.main(["--smoke", "--out", str(tmp_path), "--skip", "train_2proc", "embedding"])
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    sections = report["sections"]
    assert code == 0, {n: s.get("reason") for n, s in sections.items()}
    assert list(sections) == ["env", "train", "batch_invariance", "generation"]
    assert all(s["status"] == "ok" for s in sections.values())
    train = sections["train"]["rows"]
    assert [r["shape"] for r in train] == ["tiny-gpt2", "tiny-llama"]
    for row in train:
        for run in (row["ours"], row["trainer_peft"]):
            assert run["tokens_per_s"] > 0 and run["steps_timed"] == 3
        assert row["speedup"] == pytest.approx(row["ours"]["tokens_per_s"] / row["trainer_peft"]["tokens_per_s"])
    inv = sections["batch_invariance"]
    assert [r["batch_size"] for r in inv["rows"]] == [1, 8, 64] and inv["passed"] and inv["max_test_loss_difference"] <= 1e-4
    gen = sections["generation"]["rows"]
    assert [(r["batch_size"], r["new_tokens"]) for r in gen] == [(1, 8), (32, 256), (128, 1024)]
    table = (tmp_path / "gpu_check.md").read_text()
    assert "| tiny-llama | synthdiv |" in table and "| tiny-llama | HF Trainer + PEFT |" in table
    assert "## Test loss at several batch sizes (tiny-llama, float32; tolerance 0.0001: passed" in table


def test_without_a_gpu_every_measuring_section_is_skipped_with_its_reason(gpu_check, tmp_path, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    code = gpu_check.main(["--out", str(tmp_path), "--skip", "embedding"])
    sections = json.loads((tmp_path / "gpu_check.json").read_text())["sections"]
    assert code == 0 and sections["env"]["status"] == "ok" and sections["env"]["devices"] == []
    for name in ("train", "train_2proc", "batch_invariance", "generation"):
        assert sections[name] == {"status": "skipped", "reason": "no CUDA device (run with --smoke to check the script on a CPU)",
                                  "seconds": sections[name]["seconds"]}
    assert "* train: skipped: no CUDA device" in (tmp_path / "gpu_check.md").read_text()


def test_a_failing_section_is_recorded_and_the_others_still_run(gpu_check, tmp_path, monkeypatch):
    def broken(args, plan, state):
        raise ValueError("out of memory, say")

    monkeypatch.setitem(gpu_check.RUNNERS, "generation", broken)
    code = gpu_check.main(["--smoke", "--out", str(tmp_path), "--only", "generation", "batch_invariance"])
    sections = json.loads((tmp_path / "gpu_check.json").read_text())["sections"]
    assert code == 1
    assert sections["generation"]["status"] == "failed" and sections["generation"]["reason"] == "ValueError: out of memory, say"
    assert sections["batch_invariance"]["status"] == "ok"
    assert "* generation: failed: ValueError: out of memory, say" in (tmp_path / "gpu_check.md").read_text()
