"""How much a text repeats itself: seq-rep-n (Welleck et al. 2019, "Neural text generation with
unlikelihood training"), the share of a text's word n-grams that repeat an earlier n-gram of the
same text, ``1 - unique / total``.

A human five-sentence story scores near 0; a small model caught in a loop ("and it was the first
thing that was made, and it was the first thing …") scores high. Distinct-n over a set counts such
repeats as lost diversity just as it counts stories that resemble each other, so the ladder reports
seq-rep beside it: a level whose low distinct-n comes from loops inside its stories, not from
sameness across them, shows it here. Words as the seed-copy check reads them (lower-cased,
punctuation dropped).
"""

from __future__ import annotations

from synthdiv.metrics.seed_copy import words

SEQ_REP_N = 4


def seq_rep(text: str, n: int = SEQ_REP_N) -> float | None:
    """1 - (distinct word n-grams / word n-grams) of one text; None for a text shorter than n words."""
    tokens = words(text)
    grams = list(zip(*(tokens[i:] for i in range(n))))
    return 1.0 - len(set(grams)) / len(grams) if grams else None
