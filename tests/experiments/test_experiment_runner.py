"""synthdiv run end to end (dummy backend, tiny model): tables, no leakage, reuse, resume, shared stages."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from synthdiv.data.records_io import read_records
from synthdiv.experiments import stages
from synthdiv.experiments.runner import format_results, run_experiment
from synthdiv.experiments.spec import load_spec


def test_run_writes_tables_with_every_parameter_and_metric(tmp_path, tiny_spec):
    result = run_experiment(load_spec(tiny_spec()), tmp_path / "run")
    out = tmp_path / "run"
    for name in ("spec.yaml", "graph.json", "results.csv", "results.parquet", "datasets.csv", "datasets.parquet"):
        assert (out / name).exists(), name
    rows = {r["dataset"]: r for r in result.results}
    assert set(rows) == {"base", "real", "Gen-D0", "Gen-D3", "Gen-D0 50%", "Gen-D3 50%"}
    assert rows["real"]["n_real"] == 8 and rows["real"]["n_generated"] == 0
    assert rows["Gen-D3 50%"]["n_real"] == 4 and rows["Gen-D3 50%"]["n_generated"] == 4
    assert rows["Gen-D0"]["ratio"] == 1.0 and rows["Gen-D0"]["level"] == "D0"
    for name, r in rows.items():
        assert r["test_loss"] > 0 and r["base_test_loss"] == rows["base"]["test_loss"]
        if name != "base":
            assert r["steps"] == 2 and r["train_final_loss"] > 0 and r["div_distinct_5"] is not None
            assert 0 < r["div_norm"] <= 1
    assert max(r["div_norm"] for r in rows.values() if r["role"] != "base") == 1.0
    assert rows["Gen-D0"]["shift_ngram_js_1"] > 0 and "shift_ngram_js_1" not in {k for k, v in rows["real"].items() if v}

    import pandas as pd

    table = pd.read_parquet(out / "results.parquet")
    assert len(table) == 6
    assert {"model", "seed", "train_lr", "train_lora_r", "train_epochs", "gen_backend", "gen_model", "gen_temperature",
            "test_loss", "ratio", "n_real", "n_generated"} <= set(table.columns)
    assert table.loc[table["dataset"] == "Gen-D0", "gen_backend"].item() == "dummy"
    datasets = pd.read_csv(out / "datasets.csv")
    assert set(datasets["role"]) == {"real", "generated", "mix"}
    assert all(os.path.exists(p) for p in datasets["path"])
    assert "Gen-D3 50%" in format_results(result.results)


def test_no_test_record_reaches_training(tmp_path, tiny_spec):
    result = run_experiment(load_spec(tiny_spec()), tmp_path / "run")
    graph = json.loads((tmp_path / "run" / "graph.json").read_text())
    real_dir = next(n["dir"] for n in graph["nodes"] if n["kind"] == "real")
    test_ids = {r.id for r in read_records(os.path.join(real_dir, "test.jsonl"))}
    test_texts = {r.target for r in read_records(os.path.join(real_dir, "test.jsonl"))}
    for node in graph["nodes"]:
        if node["kind"] == "mix":
            mixed = read_records(os.path.join(node["dir"], "records.jsonl"))
            assert not {r.id for r in mixed} & test_ids and not {r.target for r in mixed} & test_texts
    assert result.results


def test_rerun_reuses_every_stage(tmp_path, tiny_spec, monkeypatch):
    spec = load_spec(tiny_spec())
    first = run_experiment(spec, tmp_path / "run")

    def boom(*args, **kwargs):
        raise AssertionError("a finished stage ran again")

    monkeypatch.setattr(stages, "RUNNERS", {k: boom for k in stages.RUNNERS})
    again = run_experiment(spec, tmp_path / "run")
    assert again.reused == len(again.graph.nodes)
    assert again.results == first.results


def test_a_crash_resumes_where_it_stopped(tmp_path, tiny_spec, monkeypatch):
    spec = load_spec(tiny_spec())
    calls = {"train": 0}
    real_train = stages.RUNNERS["train"]

    def crash_on_third(node, folder, deps, ctx):
        calls["train"] += 1
        if calls["train"] == 3:
            raise RuntimeError("simulated crash")
        return real_train(node, folder, deps, ctx)

    monkeypatch.setitem(stages.RUNNERS, "train", crash_on_third)
    with pytest.raises(RuntimeError):
        run_experiment(spec, tmp_path / "run")
    ran = []
    for kind in ("generate", "train"):
        original = stages.RUNNERS[kind] if kind != "train" else real_train

        def spy(node, folder, deps, ctx, _original=original, _kind=kind):
            ran.append(_kind)
            return _original(node, folder, deps, ctx)

        monkeypatch.setitem(stages.RUNNERS, kind, spy)
    result = run_experiment(spec, tmp_path / "run")
    assert ran.count("generate") == 0 and ran.count("train") == 5 - 2  # two trained before the crash
    assert len(result.results) == 6


def test_experiments_sharing_a_store_share_stages(tmp_path, tiny_spec, monkeypatch):
    store = tmp_path / "store"
    run_experiment(load_spec(tiny_spec()), tmp_path / "a", store=store)
    generated = []
    original = stages.RUNNERS["generate"]
    monkeypatch.setitem(stages.RUNNERS, "generate", lambda *a: generated.append(1) or original(*a))
    other = load_spec(tiny_spec("other.yaml", name="other", training={"epochs": 2}))
    result = run_experiment(other, tmp_path / "b", store=store)
    assert not generated and result.reused > 0
    assert all(r["steps"] == 4 for r in result.results if r["role"] != "base")


def test_a_killed_run_resumes(tmp_path, tiny_spec):
    """kill -9 in the middle of the sweep, then rerun: finished stages are reused, the table is complete."""
    config = tiny_spec()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "synthdiv.cli.main", "run", str(config), "--out", str(tmp_path / "run")]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    train_dir = tmp_path / "stages" / "train"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if train_dir.exists() and any((d / "done.json").exists() for d in train_dir.iterdir() if d.is_dir()):
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "run" / "results.csv").exists()
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "done before, reused" in again.stderr
    assert len((tmp_path / "run" / "results.csv").read_text().splitlines()) == 1 + 6


def test_a_measurement_only_run_reports_its_datasets(tmp_path, tiny_spec):
    """No students: generation and metrics only; the report draws the data figures and skips the loss ones."""
    from synthdiv.reports import write_report

    result = run_experiment(load_spec(tiny_spec(training={"models": []}, mixing={"ratios": [0.0]})), tmp_path / "run")
    assert result.results == [] and {d["dataset"] for d in result.datasets} >= {"real", "Gen-D0", "Gen-D3"}
    assert not any(n.kind in ("train", "evaluate") for n in result.graph.nodes)
    page = write_report(tmp_path / "run", map_points=20).read_text()
    assert "Fig. 3" in page and "Table 2" in page and "skipped" in page


def test_a_short_generation_in_a_sweep_goes_on_and_says_so(tmp_path, tiny_spec, monkeypatch, capsys):
    import dataclasses

    from synthdiv.generation import runner

    real_run = runner.run_generation
    # a generator that gives up three records short (as a model whose answers keep failing to parse does)
    monkeypatch.setattr(runner, "run_generation", lambda cfg: real_run(dataclasses.replace(cfg, n=cfg.n - 3)))
    spec = tiny_spec(training={"models": []}, generation={"levels": ["D3"]}, mixing={"ratios": [0.5]})
    result = run_experiment(load_spec(spec), tmp_path / "run")
    made = next(d["records"] for d in result.datasets if d["dataset"] == "Gen-D3" and d["role"] == "generated")
    assert made == 5
    assert f"warning: generate Gen-D3 (seed 0): only {made} of 8 records were generated" in capsys.readouterr().err


def test_a_run_with_several_levels_reports_its_ladder(tmp_path, tiny_spec):
    """ladder.csv: one row per generated level; findings.json and the terminal say whether it rises."""
    import csv
    import json

    from synthdiv.experiments import layout

    result = run_experiment(load_spec(tiny_spec(training={"models": []}, mixing={"ratios": [0.0]})), tmp_path / "run")
    rows = list(csv.DictReader((tmp_path / "run" / f"{layout.LADDER}.csv").open()))
    assert [r["set"] for r in rows] == ["Gen-D0", "Gen-D3"] and [r["topics_asked"] for r in rows] == ["1", "100"]
    assert all(float(r["distinct_ci_low"]) <= float(r["distinct"]) <= float(r["distinct_ci_high"]) for r in rows)
    ladder = json.loads((tmp_path / "run" / layout.FINDINGS).read_text())["ladder"]
    assert [v["metric"] for v in ladder][0] == "distinct" and ladder[0]["levels"] == ["D0", "D3"]
    assert "ladder, size-matched distinct 1-5 sum: " in result.evidence.format()
    from synthdiv.reports import write_report

    page = write_report(tmp_path / "run", map_points=20).read_text()
    assert "Does measured diversity rise with the level?" in page and "ladder, size-matched distinct 1-5 sum: " in page
    assert (tmp_path / "run" / "report" / "table_ladder.csv").is_file()
    generated = [d for d in result.datasets if d.get("role") == "generated"]
    assert generated and all(d["gen_copy_rate"] == 0.0 and 0 <= d["gen_reject_rate"] < 1 for d in generated)
