"""A worked example of adding a metric: this module and one registry entry each (the registry entries
below; tests/metrics/test_metric_registry.py registers them). Nothing else changes: the panels run them,
and the command's text, the report's columns and the dataset card show them by their declarations."""

from __future__ import annotations

from synthdiv.metrics.registry import DIVERSITY, HIGHER, LOWER, NOT_RESAMPLED, SHIFT, Metric, Stat


def mean_chars(texts: list[str]) -> float:
    return sum(len(t) for t in texts) / len(texts)


def measure_diversity(panel) -> dict:
    return {"mean_chars": mean_chars(panel.texts)}


def measure_shift(panel) -> dict:
    return {"length_gap": abs(mean_chars(panel.real_texts) - mean_chars(panel.gen_texts))}


TOY_DIVERSITY = Metric("mean-chars", DIVERSITY, "toy_metric:measure_diversity", stats=(
    Stat("mean_chars", "mean characters per record", "chars", HIGHER, "mean length of a record in characters", unit="characters"),
))
TOY_SHIFT = Metric("length-gap", SHIFT, "toy_metric:measure_shift", stats=(
    Stat("length_gap", "gap of the mean lengths (characters)", "len gap", LOWER, "difference of the mean record lengths",
         unit="characters", reading="higher = more shifted", interval=NOT_RESAMPLED),
))
