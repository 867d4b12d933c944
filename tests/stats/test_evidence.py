"""Intervals, seed aggregates, trends and findings of a sweep."""

from __future__ import annotations

import json

import numpy as np
import pytest

from synthdiv.cli.main import main
from synthdiv.experiments.runner import format_aggregate, run_experiment
from synthdiv.experiments.spec import load_spec
from synthdiv.stats.evidence import PerRecord, aggregate, annotate
from synthdiv.stats.findings import CONTRADICTED, SUPPORTED, UNRESOLVED, claim_c2, judge, resolution
from synthdiv.stats.sweep_trends import LOSS_VS_LEVEL, LOSS_VS_RATIO, loss_trends
from synthdiv.stats.uncertainty import paired_difference


def _losses(rng, n: int, shift: float) -> PerRecord:
    tokens = rng.integers(5, 30, size=n).astype(float)
    nll = tokens * (3.0 + shift + rng.normal(0, 0.3, size=n))
    return PerRecord(tuple(f"r{i:03d}" for i in range(n)), nll, tokens)


def _row(role, level="", seed=0, ratio=None, model="m", size=None, **kw):
    return {"model": model, "seed": seed, "role": role, "level": level, "mode": "fixed", "dataset": role if not level else f"Gen-{level}",
            "ratio": ratio, "size_asked": size, **kw}


def _sweep(shifts: dict[str, float], seeds=(0,), n=300, seed=0):
    """Results rows and per-record losses: base, real and one row per generated level, on one test set."""
    rng = np.random.default_rng(seed)
    shared = _losses(rng, n, 0.0)
    results, losses = [], []
    for s in seeds:
        for role, level, shift in [("base", "", 0.5), ("real", "", 0.0)] + [("generated", lv, v) for lv, v in shifts.items()]:
            noise = rng.normal(0, 0.05, size=n) * shared.tokens
            per = PerRecord(shared.ids, shared.nll + shared.tokens * (shift + 0.01 * s) + noise, shared.tokens)
            results.append(_row(role, level, seed=s, ratio=1.0 if level else 0.0, test_loss=float(per.nll.sum() / per.tokens.sum()),
                                test_samples=n, test_tokens=int(per.tokens.sum())))
            losses.append(per)
    return results, losses


def test_annotate_pairs_each_model_with_its_real_twin_and_the_base_model():
    results, losses = _sweep({"D0": 0.10, "D3": 0.05})
    annotate(results, losses, resamples=500)
    real = next(r for r in results if r["role"] == "real")
    for row, per in zip(results, losses):
        assert row["test_loss_ci_low"] <= row["test_loss"] <= row["test_loss_ci_high"]
        if row["role"] == "generated":
            expected = paired_difference(losses[1].nll, losses[1].tokens, per.nll, per.tokens, resamples=500)
            assert row["delta_vs_real"] == pytest.approx(row["test_loss"] - real["test_loss"], abs=1e-12)
            assert (row["delta_vs_real_ci_low"], row["delta_vs_real_ci_high"]) == (expected.ci_low, expected.ci_high)
            assert row["delta_vs_real_ci_low"] > 0  # a shift of 0.05 nats per token on 300 records is resolved
        if row["role"] in ("real", "base"):
            assert row["delta_vs_real"] is None  # real is its own reference; the base model has no training set
    assert real["delta_vs_base"] == pytest.approx(real["test_loss"] - results[0]["test_loss"], abs=1e-12)


def test_no_interval_when_losses_were_not_kept_or_test_sets_differ():
    results, losses = _sweep({"D0": 0.1})
    other = PerRecord(tuple(f"x{i}" for i in range(len(losses[2].ids))), losses[2].nll, losses[2].tokens)
    annotate(results, [losses[0], None, other], resamples=200)
    assert results[1]["test_loss_ci_low"] is None and results[2]["delta_vs_real"] is None


def test_aggregate_over_seeds_pairs_seed_with_seed():
    results, losses = _sweep({"D3": 0.05}, seeds=(0, 1, 2))
    annotate(results, losses, resamples=300)
    agg = {a["dataset"]: a for a in aggregate(results, losses, resamples=300)}
    gen = agg["Gen-D3"]
    assert gen["seeds"] == 3 and gen["seed_ids"] == "0 1 2"
    mean = np.mean([r["test_loss"] for r in results if r["dataset"] == "Gen-D3"])
    assert gen["test_loss"] == pytest.approx(mean)
    assert gen["test_loss_ci_low"] < mean < gen["test_loss_ci_high"]
    real_mean = np.mean([r["test_loss"] for r in results if r["role"] == "real"])
    assert gen["delta_vs_real"] == pytest.approx(mean - real_mean)
    assert gen["delta_vs_real_ci_low"] > 0
    # every seed's row carries the interval of its group's mean, for the figures
    assert all(r["test_loss_mean_ci_low"] == gen["test_loss_ci_low"] for r in results if r["dataset"] == "Gen-D3")
    line = next(x for x in format_aggregate(list(agg.values())).splitlines() if "Gen-D3" in x)
    assert f"{mean:.4f} [{gen['test_loss_ci_low']:.4f}, {gen['test_loss_ci_high']:.4f}]" in line and " 3 " in line


def test_loss_trend_across_levels_finds_a_monotone_fall():
    results, losses = _sweep({"D0": 0.20, "D2": 0.12, "D4": 0.06, "D6": 0.0})
    trend = next(t for t in loss_trends(results, losses, resamples=400) if t["trend"] == LOSS_VS_LEVEL)
    assert trend["x"] == "D0 D2 D4 D6" and trend["points"] == 4
    assert trend["rho"] == pytest.approx(-1.0) and trend["ci_high"] < 0 and trend["direction"] == "decreasing"


def test_loss_trend_across_ratios_includes_real_alone_as_ratio_zero():
    results, losses = _sweep({"D6": 0.3})
    rng = np.random.default_rng(3)
    for ratio, shift in ((0.25, 0.08), (0.5, 0.15)):
        per = PerRecord(losses[1].ids, losses[1].nll + losses[1].tokens * (shift + rng.normal(0, 0.01, len(losses[1].ids))), losses[1].tokens)
        results.append({**_row("mix", "D6", ratio=ratio), "test_loss": float(per.nll.sum() / per.tokens.sum())})
        losses.append(per)
    trend = next(t for t in loss_trends(results, losses, resamples=400) if t["trend"] == LOSS_VS_RATIO)
    assert trend["x"] == "0.00 0.25 0.50 1.00" and trend["direction"] == "increasing"


# ----- findings on hand-made aggregate tables -----------------------------------------------
def _agg(level, delta, lo, hi, **kw):
    return {"model": "m", "dataset": f"Gen-{level}", "role": "generated", "level": level, "mode": "fixed", "seeds": 1,
            "delta_vs_real": delta, "delta_vs_real_ci_low": lo, "delta_vs_real_ci_high": hi, **kw}


@pytest.mark.parametrize("rows, verdict", [
    ([_agg("D0", 0.04, 0.01, 0.07), _agg("D3", 0.02, 0.005, 0.035)], SUPPORTED),
    ([_agg("D0", 0.04, 0.01, 0.07), _agg("D3", 0.01, -0.01, 0.03)], UNRESOLVED),
    ([_agg("D0", 0.04, 0.01, 0.07), _agg("D3", -0.03, -0.05, -0.01)], CONTRADICTED),
])
def test_claim_c2_verdicts(rows, verdict):
    finding = claim_c2(rows)
    assert finding.verdict == verdict
    assert "Gen-D0 − real +0.0400 [+0.0100, +0.0700]" in finding.evidence


def test_judge_lists_only_the_claims_the_design_can_test():
    trend = {"trend": LOSS_VS_LEVEL, "model": "m", "size_asked": None, "level": "", "x": "D0 D3", "y": "3.2 3.1",
             "rho": -1.0, "ci_low": -1.0, "ci_high": -1.0, "direction": "decreasing"}
    findings = judge([_agg("D0", 0.04, 0.01, 0.07)], [trend], [])
    assert [f.claim for f in findings] == ["C1", "C2"]
    assert findings[0].verdict == SUPPORTED
    assert judge([], [], []) == []


def test_resolution_is_the_median_half_width():
    rows = [_agg("D0", 0.0, -0.01, 0.01), _agg("D2", 0.0, -0.03, 0.03), _agg("D3", 0.0, -0.02, 0.02)]
    assert resolution(rows) == pytest.approx(0.02)


# ----- the runner end to end ------------------------------------------------------------------
def test_a_run_writes_intervals_aggregates_trends_and_findings(tmp_path, tiny_spec, capsys):
    out = tmp_path / "run"
    result = run_experiment(load_spec(tiny_spec()), out)
    rows = {r["dataset"]: r for r in result.results}
    for name, r in rows.items():
        assert r["test_loss_ci_low"] <= r["test_loss"] <= r["test_loss_ci_high"], name
    assert rows["Gen-D3"]["delta_vs_real"] == pytest.approx(rows["Gen-D3"]["test_loss"] - rows["real"]["test_loss"], abs=1e-12)
    assert rows["real"]["delta_vs_base"] == pytest.approx(rows["real"]["test_loss"] - rows["base"]["test_loss"], abs=1e-12)
    for name in ("aggregate.csv", "trends.csv", "findings.json"):
        assert (out / name).is_file(), name
    findings = json.loads((out / "findings.json").read_text())
    assert {f["claim"] for f in findings["findings"]} >= {"C2", "C3"}  # levels D0/D3 alone and 50 % mixes
    assert findings["test_records"] == rows["real"]["test_samples"]
    assert any(k.startswith("div_matched_") for k in rows["Gen-D3"])
    # the stage folder keeps per-record losses that `synthdiv compare` reads directly
    real_eval = next(p for p in (tmp_path / "stages" / "evaluate").glob("*/eval.json")
                     if json.loads(p.read_text())["test_loss"] == rows["real"]["test_loss"])
    gen_eval = next(p for p in (tmp_path / "stages" / "evaluate").glob("*/eval.json")
                    if json.loads(p.read_text())["test_loss"] == rows["Gen-D3"]["test_loss"])
    assert main(["compare", str(real_eval), str(gen_eval), "--json"]) == 0
    compared = json.loads(capsys.readouterr().out)
    assert compared["delta"] == pytest.approx(rows["Gen-D3"]["delta_vs_real"], abs=1e-12)
    assert (compared["ci_low"], compared["ci_high"]) == (rows["Gen-D3"]["delta_vs_real_ci_low"], rows["Gen-D3"]["delta_vs_real_ci_high"])


def test_verdicts_on_a_stand_in_student_say_they_test_nothing(tmp_path):
    from synthdiv.reports.evidence import findings_table
    from synthdiv.reports.rundir import RunData
    from synthdiv.stats.assess import Evidence
    from synthdiv.stats.findings import format_findings, stand_in_caveat

    assert stand_in_caveat([]) is None
    caveat = stand_in_caveat(["smollm2-tiny"])
    assert caveat.startswith("the student smollm2-tiny is a stand-in with random weights")
    evidence = Evidence(stand_ins=["smollm2-tiny"])
    assert caveat in evidence.format() and evidence.to_dict()["stand_ins"] == ["smollm2-tiny"]
    assert caveat not in format_findings([], None, None, None)
    (tmp_path / "findings.json").write_text(json.dumps(evidence.to_dict()))
    run = RunData.__new__(RunData)
    run.run_dir = tmp_path
    assert findings_table(run).note.startswith(f"Note: {caveat}.")
