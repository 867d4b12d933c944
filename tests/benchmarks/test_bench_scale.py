"""The scale benchmark (benchmarks/bench_scale.py) at a tiny size: every stage asked for gets a row,
measured in a process of its own, with a time and a peak memory, and the table and exponents print."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_scale.py"
STAGES = ("convert-csv", "mix", "compare", "trends-plane")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = tmp_path_factory.mktemp("scale")
    cmd = [sys.executable, str(SCRIPT), "--sizes", "150", "300", "--big-sizes", "--stages", *STAGES, "--workdir", str(work),
           "--markdown", str(work / "table.md")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    rows = [json.loads(line) for line in lines if line.startswith('{"stage"')]
    summary = next(json.loads(line) for line in lines if line.startswith('{"baseline_peak_rss_mb"'))
    return rows, summary, (work / "table.md").read_text()


def test_each_stage_and_size_gets_a_row_with_positive_time_and_memory(run):
    rows, _, _ = run
    measured = {(r["stage"], r["size"]): r for r in rows if r["stage"] != "baseline"}
    assert set(measured) == {(s, n) for s in STAGES for n in (150, 300)}
    for row in measured.values():
        assert row["exit"] == 0, row.get("error")
        assert row["seconds"] > 0 and row["peak_rss_mb"] > 0


def test_the_fit_and_the_table_cover_every_stage(run):
    _, summary, table = run
    assert summary["baseline_peak_rss_mb"] > 0
    assert set(summary["exponents"]) == set(STAGES)
    assert all(isinstance(e["time_exponent"], float) for e in summary["exponents"].values())
    for stage in STAGES:
        assert f"| {stage} |" in table
