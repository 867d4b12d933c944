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
