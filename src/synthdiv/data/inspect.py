"""Summary statistics of a record file: what ``synthdiv data inspect`` prints."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from typing import Any

from synthdiv.records import Record

TEXT_FIELDS = ("context", "question", "target")
TOP_TOPICS = 3  # the most frequent topics named in the text summary


def length_stats(values: list[int]) -> dict[str, float | int | None]:
    """Mean, sd, min, quartiles and max of a list of lengths (None when empty)."""
    if not values:
        return {"mean": None, "sd": None, "min": None, "p25": None, "median": None, "p75": None, "max": None}
    ordered = sorted(values)

    def q(p: float) -> float:
        # linear interpolation between closest ranks, as numpy's default
        pos = (len(ordered) - 1) * p
        lo = int(pos)
        hi = min(lo + 1, len(ordered) - 1)
        return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)

    return {
        "mean": round(statistics.fmean(ordered), 2),
        "sd": round(statistics.pstdev(ordered), 2),
        "min": ordered[0],
        "p25": q(0.25),
        "median": q(0.5),
        "p75": q(0.75),
        "max": ordered[-1],
    }


def generator_name(provenance) -> str | None:
    """``backend/model`` of a generated record (either part alone when the other is unknown), else None."""
    parts = [p for p in (provenance.backend, provenance.model) if p]
    return "/".join(parts) or None


def summarize(records: list[Record]) -> dict[str, Any]:
    """Counts by task, source, split, level, strategy and generator; topics; groups; word and
    character lengths per text field."""
    lengths: dict[str, dict[str, Any]] = {}
    for field in TEXT_FIELDS:
        texts = [getattr(r, field) for r in records if getattr(r, field)]
        if texts:
            lengths[field] = {
                "words": length_stats([len(t.split()) for t in texts]),
                "chars": length_stats([len(t) for t in texts]),
            }
    groups = Counter(r.group for r in records if r.group is not None)
    return {
        "records": len(records),
        "tasks": dict(Counter(r.task for r in records)),
        "sources": dict(Counter(r.source for r in records)),
        "splits": dict(Counter(r.split or "none" for r in records)),
        "levels": dict(Counter(r.provenance.level for r in records if r.provenance.level)),
        "strategies": dict(Counter(r.provenance.strategy for r in records if r.provenance.strategy)),
        "generators": dict(Counter(g for r in records if (g := generator_name(r.provenance)))),
        "topics": _topics(records),
        "groups": len(groups),
        "records_per_group": length_stats(list(groups.values())),
        "unique_ids": len({r.id for r in records}),
        "lengths": lengths,
        "samples": [r.to_dict() for r in records[:2]],
    }


def format_summary(summary: dict[str, Any], *, width: int = 100) -> str:
    """The summary as aligned text for a terminal."""

    def short(text: str | None) -> str:
        if text is None:
            return "-"
        text = " ".join(str(text).split())
        return text if len(text) <= width else text[: width - 1] + "…"

    lines = [
        f"records      {summary['records']}  (unique ids: {summary['unique_ids']})",
        f"tasks        {_counts(summary['tasks'])}",
        f"sources      {_counts(summary['sources'])}",
    ]
    lines += _facts(summary)  # only the facts the file has: no "groups 0", no "median None"
    lines.append("lengths (words)   mean     sd    min    p25 median    p75    max")
    for field, stats in summary["lengths"].items():
        w = stats["words"]
        lines.append(
            f"  {field:<14}{w['mean']:>7}{w['sd']:>7}{w['min']:>7}{w['p25']:>7.0f}{w['median']:>7.0f}{w['p75']:>7.0f}{w['max']:>7}"
        )
    for i, rec in enumerate(summary["samples"], 1):
        lines.append(f"sample {i}: " + _sample_label(rec))
        for field in TEXT_FIELDS:
            if rec.get(field):
                lines.append(f"  {field:<9}{short(rec[field])}")
    return "\n".join(lines)


def _topics(records: list[Record]) -> dict[str, Any]:
    counts = Counter(r.provenance.topic for r in records if r.provenance.topic)
    return {"distinct": len(counts), "records": sum(counts.values()), "most_common": [[t, n] for t, n in counts.most_common(TOP_TOPICS)]}


def _facts(summary: dict[str, Any]) -> list[str]:
    """Splits, groups, levels, strategies, generators and topics, each only when the file has it."""
    lines = []
    if set(summary["splits"]) != {"none"}:
        lines.append(f"splits       {_counts(summary['splits'])}")
    if summary["groups"]:
        per = summary["records_per_group"]
        lines.append(f"groups       {summary['groups']}  (records per group: median {per['median']}, max {per['max']})")
    for key in ("levels", "strategies", "generators"):
        if summary.get(key):
            lines.append(f"{key:<13}{_counts(summary[key])}")
    topics = summary.get("topics") or {}
    if topics.get("distinct"):
        common = ", ".join(f"{t} ({n})" for t, n in topics["most_common"])
        lines.append(f"topics       {topics['distinct']} distinct over {topics['records']} records; most frequent: {common}")
    return lines


def _sample_label(rec: dict[str, Any]) -> str:
    """id, then whichever of group, source, split, level, topic and generator the record has."""
    prov = rec.get("provenance") or {}
    facts = {"id": rec["id"], "group": rec.get("group"), "source": rec["source"], "split": rec.get("split"),
             "level": prov.get("level"), "topic": prov.get("topic"),
             "generator": "/".join(p for p in (prov.get("backend"), prov.get("model")) if p) or None}
    return " ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" if k == "topic" else f"{k}={v}" for k, v in facts.items() if v is not None)


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(counter.items())) or "-"
