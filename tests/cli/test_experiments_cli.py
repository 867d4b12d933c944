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
