"""The objective a strategy moves, measured before and after selection.

"Before" is the seeded uniform draw of N from the same pool (what ``random`` with the
same seed picks), "after" the strategy's subset: the comparison a user would make, at
equal size, since Vendi and Fréchet both change with the sample size.

* diverse, matched-diverse: the Vendi score (q = 1, cosine kernel; Friedman & Dieng,
  2023; :func:`synthdiv.metrics.embedding.vendi_score`), an effective number of distinct
  records between 1 and N, higher = more diverse; and the minimum pairwise cosine
  distance, the quantity farthest-point selection keeps large.
* matched, matched-diverse: the Fréchet distance to the real embeddings
  (:func:`synthdiv.metrics.shift_embedding.frechet_distance`), lower = less shifted.
"""

from __future__ import annotations

import numpy as np

from synthdiv.selection.strategies import SelectionInput, select_random

DIVERSITY = ("diverse", "matched-diverse")
SHIFT = ("matched", "matched-diverse")


def objective_values(strategy: str, inp: SelectionInput, indices: np.ndarray) -> dict[str, float]:
    """The objectives of ``strategy`` for the pool rows ``indices``; empty for random and dedup."""
    from synthdiv.metrics.embedding import vendi_score
    from synthdiv.metrics.shift_embedding import frechet_distance
    from synthdiv.selection.diverse import min_pairwise_cosine_distance

    values: dict[str, float] = {}
    if strategy in DIVERSITY:
        subset = inp.pool_embeddings[indices]
        values["vendi_score"] = float(vendi_score(subset))
        if len(indices) > 1:
            values["min_pairwise_cosine_distance"] = min_pairwise_cosine_distance(subset)
    if strategy in SHIFT and len(indices) > 1 and inp.real_embeddings is not None and len(inp.real_embeddings) > 1:
        values["frechet_distance"] = frechet_distance(inp.real_embeddings, inp.pool_embeddings[indices])
    return values


def before_and_after(strategy: str, inp: SelectionInput, indices: np.ndarray) -> dict[str, dict[str, float]]:
    """{objective: {"random": value for the uniform draw, "selected": value for ``indices``}}."""
    after = objective_values(strategy, inp, indices)
    if not after:
        return {}
    before = objective_values(strategy, inp, select_random(inp).indices)
    return {name: {"random": before[name], "selected": after[name]} for name in after}
