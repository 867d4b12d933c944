"""Level presets, topics (built-in list, files, pool generation, seeded subsets) and the response cache."""

from __future__ import annotations

import random
import sqlite3

import pytest

from synthdiv.backends import SamplingParams, get_backend
from synthdiv.errors import UserError
from synthdiv.generation.cache import NullCache, ResponseCache, cache_key
from synthdiv.generation.engine import Engine
from dataclasses import replace

from synthdiv.generation.levels import paraphrase_level, topic_level
from synthdiv.generation.paraphrase import replacement_plan
from synthdiv.generation.topics import builtin_topics, draw_topic_set, generate_topic_pool, normalise_topic, read_topics


def test_topic_level_presets_and_overrides():
    assert [topic_level(f"D{i}").topic_set_size for i in range(7)] == [1, 5, 25, 100, 500, 2500, 10000]
    assert topic_level("gen-d3", topic_set_size=7, k=2) == replace(topic_level("D3"), topic_set_size=7, k=2)
    with pytest.raises(UserError, match="D0 … D6"):
        topic_level("D7")


def test_paraphrase_level_r_follows_share_and_is_capped():
    assert [paraphrase_level(f"D{i}").r for i in range(7)] == [9, 8, 6, 4, 3, 2, 0]  # round(share × m), m = 10
    assert paraphrase_level("D0", m=4).r == 3  # round(3.6) = 4 would leave no source pair: capped at m − 1
    assert paraphrase_level("D6", replace_count=2).r == 2
    assert paraphrase_level("D3").p == 5


def test_builtin_topics_are_the_papers_unique_list():
    topics = builtin_topics()
    assert len(topics) == 97 and topics[:3] == ["Adventure", "Love", "Friendship"] and topics[-1] == "Rebirth"
    assert read_topics("builtin") == topics


def test_topics_file_is_unique_by_normalised_form(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("# mine\nTime travel\ntime-travel!\n\nLove\n", encoding="utf-8")
    assert read_topics(f) == ["Time travel", "Love"]
    assert normalise_topic("  Time-Travel! ") == "time travel"
    (tmp_path / "empty.txt").write_text("# only a comment\n", encoding="utf-8")
    with pytest.raises(UserError, match="no topics"):
        read_topics(tmp_path / "empty.txt")


def test_topic_pool_reaches_k_unique_topics_and_is_reproducible(tmp_path):
    def pool():
        engine = Engine(get_backend("dummy"), SamplingParams(seed=1), ResponseCache(tmp_path / "c"))
        return generate_topic_pool(engine, 60, seed=4, per_request=10), engine

    first, e1 = pool()
    again, e2 = pool()
    assert len(first) == 60 and len({normalise_topic(t) for t in first}) == 60
    assert again == first and e2.backend.stats.requests == 0 and e2.counters.cache_hits > 0


def test_topic_pool_warns_when_the_model_repeats_itself():
    class Repeating:
        name, model = "fixed", "fixed"

        def __init__(self):
            from synthdiv.backends.base import BackendStats

            self.stats = BackendStats()

        def cache_identity(self):
            return {"backend": "fixed"}

        def generate(self, requests, params, on_result=None):
            from synthdiv.backends.base import Completion

            out = [Completion(texts=["Love\nWar"]) for _ in requests]
            for i, c in enumerate(out):
                on_result(i, c)
            return out

    warnings = []
    pool = generate_topic_pool(Engine(Repeating(), SamplingParams(), NullCache()), 30, 0, per_request=10, warn=warnings.append)
    assert pool == ["Love", "War"] and "2 of 30" in warnings[0]


def test_topic_set_is_a_seeded_subset():
    pool = [f"t{i}" for i in range(50)]
    assert draw_topic_set(pool, 5, 1) == draw_topic_set(pool, 5, 1) != draw_topic_set(pool, 5, 2)
    assert len(set(draw_topic_set(pool, 5, 1))) == 5 and draw_topic_set(pool, 500, 1) == pool


def test_replacement_plan_takes_sources_from_the_kept_pairs():
    plan = replacement_plan(10, 6, random.Random(0))
    assert len(plan) == 6 and all(j not in plan for j in plan.values())


def test_cache_key_covers_what_decides_an_answer():
    ident, msgs, params = {"backend": "openai", "model": "m"}, [{"role": "user", "content": "x"}], SamplingParams().to_dict()
    base = cache_key(ident, msgs, params, 0)
    assert base == cache_key(dict(ident), [dict(msgs[0])], dict(params), 0)
    assert base != cache_key(ident, msgs, params, 1)
    assert base != cache_key({**ident, "model": "n"}, msgs, params, 0)
    assert base != cache_key(ident, msgs, {**params, "temperature": 0.1}, 0)


def test_cache_is_durable_wal_and_never_holds_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-never-stored")
    backend = get_backend("openai", model="m", base_url="http://127.0.0.1:9/v1")
    assert "sk-never-stored" not in str(backend.cache_identity())
    cache = ResponseCache(tmp_path)
    cache.put("k1", "openai", "m", "text one", 3, 4)
    cache.close()
    again = ResponseCache(tmp_path)
    assert again.get("k1") == ("text one", 3, 4) and again.get("nope") is None and len(again) == 1
    assert again.get_many(["k1", "k2"]) == {"k1": ("text one", 3, 4)}
    assert sqlite3.connect(again.path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again.close()
    for f in tmp_path.iterdir():
        assert b"sk-never-stored" not in f.read_bytes()


def _stored(cache: ResponseCache) -> int:
    """Rows another process would find: read through a connection of its own."""
    return sqlite3.connect(cache.path).execute("SELECT COUNT(*) FROM responses").fetchone()[0]


def test_answers_are_committed_in_batches_and_none_is_left_behind(tmp_path, monkeypatch):
    from synthdiv.generation import cache as cache_module

    monkeypatch.setattr(cache_module, "COMMIT_SECONDS", 3600.0)  # a fast backend: answers arrive within a batch's time
    monkeypatch.setattr(cache_module, "COMMIT_ROWS", 3)
    cache = ResponseCache(tmp_path)
    cache.put("k0", "dummy", "m", "first", 1, 1)  # the first answer after a quiet spell is committed at once
    assert _stored(cache) == 1
    cache.put("k1", "dummy", "m", "t", 1, 1)
    cache.put("k2", "dummy", "m", "t", 1, 1)
    assert _stored(cache) == 1  # waiting for the batch
    cache.put("k3", "dummy", "m", "t", 1, 1)  # the third waiting answer fills it
    assert _stored(cache) == 4
    cache.put("k4", "dummy", "m", "t", 1, 1)
    assert cache.get("k4") == ("t", 1, 1) and _stored(cache) == 5  # a read commits first
    cache.put("k5", "dummy", "m", "t", 1, 1)
    cache.flush()
    assert _stored(cache) == 6
    cache.put("k6", "dummy", "m", "t", 1, 1)
    cache.close()
    assert _stored(cache) == 7


def test_a_slow_backend_commits_every_answer_and_the_engine_commits_when_the_backend_returns(tmp_path, monkeypatch):
    from synthdiv.generation import cache as cache_module

    monkeypatch.setattr(cache_module, "COMMIT_SECONDS", 0.0)  # answers further apart than a batch's time
    slow = ResponseCache(tmp_path / "slow")
    for i in range(3):
        slow.put(f"k{i}", "dummy", "m", "t", 1, 1)
        assert _stored(slow) == i + 1
    slow.close()
    monkeypatch.setattr(cache_module, "COMMIT_SECONDS", 3600.0)
    cache = ResponseCache(tmp_path / "fast")
    engine = Engine(get_backend("dummy"), SamplingParams(seed=1), cache)
    engine.answer([([{"role": "user", "content": f"story {i}"}], 0) for i in range(20)])
    assert _stored(cache) == 20  # all of them, with the cache still open
    cache.close()
