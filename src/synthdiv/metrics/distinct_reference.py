"""The plain-Python definition of Distinct-n, a set of tuples per order.

Slow and obviously right: the property tests check the fast counter
(:mod:`synthdiv.metrics.ngrams.count`) against it on random corpora, and the
benchmark measures the speed-up over it. Nothing else should call it.
"""

from __future__ import annotations

from collections.abc import Sequence


def _windows(tokens: Sequence, n: int) -> list[tuple]:
    tokens = list(tokens)
    return list(zip(*(tokens[i:] for i in range(n))))


def reference_counts(
    samples: Sequence[Sequence], max_n: int, mode: str = "corpus", groups: Sequence | None = None
) -> list[dict]:
    """For n = 1..max_n: {"total": int, "distinct": int} (corpus and sample modes) or,
    in group mode, {"total": {group: int}, "distinct": {group: int}} with the samples of
    each group concatenated in order (paper Eq. 5)."""
    out = []
    for n in range(1, max_n + 1):
        if mode == "corpus":
            flat = [tok for sample in samples for tok in sample]
            grams = _windows(flat, n)
            out.append({"total": len(grams), "distinct": len(set(grams))})
        elif mode == "sample":
            seen: set[tuple] = set()
            total = 0
            for sample in samples:
                grams = _windows(sample, n)
                total += len(grams)
                seen.update(grams)
            out.append({"total": total, "distinct": len(seen)})
        elif mode == "group":
            by_group: dict = {}
            for sample, group in zip(samples, groups, strict=True):
                by_group.setdefault(group, []).extend(sample)
            out.append(
                {
                    "total": {g: len(_windows(toks, n)) for g, toks in by_group.items()},
                    "distinct": {g: len(set(_windows(toks, n))) for g, toks in by_group.items()},
                }
            )
        else:
            raise ValueError(f"unknown mode {mode!r}")
    return out
