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
# checks them against the textbook tables).
def longest_common_run(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common contiguous word run."""
    return _longest_run(a, _lanes(_positions(b), len(b)))


def _lanes(masks: dict[str, int], width: int) -> dict[str, bytes]:
    """The position masks of a ``width``-word text as little-endian bytes of one length, at least one bit
    longer than ``width`` (:func:`_longest_run` lays them side by side)."""
    size = width // 8 + 1
    return {word: mask.to_bytes(size, "little") for word, mask in masks.items()}


def _longest_run(a: Sequence[str], lanes: dict[str, bytes]) -> int:
    """The longest common run of ``a`` and the text whose :func:`_lanes` are ``lanes``.
    Level k holds, per word of ``a``, the positions of ``b`` where a common run of k words ends; level
    k+1 keeps those whose run also held one word earlier. The levels of all words of ``a`` sit in one
    integer, word i in the i-th lane of ``8 * size`` bits (the top bit of each stays 0, so a shifted run
    never spills into the next word), and a level step is one shift and one AND."""
    size = len(next(iter(lanes.values()))) if lanes else 1
    zero = bytes(size)
    level = int.from_bytes(b"".join([lanes.get(x, zero) for x in a]), "little")
    best = 0
    while level:
        best += 1
        level &= level << (8 * size + 1)  # word i-1 at position j-1 -> word i at position j
    return best


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Longest common subsequence of two word lists: the bit-parallel form of the textbook table
    (Allison & Dix, 1986; Hyyrö, 2004), whose zero bits count the common subsequence's words."""
    return _lcs(a, _positions(b), len(b))


def _lcs(a: Sequence[str], masks: dict[str, int], width: int) -> int:
    full = (1 << width) - 1
    v = full
    for x in a:
        u = v & masks.get(x, 0)
        v = ((v + u) | (v - u)) & full
    return width - v.bit_count()


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
    """A seed's words and their position masks, made once (:func:`prepared`) for every text scored against it:
    a generator shows the same real stories in thousands of prompts."""

    id: str
    words: tuple[str, ...]
    masks: dict[str, int]
    lanes: dict[str, bytes]


def prepared(seed_id: str, text: str) -> Seed:
    mine = tuple(words(text))
    masks = _positions(mine)
    return Seed(seed_id, mine, masks, _lanes(masks, len(mine)))


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
    mine = words(text)
    best = SeedCopy(0, 0.0, None)
    for seed in seeds:
        if not isinstance(seed, Seed):
            seed = prepared(*seed)
        width = len(seed.words)
        run = _longest_run(mine, seed.lanes)
        score = _f1(len(mine), width, _lcs(mine, seed.masks, width) if mine and width else 0)
        if score > best.rouge_l or best.seed_id is None:
            best = SeedCopy(max(run, best.longest_run), score, seed.id)
        else:
            best = SeedCopy(max(run, best.longest_run), best.rouge_l, best.seed_id)
    return best
