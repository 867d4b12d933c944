"""Self-BLEU without the quadratic loop equals nltk's sentence_bleu against the other samples."""

from __future__ import annotations

import math
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthdiv.metrics.self_bleu_score import self_bleu  # the function: the package attribute becomes the submodule once it is imported
from synthdiv.metrics.self_bleu_score import self_bleu_scores
from synthdiv.metrics.ngrams.tokenize import tokenize

nltk_bleu = pytest.importorskip("nltk.translate.bleu_score")

sets = st.lists(st.lists(st.sampled_from("abcd"), max_size=9).map(" ".join), min_size=2, max_size=7)


def _nltk_scores(texts, smoothing):
    toks = [t.split() for t in texts]
    fn = None if smoothing == "none" else nltk_bleu.SmoothingFunction().method1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nltk warns about zero n-gram overlaps
        return [
            nltk_bleu.sentence_bleu([toks[j] for j in range(len(toks)) if j != i], toks[i], smoothing_function=fn)
            for i in range(len(toks))
        ]


@settings(max_examples=150, deadline=None)
@given(sets, st.sampled_from(["none", "method1"]))
def test_every_sample_score_matches_nltk(texts, smoothing):
    ours = self_bleu_scores(tokenize(texts, "whitespace"), 4, smoothing)
    for a, b in zip(ours, _nltk_scores(texts, smoothing)):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)


def test_mean_on_a_story_like_set_matches_nltk():
    texts = [
        "the girl went to the store to buy milk",
        "the boy went to the park to play ball",
        "she bought milk and went home happy",
        "the girl went to the store to buy bread",
        "he played ball in the park all day",
    ]
    ours = self_bleu(texts, tokenizer="whitespace").self_bleu
    ref = _nltk_scores(texts, "none")
    assert ours == pytest.approx(sum(ref) / len(ref), rel=1e-12)


def test_identical_samples_score_one_and_single_sample_is_null():
    assert self_bleu(["a b c d e"] * 3).self_bleu == pytest.approx(1.0)
    with pytest.warns(UserWarning, match="two samples"):
        assert self_bleu(["a b c d"]).self_bleu is None
