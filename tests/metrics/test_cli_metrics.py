"""`synthdiv diversity` and `synthdiv shift` through the CLI entry point."""

from __future__ import annotations

import json

import pytest

from synthdiv.cli.main import main
from synthdiv.records import Record
from synthdiv.data.records_io import write_records

STORIES = [
    ("Tom went to the store. He wanted milk. The store was closed. He went home.", "He drank water instead."),
    ("Amy baked a cake. It was for her mom. She added candles. Her mom smiled.", "They ate the cake together."),
    ("The dog ran outside. It saw a cat. The cat climbed a tree. The dog barked.", "The cat stayed in the tree."),
    ("Sam lost his keys. He looked everywhere. He checked his coat. They were there.", "Sam was relieved."),
]


def _stories(path, source="real"):
    recs = [Record(id=f"s{i}", task="story_completion", context=c, target=t, source=source) for i, (c, t) in enumerate(STORIES)]
    write_records(recs, path)
    return path


def _qa(path):
    recs = [
        Record(id=f"q{i}", task="long_context_qa", context=f"Document {i % 2} text.", question=f"Who is person {i}?",
               target=f"Person {i} is a farmer.", group=f"doc{i % 2}")
        for i in range(6)
    ]
    write_records(recs, path)
    return path


def _one_error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:"), err
    return err[0]


def test_diversity_json_has_the_stable_keys(tmp_path, capsys):
    path = _stories(tmp_path / "stories.jsonl")
    assert main(["diversity", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("distinct", "ngram_diversity_score", "ngrams", "tokens", "samples", "tokenizer", "mode",
                "compression_ratio", "self_bleu"):
        assert key in out
    assert list(out["distinct"]) == ["1", "2", "3", "4", "5"]
    assert out["mode"] == "corpus" and out["samples"] == 4 and out["tokenizer"] == "regex"
    assert out["ngram_diversity_score"] == pytest.approx(sum(out["distinct"].values()))
    assert out["embedding"] is None


def test_several_files_are_normalised_by_the_group_maximum(tmp_path, capsys):
    a = _stories(tmp_path / "a.jsonl")
    b = tmp_path / "b.txt"
    b.write_text("the the the the\nthe the the\n\n", encoding="utf-8")
    assert main(["diversity", str(a), str(b), "--json", "--ngram-order", "2"]) == 0
    out = json.loads(capsys.readouterr().out)
    first, second = out["files"]
    assert first["normalised"]["1"] == 1.0 and second["normalised"]["1"] < 1.0
    assert second["samples"] == 2  # the blank line is not a sample


def test_qa_records_default_to_group_mode_with_mean(tmp_path, capsys):
    path = _qa(tmp_path / "qa.jsonl")
    assert main(["diversity", str(path), "--json", "--ngram-order", "2"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["mode"] == "group" and out["groups"] == 2 and set(out["distinct_mean"]) == {"1", "2"}


def test_fields_option_and_unknown_field(tmp_path, capsys):
    path = _stories(tmp_path / "s.jsonl")
    assert main(["diversity", str(path), "--fields", "target", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tokens"] < 30
    assert main(["diversity", str(path), "--fields", "nosuch"]) == 2
    assert "nosuch" in _one_error_line(capsys)


def test_short_texts_give_null_and_a_warning(tmp_path, capsys):
    path = tmp_path / "short.txt"
    path.write_text("a b\nc\n", encoding="utf-8")
    assert main(["diversity", str(path), "--json", "--distinct-over", "sample"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["distinct"]["3"] is None and out["ngram_diversity_score"] is None
    assert "warning: no 3-grams" in captured.err


@pytest.mark.parametrize("content", [None, ""])
def test_missing_or_empty_file_exits_2_with_one_line(tmp_path, capsys, content):
    path = tmp_path / "x.jsonl"
    if content is not None:
        path.write_text(content)
    assert main(["diversity", str(path)]) == 2
    _one_error_line(capsys)
    assert main(["shift", str(path), str(path)]) == 2
    _one_error_line(capsys)


def test_bad_mode_exits_2(tmp_path, capsys):
    path = _stories(tmp_path / "s.jsonl")
    assert main(["diversity", str(path), "--distinct-over", "paragraph"]) == 2
    assert "distinct-over" in _one_error_line(capsys)


def test_shift_mismatched_tasks_exit_2(tmp_path, capsys):
    s, q = _stories(tmp_path / "s.jsonl"), _qa(tmp_path / "q.jsonl")
    assert main(["shift", str(s), str(q)]) == 2
    assert "same task" in _one_error_line(capsys)


def test_shift_lexical_panel(tmp_path, capsys):
    real = _stories(tmp_path / "real.jsonl")
    gen = tmp_path / "gen.txt"
    gen.write_text("\n".join(["He went home and slept.", "She baked a pie.", "The cat ran.", "A dog barked."]), encoding="utf-8")
    assert main(["shift", str(real), str(gen), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["samples_compared"] == 4 and set(out["lengths"]) == {"text"}
    assert set(out["ngram_js"]) == {"1", "2", "3"} and out["embedding"] is None
    assert main(["shift", str(real), str(gen)]) == 0
    assert "KS" in capsys.readouterr().out


def test_real_story_cloze_sample(story_cloze_csv, capsys, tmp_path):
    out_file = tmp_path / "div.json"
    assert main(["diversity", str(story_cloze_csv), "--json", "--out", str(out_file)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["samples"] == 700 and out["task"] == "story_completion"
    assert json.loads(out_file.read_text()) == out
    gen = tmp_path / "gen.txt"
    gen.write_text("\n".join(f"Story {i}. The man went to the shop and bought bread." for i in range(50)), encoding="utf-8")
    assert main(["shift", str(story_cloze_csv), str(gen), "--json"]) == 0
    shift = json.loads(capsys.readouterr().out)
    assert shift["samples_compared"] == 50 and shift["ngram_js"]["1"] > 0.2


def test_real_narrativeqa_folder_uses_group_mode(narrativeqa_dir, capsys):
    assert main(["diversity", str(narrativeqa_dir), "--json", "--ngram-order", "3"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["task"] == "long_context_qa" and out["mode"] == "group"
    assert out["groups"] > 1 and 0 < out["distinct_mean"]["1"] <= 1
    assert out["distinct"]["1"] == pytest.approx(out["distinct_mean"]["1"] * out["groups"], rel=1e-9)
