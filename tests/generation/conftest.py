from __future__ import annotations

import pytest

from synthdiv.data.records_io import write_records
from synthdiv.records import Record

WORDS = "sun rain dog cat road hill lake farm shop town bus car tree bird fish cake milk door park book".split()


def make_stories(n: int = 30) -> list[Record]:
    out = []
    for i in range(n):
        s = [f"{WORDS[(i + j) % len(WORDS)].title()} went to the {WORDS[(i * 3 + j) % len(WORDS)]} with friend {i}." for j in range(5)]
        out.append(Record(id=f"real-{i}", task="story_completion", context=" ".join(s[:4]), target=s[4]))
    return out


def make_qa(contexts: int = 4, per_context: int = 8) -> list[Record]:
    return [
        Record(id=f"qa-{c}-{i}", task="long_context_qa", context=f"Document {c} tells of {WORDS[c]} and {WORDS[c + 1]}.",
               question=f"What did {WORDS[i]} do in part {i}?", target=f"It met the {WORDS[(i + c) % 20]}.", group=f"doc{c}")
        for c in range(contexts)
        for i in range(per_context)
    ]


@pytest.fixture
def stories_file(tmp_path):
    path = tmp_path / "real_stories.jsonl"
    write_records(make_stories(), path)
    return path


@pytest.fixture
def qa_file(tmp_path):
    path = tmp_path / "real_qa.jsonl"
    write_records(make_qa(), path)
    return path


def generate_level(out, real, level: str, n: int, level_overrides: dict, temperature: float = 0.7) -> list[Record]:
    """``n`` stories of ``level`` from the dummy backend with the A.4 topics and these level overrides."""
    from synthdiv.data.records_io import read_records
    from synthdiv.generation.config import GenerationConfig
    from synthdiv.generation.runner import run_generation

    run_generation(GenerationConfig(task="story_completion", strategy="topic", level=level, n=n, out=out, real=real,
                                    topics="builtin", backend="dummy", model="dummy", cache=False, progress=False,
                                    temperature=temperature, max_tokens=160,
                                    level_overrides=level_overrides))
    return read_records(out)
