"""Diversity of several sets at one common size, so that they can be compared.

Distinct-n falls as a set grows (each new text repeats more of the n-grams
already seen), so a 2,000-record set scores lower than a 200-record subset of
itself: comparing sets of different sizes compares their sizes as much as their
diversity. :func:`matched_diversity` measures every set at the same ``size``
(default: half the smallest set's, :func:`matched_size`): it draws ``draws`` random subsets of ``size``
texts without replacement, computes distinct-1..n and their sum (the n-gram
diversity score) on each with :func:`synthdiv.metrics.distinct.distinct_n`, and
reports the mean over the draws with the percentile interval of the draws.

The interval says how much the score moves with *which* ``size`` texts are
kept; it would be zero-width for a set of exactly ``size`` texts (every draw the
whole set), which is why the default size is half the smallest set. Each subset keeps its texts in file order, so corpus mode
concatenates them as the full set would be concatenated.

numpy and the counters are imported inside the functions, so the CLI can take
its option defaults from :data:`MATCHED` without slowing ``synthdiv --help``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from synthdiv.errors import UserError
from synthdiv.metrics.texts import TextSet

if TYPE_CHECKING:
    import numpy as np

    from synthdiv.metrics.ngrams.tokenize import TokenIds

MATCHED_MODES = ("corpus", "sample")  # group mode is left out: a record subset splits its groups


@dataclass(frozen=True)
class MatchedSettings:
    """``draws``: random subsets per set. 200 measures three sets of 200-1,000 stories in
    well under a second (docs/benchmarks.md) and puts the Monte Carlo error of the mean
    score at 1/14 of the spread of the draws. ``level``: the percentile interval over the
    draws. ``seed``: numpy PCG64, the same for every set."""

    draws: int = 200
    seed: int = 0
    level: float = 0.95


MATCHED = MatchedSettings()


def matched_size(sizes: Sequence[int]) -> int:
    """The default common size: half the smallest set (at least one text), so that even the
    smallest set's subsets differ and its interval says something."""
    return max(1, min(sizes) // 2)


def matched_diversity(
    texts_per_set: Sequence[TextSet | Sequence[str]],
    size: int | None = None,
    *,
    draws: int = MATCHED.draws,
    seed: int = MATCHED.seed,
    level: float = MATCHED.level,
    n: int = 5,
    tokenizer: str = "regex",
    mode: str = "corpus",
    backend: str = "auto",
) -> list[dict[str, Any]]:
    """Per set, in order: ``size``, ``ngram_diversity_score`` (mean over the draws of
    distinct-1 + ... + distinct-n), ``ci_low``/``ci_high`` (the percentile interval over
    the draws), ``distinct`` (order -> mean distinct-k), ``draw_scores``, ``draws``,
    ``level``, ``seed``, ``mode``. A score is None when some draw has no n-gram at all."""
    from synthdiv.metrics.ngrams.tokenize import tokenize

    sets = [list(s.texts) if isinstance(s, TextSet) else list(s) for s in texts_per_set]
    if not sets:
        raise UserError("give at least one set of texts", where="--match-size")
    size = matched_size([len(s) for s in sets]) if size is None else size
    _check(sets, size, draws, level, mode)
    return [_matched_one(tokenize(texts, tokenizer, backend=backend), size, draws, seed, level, n, mode, backend) for texts in sets]


def _check(sets: list[list[str]], size: int, draws: int, level: float, mode: str) -> None:
    if mode not in MATCHED_MODES:
        raise UserError(f"size-matched diversity runs in {' or '.join(MATCHED_MODES)} mode, not {mode!r}", where="--distinct-over")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise UserError(f"the matched size must be a positive whole number (got {size!r})", where="--match-size")
    smallest = min(map(len, sets))
    if size > smallest:
        raise UserError(f"cannot subsample {size} texts from a set of {smallest}; use a size up to the smallest set", where="--match-size")
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        raise UserError(f"the number of draws must be a positive whole number (got {draws!r})", where="--match-draws")
    if not 0.0 < level < 1.0:
        raise UserError(f"the level must be strictly between 0 and 1 (got {level!r})", where="--level")


def subset_token_ids(tok: TokenIds, keep: np.ndarray) -> TokenIds:
    """The token ids of texts ``keep`` (indices, in that order), as if tokenised alone."""
    import numpy as np

    from synthdiv.metrics.ngrams.tokenize import TokenIds

    starts, lengths = tok.offsets[:-1][keep], tok.lengths[keep]
    offsets = np.zeros(keep.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    positions = np.arange(offsets[-1], dtype=np.int64) + np.repeat(starts - offsets[:-1], lengths)
    return TokenIds(ids=tok.ids[positions], offsets=offsets, vocab_size=tok.vocab_size, tokenizer=tok.tokenizer)


def _matched_one(tok: TokenIds, size: int, draws: int, seed: int, level: float, n: int, mode: str, backend: str) -> dict[str, Any]:
    import numpy as np

    from synthdiv.metrics.distinct import distinct_n

    rng = np.random.Generator(np.random.PCG64(seed))
    total = len(tok)
    if size == total:
        # Every subset of `size` texts is the whole set: one computation gives every draw.
        results = [distinct_n(n=n, mode=mode, token_ids=tok, backend=backend)] * draws
    else:
        results = [
            distinct_n(n=n, mode=mode, token_ids=subset_token_ids(tok, np.sort(rng.choice(total, size, replace=False))), backend=backend)
            for _ in range(draws)
        ]
    scores = [r.ngram_diversity_score for r in results]
    complete = all(s is not None for s in scores)
    mean = _mean if size < total else (lambda values: float(values[0]))  # the whole set: exact, not a rounded mean
    lo, hi = (float(v) for v in np.quantile(scores, [(1 - level) / 2, (1 + level) / 2])) if complete else (None, None)
    distinct = {}
    for k in results[0].distinct:
        values = [r.distinct[k] for r in results if r.distinct[k] is not None]
        distinct[k] = mean(values) if values else None
    return {
        "size": size,
        "mode": mode,
        "ngram_diversity_score": mean(scores) if complete else None,
        "ci_low": lo,
        "ci_high": hi,
        "draws": draws,
        "level": level,
        "seed": seed,
        "distinct": distinct,
        "draw_scores": [float(s) if s is not None else None for s in scores],
    }


def _mean(values: list[float]) -> float:
    import numpy as np

    return float(np.mean(values))
