"""The card's tables: one row per metric or setting, one column per config, each column
headed by its sample size. A metric a config lacks shows as "—" and the card's
"Not computed" section says why."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from synthdiv.export.provenance import generation_summary
from synthdiv.export.sources import ExportSet

MISSING = "—"
DIVERSITY_LABELS = {
    "div_ngram_diversity_score": "distinct-1..{n} summed (n-gram diversity score)",
    "div_compression_ratio": "compression ratio (gzip; higher = more repetitive)",
    "div_self_bleu": "self-BLEU-4 (higher = records more alike)",
}
EMBEDDING_LABELS = {
    "mean_pairwise_cosine_distance": "mean pairwise cosine distance", "vendi_score": "Vendi score (q=1; effective number of distinct records)",
    "vendi_score_q_2": "Vendi score (q=2)", "vendi_score_q_inf": "Vendi score (q=∞)", "centroid_radius": "centroid radius",
    "kmeans_inertia": "k-means inertia per record",
}
_DUPLICATES = {"div_embedding_vendi_score_q_1"}  # the same number as div_embedding_vendi_score
SHIFT_LABELS = {
    "frechet_distance": "Fréchet distance (embeddings)", "mmd2": "MMD² (embeddings)", "mmd2_p_value": "MMD² permutation p-value",
    "precision": "precision (PRDC)", "recall": "recall (PRDC)", "density": "density (PRDC)", "coverage": "coverage (PRDC)",
    "mauve": "MAUVE", "classifier_auc": "classifier AUC (0.5 = indistinguishable)",
}
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


# ----- diversity ------------------------------------------------------------
def diversity_keys(sets: list[ExportSet]) -> list[str]:
    """distinct-k in order of k, their sum, compression, self-BLEU, then every embedding metric."""
    keys = {k for s in sets for k in s.metrics if _numeric(s.metrics, k) is not None}
    distinct = sorted((k for k in keys if re.fullmatch(r"div_distinct_\d+", k)), key=lambda k: int(k.rsplit("_", 1)[1]))
    fixed = [k for k in DIVERSITY_LABELS if k in keys]
    known = [f"div_embedding_{k}" for k in EMBEDDING_LABELS if f"div_embedding_{k}" in keys]
    other = sorted(k for k in keys if k.startswith("div_embedding_") and k not in known and k not in _DUPLICATES
                   and not _NOT_A_METRIC.search(k))
    embedding = known + other
    return distinct + fixed + embedding


def diversity_label(key: str, top_order: int) -> str:
    if key.startswith("div_distinct_"):
        return f"distinct-{key.rsplit('_', 1)[1]}"
    if key in DIVERSITY_LABELS:
        return DIVERSITY_LABELS[key].format(n=top_order)
    name = key.removeprefix("div_embedding_")
    return "embedding: " + EMBEDDING_LABELS.get(name, name.replace("_", " "))


def diversity_table(sets: list[ExportSet]) -> str | None:
    keys = diversity_keys(sets)
    if not keys:
        return None
    top = max((int(k.rsplit("_", 1)[1]) for k in keys if re.fullmatch(r"div_distinct_\d+", k)), default=0)
    header = ["metric"] + [f"{s.config} (n={_n(s.metrics.get('div_samples'))} records)" for s in sets]
    rows = [[diversity_label(k, top)] + [fmt(_numeric(s.metrics, k)) for s in sets] for k in keys]
    return table(header, rows)


# ----- shift ----------------------------------------------------------------------
def shift_keys(sets: list[ExportSet]) -> list[str]:
    """n-gram JS by order, length KS and Wasserstein by field, then the embedding panel in the paper's order."""
    keys = {k for s in sets for k in s.metrics if k.startswith("shift_") and _numeric(s.metrics, k) is not None}
    js = sorted((k for k in keys if re.fullmatch(r"shift_ngram_js_\d+", k)), key=lambda k: int(k.rsplit("_", 1)[1]))
    lengths = sorted((k for k in keys if re.fullmatch(r"shift_lengths_\w+_(ks|wasserstein)", k)), key=_length_order)
    known = [f"shift_embedding_{k}" for k in SHIFT_LABELS if f"shift_embedding_{k}" in keys]
    other = sorted(k for k in keys if k.startswith("shift_embedding_") and k not in known and not _NOT_A_METRIC.search(k))
    return js + lengths + known + other


def _length_order(key: str) -> tuple[int, str]:
    """The measured text first, then the record's fields in reading order."""
    order = ("text", "context", "question", "target")
    field = re.sub(r"^shift_lengths_|_(ks|wasserstein)$", "", key)
    return (order.index(field) if field in order else len(order), key)


def shift_label(key: str) -> str:
    if m := re.fullmatch(r"shift_ngram_js_(\d+)", key):
        return f"{m.group(1)}-gram Jensen-Shannon divergence (bits)"
    if m := re.fullmatch(r"shift_lengths_(\w+)_(ks|wasserstein)", key):
        stat = "KS statistic" if m.group(2) == "ks" else "Wasserstein distance (tokens)"
        return f"length of {m.group(1)}: {stat}"
    name = key.removeprefix("shift_embedding_")
    return SHIFT_LABELS.get(name, "embedding: " + name.replace("_", " "))


def shift_table(sets: list[ExportSet]) -> str | None:
    measured = [s for s in sets if any(k.startswith("shift_") and _numeric(s.metrics, k) is not None for k in s.metrics)]
    keys = shift_keys(measured)
    if not keys:
        return None
    header = ["metric"] + [f"{s.config} (n={_n(s.metrics.get('shift_samples_compared'))} per side)" for s in measured]
    rows = [[shift_label(k)] + [fmt(_numeric(s.metrics, k)) for s in measured] for k in keys]
    return table(header, rows)


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
