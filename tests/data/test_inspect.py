from synthdiv.data.inspect import format_summary, length_stats, summarize
from synthdiv.records import Record


def test_length_stats_matches_numpy_quantiles():
    import numpy as np

    values = [3, 1, 4, 1, 5, 9, 2, 6]
    stats = length_stats(values)
    assert stats["median"] == np.median(values)
    assert stats["p25"] == np.percentile(values, 25) and stats["p75"] == np.percentile(values, 75)
    assert length_stats([])["mean"] is None


def test_summary_counts_and_samples():
    recs = [Record(id=str(i), task="story_completion", context="a b c", target="d e", group=str(i % 2)) for i in range(5)]
    s = summarize(recs)
    assert s["records"] == 5 and s["groups"] == 2 and s["lengths"]["context"]["words"]["mean"] == 3
    assert len(s["samples"]) == 2
    text = format_summary(s)
    assert "records      5" in text and "sample 2: id=1" in text


def _generated(n: int) -> list[Record]:
    from synthdiv.records import Provenance

    topics = ["Heavy garden", "Warm wagon", "Heavy garden"]
    return [
        Record(id=f"g{i}", task="story_completion", context="a b c", target="d e", source="generated",
               provenance=Provenance(strategy="topic", level="D2", topic=topics[i % 3], backend="dummy", model="smollm2-135m-instruct"))
        for i in range(n)
    ]


def test_generated_records_show_level_topic_and_generator():
    s = summarize(_generated(6))
    assert s["generators"] == {"dummy/smollm2-135m-instruct": 6} and s["strategies"] == {"topic": 6}
    assert s["topics"] == {"distinct": 2, "records": 6, "most_common": [["Heavy garden", 4], ["Warm wagon", 2]]}
    text = format_summary(s)
    assert "levels       D2: 6" in text and "generators   dummy/smollm2-135m-instruct: 6" in text
    assert "topics       2 distinct over 6 records; most frequent: Heavy garden (4), Warm wagon (2)" in text
    assert 'sample 1: id=g0 source=generated level=D2 topic="Heavy garden" generator=dummy/smollm2-135m-instruct' in text


def test_empty_facts_are_hidden():
    text = format_summary(summarize(_generated(3)))
    assert "None" not in text and "groups" not in text and "splits" not in text and "group=" not in text
    real = [Record(id=str(i), task="story_completion", context="a b", target="c", group=str(i % 2), split="train") for i in range(4)]
    text = format_summary(summarize(real))
    assert "groups       2  (records per group: median 2.0, max 2)" in text and "splits       train: 4" in text
    assert "levels" not in text and "topics" not in text and "generators" not in text
