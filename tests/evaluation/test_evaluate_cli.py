"""``synthdiv evaluate`` on a plain model folder and on bad input."""

from __future__ import annotations

import json

from synthdiv.cli.main import main
from synthdiv.data.records_io import write_records


def test_evaluate_a_model_folder_with_per_sample_output(tiny_model_dir, tmp_path, capsys, records_of):
    test_file, per_sample = tmp_path / "test.jsonl", tmp_path / "per.jsonl"
    write_records(records_of(7), test_file)
    results = []
    for bs in ("1", "3", "8"):
        code = main(["evaluate", "--model", str(tiny_model_dir), "--test", str(test_file), "--batch-size", bs, "--json", "--per-sample", str(per_sample)])
        assert code == 0
        results.append(json.loads(capsys.readouterr().out))
    assert max(r["test_loss"] for r in results) - min(r["test_loss"] for r in results) < 1e-5
    assert results[0]["samples"] == 7 and results[0]["adapter"] is None and "base_test_loss" not in results[0]
    rows = [json.loads(line) for line in per_sample.read_text().splitlines()]
    assert [r["id"] for r in rows] == [f"s{i}" for i in range(7)]
    assert sum(r["tokens"] for r in rows) == results[0]["tokens"]


def test_evaluate_text_output(tiny_model_dir, tmp_path, capsys, records_of):
    test_file = tmp_path / "test.jsonl"
    write_records(records_of(3), test_file)
    assert main(["evaluate", "--model", str(tiny_model_dir), "--test", str(test_file)]) == 0
    assert capsys.readouterr().out.startswith("test loss ")


def test_folder_that_is_not_a_model_is_one_line_exit_2(tmp_path, capsys, records_of):
    test_file = tmp_path / "test.jsonl"
    write_records(records_of(3), test_file)
    (tmp_path / "empty").mkdir()
    code = main(["evaluate", "--model", str(tmp_path / "empty"), "--test", str(test_file)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error:")


def test_bad_batch_size_is_exit_2(tiny_model_dir, tmp_path, capsys, records_of):
    test_file = tmp_path / "test.jsonl"
    write_records(records_of(3), test_file)
    assert main(["evaluate", "--model", str(tiny_model_dir), "--test", str(test_file), "--batch-size", "0"]) == 2
    assert capsys.readouterr().err.startswith("error:")
