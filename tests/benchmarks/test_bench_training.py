"""The training benchmark (benchmarks/bench_training.py) on a tiny random Llama: both recipes train on the same
real stories, the matmul peaks are measured, and the summary gives tokens/s, MFU and the profile's shares.
The numbers of a tiny model mean nothing; the test checks that the script runs and says what it measured."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_training.py"


def _root_conftest():
    """tests/conftest.py by its path: every test folder has a conftest.py, so ``import conftest`` gets whichever
    pytest imported last."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("synthdiv_tests_conftest", Path(__file__).resolve().parents[1] / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def lines(story_cloze_csv, tmp_path_factory, tiny_tokenizer):
    folder = tmp_path_factory.mktemp("bench") / "tiny-llama"
    tokenizer = tiny_tokenizer
    model = _root_conftest().build_tiny_model("llama", len(tokenizer))
    model.config.pad_token_id, model.config.eos_token_id = tokenizer.pad_token_id, tokenizer.eos_token_id
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    cmd = [sys.executable, str(SCRIPT), "--model", str(folder), "--data", str(story_cloze_csv), "--steps", "3", "--batch-size", "4",
           "--max-length", "64", "--repeat", "1", "--profile", "2", "--precision", "fp32", "--peak-size", "256"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith('{"')]  # Trainer prints its own dicts too


def test_both_recipes_train_on_the_same_stories_and_the_summary_has_mfu(lines):
    head = next(x for x in lines if "machine" in x)
    assert head["records"] == 12 and head["baseline_padding"] == "longest"
    assert head["machine"]["matmul_gflops"]["fp32"] > 0 and head["machine"]["matmul_gflops"]["bf16"] > 0
    rep = next(x for x in lines if "rep" in x)
    assert rep["baseline"]["tokens"] > 0 and rep["ours"]["tokens"] > 0 and rep["baseline"]["padded_tokens"] is None
    summary = next(x for x in lines if x.get("summary") == "fp32")
    for side in ("baseline_best", "ours_best"):
        run = summary[side]
        assert run["model_gflops"] == pytest.approx(run["tokens_per_s"] * 4 * run["n_params"] / 1e9)
        assert run["mfu"] == pytest.approx(run["model_gflops"] / summary["peak_gflops"])


def test_the_profile_splits_the_time_into_shares(lines):
    profile = next(x for x in lines if "profile" in x)["profile"]
    assert sum(profile["shares"].values()) == pytest.approx(1.0)
    assert profile["top"] and profile["shares"]["matrix products"] > 0
