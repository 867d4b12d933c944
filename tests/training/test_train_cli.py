"""``synthdiv train`` end to end on a tiny model folder."""

from __future__ import annotations

import json

from synthdiv.cli.main import main
from synthdiv.data.records_io import write_records


def test_train_then_evaluate_from_the_cli(tiny_model_dir, tmp_path, capsys, records_of):
    train_file, test_file, out = tmp_path / "train.jsonl", tmp_path / "test.jsonl", tmp_path / "run"
    write_records(records_of(12), train_file)
    write_records(records_of(5), test_file)
    code = main([
        "train", "--train", str(train_file), "--model", str(tiny_model_dir), "--out", str(out), "--max-steps", "4",
        "--batch-size", "4", "--lr", "1e-2", "--test", str(test_file), "--no-progress", "--json", "--merge",
    ])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads(captured.out)
    assert summary["train"]["steps"] == 4
    test = summary["test"]
    assert test["test_loss"] < test["base_test_loss"]
    assert (out / "merged" / "config.json").exists()
    assert json.loads((out / "eval.json").read_text())["test_loss"] == test["test_loss"]

    code = main(["evaluate", "--model", str(out), "--test", str(test_file), "--batch-size", "3", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {"test_loss", "tokens", "samples", "loss_per_char", "base_test_loss"} <= set(report)
    assert report["samples"] == 5 and report["adapter"] == str(out)
    assert abs(report["test_loss"] - test["test_loss"]) < 1e-5
    assert abs(report["base_test_loss"] - test["base_test_loss"]) < 1e-5


def test_train_resumes_in_the_same_folder(tiny_model_dir, tmp_path, capsys, records_of):
    train_file, out = tmp_path / "train.jsonl", tmp_path / "run"
    write_records(records_of(12), train_file)
    args = ["train", "--train", str(train_file), "--model", str(tiny_model_dir), "--out", str(out), "--batch-size", "4", "--no-progress"]
    assert main([*args, "--max-steps", "6", "--checkpoint-every", "2"]) == 0
    capsys.readouterr()
    # a changed setting in the same folder is refused in one line
    assert main([*args, "--max-steps", "6", "--checkpoint-every", "2", "--lr", "3e-4"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "different run" in err[0]


def test_model_that_cannot_load_is_one_line_exit_2(tmp_path, capsys, records_of):
    train_file = tmp_path / "train.jsonl"
    write_records(records_of(4), train_file)
    code = main(["train", "--train", str(train_file), "--model", str(tmp_path / "no-such-model"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error:") and "cannot load model" in err[0]


def test_missing_train_file_is_one_line_exit_2(tmp_path, capsys):
    code = main(["train", "--train", str(tmp_path / "none.jsonl"), "--model", "x", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "not found" in err[0]


def test_adapter_folder_as_training_base_is_refused(tmp_path, capsys, records_of):
    train_file, adapter = tmp_path / "train.jsonl", tmp_path / "adapter"
    write_records(records_of(4), train_file)
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text("{}")
    code = main(["train", "--train", str(train_file), "--model", str(adapter), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "merged" in err[0]


def test_train_reports_the_mean_loss_of_its_first_and_last_epoch(tiny_model_dir, tmp_path, capsys, records_of):
    from synthdiv.training.runlog import read_log

    train_file, out = tmp_path / "train.jsonl", tmp_path / "run"
    write_records(records_of(12), train_file)
    assert main(["train", "--train", str(train_file), "--model", str(tiny_model_dir), "--out", str(out), "--batch-size", "4",
                 "--epochs", "2", "--lr", "1e-2", "--no-progress"]) == 0
    rows = read_log(out / "train_log.csv")
    means = []
    for epoch in (0, 1):
        mine = [r for r in rows if r["epoch"] == epoch]
        means.append(sum(r["loss"] * r["target_tokens"] for r in mine) / sum(r["target_tokens"] for r in mine))
    line = capsys.readouterr().out
    assert f"mean training loss {means[0]:.4f} in epoch 1 -> {means[1]:.4f} in epoch 2" in line
    assert " tokens/s in fp32; adapter in " in line  # what the run computed in (auto: fp32 on a CPU)
