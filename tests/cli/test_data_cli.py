"""The data commands end to end, and every bad input of the foundation issue:
one line on stderr naming the place, exit code 2, no output file left behind."""

import json

import pytest

from synthdiv.cli.main import main

CLOZE_HEADER = "InputSentence1,InputSentence2,InputSentence3,InputSentence4,RandomFifthSentenceQuiz1,RandomFifthSentenceQuiz2,AnswerRightEnding\n"


def run_err(capsys, argv):
    rc = main(argv)
    err = capsys.readouterr().err.strip()
    return rc, err


def test_convert_story_cloze(tmp_path, capsys, story_cloze_csv):
    out = tmp_path / "x.jsonl"
    assert main(["data", "convert", str(story_cloze_csv), "--format", "story_cloze", "--task", "story_completion", "--out", str(out)]) == 0
    assert "wrote 700 records" in capsys.readouterr().out
    lines = out.read_text().splitlines()
    assert len(lines) == 700
    import csv

    with open(story_cloze_csv, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for line, row in zip(lines, rows, strict=True):  # the context is exactly the four input sentences
        rec = json.loads(line)
        assert rec["context"] == " ".join(row[f"InputSentence{i}"].strip() for i in range(1, 5))
        assert rec["target"] == row[f"RandomFifthSentenceQuiz{row['AnswerRightEnding']}"].strip()


def test_convert_narrativeqa_with_split(tmp_path, capsys, narrativeqa_dir):
    out, test = tmp_path / "qa.jsonl", tmp_path / "qa-test.jsonl"
    assert main(["data", "convert", str(narrativeqa_dir), "--format", "narrativeqa", "--task", "long_context_qa", "--out", str(out)]) == 0
    assert "wrote 3461 records in 115 groups" in capsys.readouterr().out
    argv = ["data", "convert", str(narrativeqa_dir), "-f", "narrativeqa", "-t", "long_context_qa", "--per-group", "20",
            "--test-fraction", "0.2", "--test-out", str(test), "-o", str(out)]
    assert main(argv) == 0
    train = [json.loads(x) for x in out.read_text().splitlines()]
    held = [json.loads(x) for x in test.read_text().splitlines()]
    assert {r["group"] for r in train}.isdisjoint({r["group"] for r in held})
    assert len({r["group"] for r in held}) == 23
    assert max(sum(1 for r in train if r["group"] == g) for g in {r["group"] for r in train}) == 20


def test_inspect(tmp_path, capsys, story_cloze_csv):
    out = tmp_path / "x.csv"
    assert main(["data", "convert", str(story_cloze_csv), "-f", "story_cloze", "-t", "story_completion", "-o", str(out), "--sample", "50"]) == 0
    capsys.readouterr()
    assert main(["data", "inspect", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["records"] == 50 and len(summary["samples"]) == 2
    assert main(["data", "inspect", str(out)]) == 0
    assert "lengths (words)" in capsys.readouterr().out


def test_corpus_export(tmp_path, capsys):
    out = tmp_path / "c.jsonl"
    assert main(["data", "corpus", "--out", str(out), "--split", "test", "--sample", "25"]) == 0
    assert len(out.read_text().splitlines()) == 25


BAD_INPUTS = {
    "missing file": (None, "story_cloze", "not found"),
    "empty file": ("", "story_cloze", "is empty"),
    "malformed JSON line": ('{"task": "story_completion", "context": "c", "target": "t"}\n{bad\n', "jsonl", ":2: malformed JSON"),
    "CSV without a needed column": ("InputSentence1,InputSentence2\na,b\n", "story_cloze", "no column 'InputSentence3'"),
    "record without a needed field": ('{"task": "story_completion", "context": "c"}\n', "jsonl", ":1: field 'target'"),
    "not UTF-8": (CLOZE_HEADER.encode() + b"caf\xe9.,b.,c.,d.,e.,f.,1\n", "story_cloze", ":2: bytes that are not UTF-8"),
    "bad AnswerRightEnding": (CLOZE_HEADER + "a.,b.,c.,d.,e.,f.,1\na.,b.,c.,d.,e.,f.,x\n", "story_cloze", ":3: field 'AnswerRightEnding'"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_one_line_exit_2_and_no_output(tmp_path, capsys, case):
    content, fmt, message = BAD_INPUTS[case]
    src = tmp_path / ("in.jsonl" if fmt == "jsonl" else "in.csv")
    if content is not None:
        src.write_bytes(content if isinstance(content, bytes) else content.encode())
    out = tmp_path / "out" / "x.jsonl"
    rc, err = run_err(capsys, ["data", "convert", str(src), "--format", fmt, "--task", "story_completion", "--out", str(out)])
    assert rc == 2
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and str(src) in err and message in err
    assert "Traceback" not in err
    assert not out.exists() and (not out.parent.exists() or list(out.parent.iterdir()) == [])


def test_existing_output_untouched_on_error(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text('{"task": "story_completion", "context": "c", "target": "t"}\n{bad\n')
    out = tmp_path / "x.jsonl"
    out.write_text("previous\n")
    rc, _ = run_err(capsys, ["data", "convert", str(src), "-f", "jsonl", "-t", "story_completion", "-o", str(out)])
    assert rc == 2 and out.read_text() == "previous\n"


def test_bad_column_option(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("a,b\n1,2\n")
    rc, err = run_err(capsys, ["data", "convert", str(src), "-f", "csv", "-t", "story_completion", "-o", str(tmp_path / "o.jsonl"), "--column", "ctx"])
    assert rc == 2 and "FIELD=NAME" in err


def test_inspect_a_generated_file_shows_level_topic_and_generator(tmp_path, capsys):
    out = tmp_path / "gen.jsonl"
    assert main(["generate", "--backend", "dummy", "--n", "6", "--level", "D1", "--out", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["data", "inspect", str(out)]) == 0
    text = capsys.readouterr().out
    assert "levels       D1: 6" in text and "generators   dummy/" in text and "topics       " in text
    assert "sample 1: " in text and " level=D1 topic=" in text and " generator=dummy/" in text
    assert "None" not in text and "groups" not in text


def test_the_shipped_instruction_pairs_are_written_as_a_chat_file(tmp_path, capsys):
    from synthdiv.data import read_input

    out = tmp_path / "mine.jsonl"
    assert main(["data", "instructions", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote 62 chat pairs to {out}"
    records = read_input(out)
    assert len(records) == 62 and {r.task for r in records} == {"sft"} and records[0].messages[0]["role"] == "user"
