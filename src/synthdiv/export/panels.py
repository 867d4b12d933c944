"""The card's tables: one row per metric or setting, one column per config, each column
headed by its sample size. A metric a config lacks shows as "—" and the card's
"Not computed" section says why. The metrics' rows, their order and labels are the
registry's (metrics.registry), as in the report and on the command line."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from synthdiv.export.provenance import generation_summary
from synthdiv.export.sources import ExportSet
from synthdiv.metrics import registry

MISSING = "—"
# Flattened detail columns that are not metrics: counts, seeds, settings, interval strings.
_NOT_A_METRIC = re.compile(r"(_bootstrap|_seed|_samples|_sd|_dimensions|_permutations|_bandwidth|_folds|_buckets|_n_real|_n_generated|_k)$")


def fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 1000 else f"{value:.4f}"
    return str(value)


def _numeric(metrics: dict[str, Any], key: str) -> float | None:
    v = metrics.get(key)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(float(v)) else None


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _n(value: Any) -> str:
    return "?" if value is None else str(int(value))


# ----- the metrics' rows: the registry's (metrics.registry) labels and order --------------------------
def metric_keys(sets: list[ExportSet], panel: str) -> list[str]:
    """The numbers of ``panel`` the sets have: the registry's, a family member by member (distinct-1 …, each
    record field's lengths), then the embedding numbers no metric declares. Numbers computed from several sets
    (a size-matched draw, a group maximum) and aliases are left out: the card describes each set."""
    prefix = registry.PREFIXES[panel] + "_"
    keys = {k for s in sets for k in s.metrics if k.startswith(prefix) and _numeric(s.metrics, k) is not None}
    listed = [c for stat, c, _ in registry.columns(panel, keys.__contains__) if not stat.derived]
    declared = {c for c in keys if registry.stat_of(c) is not None}
    families = sorted((c for c in declared - set(listed) if not registry.stat_of(c)[0].derived), key=_family_order)
    embedding = prefix + "embedding_"
    other = sorted(k for k in keys - declared if k.startswith(embedding) and k not in registry.ALIASES and not _NOT_A_METRIC.search(k))
    return listed + families + other


def _family_order(column: str) -> tuple:
    """distinct-7 after distinct-6: by the stat, then the order."""
    stat, _, values = registry.stat_of(column)
    return (stat.key, values.get("n", 0), values.get("field", ""))


def metric_label(column: str, top_order: int = 5) -> str:
    found = registry.stat_of(column)
    if found is None:
        name = column.removeprefix("div_embedding_").removeprefix("shift_embedding_")
        return "embedding: " + name.replace("_", " ")
    stat, _, values = found
    return stat.text("label", top=top_order, **values)


def _top_order(keys: list[str]) -> int:
    return max((int(k.rsplit("_", 1)[1]) for k in keys if re.fullmatch(r"div_distinct_\d+", k)), default=0)


def diversity_keys(sets: list[ExportSet]) -> list[str]:
    return metric_keys(sets, registry.DIVERSITY)


def diversity_table(sets: list[ExportSet]) -> str | None:
    keys = diversity_keys(sets)
    if not keys:
        return None
    top = _top_order(keys)
    header = ["metric"] + [f"{s.config} (n={_n(s.metrics.get('div_samples'))} records)" for s in sets]
    rows = [[metric_label(k, top)] + [fmt(_numeric(s.metrics, k)) for s in sets] for k in keys]
    return table(header, rows)


def shift_keys(sets: list[ExportSet]) -> list[str]:
    return metric_keys(sets, registry.SHIFT)


def shift_table(sets: list[ExportSet]) -> str | None:
    measured = [s for s in sets if any(k.startswith("shift_") and _numeric(s.metrics, k) is not None for k in s.metrics)]
    keys = shift_keys(measured)
    if not keys:
        return None
    header = ["metric"] + [f"{s.config} (n={_n(s.metrics.get('shift_samples_compared'))} per side)" for s in measured]
    rows = [[metric_label(k)] + [fmt(_numeric(s.metrics, k)) for s in measured] for k in keys]
    return table(header, rows)


def shift_subsamples(sets: list[ExportSet]) -> dict[str, str]:
    """Per config, the sentence naming the shift metrics measured on a subsample (their points per side and
    the draw's seed), for the configs that have one."""
    from synthdiv.metrics.shift import max_points, subsample_text, subsampled

    out = {}
    for s in sets:
        compared = _numeric(s.metrics, "shift_samples_compared")
        if compared is None:
            continue
        points = subsampled({name: _numeric(s.metrics, f"shift_embedding_{name}_samples") for name in max_points()}, int(compared))
        if points:
            seed = _numeric(s.metrics, "shift_embedding_subsample_seed")
            out[s.config] = subsample_text(points, int(compared), "?" if seed is None else int(seed))
    return out


# ----- generation -------------------------------------------------------------------
def _values(pairs: list[tuple[Any, int]], total: int) -> str:
    """One value as is; several with their record counts."""
    if not pairs:
        return MISSING
    pretty = [_pretty(v) for v, _ in pairs]
    if len(pairs) == 1 and pairs[0][1] == total:
        return pretty[0]
    return "; ".join(f"{p} ({c} records)" for p, (_, c) in zip(pretty, pairs))


def _pretty(value: Any) -> str:
    if isinstance(value, str) and value.startswith("{"):
        return ", ".join(f"{k}={v}" for k, v in json.loads(value).items())
    return str(value)


def generation_table(sets: list[ExportSet]) -> tuple[str, dict[str, dict[str, Any]], list[str]]:
    """The generator settings of each config from its records' provenance, the summaries behind them,
    and the settings no record carries (left out of the table; "loop generation" is not a gap)."""
    summaries = {s.config: generation_summary(s.records) for s in sets}
    fields = [("records (generated / real)", None), ("strategy", "strategy"), ("level", "level"),
              ("topic-set size |T|", "topic_set_size"), ("level parameters", "level_params"),
              ("backend", "backend"), ("model", "model"), ("sampling", "sampling"),
              ("distinct topics used", None), ("distinct prompts (prompt_hash)", None), ("loop generation", "generation")]
    header = ["setting"] + [s.config for s in sets]
    rows, unrecorded = [], []
    for label, key in fields:
        cells = []
        for s in sets:
            g = summaries[s.config]
            if label.startswith("records"):
                cells.append(f"{g['generated']} / {g['real']}")
            elif label.startswith("distinct topics"):
                cells.append(str(g["topics_used"]) if g["topics_used"] else MISSING)
            elif label.startswith("distinct prompts"):
                cells.append(f"{g['prompt_hashes']} over {g['with_prompt_hash']} records" if g["with_prompt_hash"] else MISSING)
            else:
                cells.append(_values(g[key], g["generated"]))
        if all(c == MISSING for c in cells):
            unrecorded.append(label)
            continue
        rows.append([label] + cells)
    return table(header, rows), summaries, [u for u in unrecorded if u != "loop generation"]
