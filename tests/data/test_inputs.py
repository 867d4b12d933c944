import json

import pytest

from synthdiv.data import read_input
from synthdiv.data.inputs import input_form, sniff_form
from synthdiv.data.records_io import write_records
from synthdiv.errors import UserError
from synthdiv.records import Record

ROC = "storyid,storytitle,sentence1,sentence2,sentence3,sentence4,sentence5\ns1,Dog,A dog ran.,It ran.,It hid.,It sat.,It slept.\n"
CLOZE = ("InputStoryid,InputSentence1,InputSentence2,InputSentence3,InputSentence4,RandomFifthSentenceQuiz1,"
         "RandomFifthSentenceQuiz2,AnswerRightEnding\nc1,a.,b.,c.,d.,e.,f.,2\n")
NQA_ROW = {"document": {"id": "d1", "summary": {"text": "Sum."}}, "question": {"text": "Who?"}, "answers": [{"text": "Ann"}]}


def story(i: int) -> Record:
    return Record(id=f"r{i}", task="story_completion", context="A. B. C. D.", target="E.")


@pytest.mark.parametrize(("header", "form"), [
    (["id", "task", "source", "context", "target"], "records"),
    (["InputStoryid", "InputSentence1", "AnswerRightEnding"], "story_cloze"),
    (["storyid", "storytitle", "sentence1", "sentence5"], "rocstories"),
    (["document", "question", "answers"], "narrativeqa"),
    (["prompt", "completion", "id"], "prompt_completion"),
    (["messages"], "messages"),
    (["conversations"], "conversations"),
    (["instruction", "input", "output"], "alpaca"),
    (["text", "url"], "text"),
    (["query", "response"], None),
    ([], None),
])
def test_the_one_rule_tells_forms_apart_by_column_names(header, form):
    assert input_form(header) == form


@pytest.mark.parametrize(("name", "content", "form", "first_id"), [
    ("roc.csv", ROC, "rocstories", "s1"),
    ("cloze.csv", CLOZE, "story_cloze", "c1"),
    ("nqa.jsonl", json.dumps(NQA_ROW) + "\n", "narrativeqa", None),
])
def test_each_dataset_layout_is_sniffed_and_read(tmp_path, name, content, form, first_id):
    path = tmp_path / name
    path.write_text(content)
    assert sniff_form(path) == form
    records = read_input(path)
    assert len(records) == 1 and records[0].provenance.dataset == form
    if first_id is not None:
        assert records[0].id == first_id
    if form == "story_cloze":
        assert records[0].target == "f." and records[0].meta["wrong_ending"] == "e."


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_record_files_are_read_as_records(tmp_path, suffix):
    path = tmp_path / f"r{suffix}"
    write_records([story(1), story(2)], path)
    assert sniff_form(path) == "records"
    assert read_input(path) == [story(1), story(2)]


def test_narrativeqa_folder_is_sniffed(narrativeqa_dir):
    assert sniff_form(narrativeqa_dir) == "narrativeqa"
    with pytest.raises(UserError, match="narrativeqa data holds long_context_qa records; use --task long_context_qa"):
        read_input(narrativeqa_dir, task="story_completion")


@pytest.mark.parametrize(("name", "content", "what"), [
    ("raw.csv", "query,response\nx,y\n", r"the CSV header \(query, response\) fits no input form"),
    ("raw.jsonl", '{"query": "x", "response": "y"}\n', r"the first row's keys \(query, response\) fit no input form"),
    ("nqa.csv", "document,question,answers\nd,q,a\n", r"the CSV header \(document, question, answers\) fits no input form"),
])
def test_a_file_that_fits_no_form_is_one_clear_error(tmp_path, name, content, what):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(UserError, match=what) as info:
        read_input(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "synthdiv data convert --format" in message and "--column FIELD=NAME" in message
    assert "chat messages (messages)" in message and "plain text (text)" in message and "\n" not in message


def test_a_known_form_with_a_missing_column_names_the_column(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("id,task,context\n1,story_completion,abc\n")
    with pytest.raises(UserError, match="no column 'target'"):
        read_input(path)
    path.write_text("InputSentence1,InputSentence2\na,b\n")
    with pytest.raises(UserError, match="no column 'InputSentence3'"):
        read_input(path)


def test_named_columns_read_raw_rows_without_a_format(tmp_path):
    path = tmp_path / "raw.csv"
    path.write_text("prompt,completion\nx,y\n")
    (rec,) = read_input(path, task="story_completion", columns={"context": "prompt", "target": "completion"})
    assert (rec.context, rec.target, rec.provenance.dataset) == ("x", "y", "csv")
    (rec,) = read_input(path, columns={"context": "prompt", "target": "completion"})  # without a task: a prompt and its completion
    assert (rec.task, rec.context, rec.target) == ("sft", "x", "y")


def test_a_later_bad_line_is_reported_not_read_as_raw_rows(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(story(1).to_json() + "\n{oops\n")
    for fmt in (None, "jsonl"):
        with pytest.raises(UserError, match=r"r.jsonl:2: malformed JSON"):
            read_input(path, task="story_completion", fmt=fmt)


def test_jsonl_in_record_schema_is_read_as_is(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"id": "z", "task": "story_completion", "context": "c", "target": "t"}\n')
    assert read_input(path, fmt="jsonl", task="story_completion")[0].id == "z"
    with pytest.raises(UserError, match="has task 'story_completion', but the task asked for is 'long_context_qa'"):
        read_input(path, fmt="jsonl", task="long_context_qa")


def test_format_and_task_must_agree(story_cloze_csv):
    with pytest.raises(UserError, match="use --task story_completion"):
        read_input(story_cloze_csv, fmt="story_cloze", task="long_context_qa")


def test_records_format_reads_only_record_files(tmp_path):
    path = tmp_path / "roc.csv"
    path.write_text(ROC)
    with pytest.raises(UserError, match="CSV has no column 'task'"):
        read_input(path, fmt="records")
    with pytest.raises(UserError, match="unknown format 'xlsx'; use one of records, rocstories"):
        read_input(path, fmt="xlsx")
