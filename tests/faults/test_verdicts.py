"""Verdicts that the data cannot carry are not given: ``compare`` on too few paired records says
"not resolved" and why, negative losses are refused, and ``ladder`` on one level twice gives no
"rises with level"."""

from __future__ import annotations

import json

import pytest
from faultkit import one_error_line

from synthdiv.stats.uncertainty import MIN_PAIRED_RECORDS


def _losses(path, nll, tokens=None):
    tokens = tokens or [10] * len(nll)
    path.write_text("".join(json.dumps({"id": f"r{i}", "nll": x, "tokens": t}) + "\n" for i, (x, t) in enumerate(zip(nll, tokens))))
    return path


@pytest.mark.parametrize("pairs", [1, 2, MIN_PAIRED_RECORDS - 1])
def test_compare_below_the_minimum_of_paired_records_is_not_resolved(pairs, cli, tmp_path):
    a = _losses(tmp_path / "a.jsonl", [10.0 + i for i in range(pairs)])
    b = _losses(tmp_path / "b.jsonl", [30.0 + i for i in range(pairs)])  # B far worse on every record
    code, out, err = cli("compare", a, b, "--json")
    result = json.loads(out)
    assert code == 0 and result["pairs"] == pairs
    assert result["verdict"] == (f"not resolved: {pairs} paired record{'s' if pairs > 1 else ''}, fewer than the "
                                 f"{MIN_PAIRED_RECORDS} a bootstrap interval needs (so few take few distinct resamples: "
                                 "the interval comes out too narrow and the p-value too small); compare on more test records")
    code, out, _ = cli("compare", a, b)
    assert code == 0 and out.splitlines()[-1] == result["verdict"] and "excludes 0" not in out


def test_compare_at_the_minimum_resolves_a_clear_difference(cli, tmp_path):
    n = MIN_PAIRED_RECORDS
    a = _losses(tmp_path / "a.jsonl", [10.0 + (i % 3) for i in range(n)])
    b = _losses(tmp_path / "b.jsonl", [30.0 + (i % 3) for i in range(n)])
    code, out, _ = cli("compare", a, b, "--json")
    assert code == 0 and json.loads(out)["verdict"] == "B has a higher test loss than A: the interval excludes 0"


def test_compare_refuses_a_negative_nll(cli, tmp_path):
    a = _losses(tmp_path / "a.jsonl", [10.0] * 30)
    b = _losses(tmp_path / "b.jsonl", [10.0] * 29 + [-5.0])
    code, out, err = cli("compare", a, b)
    assert code == 2 and out == ""
    assert one_error_line(err) == (f"error: {b}:30: 'nll' must be a finite number, 0 or more: the summed negative "
                                   "log-likelihood of the record's target tokens (got -5.0)")


def test_ladder_on_one_level_twice_gives_no_rising_verdict(cli, tmp_path, real_file):
    files = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    for seed, out in enumerate(files):  # two D3 sets of the same generator (two seeds)
        code, _, err = cli("generate", "--backend", "dummy", "--model", "dummy", "--topics", "builtin", "--level", "D3", "--n", "12",
                           "--seed", seed, "--real", real_file, "--out", out, "--cache-dir", tmp_path / "cache", "--no-progress")
        assert code == 0, err
    code, out, err = cli("ladder", *files, "--real", real_file, "--embedder", "none", "--draws", "20")
    assert code == 0, err
    verdict = [line for line in out.splitlines() if line.startswith("ladder, ")]
    assert verdict == ["ladder, size-matched distinct 1-5 sum: no verdict: D3 is given twice; a ladder needs one set per level, "
                       "two levels at least"]
    assert "rises" not in out
