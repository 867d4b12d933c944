"""The story filters: seed copies and off-topic stories are rejected with their reason kept."""

from __future__ import annotations

import numpy as np

from synthdiv.backends import SamplingParams
from synthdiv.backends.dummy import DummyBackend
from synthdiv.generation.cache import NullCache
from synthdiv.generation.engine import Engine
from synthdiv.generation.levels import topic_level
from synthdiv.generation.topic_guided import StoryOptions, adherence_check, generate_stories
from tests.generation.conftest import make_stories


class CopiesEveryOther(DummyBackend):
    """Every second answer repeats the first seed story its prompt showed (an earlier assistant turn)."""

    def respond(self, messages, sample, params):
        if sample % 2 == 0:
            return next(m["content"] for m in messages if m["role"] == "assistant")
        return super().respond(messages, sample, params)


def test_seed_copies_are_rejected_and_replaced_with_the_reason_kept():
    engine = Engine(CopiesEveryOther(), SamplingParams(), NullCache())
    records = generate_stories(engine, make_stories(), 6, topic_level("D2"), ["Harbour", "Garden"], seed=0)
    assert len(records) == 6
    copies = [r for r in engine.rejects if r["reason"].startswith("copies seed real-")]
    assert len(copies) == 6 and all("-word run in common, ROUGE-L 1.00 (limits: 10 words, 0.6)" in r["reason"] for r in copies)
    seeds = {s.context for s in make_stories()}
    assert not any(r.context in seeds for r in records)


def test_copies_pass_when_the_limit_is_raised():
    engine = Engine(CopiesEveryOther(), SamplingParams(), NullCache())
    opts = StoryOptions(copy_run_words=10_000, copy_rouge_l=1.01)
    generate_stories(engine, make_stories(), 6, topic_level("D2"), ["Harbour", "Garden"], seed=0, opts=opts)
    assert not any(r["reason"].startswith("copies seed") for r in engine.rejects)


def test_the_adherence_filter_names_the_topic_and_its_rank(monkeypatch):
    def embed(texts):
        return np.array([[1.0, 0.0] if "harbour" in t.lower() else [0.0, 1.0] for t in texts], dtype=np.float32)

    import synthdiv.metrics.embed_cache as cache

    monkeypatch.setattr(cache, "embed_texts", lambda texts, model="minilm-l6", **_: embed(texts))
    check = adherence_check(["Harbour", "Garden"], seed=0, minimum=0.9)
    assert check("A boat came into the harbour.", "Harbour") is None
    reason = check("We planted roses.", "Harbour")
    assert reason.startswith("off topic: its topic 'Harbour' ranks 0.00 among the distractor topics (minimum 0.9)")
    assert adherence_check(["Harbour"], seed=0, minimum=None) is None
