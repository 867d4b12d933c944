"""The bars of ``synthdiv evaluate`` and ``synthdiv train --test`` on stderr."""

from __future__ import annotations

from synthdiv.cli.main import main
from synthdiv.data.records_io import write_records


def test_evaluate_progress_draws_a_bar_on_stderr(tiny_model_dir, tmp_path, capsys, records_of):
    test_file = tmp_path / "test.jsonl"
    write_records(records_of(5), test_file)
    assert main(["evaluate", "--model", str(tiny_model_dir), "--test", str(test_file), "--progress", "--batch-size", "2"]) == 0
    captured = capsys.readouterr()
    assert "evaluate: 100%" in captured.err and "5/5" in captured.err  # counts records, not batches
    assert captured.out.startswith("test loss ")  # the bar stays off stdout


def test_evaluate_without_a_terminal_draws_no_bar_by_default(tiny_model_dir, tmp_path, capsys, records_of):
    test_file = tmp_path / "test.jsonl"
    write_records(records_of(3), test_file)
    assert main(["evaluate", "--model", str(tiny_model_dir), "--test", str(test_file)]) == 0  # capsys: stderr is no terminal
    assert "evaluate:" not in capsys.readouterr().err


def test_train_shows_its_test_evaluation(tiny_model_dir, tmp_path, capsys, records_of):
    data = tmp_path / "train.jsonl"
    write_records(records_of(4), data)
    args = ["train", "--train", str(data), "--test", str(data), "--model", str(tiny_model_dir), "--out", str(tmp_path / "run"),
            "--epochs", "1", "--batch-size", "4", "--max-length", "64"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "test loss, base model: 100%" in err and "test loss, fine-tuned: 100%" in err
    assert main([*args, "--no-progress", "--overwrite"]) == 0
    assert "test loss, base model" not in capsys.readouterr().err
