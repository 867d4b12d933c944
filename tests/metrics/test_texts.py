import pytest

from synthdiv.data.records_io import write_records
from synthdiv.errors import UserError
from synthdiv.metrics.texts import load_texts
from synthdiv.records import Record


def test_record_file_gives_the_measured_texts_and_fields(tmp_path):
    path = tmp_path / "r.jsonl"
    write_records([Record(id=f"r{i}", task="story_completion", context=f"C{i}.", target=f"T{i}.") for i in range(3)], path)
    texts = load_texts(path)
    assert texts.task == "story_completion" and len(texts) == 3
    assert set(texts.fields) >= {"text", "context", "target"} and texts.fields["target"] == ["T0.", "T1.", "T2."]


def test_dataset_layouts_are_read_through_the_one_reader(story_cloze_csv, narrativeqa_dir):
    assert len(load_texts(story_cloze_csv)) == 700 and load_texts(story_cloze_csv).task == "story_completion"
    qa = load_texts(narrativeqa_dir)
    assert qa.task == "long_context_qa" and len(qa) == 3461 and qa.groups is not None


def test_text_file_gives_one_text_per_line(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("one\n\ntwo\n")
    texts = load_texts(path)
    assert texts.texts == ["one", "two"] and texts.task is None and texts.groups is None
    path.write_text("\n \n")
    with pytest.raises(UserError, match="only blank lines"):
        load_texts(path)


def test_csv_of_no_known_form_is_one_clear_error(tmp_path):
    path = tmp_path / "raw.csv"
    path.write_text("query,response\nx,y\n")
    with pytest.raises(UserError, match=r"raw.csv: the CSV header \(query, response\) fits no input form"):
        load_texts(path)
