"""synthdiv reads back every file it writes: each export format, for records of every task."""

from __future__ import annotations

import pytest
from export_records import generated_story, qa_record

from synthdiv.cli.main import main
from synthdiv.data import read_input
from synthdiv.data.records_io import write_records
from synthdiv.export.settings import HF, TRL_MESSAGES, TRL_PROMPT_COMPLETION
from synthdiv.records import Provenance, Record
from synthdiv.tasks import prompt_text, target_text


def _generated(**fields) -> Record:
    return Record(source="generated", provenance=Provenance(level="D1", backend="dummy", model="dummy"), **fields)


def chat(i: int) -> Record:
    turns = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": f"Name colour {i}."}]
    return _generated(id=f"chat-{i}", task="sft", context=f"Name colour {i}.", target=f"Colour {i} is red.", messages=turns)


def pair(i: int) -> Record:
    return _generated(id=f"pair-{i}", task="sft", context=f"Q: what is {i} + 1?\nA:", target=f" {i + 1}")


def text(i: int) -> Record:
    return _generated(id=f"text-{i}", task="lm", context="", target=f"Line {i} of plain text, with words.")


KINDS = {"story": generated_story, "qa": qa_record, "chat": chat, "pair": pair, "text": text}


def export_and_read(tmp_path, records: list[Record], fmt: str) -> list[Record]:
    source = tmp_path / "set.jsonl"
    write_records(records, source)
    out = tmp_path / ("out" if fmt == HF else "out.jsonl")
    assert main(["export", str(source), "--format", fmt, "--out", str(out), "--embedder", "none"]) == 0
    return read_input(out)


@pytest.mark.parametrize("kind", KINDS)
def test_a_hugging_face_folder_reads_back_as_the_same_records(tmp_path, kind):
    records = [KINDS[kind](i) for i in range(4)]
    assert export_and_read(tmp_path, records, HF) == records


@pytest.mark.parametrize("kind", KINDS)
def test_a_trl_prompt_completion_file_reads_back_as_the_same_training_text(tmp_path, kind):
    records = [KINDS[kind](i) for i in range(4)]
    back = export_and_read(tmp_path, records, TRL_PROMPT_COMPLETION)
    for old, new in zip(records, back, strict=True):
        assert (new.task, new.id, new.source, new.provenance.level) == ("sft", old.id, "generated", old.provenance.level)
        assert new.messages == old.messages  # a conversation stays one (TRL's conversational prompt-completion)
        if old.messages is None:
            assert prompt_text(new) + target_text(new) == prompt_text(old) + target_text(old)
        else:
            assert target_text(new) == target_text(old)


@pytest.mark.parametrize("kind", KINDS)
def test_a_trl_messages_file_reads_back_as_the_same_conversation(tmp_path, kind):
    records = [KINDS[kind](i) for i in range(4)]
    back = export_and_read(tmp_path, records, TRL_MESSAGES)
    for old, new in zip(records, back, strict=True):
        assert (new.task, new.id, target_text(new)) == ("sft", old.id, target_text(old))
        expected = old.messages if old.messages is not None else [{"role": "user", "content": prompt_text(old)}] if prompt_text(old) else []
        assert new.messages == expected
