"""The registry of selection strategies: each a small function of the pool's texts and
embeddings (numpy arrays, no model), so tests give known embeddings and the benchmark
gives random ones. :func:`synthdiv.selection.api.select_records` wraps them for records.

Every strategy returns the chosen pool indices in rank order with a score per pick
(what the strategy maximised for it, see ``Strategy.score``). All randomness comes from
one stream of uniforms u_i per seed (:func:`~synthdiv.selection.matched.uniform_draws`):
``random`` takes the N largest u, ``dedup`` the N largest among the records it keeps,
``diverse`` starts from the record with the largest u, and ``matched`` turns u into
importance-resampling keys. So for one seed the strategies differ only by what they aim at.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from synthdiv.errors import UserError
from synthdiv.selection.dedup import deduplicate
from synthdiv.selection.diverse import farthest_point_order
from synthdiv.selection.matched import log_density_ratio, resampling_keys, top_by_key
from synthdiv.selection.settings import DEFAULTS, NEEDS_EMBEDDINGS, NEEDS_REAL, SelectionSettings, check_strategy


@dataclass(frozen=True)
class SelectionInput:
    """What a strategy sees. ``pool_embeddings``/``real_embeddings``: one row per text (any
    dimension; float32 is enough), given for the strategies in ``NEEDS_EMBEDDINGS``."""

    texts: Sequence[str]
    n: int
    settings: SelectionSettings = DEFAULTS
    pool_embeddings: np.ndarray | None = None
    real_embeddings: np.ndarray | None = None


@dataclass
class Selection:
    """``indices``: pool indices in rank order; ``scores``: one per pick (NaN: none);
    ``per_record``: further per-pick values worth keeping in provenance; ``info``: counts."""

    indices: np.ndarray
    scores: np.ndarray
    per_record: dict[str, np.ndarray] = field(default_factory=dict)
    info: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Strategy:
    name: str
    select: Callable[[SelectionInput], Selection]
    score: str  # what the score of a pick means (docs/selection.md repeats these)

    @property
    def needs_real(self) -> bool:
        return self.name in NEEDS_REAL

    @property
    def needs_embeddings(self) -> bool:
        return self.name in NEEDS_EMBEDDINGS


def _uniform_keys(size: int, seed: int) -> np.ndarray:
    return resampling_keys(np.zeros(size), seed)  # log(u): a uniform draw


def select_random(inp: SelectionInput) -> Selection:
    """A uniform draw of N without replacement: the N records with the largest log(u)."""
    keys = _uniform_keys(len(inp.texts), inp.settings.seed)
    picks = top_by_key(keys, inp.n)
    return Selection(indices=picks, scores=keys[picks])


def select_dedup(inp: SelectionInput) -> Selection:
    """Drop exact and near-duplicates (:mod:`~synthdiv.selection.dedup`), then the uniform
    draw of ``random`` among what is left (the same u, so a record random would pick is still
    picked unless it was a duplicate). Refuses when fewer than N records are left."""
    result = deduplicate(inp.texts, inp.settings)
    left = len(result.kept)
    if left < inp.n:
        raise UserError(
            f"only {left} of {len(inp.texts)} records are left after dropping {result.exact} exact and "
            f"{result.near} near-duplicates; ask for at most {left}",
            where="--n",
        )
    kept = np.asarray(result.kept, dtype=np.int64)
    keys = _uniform_keys(len(inp.texts), inp.settings.seed)
    picks = kept[top_by_key(keys[kept], inp.n)]
    info = {"exact_duplicates": result.exact, "near_duplicates": result.near, "left": left,
            "near_duplicate_jaccard": inp.settings.near_duplicate_jaccard, "shingle_words": inp.settings.shingle_words,
            "lsh_bands": result.bands, "lsh_rows": result.rows}
    return Selection(indices=picks, scores=keys[picks], info=info)


def select_diverse(inp: SelectionInput) -> Selection:
    """Greedy farthest-point selection (:mod:`~synthdiv.selection.diverse`), starting from the
    record ``random`` would pick first."""
    first = int(np.argmax(_uniform_keys(len(inp.texts), inp.settings.seed)))
    picks, scores = farthest_point_order(_embeddings(inp.pool_embeddings, inp), inp.n, first=first)
    return Selection(indices=picks, scores=scores)


def select_matched(inp: SelectionInput) -> Selection:
    """Importance resampling towards the real set (:mod:`~synthdiv.selection.matched`)."""
    log_ratio = _log_ratio(inp)
    keys = resampling_keys(log_ratio, inp.settings.seed)
    picks = top_by_key(keys, inp.n)
    return Selection(indices=picks, scores=keys[picks], per_record={"log_density_ratio": log_ratio[picks]})


def select_matched_diverse(inp: SelectionInput) -> Selection:
    """Farthest-point selection among the M records with the largest matched keys, where
    M = N + weight * (pool - N) (rounded half up): weight 0 leaves exactly matched's N records
    eligible, weight 1 the whole pool (diverse's picks, same first record)."""
    size, weight = len(inp.texts), inp.settings.weight
    log_ratio = _log_ratio(inp)
    eligible_count = inp.n + int(math.floor(weight * (size - inp.n) + 0.5))
    # in pool order: with weight 1 the rows are the pool's own, so the picks equal diverse's bit for bit
    eligible = np.sort(top_by_key(resampling_keys(log_ratio, inp.settings.seed), eligible_count))
    first = int(np.argmax(_uniform_keys(size, inp.settings.seed)[eligible]))
    local, scores = farthest_point_order(_embeddings(inp.pool_embeddings, inp)[eligible], inp.n, first=first)
    picks = eligible[local]
    return Selection(indices=picks, scores=scores, per_record={"log_density_ratio": log_ratio[picks]},
                     info={"eligible": eligible_count})


def _embeddings(matrix: np.ndarray | None, inp: SelectionInput) -> np.ndarray:
    if matrix is None or len(matrix) != len(inp.texts):
        raise ValueError("this strategy needs one embedding row per pool text")
    return matrix


def _log_ratio(inp: SelectionInput) -> np.ndarray:
    if inp.real_embeddings is None or len(inp.real_embeddings) < 2:
        raise UserError("matching to real data needs at least two real records", where="--real")
    return log_density_ratio(_embeddings(inp.pool_embeddings, inp), inp.real_embeddings, inp.settings)


STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in (
        Strategy("random", select_random, "log(u), u the seeded uniform that ranked the record (larger = drawn earlier)"),
        Strategy("dedup", select_dedup, "log(u) of the uniform draw among the records left after deduplication"),
        Strategy("diverse", select_diverse, "cosine distance to the nearest earlier pick (null for the first)"),
        Strategy("matched", select_matched, "importance-resampling key log(u) / w, w the estimated p_real / p_pool"),
        Strategy("matched-diverse", select_matched_diverse, "cosine distance to the nearest earlier pick among the eligible (null for the first)"),
    )
}


def get_strategy(name: str) -> Strategy:
    """The registered strategy, or a UserError with the closest name."""
    return STRATEGIES[check_strategy(name)]
