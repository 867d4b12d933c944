"""``diversity_report(..., metrics=...)``: only what is asked is computed; the default is unchanged."""

from __future__ import annotations

import pytest

from synthdiv.errors import UserError
from synthdiv.metrics.panel import diversity_report, resolve_metrics

TEXTS = ["the cat sat on the mat", "a dog ran in the park", "the cat ran to the dog", "birds sing at dawn"]


def test_default_is_the_three_lexical_metrics_and_embedding_with_an_embedder():
    assert resolve_metrics(None, embedder=False) == ("distinct", "compression", "self-bleu")
    assert resolve_metrics(None, embedder=True)[-1] == "embedding"


@pytest.mark.parametrize(
    ("metrics", "present", "absent"),
    [
        (["distinct"], {"distinct", "ngram_diversity_score", "tokens"}, {"compression_ratio", "self_bleu"}),
        (["self-bleu"], {"self_bleu", "self_bleu_detail", "tokens", "tokenizer"}, {"distinct", "compression_ratio"}),
        (["compression"], {"compression_ratio", "compression"}, {"distinct", "self_bleu", "tokens"}),
    ],
)
def test_only_the_chosen_metrics_are_computed(metrics, present, absent):
    rep = diversity_report(TEXTS, n=2, metrics=metrics)
    assert present <= set(rep) and not absent & set(rep) and rep["samples"] == 4


def test_choosing_does_not_change_a_value():
    full = diversity_report(TEXTS, n=3)
    assert diversity_report(TEXTS, n=3, metrics=["distinct"])["distinct"] == full["distinct"]
    assert diversity_report(TEXTS, n=3, metrics=["self-bleu"])["self_bleu"] == full["self_bleu"]
    assert diversity_report(TEXTS, n=3, metrics=["self-bleu"])["tokens"] == full["tokens"]


def test_embedding_metrics_with_an_encoder():
    import numpy as np

    rep = diversity_report(TEXTS, metrics=["embedding"], encoder=lambda texts: np.eye(len(texts), 8) + 0.1)
    assert rep["embedding"]["embedded_samples"] == 4 and "distinct" not in rep


@pytest.mark.parametrize(("metrics", "embedder", "words"), [
    (["distinct", "bleu"], False, "unknown metric 'bleu'"),
    (["embedding"], False, "needs an embedding model"),
    (["distinct"], True, "embedding is not among the metrics"),
])
def test_a_bad_choice_is_a_user_error_naming_the_option(metrics, embedder, words):
    with pytest.raises(UserError, match=words) as err:
        resolve_metrics(metrics, embedder=embedder)
    assert err.value.where == "--metrics"
