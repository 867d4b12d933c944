"""synthdiv run on the general tasks: a sweep over instruction data (chat pairs) and one over plain text."""

from __future__ import annotations

import json

import pytest

from synthdiv.errors import UserError
from synthdiv.experiments.runner import run_experiment
from synthdiv.experiments.spec import load_spec

TOPICS = ["watering plants", "baking bread", "fixing a bike", "reading maps", "saving money", "learning chess"]


def chat_file(path, n: int = 24):
    rows = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        rows.append({"messages": [{"role": "user", "content": f"Give me tip {i} about {topic}."},
                                  {"role": "assistant", "content": f"Tip {i}: when {topic}, start small and keep notes of what works."}]})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_a_sweep_over_chat_pairs_generates_trains_and_evaluates(tmp_path, tiny_spec):
    real = chat_file(tmp_path / "chat.jsonl")
    spec = load_spec(tiny_spec(task="sft", real={"source": str(real), "n_train": 6, "n_test": None},
                               generation={"strategy": "instruct", "levels": ["D0", "D3"], "n": 6, "topics": "builtin"},
                               mixing={"ratios": [0.0, 1.0]}))
    result = run_experiment(spec, tmp_path / "run")
    rows = {r["dataset"]: r for r in result.results}
    assert set(rows) == {"base", "real", "Gen-D0", "Gen-D3"}
    assert all(r["test_loss"] > 0 for r in rows.values())
    assert rows["Gen-D3"]["div_distinct_5"] is not None and rows["Gen-D0"]["shift_ngram_js_1"] > 0
    assert (tmp_path / "run" / "ladder.csv").exists()


def test_a_sweep_over_plain_text_trains_on_the_real_set(tmp_path, tiny_spec):
    text = tmp_path / "notes.txt"
    text.write_text("".join(f"Line {i} of notes about {TOPICS[i % 6]}, written plainly.\n" for i in range(20)))
    spec = load_spec(tiny_spec(task="lm", real={"source": str(text), "n_train": None, "n_test": None},
                               generation=None, mixing={"ratios": [0.0]}))
    rows = {r["dataset"]: r for r in run_experiment(spec, tmp_path / "run").results}
    assert set(rows) == {"base", "real"} and rows["real"]["test_loss"] < rows["base"]["test_loss"] + 1


def test_a_task_without_a_strategy_cannot_generate(tmp_path, tiny_spec):
    text = tmp_path / "notes.txt"
    text.write_text("one\ntwo\n")
    with pytest.raises(UserError, match="generation: no strategy generates lm data"):
        load_spec(tiny_spec(task="lm", real={"source": str(text)}))
