"""``synthdiv topics`` as a hostile user runs it: a model that runs dry, a size it can never reach,
money options, a dry run, and thresholds out of range. It stops when the growth stalls, never
passes the request cap derived from the size, and ends like generate: exit 3 on a short pool, 2 on
an empty one."""

from __future__ import annotations

import re

import pytest
from faultkit import last_error_line, one_error_line, tree

from synthdiv.backends.dummy import DummyBackend
from synthdiv.generation.cache import ResponseCache
from synthdiv.generation.topic_tree import STALL_WINDOW, request_budget

DUMMY = ["topics", "--backend", "dummy", "--model", "dummy", "--embedder", "none"]  # the dummy knows 600 topics at most


def _requests(stdout: str) -> int:
    return int(re.search(r"\((\d+) requests", stdout).group(1))


@pytest.mark.parametrize("size", [10_000, 100_000_000])
def test_a_growth_that_runs_dry_stops_and_exits_3_with_the_pool_written(size, cli, tmp_path):
    out = tmp_path / "pool.txt"
    code, stdout, err = cli(*DUMMY, "--size", size, "--out", out, "--cache-dir", tmp_path / "cache")
    line = last_error_line(err)
    assert code == 3 and line.startswith(f"error: only 612 of {size} topics were grown (the growth stalled: its last ")
    assert f"and {out} holds them" in line and line.endswith("or pass --allow-partial to accept fewer")
    assert stdout.startswith(f"612 of {size} distinct topics -> {out}")
    assert _requests(stdout) < 2000  # the old growth sent 4,020 (and past 668,000 for 10^8) at 98 % duplicates
    assert len(out.read_text().splitlines()) == 613  # the header and every topic made
    assert f"at most {request_budget(size)} requests (the cap for --size {size})" in err


def test_allow_partial_accepts_a_short_pool(cli, tmp_path):
    code, stdout, err = cli(*DUMMY, "--size", 10_000, "--out", tmp_path / "pool.txt", "--cache-dir", tmp_path / "c", "--allow-partial")
    assert code == 0 and "warning: the pool reached 612 of 10000 topics (the growth stalled" in err


def test_the_request_cap_comes_from_the_size(cli, tmp_path):
    # 600 asks for nearly all the dummy knows: slow growth, never a stall, so the cap derived from the size stops it
    code, stdout, err = cli(*DUMMY, "--size", 600, "--out", tmp_path / "pool.txt", "--cache-dir", tmp_path / "c")
    assert code == 3 and _requests(stdout) == request_budget(600) < STALL_WINDOW * 3
    assert f"the request cap for 600 topics ({request_budget(600)} requests) was reached" in last_error_line(err)


def test_an_empty_pool_is_exit_2_and_writes_nothing(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(DummyBackend, "respond", lambda self, messages, sample, params: "")
    code, stdout, err = cli(*DUMMY, "--size", 50, "--out", tmp_path / "pool.txt", "--cache-dir", tmp_path / "c")
    line = last_error_line(err)
    assert code == 2 and line.startswith("error: the model produced no usable topics in ") and "nothing was written" in line
    assert not (tmp_path / "pool.txt").exists() and stdout == ""


COST = ["--price-in", "0", "--price-out", "1000000", "--max-cost", "1000"]  # 1 USD a completion token: 200 USD a request at most


def test_the_cost_cap_stops_the_growth_and_a_rerun_sends_nothing(cli, tmp_path):
    args = [*DUMMY, "--size", 150, "--out", tmp_path / "pool.txt", "--cache-dir", tmp_path / "cache", *COST]
    code, stdout, err = cli(*args)
    line = last_error_line(err)
    made = re.search(r"stopped at the cost cap: (\d+) of 150 topics made", line)
    assert code == 3 and made and 0 < int(made.group(1)) < 150 and "over the 1000.0000 USD cap" in line
    answered = len(ResponseCache(tmp_path / "cache"))
    assert 0 < float(re.search(r"cost: ([\d.]+) \(at the configured prices", stdout).group(1)) <= 1000
    code, stdout, err = cli(*args)
    assert code == 3 and f"stopped at the cost cap: {made.group(1)} of 150 topics made" in last_error_line(err)
    assert "cost: 0.0000 (at the configured prices" in stdout and len(ResponseCache(tmp_path / "cache")) == answered


def test_a_dry_run_prints_the_cap_and_its_cost_and_writes_nothing(cli, tmp_path):
    code, stdout, err = cli(*DUMMY, "--size", 10_000, "--out", tmp_path / "pool.txt", "--cache-dir", tmp_path / "cache",
                            "--price-in", "1", "--price-out", "2", "--max-cost", "5", "--dry-run")
    assert code == 0, err
    assert f"requests: at most {request_budget(10_000)} (the request cap for --size 10000 at --per-request 10)" in stdout
    assert "completion tokens: at most 804000 (--max-tokens 200 per request" in stdout and "cost: at most " in stdout
    assert "cap: --max-cost 5 USD stops the growth" in stdout
    assert tree(tmp_path) == []


@pytest.mark.parametrize(("args", "line"), [
    (["--price-in", "nan", "--price-out", "1"], "error: --price-in: must be a finite price in USD per 1M tokens, 0 or more (got nan)"),
    (["--max-cost", "3"], "error: --max-cost (generation.max_cost): a cap needs prices and there is no built-in price for 'dummy' "
                          "on dummy: pass --price-in/--price-out (generation.price_in/price_out)"),
    (["--near-duplicate-threshold", "-1"], "error: --near-duplicate-threshold: must be a cosine similarity in (0, 1] (got -1.0; "
                                            "0.9 is the measured default)"),
    (["--near-duplicate-threshold", "1.5"], "error: --near-duplicate-threshold: must be a cosine similarity in (0, 1] (got 1.5; "
                                             "0.9 is the measured default)"),
    (["--near-duplicate-threshold", "nan"], "error: --near-duplicate-threshold: must be a cosine similarity in (0, 1] (got nan; "
                                             "0.9 is the measured default)"),
    (["--per-request", "0"], "error: --per-request: must be at least 1 (got 0)"),
], ids=["price-nan", "cap-without-price", "threshold-negative", "threshold-above-1", "threshold-nan", "per-request-0"])
def test_bad_values_are_one_line_before_any_work(args, line, cli, tmp_path):
    for dry in ([], ["--dry-run"]):
        code, stdout, err = cli(*DUMMY, "--size", 50, "--out", tmp_path / "pool.txt", "--cache-dir", tmp_path / "c", *args, *dry)
        assert (code, one_error_line(err)) == (2, line) and stdout == ""
    assert tree(tmp_path) == []
