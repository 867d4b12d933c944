"""How sure is a test loss? Bootstrap intervals and paired tests over test records.

The test loss is a ratio estimator, summed NLL / summed target tokens over the
real test records (:mod:`synthdiv.evaluation.heldout_loss`). Its uncertainty comes
from which records happened to be in the test set, so the bootstrap resamples
*records* (with replacement, n of n) and recomputes the ratio on each resample:

    loss* = sum(nll[i*]) / sum(tokens[i*])

Two models evaluated on the same test set are compared *paired*: both sides are
recomputed on the same resampled record indices, so the record-to-record
variation they share (hard records are hard for both) cancels in the difference.
Models trained with several seeds add a second level: seeds are resampled too.
docs/uncertainty.md explains each estimator, the p-value and how to read them.

Exactness: every function draws from ``numpy.random.Generator(PCG64(seed))`` in
a fixed order (:func:`index_blocks`), so a seed gives the same numbers on any
machine with the same numpy.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from synthdiv.errors import UserError
from synthdiv.stats.bootstrap_settings import DEFAULTS, check_settings

RESAMPLES, SEED, LEVEL = DEFAULTS.resamples, DEFAULTS.seed, DEFAULTS.level  # see BootstrapSettings
BLOCK_ROWS = 256  # resamples drawn per block: bounds memory at BLOCK_ROWS x records counts
# Below this many paired records a paired difference gets no verdict. n records have C(2n-1, n) distinct
# resamples: one record has one (a zero-width interval, and the floor p-value 1/(B+1) that reads as
# certainty), five have 126, ten 92,378. With so few the percentile interval is too narrow (its coverage
# well under the nominal 95 % even for normal data) and one odd record moves it; ten is where it starts
# to mean roughly what it says.
MIN_PAIRED_RECORDS = 10
HIGHER = "B has a higher test loss than A: the interval excludes 0"
LOWER = "B has a lower test loss than A: the interval excludes 0"
UNRESOLVED = "no difference resolved at this test size"


@dataclass(frozen=True)
class LossInterval:
    """A test loss (nats per target token) and its percentile bootstrap interval.

    ``records`` test records were resampled ``resamples`` times; ``seeds`` is the
    number of training seeds averaged (1: a single model)."""

    estimate: float
    ci_low: float
    ci_high: float
    records: int
    resamples: int
    seed: int
    level: float = LEVEL
    seeds: int = 1


@dataclass(frozen=True)
class PairedDelta:
    """delta = loss_B - loss_A (nats per token; > 0: B is worse) on the same records.

    ``p_value`` is the two-sided null-centred bootstrap p-value of delta = 0,
    (1 + #{|d* - d| >= |d|}) / (resamples + 1); it is never 0, and its floor is
    1 / (resamples + 1) (``p_at_floor``)."""

    delta: float
    ci_low: float
    ci_high: float
    p_value: float
    pairs: int
    resamples: int
    seed: int
    a_loss: float
    b_loss: float
    level: float = LEVEL
    seeds: int = 1

    @property
    def p_at_floor(self) -> bool:
        return self.p_value <= 1.0 / (self.resamples + 1) + 1e-15


def paired_verdict(d: PairedDelta) -> str:
    """The plain reading of a paired difference: which side is worse when its interval excludes 0,
    else unresolved; below :data:`MIN_PAIRED_RECORDS` pairs, not resolved, saying why."""
    if d.pairs < MIN_PAIRED_RECORDS:
        return (f"not resolved: {d.pairs} paired record{'s' if d.pairs != 1 else ''}, fewer than the {MIN_PAIRED_RECORDS} a "
                "bootstrap interval needs (so few take few distinct resamples: the interval comes out too narrow and the "
                "p-value too small); compare on more test records")
    return HIGHER if d.ci_low > 0 else LOWER if d.ci_high < 0 else UNRESOLVED


def _as_losses(nll, tokens, what: str) -> tuple[np.ndarray, np.ndarray]:
    nll, tokens = np.asarray(nll, dtype=np.float64), np.asarray(tokens, dtype=np.float64)
    if nll.ndim != 1 or nll.shape != tokens.shape or nll.size == 0:
        raise UserError(f"nll and tokens must be equal-length, non-empty lists (got {nll.shape} and {tokens.shape})", where=what)
    if not (np.isfinite(nll).all() and np.isfinite(tokens).all()):
        raise UserError("nll and tokens must be finite numbers", where=what)
    if (tokens <= 0).any():
        raise UserError("every record needs at least one target token", where=what)
    return nll, tokens


def index_blocks(rng: np.random.Generator, records: int, resamples: int) -> Iterator[np.ndarray]:
    """The bootstrap's record indices, ``BLOCK_ROWS`` resamples at a time: each block is
    ``rng.integers(0, records, size=(rows, records))``. This order is the RNG stream every
    estimator here (and the loop references in the tests) consumes."""
    for start in range(0, resamples, BLOCK_ROWS):
        yield rng.integers(0, records, size=(min(BLOCK_ROWS, resamples - start), records))


def resampled_sums(idx: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Sum of ``columns`` (records x m) over each row of record indices ``idx`` (rows x records).
    Counting how often each record was drawn turns the gather into one matrix product."""
    rows, n = idx.shape
    flat = (idx + (np.arange(rows) * n)[:, None]).ravel()
    counts = np.bincount(flat, minlength=rows * n).reshape(rows, n).astype(np.float64)
    return counts @ columns


def percentile_interval(draws: np.ndarray, level: float) -> tuple[float, float]:
    """The (1 - level)/2 and (1 + level)/2 quantiles (numpy's linear interpolation)."""
    lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def null_centred_p(draws: np.ndarray, observed: float) -> float:
    """Two-sided bootstrap p-value of "the true value is 0": the share of resamples whose
    error |d* - d| is at least the observed distance |d| from 0, with the +1 that keeps it
    a valid p-value (never 0; floor 1/(B+1))."""
    extreme = np.count_nonzero(np.abs(draws - observed) >= abs(observed))
    return float((1 + extreme) / (draws.size + 1))


def _seed_draws(rng: np.random.Generator, per_seed: np.ndarray, seeds: int) -> np.ndarray:
    """Mean over a resample of seeds (with replacement) of per-seed values (rows x seeds).
    With one seed nothing is drawn, so one seed reproduces the single-model stream."""
    if seeds == 1:
        return per_seed[:, 0]
    pick = rng.integers(0, seeds, size=per_seed.shape)
    return np.take_along_axis(per_seed, pick, axis=1).mean(axis=1)


def loss_interval(nll, tokens, *, resamples: int = RESAMPLES, seed: int = SEED, level: float = LEVEL) -> LossInterval:
    """Test loss sum(nll)/sum(tokens) of one model and its percentile bootstrap interval
    over test records (``nll``, ``tokens``: one value per record, as in ``per_sample``)."""
    return seed_mean_interval([nll], tokens, resamples=resamples, seed=seed, level=level)


def paired_difference(
    a_nll, a_tokens, b_nll, b_tokens, *, resamples: int = RESAMPLES, seed: int = SEED, level: float = LEVEL
) -> PairedDelta:
    """loss_B - loss_A on the same (aligned) test records, each side its own ratio
    estimator, both recomputed on the same resampled records."""
    a_nll, a_tokens = _as_losses(a_nll, a_tokens, "A")
    b_nll, b_tokens = _as_losses(b_nll, b_tokens, "B")
    if a_nll.size != b_nll.size:
        raise UserError(f"A has {a_nll.size} records and B {b_nll.size}; align them first (align_per_record)", where="B")
    return _paired(a_nll[:, None], a_tokens, b_nll[:, None], b_tokens, resamples, seed, level)


def seed_mean_interval(
    per_seed_nll: Sequence, tokens, *, resamples: int = RESAMPLES, seed: int = SEED, level: float = LEVEL
) -> LossInterval:
    """Mean over training seeds of the per-seed test loss, with a two-level bootstrap:
    each resample draws test records (the same indices for every seed: the test set is
    shared) and then seeds with replacement. ``per_seed_nll``: one nll array per seed,
    on the same records in the same order; ``tokens``: their target-token counts."""
    check_settings(resamples, level, seed)
    nll = _stack_seeds(per_seed_nll, tokens, "per-record losses")
    tokens = np.asarray(tokens, dtype=np.float64)
    columns = np.column_stack([nll, tokens])
    rng = np.random.Generator(np.random.PCG64(seed))
    draws = np.empty(resamples)
    filled = 0
    for idx in index_blocks(rng, tokens.size, resamples):
        sums = resampled_sums(idx, columns)
        draws[filled : filled + len(idx)] = _seed_draws(rng, sums[:, :-1] / sums[:, -1:], nll.shape[1])
        filled += len(idx)
    estimate = float((nll.sum(axis=0) / tokens.sum()).mean())
    lo, hi = percentile_interval(draws, level)
    return LossInterval(estimate, lo, hi, int(tokens.size), resamples, seed, level, int(nll.shape[1]))


def seed_paired_difference(
    a_per_seed: Sequence, b_per_seed: Sequence, tokens, *, resamples: int = RESAMPLES, seed: int = SEED, level: float = LEVEL
) -> PairedDelta:
    """Mean over seeds of loss_B(seed i) - loss_A(seed i): seed i of A pairs with seed i of
    B (the same seed trained on real vs generated data). Records and seeds are resampled as
    in :func:`seed_mean_interval`, with the same draws for A and B."""
    a = _stack_seeds(a_per_seed, tokens, "A")
    b = _stack_seeds(b_per_seed, tokens, "B")
    if a.shape != b.shape:
        raise UserError(f"A has {a.shape[1]} seeds and B {b.shape[1]}; seed i of A pairs with seed i of B", where="B")
    return _paired(a, tokens, b, tokens, resamples, seed, level)


def _stack_seeds(per_seed: Sequence, tokens, what: str) -> np.ndarray:
    """records x seeds matrix of nll, each column checked against ``tokens``."""
    if len(per_seed) == 0:
        raise UserError("give the per-record nll of at least one seed", where=what)
    return np.column_stack([_as_losses(s, tokens, what)[0] for s in per_seed])


def _paired(a: np.ndarray, a_tokens, b: np.ndarray, b_tokens, resamples: int, seed: int, level: float) -> PairedDelta:
    """Paired bootstrap of mean_s(loss_B,s - loss_A,s); a, b: records x seeds nll."""
    check_settings(resamples, level, seed)
    a_tokens, b_tokens = np.asarray(a_tokens, dtype=np.float64), np.asarray(b_tokens, dtype=np.float64)
    seeds = a.shape[1]
    columns = np.column_stack([a, b, a_tokens, b_tokens])
    rng = np.random.Generator(np.random.PCG64(seed))
    draws = np.empty(resamples)
    filled = 0
    for idx in index_blocks(rng, a_tokens.size, resamples):
        sums = resampled_sums(idx, columns)
        per_seed = sums[:, seeds : 2 * seeds] / sums[:, -1:] - sums[:, :seeds] / sums[:, -2:-1]
        draws[filled : filled + len(idx)] = _seed_draws(rng, per_seed, seeds)
        filled += len(idx)
    a_loss = float((a.sum(axis=0) / a_tokens.sum()).mean())
    b_loss = float((b.sum(axis=0) / b_tokens.sum()).mean())
    delta = float((b.sum(axis=0) / b_tokens.sum() - a.sum(axis=0) / a_tokens.sum()).mean())
    lo, hi = percentile_interval(draws, level)
    p = null_centred_p(draws, delta)
    return PairedDelta(delta, lo, hi, p, int(a_tokens.size), resamples, seed, a_loss, b_loss, level, seeds)
