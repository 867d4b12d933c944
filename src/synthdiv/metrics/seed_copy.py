"""How much a generated record copies the real seed examples its prompt showed.

Two scores per record, each the maximum over its seeds:

* ``longest_run``: the longest run of words (lower-cased, punctuation dropped) the
  record shares with a seed: a copied clause shows as a long run, shared phrasing
  ("one day", "at the end of the") as a short one;
* ``rouge_l``: ROUGE-L F1 of the two word sequences (longest common subsequence):
  a record that retells a seed with a few words changed scores high even without a
  long exact run.

A record is a seed copy when ``longest_run >= COPY_RUN_WORDS`` or
``rouge_l >= COPY_ROUGE_L``. The values are set so that an everyday five-sentence
story sharing stock phrases with its seed passes, and one that repeats a whole
sentence of it (a ten-word sentence is short for these stories) or most of its word
order fails; docs/benchmarks/generation.md gives the measured rates on the offline default.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass

COPY_RUN_WORDS = 10
COPY_ROUGE_L = 0.6
_WORD = re.compile(r"[a-z0-9']+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _positions(b: Sequence[str]) -> dict[str, int]:
    """Each word of ``b`` as a bit mask of the positions it holds (bit j: b[j])."""
    masks: dict[str, int] = {}
    for j, y in enumerate(b):
        masks[y] = masks.get(y, 0) | (1 << j)
    return masks


# Both scores run on bit masks of word positions (Python integers of len(b) bits): a row of the textbook
# dynamic programme is a handful of integer operations instead of len(b) Python steps, 20-40x faster on
# 60-word stories, which the ladder scores for every generated record (tests/metrics/test_seed_copy.py
# checks them against the textbook tables). :func:`seed_copy` scores all seeds of a record in one pass:
# their masks sit side by side in one integer ("lanes", each followed by a zero guard bit that stops
# a carry or a shifted bit from reaching the next lane), so the per-word loop runs once, not once a seed.
def longest_common_run(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common contiguous word run."""
    return _longest_run(a, _positions(b), len(b) + 1)


def _longest_run(a: Sequence[str], masks: dict[str, int], width: int) -> int:
    """The longest common run of ``a`` with any lane of ``masks`` (each word's positions in a ``width``-bit
    row whose lanes end in zero guard bits). Level k holds, per word of ``a``, the positions where a common
    run of k words ends; level k+1 keeps those whose run also held one word earlier. The levels of all
    words of ``a`` sit in one integer, word i in the i-th row, and a level step is one shift and one AND
    (word i-1's bit j moves to word i's bit j+1; a lane's last bit moves onto its guard bit and drops)."""
    size = width // 8 + 1  # whole bytes, at least one bit to spare
    zero = bytes(size)
    rows = {word: mask.to_bytes(size, "little") for word, mask in masks.items()}
    level = int.from_bytes(b"".join([rows.get(x, zero) for x in a]), "little")
    best = 0
    while level:
        best += 1
        level &= level << (8 * size + 1)
    return best


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Longest common subsequence of two word lists: the bit-parallel form of the textbook table
    (Allison & Dix, 1986; Hyyrö, 2004), whose zero bits count the common subsequence's words."""
    full = (1 << len(b)) - 1
    return len(b) - _lcs_row(a, _positions(b), full).bit_count()


def _lcs_row(a: Sequence[str], masks: dict[str, int], full: int) -> int:
    """The last row of the bit-parallel LCS table of ``a`` against every lane of ``masks`` at once
    (``full``: the lanes' bits, guard bits 0). A lane's LCS is its width minus its one bits. ``v + u``
    carries at most into a lane's guard bit, which ``& full`` clears; ``v - u`` never borrows (u ⊆ v)."""
    v = full
    for x in a:
        if m := masks.get(x):  # a word of no lane leaves the row as it is
            u = v & m
            v = ((v + u) | (v - u)) & full
    return v


def rouge_l(a: Sequence[str], b: Sequence[str]) -> float:
    """ROUGE-L F1 (β = 1) of two word sequences; 0 when either is empty."""
    return _f1(len(a), len(b), lcs_length(a, b) if a and b else 0)


def _f1(len_a: int, len_b: int, lcs: int) -> float:
    if not len_a or not len_b or not lcs:
        return 0.0
    precision, recall = lcs / len_a, lcs / len_b
    return 2 * precision * recall / (precision + recall)


@dataclass(frozen=True)
class Seed:
    """A seed's word count and its words' position masks, made once (:func:`prepared`) for every text scored
    against it: a generator shows the same real stories in thousands of prompts."""

    id: str
    width: int
    masks: dict[str, int]


def prepared(seed_id: str, text: str) -> Seed:
    mine = [sys.intern(w) for w in words(text)]  # thousands of seeds share their common words
    return Seed(seed_id, len(mine), _positions(mine))


@dataclass(frozen=True)
class SeedCopy:
    longest_run: int
    rouge_l: float
    seed_id: str | None  # the seed it is closest to (by ROUGE-L)

    def is_copy(self, max_run: int = COPY_RUN_WORDS, max_rouge_l: float = COPY_ROUGE_L) -> bool:
        return self.longest_run >= max_run or self.rouge_l >= max_rouge_l

    def reason(self) -> str:
        return (f"copies seed {self.seed_id}: {self.longest_run}-word run in common, ROUGE-L {self.rouge_l:.2f} "
                f"(limits: {COPY_RUN_WORDS} words, {COPY_ROUGE_L})")


def seed_copy(text: str, seeds: Sequence[tuple[str, str] | Seed]) -> SeedCopy:
    """The copy scores of ``text`` against ``seeds`` (pairs of seed id and text, or :func:`prepared` seeds)."""
    seeds = [seed if isinstance(seed, Seed) else prepared(*seed) for seed in seeds]
    if not seeds:
        return SeedCopy(0, 0.0, None)
    mine = words(text)
    offsets, width = [], 0
    for seed in seeds:  # lane k: bits [offsets[k], offsets[k] + len(words)), then its guard bit
        offsets.append(width)
        width += seed.width + 1
    present, masks = set(mine), {}
    for seed, offset in zip(seeds, offsets):
        for x in seed.masks.keys() & present:  # only the words the two share
            masks[x] = masks.get(x, 0) | seed.masks[x] << offset
    full = sum(((1 << seed.width) - 1) << offset for seed, offset in zip(seeds, offsets))
    row = _lcs_row(mine, masks, full)
    run = _longest_run(mine, masks, width)  # the longest run with any seed: the score keeps only the maximum
    best = SeedCopy(run, 0.0, None)
    for seed, offset in zip(seeds, offsets):
        lcs = seed.width - ((row >> offset) & ((1 << seed.width) - 1)).bit_count()
        score = _f1(len(mine), seed.width, lcs)
        if score > best.rouge_l or best.seed_id is None:
            best = SeedCopy(run, score, seed.id)
    return best
