"""dedup: planted exact and near-copies are removed, and no kept pair reaches the threshold."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from synthdiv.errors import UserError
from synthdiv.selection.dedup import deduplicate, jaccard, lsh_bands, normalise_text, shingles
from synthdiv.selection.settings import SelectionSettings
from synthdiv.selection.strategies import SelectionInput, select_dedup, select_random

WORDS = ("river stone cloud lamp garden pencil market window silver orange horse yellow winter "
         "doctor engine bottle letter summer castle forest candle rocket ticket planet mirror "
         "jacket violin basket tiger island farmer").split()


def test_normalise_and_shingles():
    assert normalise_text("Tom  ran HOME!  Then, he slept.") == "tom ran home then he slept"
    assert shingles("a b c d", 3) == frozenset({"a b c", "b c d"})
    assert shingles("a b", 3) == frozenset({"a b"})  # shorter than a shingle: one shingle
    assert jaccard(frozenset("abc"), frozenset("bcd")) == 0.5


def test_lsh_banding_meets_the_miss_probability():
    assert lsh_bands(0.7, 128, 1e-6) == (33, 3)
    for threshold, perms in [(0.5, 128), (0.8, 64), (0.9, 256)]:
        bands, rows = lsh_bands(threshold, perms, 1e-6)
        assert bands * rows <= perms and (1 - threshold**rows) ** bands <= 1e-6
        if rows < perms:  # one more row per band would not fit in the permutations at that miss rate
            more = int(np.ceil(np.log(1e-6) / np.log1p(-threshold ** (rows + 1))))
            assert more * (rows + 1) > perms


def planted_pool(seed: int = 0):
    """(texts, kind): 60 distinct 40-word texts, then 8 exact copies (other case and punctuation),
    12 near-copies (one word replaced: Jaccard 0.875 to their source), and 6 texts that share
    their first 20 words with a source (Jaccard about 0.3: not near-duplicates)."""
    rng = np.random.default_rng(seed)
    base = [" ".join(rng.choice(WORDS, 40)) for _ in range(60)]
    texts, kind = list(base), ["base"] * 60
    for i in rng.choice(60, 8, replace=False):
        texts.append(base[i].upper().replace(" ", " , ") + "!")
        kind.append("exact")
    for i in rng.choice(60, 12, replace=False):
        words = base[i].split()
        words[20] = "zebra"
        texts.append(" ".join(words))
        kind.append("near")
    for i in rng.choice(60, 6, replace=False):
        words = base[i].split()[:20] + list(rng.choice(WORDS, 20))
        texts.append(" ".join(words))
        kind.append("half")
    return texts, kind


def test_planted_copies_are_removed_and_no_kept_pair_is_above_threshold():
    texts, kind = planted_pool()
    result = deduplicate(texts)
    assert (result.exact, result.near) == (8, 12)
    assert [kind[i] for i in result.kept] == ["base"] * 60 + ["half"] * 6
    grams = [shingles(normalise_text(texts[i])) for i in result.kept]
    worst = max(jaccard(a, b) for a, b in itertools.combinations(grams, 2))
    assert worst < 0.7


def test_every_pair_at_or_above_threshold_is_caught_exactly():
    """Brute force over all pairs: the kept set equals the greedy keep-first on exact Jaccard."""
    texts, _ = planted_pool(seed=3)
    threshold = 0.5
    grams = [shingles(normalise_text(t)) for t in texts]
    expected: list[int] = []
    for i, g in enumerate(grams):
        if all(jaccard(g, grams[j]) < threshold for j in expected):
            expected.append(i)
    assert deduplicate(texts, SelectionSettings(near_duplicate_jaccard=threshold)).kept == expected


def test_dedup_draws_like_random_among_the_kept():
    texts, kind = planted_pool()
    inp = SelectionInput(texts=texts, n=30, settings=SelectionSettings(seed=4))
    picked = select_dedup(inp)
    assert len(set(picked.indices.tolist())) == 30 and all(kind[i] in ("base", "half") for i in picked.indices)
    assert picked.info["exact_duplicates"] == 8 and picked.info["near_duplicates"] == 12 and picked.info["left"] == 66
    # same uniforms as random: the kept records random ranks first are dedup's picks, in its order
    order = select_random(SelectionInput(texts=texts, n=len(texts), settings=SelectionSettings(seed=4))).indices
    assert picked.indices.tolist() == [i for i in order.tolist() if kind[i] in ("base", "half")][:30]


def test_dedup_refuses_more_than_is_left():
    texts, _ = planted_pool()
    with pytest.raises(UserError, match="--n: only 66 of 86 records are left after dropping 8 exact and 12 near-duplicates; ask for at most 66"):
        select_dedup(SelectionInput(texts=texts, n=67))
