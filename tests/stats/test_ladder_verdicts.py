"""The ladder's verdict on hand-made tables: rising and separated, overlapping neighbours, one level."""

from __future__ import annotations

from synthdiv.stats.ladder import format_verdict, verdict


def row(level, value, low, high):
    return {"level": level, "distinct": value, "distinct_ci_low": low, "distinct_ci_high": high}


def test_a_rising_separated_ladder():
    v = verdict([row("D3", 2.0, 1.9, 2.1), row("D0", 1.0, 0.9, 1.1), row("D6", 3.0, 2.9, 3.1)], "distinct")
    assert v["levels"] == ["D0", "D3", "D6"] and v["monotone"] and v["not_separated"] == []
    assert format_verdict(v) == ("ladder, size-matched distinct 1-5 sum: rises with level (D0 < D3 < D6); "
                                 "every adjacent pair separated (95 % intervals)")


def test_overlapping_neighbours_are_named_and_a_dip_is_not_monotone():
    v = verdict([row("D0", 1.0, 0.8, 1.2), row("D1", 1.1, 0.9, 1.3), row("D2", 1.05, 1.0, 1.1), row("D3", 2.0, 1.9, 2.1)], "distinct")
    assert not v["monotone"] and v["not_separated"] == [("D0", "D1"), ("D1", "D2")]
    assert format_verdict(v) == ("ladder, size-matched distinct 1-5 sum: does NOT rise with level (not monotone in level); "
                                 "D0 and D1 are not separated; D1 and D2 are not separated")


def test_one_level_gets_no_verdict():
    assert format_verdict(verdict([row("D0", 1.0, 0.9, 1.1)], "distinct")).endswith("fewer than two levels, no verdict")
