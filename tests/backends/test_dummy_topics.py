"""The dummy backend's topics: one noun after the adjective runs dry near 600 topics (the fault tests' model that
runs dry); topic_words=2 knows enough for the paper's 10,000-topic pool, and keys its cache apart."""

import pytest

from synthdiv.backends.base import SamplingParams
from synthdiv.backends.dummy import DummyBackend
from synthdiv.errors import UserError

ASK = [{"role": "system", "content": "List topics."}, {"role": "user", "content": "Give 20 new topics."}]


def _topics(backend: DummyBackend, samples: int) -> set[str]:
    return {line.split(". ", 1)[1] for i in range(samples) for line in backend.respond(ASK, i, SamplingParams()).splitlines()}


def test_two_topic_words_know_the_papers_pool_size_and_one_word_keeps_its_answers():
    one, two = DummyBackend(), DummyBackend(topic_words=2)
    assert len(_topics(one, 600)) < 733  # 12 adjectives x 61 nouns
    assert len(_topics(two, 1200)) > 10_000
    assert all(len(t.split()) == 3 for t in _topics(two, 5))
    assert one.respond(ASK, 3, SamplingParams()) == DummyBackend(topic_words=1).respond(ASK, 3, SamplingParams())
    assert "topic_words" not in one.cache_identity() and two.cache_identity()["topic_words"] == 2


def test_topic_words_below_one_is_refused():
    with pytest.raises(UserError, match="topic_words must be 1 or more"):
        DummyBackend(topic_words=0)
