"""The whole-process distinct benchmark (benchmarks/bench_distinct_process.py) on a tiny corpus: both processes
count the same n-grams (the script asserts it), and the ratios are those of its own timings."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_distinct_process.py"


def test_the_script_compares_both_processes_on_the_same_counts():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--tokens", "3000", "--repeat", "1", "--phases"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout[proc.stdout.index("{\n"):])
    assert result["tokens"] == 3000 and result["command"].startswith("synthdiv diversity FILE --metrics distinct")
    assert result["speedup"] == pytest.approx(result["reference_median_s"] / result["synthdiv_median_s"], abs=0.06)
    assert result["speedup_cpu"] == pytest.approx(
        statistics.median(result["cpu_s"]["reference"]) / statistics.median(result["cpu_s"]["synthdiv"]), abs=0.06)
    assert {"imports", "read", "tokenise", "count", "total before exit"} <= set(result["synthdiv_phases_s"])
