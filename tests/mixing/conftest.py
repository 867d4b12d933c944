"""Shared records of the mixing tests."""

from __future__ import annotations

from synthdiv.records import Provenance, Record


def mix_records(n: int, source: str) -> list[Record]:
    """``n`` tiny story records of one source (generated ones carry a strategy and a topic)."""
    prov = Provenance(dataset="test", strategy="topic" if source == "generated" else None, topic="cows" if source == "generated" else None)
    return [
        Record(id=f"{source[0]}{i}", task="story_completion", context=f"{source} story {i} begins.", target=f"It ends {i}.", source=source, provenance=prov)
        for i in range(n)
    ]
