"""The shapes practitioners hold their data in (data/shapes.py): each becomes records of a general task,
from every container, with one clear line for a row that does not fit."""

from __future__ import annotations

import json

import pytest

from synthdiv.data import read_input
from synthdiv.data.records_io import write_records
from synthdiv.errors import UserError
from synthdiv.records import Record
from synthdiv.tasks import measured_text, prompt_text, target_text


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


CHAT = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a colour."},
                     {"role": "assistant", "content": "Red."}, {"role": "user", "content": "Another?"},
                     {"role": "assistant", "content": "Blue."}]}


def test_text_rows_are_language_modelling_records(tmp_path):
    path = write_jsonl(tmp_path / "t.jsonl", [{"text": "One line.", "url": "a"}, {"text": "Two lines."}])
    first, second = read_input(path)
    assert (first.task, first.context, first.target, first.source) == ("lm", "", "One line.", "real")
    assert first.meta == {"url": "a"} and first.provenance.row == 1 and second.provenance.row == 2
    assert prompt_text(first) == "" and target_text(first) == "One line." and measured_text(first) == "One line."
    assert first.id != second.id  # ids from the content


def test_a_txt_file_is_one_text_per_non_blank_line(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("first\n\n second \n")
    records = read_input(path)
    assert [(r.task, r.target, r.provenance.row) for r in records] == [("lm", "first", 1), ("lm", " second ", 3)]


def test_prompt_completion_rows_keep_their_spacing_source_id_and_level(tmp_path):
    path = write_jsonl(tmp_path / "pc.jsonl", [
        {"prompt": "Q: 2+2?\nA:", "completion": " 4", "id": "a1", "source": "generated", "level": "D2", "topic": "sums"},
    ])
    (rec,) = read_input(path)
    assert (rec.task, rec.id, rec.source, rec.provenance.level, rec.meta) == ("sft", "a1", "generated", "D2", {"topic": "sums"})
    assert prompt_text(rec) + target_text(rec) == "Q: 2+2?\nA: 4"  # as TRL concatenates them
    assert measured_text(rec) == "Q: 2+2?\nA: 4"
    assert measured_text(rec, ("completion",)) == "4" and measured_text(rec, ("prompt",)) == "Q: 2+2?\nA:"


def test_rows_without_a_source_column_take_the_source_asked_for(tmp_path):
    path = write_jsonl(tmp_path / "pc.jsonl", [{"prompt": "p", "completion": "c"}])
    assert read_input(path)[0].source == "real"
    assert read_input(path, source="generated")[0].source == "generated"


def test_chat_messages_keep_the_conversation_and_target_the_last_assistant_turn(tmp_path, tiny_tokenizer):
    path = write_jsonl(tmp_path / "chat.jsonl", [CHAT])
    (rec,) = read_input(path)
    assert rec.task == "sft" and rec.target == "Blue."
    assert rec.messages == CHAT["messages"][:-1]
    assert rec.context == "Name a colour.\n\nRed.\n\nAnother?"  # what the metrics read: no system turn
    assert prompt_text(rec, tiny_tokenizer) == (
        "<|system|>Be brief.<|end|><|user|>Name a colour.<|end|><|assistant|>Red.<|end|><|user|>Another?<|end|><|assistant|>")
    assert prompt_text(rec) == "system: Be brief.\nuser: Name a colour.\nassistant: Red.\nuser: Another?\nassistant: "


def test_sharegpt_conversations_and_conversational_prompt_completion(tmp_path):
    share = write_jsonl(tmp_path / "s.jsonl", [{"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}]}])
    pc = write_jsonl(tmp_path / "pc.jsonl", [{"prompt": [{"role": "user", "content": "Hi"}],
                                              "completion": [{"role": "assistant", "content": "Hello"}]}])
    for path in (share, pc):
        (rec,) = read_input(path)
        assert (rec.messages, rec.target, rec.context) == ([{"role": "user", "content": "Hi"}], "Hello", "Hi")


def test_alpaca_rows_join_instruction_and_input(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"instruction": "Translate.", "input": "chat", "output": "cat"},
                                              {"instruction": "Say hi.", "input": "", "output": "hi"}])
    first, second = read_input(path)
    assert (first.context, first.target, second.context) == ("Translate.\n\nchat", "cat", "Say hi.")


def test_column_names_map_a_file_onto_a_shape(tmp_path):
    path = write_jsonl(tmp_path / "q.jsonl", [{"query": "Why?", "answer": "Because.", "text": "unrelated"}])
    (rec,) = read_input(path, columns={"prompt": "query", "completion": "answer"})
    assert (rec.task, rec.context, rec.target, rec.meta) == ("sft", "Why?", "Because.", {"text": "unrelated"})
    (rec,) = read_input(path, columns={"text": "answer"})
    assert (rec.task, rec.target) == ("lm", "Because.")
    with pytest.raises(UserError, match="--column: no field 'body' to name a column for"):
        read_input(path, columns={"body": "query"})


@pytest.mark.parametrize(("row", "message"), [
    ({"messages": [{"role": "user", "content": "Hi"}]}, r"c.jsonl:1: the conversation in 'messages' ends with user; its last turn must be the assistant's"),
    ({"messages": [{"role": "robot", "content": "Hi"}]}, r"c.jsonl:1 \(messages\): turn 1 of 'messages' must be"),
    ({"messages": "hello"}, r"c.jsonl:1: column 'messages' is text that is not a JSON list of turns"),
    ({"prompt": "p", "completion": 3}, r"c.jsonl:1: column 'completion' holds int"),
    ({"text": "   "}, r"c.jsonl:1: column 'text' is empty"),
])
def test_a_row_that_does_not_fit_its_shape_is_one_line_naming_it(tmp_path, row, message):
    path = write_jsonl(tmp_path / "c.jsonl", [row])
    with pytest.raises(UserError, match=message) as info:
        read_input(path)
    assert "\n" not in str(info.value)


def test_a_later_row_of_another_shape_names_its_line(tmp_path):
    path = write_jsonl(tmp_path / "m.jsonl", [{"text": "a"}, {"prompt": "b", "completion": "c"}])
    with pytest.raises(UserError, match=r"m.jsonl:2: row has no column 'text'"):
        read_input(path)


def test_the_task_asked_for_must_be_the_shapes(tmp_path):
    path = write_jsonl(tmp_path / "t.jsonl", [{"text": "a"}])
    with pytest.raises(UserError, match="text data holds lm records; use --task lm"):
        read_input(path, task="sft")


def test_csv_and_parquet_hold_the_shapes_too(tmp_path):
    csv = tmp_path / "chat.csv"
    csv.write_text('messages,label\n"[{""role"": ""user"", ""content"": ""Hi""}, {""role"": ""assistant"", ""content"": ""Yo""}]",x\n')
    (rec,) = read_input(csv)
    assert (rec.target, rec.messages, rec.meta) == ("Yo", [{"role": "user", "content": "Hi"}], {"label": "x"})
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "chat.parquet"
    pq.write_table(pa.Table.from_pylist([CHAT, CHAT | {"id": "two"}]), path)
    records = read_input(path)
    assert [r.target for r in records] == ["Blue.", "Blue."] and records[0].messages == CHAT["messages"][:-1]


def test_hugging_face_folders_hold_the_shapes(tmp_path):
    datasets = pytest.importorskip("datasets")
    folder = tmp_path / "saved"
    datasets.DatasetDict({"train": datasets.Dataset.from_list([{"text": "a"}, {"text": "b"}]),
                          "test": datasets.Dataset.from_list([{"text": "c"}])}).save_to_disk(str(folder))
    assert [r.target for r in read_input(folder, split="test")] == ["c"]
    with pytest.raises(UserError, match="dataset has splits train, test; choose one with --split"):
        read_input(folder)
    files = tmp_path / "files"
    (files / "data").mkdir(parents=True)
    write_jsonl(files / "data" / "train.jsonl", [{"prompt": "p", "completion": "c"}])
    (rec,) = read_input(files, split="train")
    assert (rec.task, rec.target) == ("sft", "c")


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_record_files_round_trip_chat_and_text_records(tmp_path, suffix):
    chat = Record(id="c", task="sft", context="Hi", target=" Yo", messages=[{"role": "user", "content": "Hi"}])
    text = Record(id="t", task="lm", context="", target="Plain words.")
    plain = Record(id="p", task="sft", context="Q:", target=" A")
    path = tmp_path / f"r{suffix}"
    write_records([chat, text, plain], path)
    assert read_input(path) == [chat, text, plain]


def test_story_files_keep_their_columns(tmp_path):
    path = tmp_path / "s.jsonl"
    write_records([Record(id="s", task="story_completion", context="A. B. C. D.", target="E.")], path)
    assert "messages" not in json.loads(path.read_text())  # files without conversations are as they were
