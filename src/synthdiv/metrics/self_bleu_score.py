"""Self-BLEU (Zhu et al., 2018, "Texygen: A Benchmarking Platform for Text
Generation Models"): the mean BLEU of each sample against all the other samples
as references. Higher means the samples repeat each other: less diverse.

Computed exactly without the quadratic loop. BLEU's clipped count of an n-gram
``g`` in sample ``i`` is ``min(c_i(g), max_{j != i} c_j(g))``. The leave-one-out
maximum needs only the two largest counts of ``g`` over all samples: it is the
second largest when sample ``i`` holds the largest, else the largest (ties make
both equal). The closest reference length is found the same way in the sorted
list of lengths. Everything else follows nltk's ``sentence_bleu`` exactly
(weights 1/4 each, brevity penalty with the closest reference length, shorter on
ties, score 0 without a matching unigram); ``smoothing="none"`` is nltk's default
``method0`` (a zero precision becomes ``sys.float_info.min``, giving a score near
1e-77, not 0), ``"method1"`` adds 0.1 to zero counts as Texygen (and fast-bleu's
``smoothing_func=1``) does, ``"method2"`` adds 1 to the numerator and denominator of
every order above 1 (Lin and Och, 2004), each as nltk's ``SmoothingFunction`` of that name.
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from synthdiv.metrics.choices import DEFAULT_SMOOTHING, SMOOTHINGS
from synthdiv.metrics.ngrams.count import ngram_ids
from synthdiv.metrics.ngrams.tokenize import TokenIds, tokenize


@dataclass
class SelfBleuResult:
    self_bleu: float | None
    max_n: int
    samples: int
    smoothing: str
    tokenizer: str

    def to_dict(self) -> dict:
        return asdict(self)


def self_bleu_scores(token_ids: TokenIds, max_n: int = 4, smoothing: str = DEFAULT_SMOOTHING) -> np.ndarray:
    """BLEU-``max_n`` of every sample against all the others (uniform weights), as nltk computes it."""
    if smoothing not in SMOOTHINGS:
        raise ValueError(f"smoothing must be one of {SMOOTHINGS}")
    S = len(token_ids)
    lengths = token_ids.lengths
    sample_of = np.repeat(np.arange(S, dtype=np.int64), lengths)
    log_p = np.zeros(S)
    first_numerator = None
    for n in range(1, max_n + 1):
        numerator = _clipped_matches(token_ids, n, sample_of, S)
        denominator = np.maximum(1, lengths - n + 1)
        if n == 1:
            first_numerator = numerator
        p = _smoothed_precision(numerator, denominator, n, smoothing)
        log_p += np.log(p) / max_n
    bp = _brevity_penalty(lengths, _closest_other_length(lengths))
    scores = bp * np.exp(log_p)
    scores[first_numerator == 0] = 0.0
    return scores


def self_bleu(
    texts: Sequence[str] | None = None,
    tokenizer: str = "regex",
    max_n: int = 4,
    smoothing: str = DEFAULT_SMOOTHING,
    token_ids: TokenIds | None = None,
) -> SelfBleuResult:
    """Mean self-BLEU-``max_n`` of the samples; ``None`` (with a warning) for fewer than two samples."""
    if token_ids is None:
        token_ids = tokenize(texts, tokenizer)
    if len(token_ids) < 2:
        warnings.warn("self-BLEU needs at least two samples; it is null", stacklevel=2)
        value = None
    else:
        value = float(math.fsum(self_bleu_scores(token_ids, max_n, smoothing)) / len(token_ids))
    return SelfBleuResult(value, max_n, len(token_ids), smoothing, token_ids.tokenizer)


def _smoothed_precision(numerator: np.ndarray, denominator: np.ndarray, n: int, smoothing: str) -> np.ndarray:
    """The order-n precision of every sample after nltk's smoothing method of that name."""
    if smoothing == "method1":  # epsilon 0.1 for a zero count
        return np.where(numerator > 0, numerator, 0.1) / denominator
    if smoothing == "method2" and n > 1:  # nltk leaves the unigram precision as it is
        return (numerator + 1) / (denominator + 1)
    # method0: a zero precision becomes the smallest float, so log stays finite.
    return np.where(numerator > 0, numerator / denominator, sys.float_info.min)


def _clipped_matches(token_ids: TokenIds, n: int, sample_of: np.ndarray, S: int) -> np.ndarray:
    """Per sample: sum over its n-grams g of min(c_i(g), max over other samples of c_j(g))."""
    positions, gram = ngram_ids(token_ids.ids, token_ids.vocab_size, n, token_ids.offsets)
    if positions.size == 0:
        return np.zeros(S, dtype=np.int64)
    sample = sample_of[positions]
    # Count each (gram, sample) pair: sort the pair keys, run lengths are the counts.
    pair = np.sort(gram * S + sample)
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    count = np.diff(np.r_[starts, pair.size])
    pair_gram, pair_sample = pair[starts] // S, pair[starts] % S
    # Two largest counts per gram: sort pairs by (gram, count descending).
    cmax = int(count.max()) + 1
    by_count = np.argsort(pair_gram * cmax + (cmax - 1 - count), kind="stable")
    g_sorted, c_sorted = pair_gram[by_count], count[by_count]
    first = np.r_[True, g_sorted[1:] != g_sorted[:-1]]
    gram_start = np.flatnonzero(first)
    top1 = c_sorted[gram_start]
    has_second = np.r_[gram_start[1:], g_sorted.size] - gram_start >= 2
    top2 = np.where(has_second, c_sorted[np.minimum(gram_start + 1, g_sorted.size - 1)], 0)
    gram_index = np.cumsum(first) - 1
    t1, t2 = top1[gram_index], top2[gram_index]
    others = np.where(c_sorted == t1, t2, t1)
    clipped = np.minimum(c_sorted, others)
    return np.bincount(pair_sample[by_count], weights=clipped, minlength=S).astype(np.int64)


def _closest_other_length(lengths: np.ndarray) -> np.ndarray:
    """For each sample, the length of the other sample closest to its own (shorter on ties)."""
    ordered = np.sort(lengths)
    left = np.searchsorted(ordered, lengths, side="left")
    right = np.searchsorted(ordered, lengths, side="right")
    big = np.iinfo(np.int64).max // 4
    lower = np.where(left > 0, ordered[np.maximum(left - 1, 0)], -big)
    upper = np.where(right < ordered.size, ordered[np.minimum(right, ordered.size - 1)], big)
    closest = np.where(lengths - lower <= upper - lengths, lower, upper)
    return np.where(right - left >= 2, lengths, closest)


def _brevity_penalty(hyp_len: np.ndarray, ref_len: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        bp = np.exp(1 - ref_len / np.maximum(hyp_len, 1))
    return np.where(hyp_len > ref_len, 1.0, np.where(hyp_len == 0, 0.0, bp))


def measure(panel) -> dict:
    """The registry's ``self-bleu``, on the panel's tokens."""
    sb = self_bleu(token_ids=panel.tokens, max_n=panel.self_bleu_n, smoothing=panel.self_bleu_smoothing)
    return {"self_bleu": sb.self_bleu, "self_bleu_detail": sb.to_dict()}
