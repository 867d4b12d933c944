"""The ladder: per-level rows on small sets, and the verdict on hand-made tables."""

from __future__ import annotations

import numpy as np

from synthdiv.metrics.ladder import LevelSet, format_verdict, measure_ladder, verdict
from synthdiv.records import Provenance, Record


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


def _set(level, texts, topics, seeds):
    records = [Record(id=f"{level}-{i}", task="story_completion", context=t, target="The end.", source="generated",
                      provenance=Provenance(dataset="generated", strategy="topic", level=level, topic=topic, seed_ids=list(seeds)))
               for i, (t, topic) in enumerate(zip(texts, topics))]
    return LevelSet(f"Gen-{level}", level, records, rejects=["too short"] * 2, topics_asked=len(set(topics)))


def test_rows_count_topics_copies_rejects_and_measure_both_diversities():
    real = {"r1": Record(id="r1", task="story_completion", context="a b c d e f g h i j k", target="l m.", source="real")}
    same = ["the cat sat on the mat"] * 8
    varied = [f"story {w} of the {v} kind" for w, v in zip("abcdefgh", "qrstuvwx")]
    copied = ["a b c d e f g h i j k l m"] + varied[1:]
    sets = [_set("D0", same, ["Cats"] * 8, ["r1"]), _set("D3", copied, list("ABCDEFGH"), ["r1"])]

    def embed(texts):
        rng = np.random.default_rng(0)
        table = {t: rng.normal(size=8) for t in sorted(set(texts))}
        return np.stack([table[t] for t in texts])

    rows = measure_ladder(sets, real, embed, draws=20)
    d0, d3 = rows
    assert (d0["records"], d0["topics_used"], d0["topics_asked"], d3["topics_used"]) == (8, 1, 1, 8)
    assert d0["copy_rate"] == 0.0 and d3["copy_rate"] == 1 / 8 and d3["copy_longest_run_max"] == 13
    assert d0["reject_rate"] == 2 / 10 and d0["subset_size"] == 4 and d0["draws"] == 20
    assert d3["distinct"] > d0["distinct"] and d0["distinct_ci_low"] == d0["distinct_ci_high"]  # every subset of D0 is alike
    assert d0["vendi"] < 1.01 and d3["vendi"] > d0["vendi"]  # eight copies of one text: one effective item
    assert 0 <= d3["adherence_ci_low"] <= d3["adherence"] <= d3["adherence_ci_high"] <= 1
    assert verdict(rows, "distinct")["monotone"] and verdict(rows, "vendi")["not_separated"] == []
