import pytest

from synthdiv.data.records_io import detect_format, read_records, write_records
from synthdiv.errors import UserError
from synthdiv.records import Provenance, Record


def sample_records():
    return [
        Record(id="1", task="story_completion", context="A. B. C. D.", target="E.", group="1",
               provenance=Provenance(dataset="x", row=1), meta={"title": "t"}),
        Record(id="2", task="long_context_qa", context="Ctx, with \"quotes\"\nand lines.", question="Q?", target="A",
               source="generated", group="doc", provenance=Provenance(strategy="paraphrase", level="D2", seed_ids=["1"])),
    ]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_round_trip_every_format(tmp_path, suffix):
    path = tmp_path / f"r{suffix}"
    assert write_records(sample_records(), path) == 2
    assert read_records(path) == sample_records()


def test_hf_saved_dataset_round_trip(tmp_path):
    from synthdiv.data.records_io import save_hf_dataset

    save_hf_dataset(sample_records(), tmp_path / "ds")
    assert detect_format(tmp_path / "ds") == "hf_disk"
    assert read_records(tmp_path / "ds") == sample_records()


def test_unreachable_hub_id_is_a_clear_error():
    with pytest.raises(UserError, match="cannot load Hugging Face dataset 'nobody/nothing-here'"):
        read_records("hf:nobody/nothing-here")


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(UserError, match="not found"):
        read_records(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(UserError, match="is empty"):
        read_records(tmp_path / "empty.jsonl")
    (tmp_path / "blank.jsonl").write_text("\n\n")
    with pytest.raises(UserError, match="no records"):
        read_records(tmp_path / "blank.jsonl")


def test_malformed_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(sample_records()[0].to_json() + "\n{oops\n")
    with pytest.raises(UserError, match=r"bad.jsonl:2: malformed JSON"):
        read_records(path)


def test_record_without_needed_field(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"task": "story_completion", "context": "c"}\n')
    with pytest.raises(UserError, match=r"bad.jsonl:1: field 'target'"):
        read_records(path)


def test_non_utf8_bytes_name_the_line(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(sample_records()[0].to_json().encode() + b"\n" + b'{"task": "caf\xe9"}\n')
    with pytest.raises(UserError, match=r"latin1.jsonl:2: bytes that are not UTF-8"):
        read_records(path)


def test_record_csv_without_needed_column(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("id,task,context\n1,story_completion,abc\n")
    with pytest.raises(UserError, match="no column 'target'"):
        read_records(path)


def test_failed_write_leaves_nothing(tmp_path):
    path = tmp_path / "out.jsonl"

    def records():
        yield sample_records()[0]
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        write_records(records(), path)
    assert list(tmp_path.iterdir()) == []


def test_unknown_suffix():
    with pytest.raises(UserError, match="unknown record file type"):
        detect_format("data.xlsx")
