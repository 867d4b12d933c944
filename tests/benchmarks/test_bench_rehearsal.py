"""The rehearsal benchmark's summary: stage shares from a run's log, training tokens from its store, the
extrapolation's arithmetic (the run itself takes most of an hour: docs/benchmarks/rehearsal.md)."""

import importlib.util
import json
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location("bench_rehearsal", Path(__file__).parents[2] / "benchmarks" / "bench_rehearsal.py")
bench = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bench)

LOG = """[run] 3/50 grow a topic pool of 10000 (seed 0): finished in 20.0 s
[run] 4/50 generate Gen-D0 (seed 0): finished in 24.5 s
[run] 5/50 generate Gen-D1 (seed 0): finished in 25.5 s
[run] 6/50 train smollm2-tiny on Gen-D0 (seed 0): finished in 30.0 s
[run] 7/50 mix Gen-D0 (seed 0): done before, reused (mix/abc)
"""


def _stage(store: Path, key: str, role: str, records: int, tokens_per_s: float, seconds: float) -> None:
    folder = store / "train" / key
    folder.mkdir(parents=True)
    summary = {"records": records, "tokens_per_s": tokens_per_s, "elapsed_s": seconds, "epochs": 1}
    (folder / "done.json").write_text(json.dumps({"node": {"info": {"dataset": key, "role": role}}, "summary": summary}))


def test_the_summary_counts_shares_tokens_and_the_papers_flops(tmp_path):
    assert bench.stage_shares(LOG) == {"grow": (1, 20.0), "generate": (2, 50.0), "train": (1, 30.0)}  # reused: not counted
    _stage(tmp_path, "real", "real", 100, 1000.0, 13.0)
    _stage(tmp_path, "Gen-D0", "generated", 200, 2000.0, 10.0)  # 20,000 tokens: 100 a record
    rows = bench.training_tokens(tmp_path)
    assert sorted(r["tokens"] for r in rows) == [13_000, 20_000]
    (gpt2, *_) = bench.extrapolate(rows, 1e11, 1e14)
    train_tokens = 8 * 30_000 * 3 * 100
    assert gpt2["train_tokens"] == train_tokens and gpt2["eval_tokens"] == 8 * 10_000 * 100
    flops = 4 * 124.4e6 * train_tokens + 2 * 124.4e6 * 8 * 10_000 * 100
    assert gpt2["pflop"] == pytest.approx(flops / 1e15) and gpt2["hours"] == pytest.approx(flops / 1e11 / 3600)
    assert gpt2["gpu_hours"] == pytest.approx(flops / 1e14 / 3600)
    text = bench.report(LOG, tmp_path, 600.0, 2048.0, 1e11, 1e14)
    assert "wall 10.0 min, peak memory of the process tree 2.00 GB" in text and "| generate | 2 | 50.0 | 50.0 % |" in text
