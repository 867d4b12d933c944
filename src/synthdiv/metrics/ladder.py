"""Is the diversity ladder a ladder? One row per generated set (its verdict: :mod:`synthdiv.stats.ladder`).

For each set (one diversity level of one run): the topics asked and used, topic
adherence (:mod:`synthdiv.metrics.adherence`), seed copying
(:mod:`synthdiv.metrics.seed_copy`), the reject rate, and two diversities with
intervals, each measured at one common size:

* the size-matched distinct-1…5 sum (:func:`synthdiv.metrics.matched.matched_diversity`);
* the Vendi score (q = 1) of the MiniLM embeddings.

Both are measured on ``draws`` random subsets of *half* the smallest set (without
replacement), and the interval is the percentile interval over the subsets. At the
full size every draw would be the whole set and the interval zero-wide; at half the
size the spread stands for what a fresh set from the same generator would vary by
(subsampling; Politis & Romano 1994), so two levels whose intervals overlap are not
told apart by this run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthdiv.records import Record

DRAWS = 200
Embed = Callable[[list[str]], np.ndarray]


@dataclass
class LevelSet:
    """One generated set: its label (e.g. 'Gen-D3'), level, records and reject reasons."""

    label: str
    level: str | None
    records: list[Record]
    rejects: list[str] | None = None  # reject reasons, one per rejected answer (None: unknown)
    topics_asked: int | None = None  # |T| of the level


def story_text(r: Record) -> str:
    return " ".join(x.strip() for x in (r.context, r.question or "", r.target) if x and x.strip())


def mean_interval(values: Sequence[float], *, seed: int = 0, resamples: int = 2000, level: float = 0.95) -> tuple[float | None, float | None, float | None]:
    """Mean and percentile bootstrap interval over the values (records resampled)."""
    from synthdiv.stats.uncertainty import loss_interval

    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return None, None, None
    ci = loss_interval(v, np.ones_like(v), resamples=resamples, seed=seed, level=level)
    return float(ci.estimate), float(ci.ci_low), float(ci.ci_high)


def _one_temperature(records: Sequence[Record]) -> float | None:
    """The sampling temperature of a set's records, or None where they differ or do not say."""
    found = {(r.provenance.sampling or {}).get("temperature") for r in records}
    return found.pop() if len(found) == 1 and None not in found else None


def measure_ladder(sets: Sequence[LevelSet], real: dict[str, Record], embed: Embed | None, *,
                   draws: int = DRAWS, seed: int = 0, size: int | None = None) -> list[dict[str, Any]]:
    """One row per set (see the module docstring); ``real``: the seed records by id."""
    from synthdiv.metrics.adherence import distractor_topics, topic_adherence
    from synthdiv.metrics.embedding import draw_vendi
    from synthdiv.metrics.matched import matched_diversity, matched_size
    from synthdiv.metrics.repetition import seq_rep
    from synthdiv.metrics.seed_copy import seed_copy

    sizes = [len(s.records) for s in sets]
    size = size or matched_size(sizes)
    texts = [[story_text(r) for r in s.records] for s in sets]
    matched = matched_diversity(texts, size=size, draws=draws, seed=seed)
    pool = [t for s in sets for t in dict.fromkeys(r.provenance.topic for r in s.records if r.provenance.topic)]
    distractors = distractor_topics(pool, seed=seed)
    rows = []
    for s, set_texts, m in zip(sets, texts, matched, strict=True):
        row: dict[str, Any] = {"set": s.label, "level": s.level, "records": len(s.records), "topics_asked": s.topics_asked}
        topics = [r.provenance.topic for r in s.records]
        row["topics_used"] = len({t for t in topics if t})
        row["seeds_shown"] = len({i for r in s.records for i in (r.provenance.seed_ids or ())})  # distinct real stories the prompts showed
        row["temperature"] = _one_temperature(s.records)
        row["topic_set_reached"] = next((r.provenance.extra.get("topic_set_size_effective") for r in s.records
                                         if r.provenance.extra.get("topic_set_size_effective") is not None), None)
        copies = [seed_copy(t, [(i, story_text(real[i])) for i in (r.provenance.seed_ids or ()) if i in real])
                  for t, r in zip(set_texts, s.records, strict=True)]
        row["copy_rate"] = float(np.mean([c.is_copy() for c in copies])) if copies else None
        row["copy_rouge_l_mean"] = float(np.mean([c.rouge_l for c in copies])) if copies else None
        row["copy_longest_run_max"] = max((c.longest_run for c in copies), default=None)
        repeats = [v for v in map(seq_rep, set_texts) if v is not None]
        row["seq_rep"], row["seq_rep_ci_low"], row["seq_rep_ci_high"] = mean_interval(repeats, seed=seed) if repeats else (None, None, None)
        row["rejects"] = None if s.rejects is None else len(s.rejects)
        row["reject_rate"] = None if s.rejects is None else len(s.rejects) / max(1, len(s.rejects) + len(s.records))
        row.update({"distinct": m["ngram_diversity_score"], "distinct_ci_low": m["ci_low"], "distinct_ci_high": m["ci_high"],
                    "subset_size": size, "draws": draws})
        if embed is not None and all(topics):
            rank, hit = topic_adherence(set_texts, topics, embed, distractors)
            row["adherence"], row["adherence_ci_low"], row["adherence_ci_high"] = mean_interval(rank, seed=seed)
            row["adherence_hit_rate"] = float(hit.mean())
        if embed is not None:
            vendi = draw_vendi(np.asarray(embed(set_texts), dtype=np.float32), size, draws, seed)
            low, high = np.quantile(vendi, [0.025, 0.975])
            row.update({"vendi": float(vendi.mean()), "vendi_ci_low": float(low), "vendi_ci_high": float(high)})
        rows.append(row)
    return rows
