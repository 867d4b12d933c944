import json

import pytest

from synthdiv.data.narrativeqa import load_narrativeqa
from synthdiv.errors import UserError


def test_official_layout_real_sample(narrativeqa_dir):
    records = load_narrativeqa(narrativeqa_dir)
    assert len(records) == 3461
    assert len({r.group for r in records}) == 115
    assert len({r.id for r in records}) == 3461
    first = records[0]
    assert first.task == "long_context_qa" and first.question and first.target
    assert first.context.startswith("The play begins with three pages")  # the Wikipedia summary
    assert first.meta["context_kind"] == "summary" and first.meta["title"] == "Cynthia's Revels"
    assert all(r.context for r in records)


def write_official(folder, qaps="document_id,set,question,answer1,answer2\nd1,train,Who?,Ann,Anne\nd2,test,What?,X,Y\n"):
    (folder / "third_party" / "wikipedia").mkdir(parents=True)
    (folder / "third_party" / "wikipedia" / "summaries.csv").write_text(
        "document_id,set,summary,summary_tokenized\nd1,train,Summary one.,x\nd2,test,Summary two.,x\n"
    )
    (folder / "qaps.csv").write_text(qaps)
    return folder


def test_full_story_used_when_present(tmp_path):
    folder = write_official(tmp_path)
    (folder / "tmp").mkdir()
    (folder / "tmp" / "d1.content").write_text("The whole story.")
    records = load_narrativeqa(folder, context="story")
    assert [(r.context, r.meta["context_kind"]) for r in records] == [("The whole story.", "story"), ("Summary two.", "summary")]
    assert [r.group for r in load_narrativeqa(folder, sets=("test",))] == ["d2"]


def test_qa_pair_for_unknown_document(tmp_path):
    folder = write_official(tmp_path, qaps="document_id,set,question,answer1,answer2\nd9,train,Who?,Ann,Anne\n")
    with pytest.raises(UserError, match=r"qaps.csv:2: document d9 has no summary"):
        load_narrativeqa(folder)


def test_qaps_without_question_column(tmp_path):
    folder = write_official(tmp_path, qaps="document_id,set,answer1\nd1,train,Ann\n")
    with pytest.raises(UserError, match="no column 'question'"):
        load_narrativeqa(folder)


def test_hugging_face_schema_jsonl(tmp_path):
    row = {
        "document": {"id": "d1", "kind": "movie", "summary": {"text": "Sum.", "title": "T"}, "text": "Story."},
        "question": {"text": "Who?"},
        "answers": [{"text": "Ann"}, {"text": "Anne"}],
    }
    path = tmp_path / "nqa.jsonl"
    path.write_text(json.dumps(row) + "\n")
    (rec,) = load_narrativeqa(path)
    assert (rec.group, rec.context, rec.question, rec.target, rec.meta["answer2"]) == ("d1", "Sum.", "Who?", "Ann", "Anne")
    (rec,) = load_narrativeqa(path, context="story")
    assert rec.context == "Story."
    path.write_text('{"question": {"text": "Who?"}}\n')
    with pytest.raises(UserError, match="not in the deepmind/narrativeqa schema"):
        load_narrativeqa(path)


def test_hugging_face_saved_dataset(tmp_path):
    import datasets

    rows = [{"document": {"id": "d1", "summary": {"text": "Sum."}, "text": ""}, "question": {"text": "Q?"},
             "answers": [{"text": "A"}]}]
    datasets.Dataset.from_list(rows).save_to_disk(str(tmp_path / "ds"))
    (rec,) = load_narrativeqa(tmp_path / "ds")
    assert rec.target == "A" and rec.group == "d1"
