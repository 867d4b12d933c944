"""The bf16-against-fp32 evaluation benchmark (benchmarks/bench_eval_precision.py) on a tiny random Llama and four
corpus test stories: every variant is scored, and the differences from fp32 are those of its own rows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_eval_precision.py"


def test_each_variant_is_scored_against_fp32(tiny_model_dir):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--model", str(tiny_model_dir), "--n", "4", "--threads", "1"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    head, *rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert head["records"] == 4 and head["target_tokens"] > 0
    by_name = {r["variant"]: r for r in rows}
    assert list(by_name) == ["fp32", "bf16-autocast", "bf16-weights"]
    for name in ("bf16-autocast", "bf16-weights"):
        row = by_name[name]
        assert row["minus_fp32"] == pytest.approx(row["test_loss"] - by_name["fp32"]["test_loss"])
        assert 0 < abs(row["minus_fp32"]) < 0.05 and row["per_record_loss_diff"]["max_abs"] >= abs(row["minus_fp32"]) - 1e-12
