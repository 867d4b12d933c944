"""Topic-guided instruction data (generation/instruct.py): the paper's knob on prompt/response pairs."""

from __future__ import annotations

import json

import pytest

from synthdiv.cli.main import main
from synthdiv.data import read_input
from synthdiv.data.records_io import write_records
from synthdiv.errors import UserError
from synthdiv.generation.instruct import shipped_examples
from synthdiv.generation.parse import parse_instruction
from synthdiv.generation.prompts import instruction_messages
from synthdiv.generation.config import GenerationConfig
from synthdiv.generation.runner import run_generation
from synthdiv.generation.strategies import resolve_strategy
from synthdiv.records import Record


def pairs(n: int = 12, chat: bool = False) -> list[Record]:
    out = []
    for i in range(n):
        q, a = f"How do I water plant number {i}?", f"Give plant {i} a cup of water every morning and keep it in the light."
        out.append(Record(id=f"s{i}", task="sft", context=q, target=a,
                          messages=[{"role": "user", "content": q}] if chat else None))
    return out


def generate(tmp_path, real, level="D3", n=8, **overrides) -> list[Record]:
    path = tmp_path / "real.jsonl"
    write_records(real, path)
    out = tmp_path / f"gen-{level}.jsonl"
    run_generation(GenerationConfig(task="sft", strategy="instruct", level=level, n=n, out=out, real=path, topics="builtin",
                                    backend="dummy", model="dummy", cache=False, progress=False,
                                    max_tokens=200, level_overrides=overrides))
    return read_input(out)


def test_the_prompt_shows_each_seed_pair_as_an_earlier_turn_and_names_the_topic():
    messages = instruction_messages("Gardening", pairs(2), 13)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert "about 13 words" in messages[0]["content"] and "Instruction: <the user's request>" in messages[0]["content"]
    assert messages[2]["content"] == ("Instruction: How do I water plant number 0?\n"
                                      "Response: Give plant 0 a cup of water every morning and keep it in the light.")
    assert messages[-1]["content"] == 'Write a new instruction about "Gardening" and its response.'


@pytest.mark.parametrize(("raw", "value"), [
    ("Instruction: Name a fruit.\nResponse: An apple grows on trees.", ("Name a fruit.", "An apple grows on trees.")),
    ("Sure! **Instruction:** Tell a joke.\n**Response:** Why did the cat sit there?\nInstruction: another", ("Tell a joke.", "Why did the cat sit there?")),
    ('{"instruction": "Say hi.", "response": "Hello to you."}', ("Say hi.", "Hello to you.")),
    ("Instructions: Cut the fruit.\n\nResponse: Use a sharp knife.", ("Cut the fruit.", "Use a sharp knife.")),  # SmolLM2's plural
])
def test_the_parser_reads_a_labelled_pair(raw, value):
    parsed = parse_instruction(raw, 5)
    assert parsed.ok and parsed.value == value


@pytest.mark.parametrize(("raw", "reason"), [
    ("Just some words.", "no 'Instruction:' label"),
    ("Instruction: Name a fruit.", "no 'Response:' label after the instruction"),
    ("Instruction: Name a fruit.\nResponse: Apple.", "response of 1 words is far from the seeds' 20"),
    ("Instruction: \nResponse: An apple grows on trees and is red.", "empty instruction"),
])
def test_the_parser_keeps_a_reason_for_what_it_rejects(raw, reason):
    parsed = parse_instruction(raw, 20)
    assert not parsed.ok and parsed.reason.startswith(reason)


def test_generated_pairs_are_sft_records_with_their_topic_seeds_and_level(tmp_path):
    records = generate(tmp_path, pairs())
    assert len(records) == 8 and {r.task for r in records} == {"sft"} and {r.source for r in records} == {"generated"}
    first = records[0]
    assert first.provenance.strategy == "instruct" and first.provenance.level == "D3" and len(first.provenance.seed_ids) == 3
    assert first.context.startswith("How do I") and first.target and first.messages is None
    assert len({r.context for r in records}) == len(records)  # no instruction twice


def test_pairs_take_the_form_of_their_seeds(tmp_path):
    records = generate(tmp_path, pairs(chat=True))
    assert all(r.messages == [{"role": "user", "content": r.context}] for r in records)


def test_a_level_narrows_the_topics_as_for_stories(tmp_path):
    low, high = generate(tmp_path, pairs(), "D0", 10), generate(tmp_path, pairs(), "D6", 10)
    assert len({r.provenance.topic for r in low}) == 1 and len({r.provenance.topic for r in high}) > 5


def test_too_few_seed_pairs_is_one_clear_error(tmp_path):
    with pytest.raises(UserError, match="need at least k=3 real instruction pairs"):
        generate(tmp_path, pairs(2))


def test_the_shipped_seeds_are_chat_pairs():
    seeds = shipped_examples()
    assert len(seeds) == 62 and len({s.id for s in seeds}) == 62
    assert all(s.task == "sft" and s.messages and s.messages[-1]["role"] == "user" for s in seeds)
    assert {s.meta["category"] for s in seeds} >= {"howto", "explain", "math", "code"}


def test_the_command_derives_the_task_from_the_strategy(tmp_path, capsys):
    out = tmp_path / "gen.jsonl"
    assert main(["generate", "--strategy", "instruct", "--n", "4", "--backend", "dummy", "--topics", "builtin",
                 "--out", str(out), "--no-progress"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 4 and {r["task"] for r in rows} == {"sft"}
    assert resolve_strategy(None, "sft").name == "instruct" and resolve_strategy(None, None).name == "topic"
    with pytest.raises(UserError, match="no strategy generates lm data"):
        resolve_strategy(None, "lm")
