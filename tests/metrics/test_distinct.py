"""distinct_n: modes, tokenisers, nulls for short texts, the paper's normalisation."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthdiv.errors import UserError
from synthdiv.metrics import distinct_n, normalise_within_group
from synthdiv.metrics.distinct_reference import reference_counts
from synthdiv.metrics.ngrams.tokenize import split_words, tokenize

texts_strategy = st.lists(
    st.lists(st.sampled_from(["a", "b", "c", "A", "c,", "."]), max_size=10).map(" ".join), min_size=1, max_size=8
)
# Non-ASCII letters and Unicode whitespace (str.split and \s split on it), mixed with ASCII texts.
unicode_pieces = ["a", "É", "é", "ß", "Σ", "\u212a", "\u00a0", "\u2009", "\x1c", "\x85", "\u3000", "İ", "-"]
unicode_texts = st.lists(st.lists(st.sampled_from(unicode_pieces), max_size=8).map("".join), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(texts_strategy, unicode_texts),
    st.sampled_from(["regex", "whitespace"]),
    st.sampled_from(["corpus", "sample"]),
    st.integers(1, 5),
)
def test_ratios_equal_the_reference_on_string_tokens(backend, texts, tokenizer, mode, n):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = distinct_n(texts, n=n, mode=mode, tokenizer=tokenizer, backend=backend)
    ref = reference_counts([split_words(t, tokenizer) for t in texts], n, mode)
    for k in range(1, n + 1):
        total, uniq = ref[k - 1]["total"], ref[k - 1]["distinct"]
        assert got.ngrams[str(k)] == total
        assert got.unique_ngrams[str(k)] == uniq
        assert got.distinct[str(k)] == (uniq / total if total else None)


@settings(max_examples=100, deadline=None)
@given(texts_strategy.flatmap(lambda t: st.tuples(st.just(t), st.lists(st.sampled_from("xyz"), min_size=len(t), max_size=len(t)))))
def test_group_mode_sums_per_group_ratios_as_in_eq5(backend, case):
    texts, groups = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = distinct_n(texts, n=3, mode="group", groups=groups, backend=backend)
    ref = reference_counts([split_words(t) for t in texts], 3, "group", groups=groups)
    for k in range(1, 4):
        ratios = [ref[k - 1]["distinct"][g] / t for g, t in ref[k - 1]["total"].items() if t]
        if ratios:
            assert got.distinct[str(k)] == pytest.approx(sum(ratios), rel=1e-12)
            assert got.distinct_mean[str(k)] == pytest.approx(sum(ratios) / len(ratios), rel=1e-12)
        else:
            assert got.distinct[str(k)] is None
    assert got.groups == len(set(groups))


def test_corpus_mode_crosses_sample_boundaries_and_sample_mode_does_not(backend):
    texts = ["a b", "a b"]
    corpus = distinct_n(texts, n=2, mode="corpus", backend=backend)
    sample = distinct_n(texts, n=2, mode="sample", backend=backend)
    assert corpus.ngrams["2"] == 3 and corpus.unique_ngrams["2"] == 2  # "a b", "b a"
    assert sample.ngrams["2"] == 2 and sample.unique_ngrams["2"] == 1


def test_sum_of_orders_is_the_ngram_diversity_score():
    res = distinct_n(["the cat sat on the mat", "the dog sat on the log"], n=5)
    assert res.ngram_diversity_score == pytest.approx(sum(res.distinct.values()))
    assert set(res.to_dict()) >= {"distinct", "ngram_diversity_score", "ngrams", "tokens", "samples", "tokenizer", "mode"}


def test_texts_shorter_than_n_give_null_with_a_warning_not_an_error(backend):
    with pytest.warns(UserWarning, match="no 3-grams"):
        res = distinct_n(["a b", "c"], n=3, mode="sample", backend=backend)
    assert res.distinct["1"] == 1.0
    assert res.distinct["3"] is None
    assert res.ngram_diversity_score is None
    assert any("3-grams" in w for w in res.warnings)


def test_empty_texts_are_null_everywhere(backend):
    with pytest.warns(UserWarning):
        res = distinct_n(["", "  "], n=2, backend=backend)
    assert res.distinct == {"1": None, "2": None} and res.tokens == 0


def test_regex_tokeniser_lowercases_and_splits_punctuation(backend):
    assert split_words("The cat, the CAT.") == ["the", "cat", ",", "the", "cat", "."]
    tok = tokenize(["The cat, the CAT."], "regex", backend=backend)
    assert tok.ids.tolist() == [0, 1, 2, 0, 1, 3]


def test_whitespace_tokeniser_is_exactly_str_split(backend):
    text = "The  cat,\tthe\nCAT.\u00a0x\x1cy\u2009z"
    assert split_words(text, "whitespace") == text.split()
    assert tokenize([text], "whitespace", backend=backend).lengths.tolist() == [len(text.split())]


def test_hugging_face_tokenizer_from_a_local_folder(tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    transformers = pytest.importorskip("transformers")
    from tokenizers import models, pre_tokenizers

    vocab = {"[UNK]": 0, "the": 1, "cat": 2, "sat": 3}
    backend = tokenizers.Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]")
    fast.save_pretrained(tmp_path)
    res = distinct_n(["the cat sat", "the cat"], n=2, tokenizer=str(tmp_path))
    assert res.tokens == 5 and res.unique_ngrams["1"] == 3 and res.tokenizer == str(tmp_path)


def test_unknown_tokenizer_is_a_user_error():
    with pytest.raises(UserError, match="cannot load tokenizer"):
        distinct_n(["a b"], tokenizer="/no/such/tokenizer/folder")


def test_group_mode_without_groups_is_a_user_error():
    with pytest.raises(UserError, match="group mode"):
        distinct_n(["a b"], mode="group")


def test_normalisation_divides_by_the_group_maximum():
    a = distinct_n(["a a a a", "a a"], n=2)
    b = distinct_n(["a b c d", "e f"], n=2)
    norm = normalise_within_group({"a": a, "b": b})
    assert norm["b"]["1"] == 1.0 and norm["b"]["ngram_diversity_score"] == 1.0
    assert norm["a"]["1"] == pytest.approx(a.distinct["1"] / b.distinct["1"])


def test_group_mode_gives_each_groups_score_and_an_interval_over_the_groups():
    texts = ["a b c d", "a b c e", "x y z", "x x x", "p q r s t", "p q r s t"]
    groups = ["g1", "g1", "g2", "g2", "g3", "g3"]
    got = distinct_n(texts, n=2, mode="group", groups=groups)
    one = [distinct_n(texts[i:i + 2], n=2) for i in (0, 2, 4)]
    assert got.group_scores == pytest.approx([r.ngram_diversity_score for r in one], rel=1e-12)
    assert sum(got.group_scores) == pytest.approx(got.ngram_diversity_score, rel=1e-12)
    lo, hi = got.ngram_diversity_score_ci_low, got.ngram_diversity_score_ci_high
    assert 3 * min(got.group_scores) <= lo < got.ngram_diversity_score < hi <= 3 * max(got.group_scores)
    same = distinct_n(["a b", "c d", "a b", "c d"], n=2, mode="group", groups=["g1", "g1", "g2", "g2"])
    assert same.ngram_diversity_score_ci_low == same.ngram_diversity_score_ci_high == same.ngram_diversity_score
    short = distinct_n(["a", "b c"], n=2, mode="group", groups=["g1", "g2"])  # g1 has no 2-gram: no per-group sum
    assert short.group_scores is None and short.ngram_diversity_score_ci_low is None
