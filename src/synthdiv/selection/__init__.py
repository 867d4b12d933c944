"""Subsets of a generated pool that control diversity and shift separately (docs/selection.md).

The public names below are imported on first use, so ``import synthdiv.selection``
(and the CLI, which reads its defaults from :mod:`synthdiv.selection.settings`)
costs nothing; numpy, scikit-learn and datasketch load only inside the strategies.

    from synthdiv.selection import SelectionSettings, select_records
    report = select_records(pool, 1000, "matched-diverse", real=real, settings=SelectionSettings(weight=0.3))
    report.records[0].provenance.extra["selection"]["rank"]  # 0

    from synthdiv.selection import STRATEGIES, SelectionInput   # the same on embedding matrices
    STRATEGIES["diverse"].select(SelectionInput(texts, n=100, pool_embeddings=x)).indices
"""

from __future__ import annotations

from synthdiv.lazy import lazy_exports

_EXPORTS = {
    "DEFAULTS": "synthdiv.selection.settings",
    "SelectionSettings": "synthdiv.selection.settings",
    "STRATEGY_NAMES": "synthdiv.selection.settings",
    "STRATEGIES": "synthdiv.selection.strategies",
    "Strategy": "synthdiv.selection.strategies",
    "Selection": "synthdiv.selection.strategies",
    "SelectionInput": "synthdiv.selection.strategies",
    "get_strategy": "synthdiv.selection.strategies",
    "select_records": "synthdiv.selection.api",
    "SelectionReport": "synthdiv.selection.api",
    "deduplicate": "synthdiv.selection.dedup",
    "farthest_point_order": "synthdiv.selection.diverse",
    "log_density_ratio": "synthdiv.selection.matched",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
