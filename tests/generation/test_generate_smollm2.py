"""About 20 stories from the real offline SmolLM2-135M-Instruct (integration tier)."""

from __future__ import annotations

import pytest

from synthdiv.data.loaders import load_story_cloze
from synthdiv.data.records_io import read_records, write_records
from synthdiv.generation.config import GenerationConfig
from synthdiv.generation.runner import run_generation


@pytest.mark.integration
def test_smollm2_writes_twenty_parsed_stories(tmp_path, story_cloze_csv):
    import torch

    torch.set_num_threads(1)
    real = tmp_path / "real.jsonl"
    write_records(load_story_cloze(story_cloze_csv)[:200], real)
    cfg = GenerationConfig(
        task="story_completion", strategy="topic", level="D6", n=20, out=tmp_path / "gen.jsonl", real=real, topics="builtin",
        backend="transformers", model="smollm2-135m-instruct", backend_options={"batch_size": 24, "device": "cpu"},
        temperature=0.7, max_tokens=100, level_overrides={"k": 2},
        cache_dir=tmp_path / "cache", progress=False,
    )
    summary = run_generation(cfg)
    recs = read_records(tmp_path / "gen.jsonl")
    assert len(recs) == summary.records == 20 and len({r.id for r in recs}) == 20
    for r in recs:
        assert r.context.count(" ") >= 8 and r.target and r.provenance.model == "smollm2-135m-instruct"
        assert r.provenance.backend == "transformers" and r.provenance.topic
    assert summary.completion_tokens > 0 and summary.requests >= 1
    # the rerun is answered from the cache alone
    again = run_generation(cfg)
    assert again.requests == 0 and again.records == 20
