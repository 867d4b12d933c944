"""Topic trees: breadth-first growth, exact and near-duplicate removal, paths, resume from the cache."""

from __future__ import annotations

import numpy as np
import pytest

from synthdiv.backends import SamplingParams, get_backend
from synthdiv.backends.dummy import DummyBackend
from synthdiv.errors import UserError
from synthdiv.generation.cache import NullCache, ResponseCache
from synthdiv.generation.engine import Engine
from synthdiv.generation.prompts import topic_tree_messages
from synthdiv.generation.topic_tree import Topic, grow_topic_tree, parse_pool_line
from synthdiv.generation.topics import normalise_topic, read_topics

ANSWERS = {  # node asked for (last user turn's parent) -> answer
    "": "Harbour\nHarbour\nGarden\nSchool",
    "Harbour": "Fishing boat\nlighthouse\nHarbour\nFISHING boat.",
    "Garden": "Roses\nRose\nCompost",
    "School": "Exams\nRecess",
}


class Scripted(DummyBackend):
    """Answers each node with a fixed list; counts the nodes asked."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.asked: list[str] = []

    def respond(self, messages, sample, params):
        text = messages[-1]["content"]
        parent = text.split('narrower parts of "')[1].split('"')[0] if "narrower parts" in text else ""
        self.asked.append(parent)
        return ANSWERS.get(parent, "")


def fake_embed(texts):
    """'Rose' and 'Roses' share a vector (a near-duplicate); every other topic is orthogonal."""
    out = np.zeros((len(texts), 64), dtype=np.float32)
    for i, t in enumerate(texts):
        out[i, STEMS.setdefault(normalise_topic(t).rstrip("s"), len(STEMS))] = 1.0
    return out


STEMS: dict[str, int] = {}


def test_tree_grows_breadth_first_with_paths_and_removes_exact_duplicates():
    backend = Scripted()
    growth = grow_topic_tree(Engine(backend, SamplingParams(), NullCache()), 9, seed=0, per_request=4)
    assert [t.line for t in growth.topics] == [
        "Harbour", "Garden", "School",
        "Harbour > Fishing boat", "Harbour > lighthouse", "Garden > Roses", "Garden > Rose", "Garden > Compost", "School > Exams",
    ]
    assert backend.asked == ["", "Harbour", "Garden", "School"]  # the root once, then every theme once
    # "Harbour" twice at the root, "Harbour" (its own parent) and "FISHING boat." under Harbour
    assert growth.exact_duplicates == 3 and growth.near_duplicates == 0
    assert growth.by_depth == {1: 3, 2: 6} and growth.candidates == 13


def test_near_duplicates_are_removed_by_embedding_similarity():
    growth = grow_topic_tree(Engine(Scripted(), SamplingParams(), NullCache()), 8, seed=0, per_request=4, embed=fake_embed)
    texts = [t.text for t in growth.topics]
    assert "Roses" in texts and "Rose" not in texts and growth.near_duplicates == 1
    assert texts == ["Harbour", "Garden", "School", "Fishing boat", "lighthouse", "Roses", "Compost", "Exams"]


def test_tree_stops_when_nothing_is_left_to_ask_and_says_how_far_it_got():
    growth = grow_topic_tree(Engine(Scripted(), SamplingParams(), NullCache()), 500, seed=0, per_request=4, max_depth=2,
                             max_requests=12)
    assert len(growth.topics) == 10 and growth.requests == 12  # the budget is spent re-asking the same nodes


def test_dummy_tree_is_exact_on_rerun_and_answered_from_the_cache(tmp_path):
    def grow():
        engine = Engine(get_backend("dummy"), SamplingParams(seed=2), ResponseCache(tmp_path / "c"))
        return grow_topic_tree(engine, 250, seed=3, per_request=10), engine

    first, _ = grow()
    again, engine = grow()
    assert len(first.topics) == 250 and len({normalise_topic(t.text) for t in first.topics}) == 250
    assert [t.line for t in again.topics] == [t.line for t in first.topics]
    assert engine.backend.stats.requests == 0 and engine.counters.cache_hits == first.requests
    assert max(len(t.path) for t in first.topics) == 2  # theme > subtopic > topic


def test_pool_file_lines_round_trip_and_read_as_their_topics(tmp_path):
    t = Topic("Storm at sea", ("Seaside", "Weather"))
    assert t.line == "Seaside > Weather > Storm at sea" and parse_pool_line(t.line) == t
    f = tmp_path / "pool.txt"
    f.write_text("# grown\nSeaside\nSeaside > Weather\nSeaside > Weather > Storm at sea\n", encoding="utf-8")
    assert read_topics(f) == ["Seaside", "Weather", "Storm at sea"]


def test_tree_prompt_shows_one_worked_exchange_then_the_node():
    msgs = topic_tree_messages(10, ("Seaside", "Weather"), ["Love", "War"])
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user"]
    assert msgs[-1]["content"].startswith('List 10 new topics for short stories that are narrower parts of "Weather" (in Seaside > Weather)')
    assert "Storm at sea" in msgs[2]["content"] and 'parts of "Seaside"' in msgs[1]["content"]
    root = topic_tree_messages(10, (), ["Love", "War"])
    assert "broad themes" in root[-1]["content"] and "Love, War" in root[-1]["content"] and "Moving house" in root[2]["content"]


def test_bad_sizes_are_refused():
    with pytest.raises(UserError, match="at least 1"):
        grow_topic_tree(Engine(Scripted(), SamplingParams(), NullCache()), 0, seed=0)


def test_the_batched_near_duplicate_check_keeps_what_a_topic_by_topic_check_keeps():
    from synthdiv.generation.topic_tree import TopicSet, TreeGrowth

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(40, 8))
    table = {f"t{i}": centres[i % 40] + 0.3 * rng.normal(size=8) for i in range(400)}  # many near one another

    def embed(texts):
        return np.stack([table[t] for t in texts])

    threshold = 0.9
    batched = TopicSet(embed, threshold)
    growth = TreeGrowth(topics=batched.topics)
    for start in range(0, 400, 25):  # batches of 25, as a round's answers arrive
        batched.add_all([Topic(f"t{i}") for i in range(start, start + 25)], growth, limit=10_000)
    kept: list[np.ndarray] = []  # the textbook: each topic against every topic kept before it
    expected = []
    for i in range(400):
        v = table[f"t{i}"] / np.linalg.norm(table[f"t{i}"])
        if not kept or max(float(k @ v) for k in kept) < threshold:
            kept.append(v)
            expected.append(f"t{i}")
    assert [t.text for t in batched.topics] == expected
    assert 40 <= len(expected) < 400 and growth.near_duplicates == 400 - len(expected)
