"""The fast exact counter against the plain-Python set-of-tuples definition."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthdiv.metrics.ngrams import count as ngram_count
from synthdiv.metrics.distinct_reference import reference_counts
from synthdiv.metrics.ngrams.count import count_ngrams, ngram_ids

# Tiny vocabularies make repeats (the hard case) common; empty samples and samples
# shorter than n are included on purpose.
corpora = st.integers(1, 4).flatmap(
    lambda v: st.lists(st.lists(st.integers(0, v - 1), max_size=12), min_size=1, max_size=8).map(lambda s: (v, s))
)


def _flat(samples):
    ids = np.array([t for s in samples for t in s], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in samples])]).astype(np.int64)
    return ids, offsets


@settings(max_examples=300, deadline=None)
@given(corpora, st.integers(1, 6))
def test_every_mode_matches_the_set_of_tuples_reference(backend, corpus, max_n):
    vocab, samples = corpus
    ids, offsets = _flat(samples)

    got = count_ngrams(ids, vocab, max_n, backend=backend)
    ref = reference_counts(samples, max_n, "corpus")
    assert got.total.tolist() == [r["total"] for r in ref]
    assert got.distinct.tolist() == [r["distinct"] for r in ref]

    got = count_ngrams(ids, vocab, max_n, seg_offsets=offsets, backend=backend)
    ref = reference_counts(samples, max_n, "sample")
    assert got.total.tolist() == [r["total"] for r in ref]
    assert got.distinct.tolist() == [r["distinct"] for r in ref]

    got = count_ngrams(ids, vocab, max_n, seg_offsets=offsets, per_segment=True, backend=backend)
    ref = reference_counts(samples, max_n, "group", groups=list(range(len(samples))))
    for k in range(max_n):
        assert got.total[k].tolist() == [ref[k]["total"][g] for g in range(len(samples))]
        assert got.distinct[k].tolist() == [ref[k]["distinct"][g] for g in range(len(samples))]


@settings(max_examples=100, deadline=None)
@given(corpora, st.integers(1, 5))
def test_ngram_ids_are_equal_exactly_when_ngrams_are_equal(corpus, n):
    vocab, samples = corpus
    ids, offsets = _flat(samples)
    positions, gram = ngram_ids(ids, vocab, n, offsets)
    windows = [tuple(ids[p : p + n]) for p in positions]
    expected = [p for i, s in enumerate(samples) for p in range(offsets[i], offsets[i] + len(s) - n + 1)]
    assert positions.tolist() == expected
    for a in range(len(windows)):
        for b in range(len(windows)):
            assert (gram[a] == gram[b]) == (windows[a] == windows[b])


def test_huge_ids_take_the_argsort_path_and_stay_exact(monkeypatch):
    """Ids near 2**55 cannot be packed with positions into 64 bits: the fallback must agree."""
    calls = {"argsort": 0}
    real_argsort = np.argsort

    def counting_argsort(*args, **kwargs):
        calls["argsort"] += 1
        return real_argsort(*args, **kwargs)

    monkeypatch.setattr(ngram_count.np, "argsort", counting_argsort)
    rng = np.random.default_rng(0)
    big = np.array([2**55 - 3, 2**55 - 2, 7, 2**54])
    samples = [rng.choice(big, size=rng.integers(0, 9)).tolist() for _ in range(25)]
    ids, offsets = _flat(samples)
    assert ids.size < 128  # keeps T * V below 2**63
    got = count_ngrams(ids, 2**55, 4, seg_offsets=offsets, backend="numpy")
    ref = reference_counts(samples, 4, "sample")
    assert got.distinct.tolist() == [r["distinct"] for r in ref]
    assert calls["argsort"] > 0


@pytest.mark.parametrize("per_segment", [False, True])
def test_huge_sparse_ids_are_renumbered_and_stay_exact(backend, per_segment):
    rng = np.random.default_rng(1)
    big = np.array([2**55 - 3, 2**55 - 2, 7, 2**54])
    samples = [rng.choice(big, size=rng.integers(0, 9)).tolist() for _ in range(25)]
    ids, offsets = _flat(samples)
    got = count_ngrams(ids, 2**55, 4, seg_offsets=offsets, per_segment=per_segment, backend=backend)
    if per_segment:
        ref = reference_counts(samples, 4, "group", groups=list(range(len(samples))))
        assert got.distinct.tolist() == [[r["distinct"][g] for g in range(len(samples))] for r in ref]
    else:
        ref = reference_counts(samples, 4, "sample")
        assert got.distinct.tolist() == [r["distinct"] for r in ref]


@pytest.mark.parametrize("mode", ["corpus", "sample", "group"])
def test_numba_and_numpy_agree_on_a_larger_zipfian_corpus(mode):
    pytest.importorskip("numba")
    rng = np.random.default_rng(2)
    samples = [rng.zipf(1.3, size=rng.integers(0, 40)).clip(max=500).tolist() for _ in range(400)]
    ids, offsets = _flat(samples)
    seg = None if mode == "corpus" else offsets
    a = count_ngrams(ids, 501, 6, seg_offsets=seg, per_segment=mode == "group", backend="numpy")
    b = count_ngrams(ids, 501, 6, seg_offsets=seg, per_segment=mode == "group", backend="numba")
    assert a.total.tolist() == b.total.tolist()
    assert a.distinct.tolist() == b.distinct.tolist()


@pytest.mark.parametrize("mode", ["corpus", "sample", "group"])
def test_the_compiled_counts_are_the_same_in_any_number_of_threads(backend, mode):
    if backend == "numpy":
        pytest.skip("threads are the compiled counter's")
    from synthdiv.metrics.ngrams.compiled_count import count_groups

    rng = np.random.default_rng(3)
    samples = [rng.zipf(1.4, size=rng.integers(0, 30)).clip(max=60).tolist() for _ in range(300)]
    ids, offsets = _flat(samples)
    seg = offsets if mode != "corpus" else np.array([0, ids.size], dtype=np.int64)
    one = count_groups(ids, 61, 5, seg, mode == "group", workers=1)
    for workers in (2, 3, 7, 1000):  # more threads than order-1 groups included
        many = count_groups(ids, 61, 5, seg, mode == "group", workers=workers)
        assert one[0].tolist() == many[0].tolist() and one[1].tolist() == many[1].tolist()


def test_ngrams_that_collide_under_a_sum_hash_are_kept_apart(backend):
    """(1, 4) and (2, 3) or (0, 5) share sums, products mod small numbers, etc.; exact keys separate them."""
    samples = [[1, 4], [2, 3], [0, 5], [4, 1], [1, 4]]
    ids, offsets = _flat(samples)
    got = count_ngrams(ids, 6, 2, seg_offsets=offsets, backend=backend)
    assert got.distinct.tolist() == [6, 4]
    assert got.total.tolist() == [10, 5]


def test_too_large_corpus_is_refused_rather_than_miscounted(backend):
    with pytest.raises(ValueError):
        count_ngrams(np.array([0, 1]), 2**62, 2, backend=backend)


def test_empty_ids_count_nothing(backend):
    empty = np.zeros(0, dtype=np.int64)
    got = count_ngrams(empty, 1, 3, seg_offsets=np.array([0, 0, 0]), per_segment=True, backend=backend)
    assert got.total.tolist() == [[0, 0]] * 3 and got.distinct.tolist() == [[0, 0]] * 3


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend"):
        count_ngrams(np.array([0, 1]), 2, 2, backend="gpu")
