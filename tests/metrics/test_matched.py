"""Size-matched diversity: equal-size subsets, hand-computed values, and ``diversity --match-size``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from synthdiv.cli.main import main
from synthdiv.errors import UserError
from synthdiv.metrics.distinct import distinct_n
from synthdiv.metrics.matched import MATCHED, matched_diversity, matched_size, subset_token_ids
from synthdiv.metrics.ngrams.tokenize import tokenize

DIVERSE = [f"story {i} about the {w} and a {v}" for i, (w, v) in enumerate(zip("cat dog owl fox bee elk yak ant emu cod".split(), "hill lake road farm town sea moor wood cave field".split()))]
REPEATED = ["the cat sat on the mat"] * 8 + ["the dog sat on the log", "a bird sang"]


def test_a_set_of_exactly_the_size_has_a_zero_width_interval():
    whole = distinct_n(DIVERSE, n=5, mode="corpus")
    got = matched_diversity([DIVERSE], size=len(DIVERSE), draws=7)[0]
    assert got["ngram_diversity_score"] == whole.ngram_diversity_score
    assert got["ci_low"] == got["ci_high"] == whole.ngram_diversity_score
    assert got["distinct"] == whole.distinct and got["draw_scores"] == [whole.ngram_diversity_score] * 7


def test_hand_computed_subsets_of_two():
    # Subsets of 2 of ["a a", "a b", "c d"], concatenated in file order, distinct-1 + distinct-2:
    #   {0,1} "a a a b": 2/4 + 2/3 = 7/6;  {0,2} "a a c d": 3/4 + 3/3 = 7/4;  {1,2} "a b c d": 1 + 1 = 2
    got = matched_diversity([["a a", "a b", "c d"]], size=2, draws=3000, n=2, seed=1)[0]
    scores = np.array(got["draw_scores"])
    values = np.array([7 / 6, 7 / 4, 2.0])
    share = np.array([np.isclose(scores, v).mean() for v in values])
    assert share.sum() == pytest.approx(1.0)
    assert np.abs(share - 1 / 3).max() < 4 * np.sqrt(2 / 9 / 3000)  # each subset drawn 1/3 of the time
    assert got["ngram_diversity_score"] == pytest.approx(scores.mean(), rel=1e-12)
    assert got["ngram_diversity_score"] == pytest.approx(values.mean(), abs=0.03)
    assert (got["ci_low"], got["ci_high"]) == (pytest.approx(7 / 6), pytest.approx(2.0))
    assert got["distinct"]["1"] == pytest.approx(np.mean([0.5, 0.75, 1.0]), abs=0.02)


def test_a_duplicate_heavy_set_scores_lower_at_the_same_size():
    diverse, repeated = matched_diversity([DIVERSE, REPEATED], size=5, draws=100)
    assert repeated["size"] == diverse["size"] == 5
    assert repeated["ci_high"] < diverse["ci_low"]
    assert repeated["ngram_diversity_score"] < diverse["ngram_diversity_score"]


def test_default_size_is_half_the_smallest_set_so_every_interval_moves():
    big = DIVERSE + REPEATED
    small, large = matched_diversity([DIVERSE[:4] + REPEATED[:4], big], draws=50)
    assert small["size"] == large["size"] == 4 == matched_size([8, len(big)])
    assert small["ci_low"] < small["ci_high"]  # at the set's own size every draw would be the whole set
    assert large["draws"] == 50 == len(large["draw_scores"]) and MATCHED.draws == 200
    assert matched_size([1, 9]) == 1 and matched_size([3, 9]) == 1
    whole, = matched_diversity([DIVERSE[:4]], size=4, draws=5)  # asked for, the whole set is still one exact value
    assert whole["ci_low"] == whole["ci_high"] == whole["ngram_diversity_score"]


def test_subset_token_ids_equal_tokenising_the_subset():
    tok = tokenize(DIVERSE + REPEATED)
    keep = np.array([1, 4, 10, 17])
    sub = subset_token_ids(tok, keep)
    alone = tokenize([(DIVERSE + REPEATED)[i] for i in keep])
    # Same texts, same tokens: equal n-gram statistics (ids differ only by the vocabulary order).
    assert distinct_n(n=5, token_ids=sub).to_dict() == distinct_n(n=5, token_ids=alone).to_dict()
    assert sub.lengths.tolist() == alone.lengths.tolist()


def test_bad_sizes_are_user_errors():
    with pytest.raises(UserError, match="from a set of 3"):
        matched_diversity([DIVERSE, DIVERSE[:3]], size=5)
    with pytest.raises(UserError, match="--match-draws"):
        matched_diversity([DIVERSE], draws=0)
    with pytest.raises(UserError, match="--distinct-over"):
        matched_diversity([DIVERSE], mode="group")


def test_cli_match_size_adds_a_matched_object(tmp_path, capsys):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("\n".join(DIVERSE) + "\n", encoding="utf-8")
    b.write_text("\n".join(REPEATED[:6]) + "\n", encoding="utf-8")
    assert main(["diversity", str(a), str(b), "--match-size", "--match-draws", "40", "--json"]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    ref = matched_diversity([DIVERSE, REPEATED[:6]], draws=40)
    for rep, expected in zip(files, ref):
        for key in ("size", "ngram_diversity_score", "ci_low", "ci_high", "draws"):
            assert rep["matched"][key] == expected[key], key
    assert files[1]["matched"]["size"] == 3  # half of b, the smallest
    assert main(["diversity", str(a), str(b), "--match-size", "--match-draws", "40"]) == 0
    lines = capsys.readouterr().out.splitlines()
    row = next(ln for ln in lines if ln.startswith("matched at 3: ngram_diversity_score"))  # one row, a column per file
    assert row.split()[-2:] == [f"{r['ngram_diversity_score']:.4f}" for r in ref]
    spread = next(ln for ln in lines if ln.startswith("  95% of draws in"))
    assert f"[{ref[0]['ci_low']:.4f}, {ref[0]['ci_high']:.4f}]" in spread
    assert main(["diversity", str(a)]) == 0 and "matched" not in capsys.readouterr().out
