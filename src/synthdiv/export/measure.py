"""Diversity and shift of one set being exported, with the metrics stage's own functions
(:func:`synthdiv.metrics.panel.diversity_report`, :func:`synthdiv.metrics.shift.shift_report`),
flattened to the column names of a run's datasets.csv (``div_distinct_3``, ``shift_ngram_js_1`` …)
so the card reads both kinds of input the same way."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Callable

from synthdiv.errors import UserError

EMBEDDING_NOT_COMPUTED = "embedding metrics not computed"


def measure_file(path: str, real_path: str | None, embedder: str | None,
                 shift_caps: Mapping[str, int] | None = None) -> tuple[dict[str, Any], list[str]]:
    """(flat metrics, notes) of the record file ``path``; the shift against ``real_path`` when given, its
    capped metrics on at most ``shift_caps`` points per side (None: the registry's caps, metrics.shift).
    An embedder that cannot be loaded leaves the lexical metrics and says why in the notes."""
    from synthdiv.experiments.results import flatten
    from synthdiv.metrics.panel import diversity_report
    from synthdiv.metrics.texts import load_texts

    notes: list[str] = []
    texts = load_texts(path)
    if embedder is None:
        notes.append(f"{EMBEDDING_NOT_COMPUTED}: no embedder (--embedder none)")
    report, embedder = _run(diversity_report, (texts,), embedder, notes)
    notes.extend(f"diversity: {w}" for w in report.get("warnings") or [])
    metrics = flatten(report, "div")
    if real_path is None:
        notes.append("shift from real data not computed: no real data given (--real)")
        return metrics, notes
    metrics.update(_shift(load_texts(real_path), texts, embedder, notes, shift_caps))
    return metrics, notes


def _shift(real, generated, embedder: str | None, notes: list[str], caps: Mapping[str, int] | None) -> dict[str, Any]:
    from synthdiv.experiments.results import flatten
    from synthdiv.metrics.shift import shift_report

    # the tasks agree: export.sources checks them when it reads the real data, before anything is measured
    if len(real) < 2 or len(generated) < 2:
        notes.append(f"shift from real data not computed: it needs two texts on each side ({len(real)} real, {len(generated)} exported)")
        return {}
    report, _ = _run(shift_report, (real, generated), embedder, notes, max_samples=caps)
    return flatten(report, "shift")


def _run(fn: Callable, args: tuple, embedder: str | None, notes: list[str], **options: Any) -> tuple[dict[str, Any], str | None]:
    """``fn(*args, embedder=…, **options)``; when the embedder cannot be loaded, again without it. Returns
    the report and the embedder that worked (None after a failure, so the next call skips it)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = None
        if embedder is not None:
            try:
                report = fn(*args, embedder=embedder, **options)
            except (UserError, ImportError) as exc:  # e.g. the embed extra is not installed
                notes.append(f"{EMBEDDING_NOT_COMPUTED}: {str(exc).splitlines()[0]}")
                embedder = None
        if report is None:
            report = fn(*args, embedder=None, **options)
    for message in dict.fromkeys(str(w.message).splitlines()[0] for w in caught if issubclass(w.category, (UserWarning, RuntimeWarning))):
        notes.append(f"warning: {message}")
    return report, embedder
