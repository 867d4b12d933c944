"""TRL rows: the exact prompt and completion text synthdiv itself trains on (synthdiv.tasks)."""

from __future__ import annotations

import json

from export_records import generated_story, qa_record

from synthdiv.cli.main import main
from synthdiv.export.settings import TRL_MESSAGES, TRL_PROMPT_COMPLETION
from synthdiv.export.trl import messages_row, prompt_completion_row, trl_rows, write_trl_jsonl
from synthdiv.tasks import prompt_text, target_text


def test_story_prompt_completion_row_is_the_training_text():
    rec = generated_story(0)
    row = prompt_completion_row(rec)
    assert row == {
        "prompt": "Amy went to the park. She saw a dog. The dog ran to her. She gave it a treat. Day 0. ",
        "completion": "The dog followed her home.",
        "id": "gen-0", "source": "generated", "level": "D3",
    }
    assert (row["prompt"], row["completion"]) == (prompt_text(rec), target_text(rec))


def test_qa_prompt_completion_row_is_the_training_text():
    rec = qa_record(3)
    row = prompt_completion_row(rec)
    assert row["prompt"] == "Document 1. A long summary of a play.\n\nQuestion: Who speaks line 3?\nAnswer: "
    assert row["completion"] == "The actor number 3."
    assert (row["prompt"], row["completion"]) == (prompt_text(rec), target_text(rec))
    assert (row["id"], row["source"], row["level"]) == ("qa-3", "generated", "D2")


def test_messages_row_is_one_user_and_one_assistant_turn():
    rec = qa_record(1)
    row = messages_row(rec)
    assert row["messages"] == [{"role": "user", "content": prompt_text(rec)}, {"role": "assistant", "content": "The actor number 1."}]
    assert set(row) == {"messages", "id", "source", "level"}


def test_jsonl_file_holds_one_row_per_record_in_order(tmp_path):
    records = [generated_story(i) for i in range(5)]
    path = tmp_path / "trl.jsonl"
    assert write_trl_jsonl(records, path, TRL_PROMPT_COMPLETION) == 5
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines == trl_rows(records, TRL_PROMPT_COMPLETION)
    assert [r["id"] for r in lines] == [f"gen-{i}" for i in range(5)]


def test_cli_writes_trl_file_without_measuring(gen_file, tmp_path, monkeypatch, capsys):
    def no_metrics(*args, **kwargs):
        raise AssertionError("a TRL file carries no card, so nothing is measured")

    monkeypatch.setattr("synthdiv.export.measure.measure_file", no_metrics)
    out = tmp_path / "out" / "train.jsonl"
    assert main(["export", str(gen_file), "--format", TRL_MESSAGES, "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 12
    assert rows[3]["messages"][1] == {"role": "assistant", "content": "The dog followed her home."}  # record 3: ending 3 % 3 = 0
    assert "wrote 12 records in 1 config(s) [default (12)] as trl-messages" in capsys.readouterr().out


def test_cli_writes_one_trl_file_per_config_of_a_run(run_folder, tmp_path):
    out = tmp_path / "trl"
    assert main(["export", str(run_folder), "--format", TRL_PROMPT_COMPLETION, "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["D0-50pct.jsonl", "D0.jsonl", "D3-50pct.jsonl", "D3.jsonl", "D6-50pct.jsonl", "D6.jsonl"]
    rows = [json.loads(line) for line in (out / "D3.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 40 and {r["level"] for r in rows} == {"D3"}
    assert rows[0]["id"] == "generated-D3-0-0"  # seed 0, the run's lowest
