"""Exact and near-duplicate removal: normalised text, word shingles, MinHash LSH.

Records are visited in pool order; one is dropped when its normalised text equals
that of an earlier kept record (exact duplicate), or when the exact Jaccard
similarity of its shingle set with an earlier kept record's reaches the threshold
(near-duplicate). datasketch's MinHash LSH proposes the earlier records to compare
with; the decision is always the exact Jaccard, so the LSH can cost a missed pair
(with the probability the banding allows, see :func:`lsh_bands`) but never a
wrong drop. Dropping against *kept* records only means the result is the same as
the greedy "keep the first of each group" and no two kept records are
near-duplicates (up to an LSH miss).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from synthdiv.errors import UserError
from synthdiv.selection.settings import DEFAULTS, SelectionSettings

_NON_WORD = re.compile(r"[^\w\s]+")
MINHASH_SEED = 1  # fixed: which records are duplicates must not depend on the draw's --seed


def normalise_text(text: str) -> str:
    """Lower-cased, punctuation removed, whitespace collapsed: 'Tom ran!' and 'tom  ran' are equal."""
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def shingles(normalised: str, words: int = DEFAULTS.shingle_words) -> frozenset[str]:
    """The set of ``words``-word windows of a normalised text; a shorter text is one shingle."""
    tokens = normalised.split()
    if len(tokens) <= words:
        return frozenset([" ".join(tokens)])
    return frozenset(" ".join(tokens[i : i + words]) for i in range(len(tokens) - words + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    """|a & b| / |a | b| (1.0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def lsh_bands(threshold: float, permutations: int, miss_probability: float) -> tuple[int, int]:
    """(bands b, rows per band r) for MinHash LSH. A pair of Jaccard J shares no band with
    probability (1 - J^r)^b; we take the most rows per band (the fewest candidate pairs to check)
    and then the fewest bands (datasketch's cost is per band) for which a pair at ``threshold``
    is missed with probability at most ``miss_probability``, within ``permutations`` = b * r.
    A pair above the threshold is missed less often. 0.7, 1e-6 and 128 permutations give
    33 bands of 3 rows (miss probability 9.6e-7 at 0.7, 4e-11 at 0.8)."""
    for rows in range(permutations, 0, -1):
        p_band = threshold**rows
        if p_band >= 1.0:
            return 1, rows
        bands = math.ceil(math.log(miss_probability) / math.log1p(-p_band)) if p_band > 0 else permutations + 1
        if bands * rows <= permutations:
            return bands, rows
    return permutations, 1


@dataclass
class DedupResult:
    """``kept``: pool indices kept, in pool order; ``exact``/``near``: how many were dropped as
    exact or near-duplicates; ``bands``/``rows``: the LSH banding used."""

    kept: list[int]
    exact: int
    near: int
    bands: int
    rows: int


def deduplicate(texts: Sequence[str], settings: SelectionSettings = DEFAULTS) -> DedupResult:
    """Keep the first record of each group of exact or near-duplicate texts (module docstring)."""
    try:
        from datasketch import MinHash, MinHashLSH
    except ImportError:  # pragma: no cover - depends on the install
        raise UserError("the dedup strategy needs datasketch: pip install 'synthdiv[select]'") from None

    threshold = settings.near_duplicate_jaccard
    bands, rows = lsh_bands(threshold, settings.minhash_permutations, settings.lsh_miss_probability)
    lsh = MinHashLSH(num_perm=settings.minhash_permutations, params=(bands, rows))
    # one set of permutations shared by every sketch: drawing them is most of a MinHash's set-up
    template = MinHash(num_perm=settings.minhash_permutations, seed=MINHASH_SEED)
    seen: set[str] = set()
    kept_shingles: dict[int, frozenset[str]] = {}
    kept: list[int] = []
    exact = near = 0
    for i, text in enumerate(texts):
        norm = normalise_text(text)
        if norm in seen:
            exact += 1
            continue
        seen.add(norm)
        grams = shingles(norm, settings.shingle_words)
        sketch = MinHash(seed=MINHASH_SEED, permutations=template.permutations, scheme=template.scheme)
        sketch.update_batch(g.encode("utf-8") for g in grams)
        if any(jaccard(grams, kept_shingles[j]) >= threshold for j in lsh.query(sketch)):
            near += 1
            continue
        lsh.insert(i, sketch, check_duplication=False)
        kept_shingles[i] = grams
        kept.append(i)
    return DedupResult(kept=kept, exact=exact, near=near, bands=bands, rows=rows)
