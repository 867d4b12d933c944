"""From a finished sweep's tables to evidence: intervals on every loss, size-matched diversity,
seed aggregates, trend tests, the findings (the paper's claims with verdicts) and the
diversity–shift plane (plane.py) and which measured property predicts the test loss (predictors.py).

Called by the runner after :func:`synthdiv.experiments.results.gather`; everything here reads
files the stages already wrote (per-record losses, record files), so it is cheap and reruns
give the same numbers (every bootstrap is seeded).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthdiv.experiments import layout
from synthdiv.fileio import atomic_write
from synthdiv.stats.evidence import aggregate, annotate, load_losses
from synthdiv.stats.findings import Finding, format_findings, judge, resolution
from synthdiv.stats.plane import format_plane, plane
from synthdiv.stats.predictors import format_predictors, predictors
from synthdiv.stats.sweep_trends import diversity_trend, loss_trends


@dataclass
class Evidence:
    aggregate: list[dict[str, Any]] = field(default_factory=list)
    trends: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    resolves: float | None = None  # smallest loss difference the test set resolves (median paired half-width)
    test_records: int | None = None
    test_tokens: int | None = None
    plane: dict[str, Any] | None = None  # the diversity–shift regression (plane.py), written as plane.json
    ladder: list[dict[str, Any]] = field(default_factory=list)  # per diversity: does it rise with the level (ladder.py)
    predictors: dict[str, Any] | None = None  # every measured property ranked against the test loss (predictors.py)
    stand_ins: list[str] = field(default_factory=list)  # students of models.registry.STAND_INS: their verdicts mean nothing

    def to_dict(self) -> dict[str, Any]:
        return {"findings": [f.to_dict() for f in self.findings], "resolves": self.resolves,
                "test_records": self.test_records, "test_tokens": self.test_tokens,
                "confidence": 0.95, "ladder": self.ladder, "stand_ins": self.stand_ins}

    def format(self) -> str:
        text = format_findings(self.findings, self.resolves, self.test_records, self.test_tokens, self.stand_ins)
        from synthdiv.stats.ladder import format_ladder

        lines = (format_ladder(self.ladder) + [format_plane(g) for g in (self.plane or {}).get("groups", [])]
                 + [format_predictors(g) for g in (self.predictors or {}).get("groups", []) if g.get("ranking")])
        return "\n".join([text, *lines]) if lines else text


def add_matched_diversity(datasets: list[dict[str, Any]], *, n: int, tokenizer: str, seed: int = 0) -> None:
    """``div_matched_*``: distinct-1..n summed on equal-size subsamples (half the smallest set of the
    comparison group the runner normalises: one seed and asked size), with its interval."""
    from synthdiv.metrics.matched import matched_diversity
    from synthdiv.metrics.texts import load_texts

    for rows in _comparison_groups(datasets):
        texts = [load_texts(row["path"]) for row in rows]
        for row, m in zip(rows, matched_diversity(texts, n=n, tokenizer=tokenizer, seed=seed)):
            for key in layout.MATCHED_KEYS:
                row[layout.matched(key)] = m[key]
            row[layout.matched("draw_scores")] = list(m["draw_scores"])  # for the ladder's trend; not a table column


GRADIENT_MATCHED = "div_gradient_matched_"  # the prefix of the size-matched G-Vendi's columns


def add_matched_gradient(datasets: list[dict[str, Any]], metrics) -> None:
    """``div_gradient_matched_*``: G-Vendi on equal-size subsamples (half the smallest set of the comparison
    group, as ``div_matched_*``), with its interval, when the spec measures gradient diversity (``metrics.proxy``).
    The vectors come from the gradient cache the measure stages filled."""
    if not metrics.proxy:
        return
    from synthdiv.experiments.results import flatten
    from synthdiv.metrics.choices import GradientSettings
    from synthdiv.metrics.gradient import gradient_vectors, matched_g_vendi
    from synthdiv.metrics.texts import load_texts

    settings = GradientSettings(proxy=metrics.proxy, params=metrics.gradient_params, dim=metrics.gradient_dim)
    for rows in _comparison_groups(datasets):
        vectors = [gradient_vectors(load_texts(row["path"]).records, settings) for row in rows]
        for row, m in zip(rows, matched_g_vendi(vectors)):
            row.update(flatten({"gradient": {"matched": m}}, "div"))


def _comparison_groups(datasets: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The sets compared at one size: one seed and asked size (the groups the runner normalises)."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in datasets:
        groups.setdefault((row.get("seed"), row.get("size_asked")), []).append(row)
    return list(groups.values())


def copy_matched_to_results(datasets: list[dict[str, Any]], results: list[dict[str, Any]], train_set_keys: list[str | None]) -> None:
    """Each trained row gets the size-matched diversity of the set it was trained on."""
    by_key = {d["stage_key"]: d for d in datasets}
    for row, key in zip(results, train_set_keys):
        measured = by_key.get(key)
        for key in layout.MATCHED_KEYS:
            row[layout.matched(key)] = measured.get(layout.matched(key)) if measured else None
        row.update({k: v for k, v in (measured or {}).items() if k.startswith(GRADIENT_MATCHED)})


def assess(datasets: list[dict[str, Any]], results: list[dict[str, Any]], eval_dirs: list[Path], *,
           resamples: int, seed: int = 0) -> Evidence:
    """Add the interval columns to ``results`` and compute the aggregate rows, trends and findings."""
    losses = load_losses(eval_dirs)
    annotate(results, losses, resamples=resamples, seed=seed)
    agg = aggregate(results, losses, resamples=resamples, seed=seed)
    trends = loss_trends(results, losses, resamples=resamples, seed=seed) + diversity_trend(datasets)
    first = next((r for r in results if r.get("test_samples")), {})
    from synthdiv.models.registry import STAND_INS

    return Evidence(agg, trends, judge(agg, trends, datasets), resolution(agg),
                    first.get("test_samples"), first.get("test_tokens"), plane(results, losses, resamples=resamples, seed=seed),
                    predictors=predictors(results, losses, resamples=resamples, seed=seed),
                    stand_ins=sorted({r["model"] for r in results if r.get("model") in STAND_INS}))


def write_evidence(evidence: Evidence, out: Path, write_table) -> list[Path]:
    """aggregate and trends tables, and findings.json."""
    written = write_table(evidence.aggregate, out / layout.AGGREGATE)
    if evidence.trends:
        written += write_table(evidence.trends, out / layout.TRENDS)
    with atomic_write(out / layout.FINDINGS) as fh:
        json.dump(evidence.to_dict(), fh, indent=2, ensure_ascii=False)
    written.append(out / layout.FINDINGS)
    if evidence.plane and evidence.plane["groups"]:
        with atomic_write(out / layout.PLANE) as fh:
            json.dump(evidence.plane, fh, indent=2, ensure_ascii=False, default=str)
        written.append(out / layout.PLANE)
    elif (out / layout.PLANE).is_file():
        (out / layout.PLANE).unlink()  # an earlier run's plane, of sets this run no longer has
    if evidence.predictors and any(g.get("ranking") for g in evidence.predictors["groups"]):
        with atomic_write(out / layout.PREDICTORS) as fh:
            json.dump(evidence.predictors, fh, indent=2, ensure_ascii=False, default=str)
        written.append(out / layout.PREDICTORS)
    elif (out / layout.PREDICTORS).is_file():
        (out / layout.PREDICTORS).unlink()  # an earlier run's, of sets this run no longer has
    return written


def table_rows(datasets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The datasets rows without in-memory fields (the per-draw scores)."""
    return [{k: v for k, v in d.items() if k != layout.matched("draw_scores")} for d in datasets]
