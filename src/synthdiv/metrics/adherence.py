"""Topic adherence: does a generated story say something about the topic its prompt gave?

A raw cosine between a story and a one-to-three-word topic is small and depends on
the topic's wording, so it cannot be compared across levels. Adherence is a rank
instead: the share of the *distractor* topics that are less similar to the story than
its own topic (1 = its own topic is the closest, 0.5 = chance, 0 = the farthest), and
``hit`` says whether its own topic is the closest of all. The distractors are the
paper's 97 Appendix A.4 topics plus the other topics of the pool the record's topic
set was drawn from (at most :data:`MAX_DISTRACTORS`, a seeded sample), the same for
every level, so D0 (one topic) and D6 (10,000) are scored on one scale.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import numpy as np

from synthdiv.generation.topics import builtin_topics, normalise_topic
from synthdiv.metrics.embedding import unit_rows

MAX_DISTRACTORS = 500
Embed = Callable[[list[str]], np.ndarray]


def distractor_topics(pool: Sequence[str] = (), seed: int = 0, limit: int = MAX_DISTRACTORS) -> list[str]:
    """A.4 topics first, then a seeded sample of ``pool``, unique by normalised text."""
    extra = list(pool)
    random.Random(f"{seed}:distractors").shuffle(extra)
    seen, out = set(), []
    for t in [*builtin_topics(), *extra]:
        key = normalise_topic(t)
        if key and key not in seen:
            seen.add(key)
            out.append(t)
        if len(out) >= limit:
            break
    return out


def adherence_ranks(story_vecs: np.ndarray, own_vecs: np.ndarray, distractor_vecs: np.ndarray,
                    own_is_distractor: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(rank score, hit) per story. Row i of ``own_vecs`` is story i's topic; a distractor
    equal to story i's own topic (``own_is_distractor[i, j]``) is left out of its ranking."""
    s, o, d = unit_rows(story_vecs), unit_rows(own_vecs), unit_rows(distractor_vecs)
    own_sim = np.einsum("ij,ij->i", s, o)
    dis_sim = s @ d.T
    valid = np.ones_like(dis_sim, dtype=bool) if own_is_distractor is None else ~own_is_distractor
    below = ((dis_sim < own_sim[:, None]) & valid).sum(axis=1)
    counted = np.maximum(valid.sum(axis=1), 1)
    rank = below / counted
    hit = ~((dis_sim >= own_sim[:, None]) & valid).any(axis=1)
    return rank, hit


def topic_adherence(texts: Sequence[str], topics: Sequence[str], embed: Embed, distractors: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Rank score and hit of each text against its topic (same order as ``texts``)."""
    if not texts:
        return np.zeros(0), np.zeros(0, dtype=bool)
    unique_topics = list(dict.fromkeys([*topics, *distractors]))
    vecs = np.asarray(embed(unique_topics), dtype=np.float32)
    row = {t: i for i, t in enumerate(unique_topics)}
    own = vecs[[row[t] for t in topics]]
    dis = vecs[[row[t] for t in distractors]]
    key_ids: dict[str, int] = {}  # normalised topic -> a number, so "same topic" is one array comparison
    own_keys = np.array([key_ids.setdefault(normalise_topic(t), len(key_ids)) for t in topics])
    dis_keys = np.array([key_ids.setdefault(normalise_topic(t), len(key_ids)) for t in distractors])
    same = own_keys[:, None] == dis_keys[None, :]
    story_vecs = np.asarray(embed(list(texts)), dtype=np.float32)
    return adherence_ranks(story_vecs, own, dis, same)


class AdherenceScorer:
    """One story at a time (the generation filter): distractor embeddings computed once."""

    def __init__(self, pool: Sequence[str], *, seed: int = 0, embedder: str = "minilm-l6", embed: Embed | None = None):
        if embed is None:
            from synthdiv.metrics.embed_cache import embed_texts

            def embed(texts: list[str]) -> np.ndarray:
                return embed_texts(texts, embedder)

        self.embed = embed
        self.distractors = distractor_topics(pool, seed=seed)
        self._keys = [normalise_topic(t) for t in self.distractors]
        self._vecs = unit_rows(np.asarray(embed(self.distractors), dtype=np.float32))
        self._own: dict[str, np.ndarray] = {}

    def score(self, text: str, topic: str) -> float:
        if topic not in self._own:
            self._own[topic] = np.asarray(self.embed([topic]), dtype=np.float32)
        same = np.array([[k == normalise_topic(topic) for k in self._keys]], dtype=bool)
        story = np.asarray(self.embed([text]), dtype=np.float32)
        rank, _ = adherence_ranks(story, self._own[topic], self._vecs, same)
        return float(rank[0])
