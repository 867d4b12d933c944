"""seq-rep-n: the share of a text's word n-grams that repeat an earlier one of the same text."""

from __future__ import annotations

import pytest

from synthdiv.metrics.repetition import SEQ_REP_N, seq_rep


def test_a_text_that_never_repeats_scores_zero_and_a_loop_scores_its_share():
    assert SEQ_REP_N == 4
    assert seq_rep("Tom went to the store. He bought milk and bread for his mother.") == 0.0
    # 8 words, 5 4-grams: "a b c d", "b c d a", "c d a b", "d a b c", "a b c d" (the 5th repeats the 1st)
    assert seq_rep("a b c d a b c d") == pytest.approx(1 / 5)
    assert seq_rep("the moon was made. The moon was made! the MOON, was made") == pytest.approx(1 - 4 / 9)


def test_case_and_punctuation_are_dropped_and_short_texts_have_no_score():
    assert seq_rep("One two three four. one, TWO; three! four") == seq_rep("one two three four one two three four")
    assert seq_rep("three short words") is None and seq_rep("") is None
    assert seq_rep("a b a b a b", n=2) == pytest.approx(1 - 2 / 5)


def test_the_ladder_row_carries_the_mean_with_its_interval():
    from synthdiv.metrics.ladder import LevelSet, measure_ladder
    from synthdiv.records import Provenance, Record

    def record(i: int, text: str) -> Record:
        return Record(id=f"g{i}", task="story_completion", context=text, target="The end came.", source="generated",
                      provenance=Provenance(level="D0", topic="moon", seed_ids=[]))

    loops = LevelSet("D0", "D0", [record(i, f"it was made and it was made and it was made {i}.") for i in range(8)], None, 1)
    fresh = LevelSet("D3", "D3", [record(i, f"story {i} tells of a walk to the old mill by the river.") for i in range(8)], None, 100)
    low, high = measure_ladder([loops, fresh], {}, None, draws=5)
    assert high["seq_rep"] == 0.0 == high["seq_rep_ci_low"] == high["seq_rep_ci_high"]
    assert low["seq_rep_ci_low"] <= low["seq_rep"] <= low["seq_rep_ci_high"] and low["seq_rep"] > 0.3
