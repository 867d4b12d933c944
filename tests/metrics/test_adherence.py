"""Topic adherence on hand-made embeddings: the rank of a story's own topic among distractors."""

from __future__ import annotations

import numpy as np

from synthdiv.generation.topics import builtin_topics
from synthdiv.metrics.adherence import AdherenceScorer, adherence_ranks, distractor_topics, topic_adherence

AXES = {"sea": 0, "boat": 0, "war": 1, "battle": 1, "love": 2, "kiss": 2, "cake": 3}


def embed(texts):
    """Each text points at the axes of the words it holds (a bag of topic words)."""
    out = np.zeros((len(texts), 5), dtype=np.float32)
    out[:, 4] = 1e-3  # no text is the zero vector
    for i, t in enumerate(texts):
        for w in t.lower().replace(".", " ").split():
            if w in AXES:
                out[i, AXES[w]] += 1.0
    return out


def test_rank_is_the_share_of_distractors_below_the_own_topic():
    story = np.array([[1.0, 0.2, 0.0]])
    own = np.array([[1.0, 0.0, 0.0]])
    distractors = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.1, 0.0], [0.9, 0.3, 0.0]])
    rank, hit = adherence_ranks(story, own, distractors)
    assert rank.tolist() == [0.5] and hit.tolist() == [False]  # two of four below; [0.9, 0.3] is closer than its own topic
    rank, hit = adherence_ranks(story, own, distractors, np.array([[False, False, False, True]]))
    assert rank.tolist() == [2 / 3] and hit.tolist() == [False]  # the excluded distractor no longer counts


def test_on_topic_stories_rank_first_and_off_topic_ones_last():
    texts = ["A boat left the sea at dawn.", "The battle ended the war.", "A war battle and one kiss."]
    rank, hit = topic_adherence(texts, ["Sea", "War", "Sea"], embed, ["Sea", "War", "Love", "Cake"])
    assert rank.tolist() == [1.0, 1.0, 0.0] and hit.tolist() == [True, True, False]  # the last story is not about the sea


def test_distractors_start_with_the_papers_topics_and_are_unique_and_seeded():
    d = distractor_topics(["Sea", "sea!", "Kites"], seed=1)
    a4 = builtin_topics()
    assert d[: len(a4)] == a4 and d.count("Kites") == 1 and len(d) == len(a4) + 2  # "Sea" and "sea!" are one topic
    assert distractor_topics(["x", "y", "z"], seed=1, limit=99) == distractor_topics(["x", "y", "z"], seed=1, limit=99)
    assert len(distractor_topics([f"t{i}" for i in range(900)])) == 500


def test_scorer_scores_one_story_at_a_time_like_the_batch():
    scorer = AdherenceScorer(["Sea", "War", "Love", "Cake"], embed=embed)
    batch, _ = topic_adherence(["The battle ended the war."], ["War"], embed, scorer.distractors)
    assert scorer.score("The battle ended the war.", "War") == float(batch[0])
