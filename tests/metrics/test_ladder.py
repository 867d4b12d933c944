"""The ladder: per-level rows on small sets (the verdict on hand-made tables: tests/stats/test_ladder_verdicts.py)."""

from __future__ import annotations

import numpy as np

from synthdiv.metrics.ladder import LevelSet, measure_ladder
from synthdiv.records import Provenance, Record
from synthdiv.stats.ladder import verdict


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


def test_records_that_name_no_real_examples_count_none_shown_and_none_copied():
    """Generated records from another tool (or a strategy without examples) carry seed_ids None."""
    sets = [_set("D0", ["the cat sat on the mat"] * 4, ["Cats"] * 4, []), _set("D3", ["a dog ran", "a cow slept"] * 2, list("ABCD"), [])]
    for s in sets:
        for r in s.records:
            r.provenance.seed_ids = None
    rows = measure_ladder(sets, {}, None, draws=10)
    assert [r["seeds_shown"] for r in rows] == [0, 0] and [r["copy_rate"] for r in rows] == [0.0, 0.0]
