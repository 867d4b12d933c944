"""Distinct-n (Li et al., 2016, "A Diversity-Promoting Objective Function for
Neural Conversation Models") as the paper under study uses it (Zhu et al., 2025,
Eq. 4-6), and the n-gram diversity score (Shaib et al., 2024, "Standardizing the
Measurement of Text Diversity"): the sum of distinct-1 ... distinct-N.

    distinct-n(D) = |unique n-grams of concat(D)| / |n-grams of concat(D)|

Modes
-----
``corpus``  the paper's Eq. 4/6: the samples are concatenated, so an n-gram may
            cross the boundary between two samples.
``sample``  no n-gram crosses a sample boundary; unique and total n-grams are
            still counted over the whole set.
``group``   Eq. 5: distinct-n of each group (e.g. the QA pairs of one long
            context, concatenated), then summed over groups; the mean over groups
            is reported beside the sum.

The paper's story values (2.45-3.02 for "Distinct-5") exceed 1, so they can only
be the sum over orders 1..5, i.e. ``ngram_diversity_score``; see docs/metrics.md.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from synthdiv.errors import UserError
from synthdiv.metrics.ngrams.count import count_ngrams
from synthdiv.metrics.ngrams.tokenize import TokenIds, tokenize

MODES = ("corpus", "sample", "group")


@dataclass
class DistinctResult:
    """Distinct-1..N of one set of texts. Keys of the dicts are the orders as strings.

    ``distinct[k]`` is the ratio (corpus/sample modes) or the sum of the per-group
    ratios (group mode); ``None`` where there is no k-gram at all."""

    distinct: dict[str, float | None]
    ngram_diversity_score: float | None
    ngrams: dict[str, int]
    unique_ngrams: dict[str, int]
    tokens: int
    samples: int
    tokenizer: str
    mode: str
    groups: int | None = None
    distinct_mean: dict[str, float | None] | None = None
    # group mode: each group's distinct-1..n sum, and the 95 % interval of their sum with the groups resampled
    # (a bootstrap over the long contexts: how much the score would move with other contexts of the same source)
    group_scores: list[float] | None = None
    ngram_diversity_score_ci_low: float | None = None
    ngram_diversity_score_ci_high: float | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def distinct_n(
    texts: Sequence[str] | None = None,
    n: int = 5,
    mode: str = "corpus",
    tokenizer: str = "regex",
    groups: Sequence | None = None,
    token_ids: TokenIds | None = None,
    *,
    backend: str = "auto",
) -> DistinctResult:
    """Distinct-1..n of ``texts`` (or of already tokenised ``token_ids``).

    ``groups`` (one key per text) is required in group mode; texts of a group need
    not be adjacent, they are concatenated in their original order. ``backend``
    ("auto", "numba", "numpy"; see :mod:`synthdiv.metrics.ngrams.engine`) changes the speed,
    never the result."""
    if mode not in MODES:
        raise UserError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}", where="--distinct-over")
    if n < 1:
        raise UserError("n must be at least 1", where="--n")
    if token_ids is None:
        if texts is None:
            raise ValueError("give texts or token_ids")
        token_ids = tokenize(texts, tokenizer, backend=backend)
    if mode == "group":
        return _group_distinct(token_ids, n, groups, backend)
    seg = token_ids.offsets if mode == "sample" else None
    counts = count_ngrams(token_ids.ids, token_ids.vocab_size, n, seg_offsets=seg, backend=backend)
    notes: list[str] = []
    ratios: dict[str, float | None] = {}
    for k in range(1, n + 1):
        total, uniq = int(counts.total[k - 1]), int(counts.distinct[k - 1])
        ratios[str(k)] = uniq / total if total else None
        if not total:
            notes.append(f"no {k}-grams: every text is shorter than {k} tokens ({mode} mode); distinct-{k} is null")
    return _result(ratios, counts.total, counts.distinct, token_ids, mode, notes)


def _group_distinct(token_ids: TokenIds, n: int, groups: Sequence | None, backend: str) -> DistinctResult:
    if groups is None or len(groups) != len(token_ids):
        raise UserError(
            "group mode needs a group per sample (records of long_context_qa carry one); use --distinct-over corpus or sample",
            where="--distinct-over",
        )
    if any(g is None for g in groups):
        raise UserError("group mode: some records have no 'group'; give every record a group", where="--distinct-over")
    # Reorder samples so each group is contiguous (first-seen group order, sample order kept).
    first_seen: dict = {}
    for g in groups:
        first_seen.setdefault(g, len(first_seen))
    gidx = np.fromiter((first_seen[g] for g in groups), dtype=np.int64, count=len(groups))
    order = np.argsort(gidx, kind="stable")
    lengths = token_ids.lengths[order]
    starts = token_ids.offsets[:-1][order]
    ids = np.concatenate([token_ids.ids[s : s + ln] for s, ln in zip(starts, lengths)]) if len(order) else token_ids.ids
    group_len = np.bincount(gidx, weights=token_ids.lengths, minlength=len(first_seen)).astype(np.int64)
    seg = np.concatenate([[0], np.cumsum(group_len)]).astype(np.int64)
    counts = count_ngrams(ids, token_ids.vocab_size, n, seg_offsets=seg, per_segment=True, backend=backend)
    sums: dict[str, float | None] = {}
    means: dict[str, float | None] = {}
    notes: list[str] = []
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = counts.distinct[:n] / counts.total[:n]  # orders × groups; NaN where a group has no k-gram
    for k in range(1, n + 1):
        has = counts.total[k - 1] > 0
        if not has.all():
            notes.append(f"{int((~has).sum())} of {has.size} groups have no {k}-grams; they are left out of distinct-{k}")
        if has.any():
            per_group = ratios[k - 1][has]
            sums[str(k)] = float(per_group.sum())
            means[str(k)] = float(per_group.mean())
        else:
            sums[str(k)] = means[str(k)] = None
    result = _result(sums, counts.total.sum(axis=1), counts.distinct.sum(axis=1), token_ids, "group", notes)
    result.groups = len(first_seen)
    result.distinct_mean = means
    if ratios.size and not np.isnan(ratios).any():
        scores = ratios.sum(axis=0)
        result.group_scores = [float(s) for s in scores]
        result.ngram_diversity_score_ci_low, result.ngram_diversity_score_ci_high = group_sum_interval(scores)
    return result


def group_sum_interval(scores: np.ndarray, *, resamples: int = 2000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of ``scores.sum()`` with the groups resampled (seeded)."""
    from synthdiv.stats.uncertainty import loss_interval

    ci = loss_interval(np.asarray(scores, dtype=np.float64), np.ones(len(scores)), resamples=resamples, seed=seed, level=level)
    return float(ci.ci_low) * len(scores), float(ci.ci_high) * len(scores)


def _result(ratios, totals, uniques, token_ids: TokenIds, mode: str, notes: list[str]) -> DistinctResult:
    values = list(ratios.values())
    score = None if any(v is None for v in values) else float(sum(values))
    for note in notes:
        warnings.warn(note, stacklevel=3)
    return DistinctResult(
        distinct=ratios,
        ngram_diversity_score=score,
        ngrams={str(k): int(t) for k, t in enumerate(totals, 1)},
        unique_ngrams={str(k): int(u) for k, u in enumerate(uniques, 1)},
        tokens=int(token_ids.ids.size),
        samples=len(token_ids),
        tokenizer=token_ids.tokenizer,
        mode=mode,
        warnings=notes,
    )


def normalise_within_group(results: dict[str, DistinctResult]) -> dict[str, dict[str, float | None]]:
    """The paper's normalisation (Sec. 4.1.1): each value divided by the maximum over the
    compared sets, per order and for the sum. Keys: "1".."N" and "ngram_diversity_score"."""
    names = list(results)
    out: dict[str, dict[str, float | None]] = {name: {} for name in names}
    keys = list(next(iter(results.values())).distinct) if names else []
    for key in [*keys, "ngram_diversity_score"]:
        vals = {
            name: (r.ngram_diversity_score if key == "ngram_diversity_score" else r.distinct.get(key))
            for name, r in results.items()
        }
        present = [v for v in vals.values() if v is not None]
        top = max(present) if present else None
        for name, v in vals.items():
            out[name][key] = v / top if (v is not None and top) else None
    return out


def measure(panel) -> dict[str, Any]:
    """The registry's ``distinct`` (metrics.registry): distinct-1..n of the panel's tokens, with the set's counts."""
    return distinct_n(n=panel.n, mode=panel.mode, groups=panel.textset.groups, token_ids=panel.tokens).to_dict()
