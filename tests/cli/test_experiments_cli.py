"""synthdiv run / validate from the command line."""

from synthdiv.cli.main import main
from synthdiv.experiments.spec import shipped_configs


def test_validate_every_shipped_config(capsys):
    names = sorted(shipped_configs())
    assert main(["validate", *names]) == 0
    out = capsys.readouterr().out
    assert all(f"{name}: valid" in out for name in names)


def test_validate_a_bad_config_is_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntask: story_completion\ntraning: {}\n")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean 'training'" in err


def test_run_prints_the_results_table_and_a_rerun_reuses_it(tmp_path, tiny_model_dir, capsys):
    import yaml

    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({
        "name": "cli", "task": "story_completion", "real": {"n_train": 4, "n_test": 4},
        "generation": {"backend": "dummy", "levels": ["D1"], "n": 4}, "metrics": {"embedder": None},
        "training": {"models": [str(tiny_model_dir)], "epochs": 1, "batch_size": 4, "max_length": 256},
    }))
    args = ["run", str(config), "--out", str(tmp_path / "run"), "--set", "training.lr=0.001"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "Gen-D1" in first and "real" in first and "base" in first
    assert main(args) == 0
    assert "stages reused" in capsys.readouterr().out


def test_dry_run_prints_each_generate_stage_plan_and_the_total(tiny_spec, tmp_path, capsys):
    config = tiny_spec(generation={"price_in": 1.0, "price_out": 2.0, "max_cost": 3.0})
    assert main(["run", str(config), "--out", str(tmp_path / "run"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    stages = [line for line in out.splitlines() if line.startswith("generate ")]
    assert len(stages) == 2 and all(": 8 requests (0 more cached)" in line for line in stages)  # 2 levels x n = 8
    assert "total over 2 generate stages: 16 requests (0 more cached)" in out and "counted" not in out
    assert "the dummy backend's words" in out and "generation.max_cost 3 USD caps each generate stage: at most 6 USD" in out
    assert not (tmp_path / "stages" / "generate").exists()


def test_the_cost_cap_stops_a_sweep_with_exit_3_and_leaves_the_stage_to_resume(tiny_spec, tmp_path, capsys):
    config = tiny_spec(generation={"price_in": 0.0, "price_out": 1e6, "max_tokens": 40, "max_cost": 100.0})
    assert main(["run", str(config), "--out", str(tmp_path / "run")]) == 3
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "2 of 8 records made" in errors[0] and "generation.max_cost" in errors[0]
    assert not list((tmp_path / "stages" / "generate").glob("*/done.json"))  # not finished: the rerun resumes it


def test_validate_counts_every_stage_kind_in_pipeline_order(capsys):
    import re

    from synthdiv.cli.experiments import PIPELINE

    assert main(["validate", "demo", "story-levels"]) == 0
    for line in capsys.readouterr().out.splitlines():
        total, kinds = re.search(r"(\d+) stages: (.*)\)$", line).groups()
        counts = [(kind, int(n)) for n, kind in (part.split(" ") for part in kinds.split(", "))]
        assert sum(n for _, n in counts) == int(total), line
        assert [k for k, _ in counts] == sorted((k for k, _ in counts), key=PIPELINE.index), line


def test_a_generation_only_run_prints_its_ladder_verdicts(tiny_spec, tmp_path, capsys):
    config = tiny_spec(training={"models": []}, mixing={"ratios": [0.0]})
    assert main(["run", str(config), "--out", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "ladder, size-matched distinct 1-5 sum: " in out and "(generator " in out
    assert f"per level (topics, adherence, seed copies, rejects, diversity with intervals): {tmp_path / 'run' / 'ladder.csv'}" in out
