"""What each metric column of datasets.csv is, which way is better, and which columns are settings.

The metrics, their headers, descriptions and directions are the registry's (metrics.registry):
a metric registered there shows up here as it is declared. The tables show metrics only. A column
that says how a metric was computed (the MMD bandwidth, PRDC's k, MAUVE's buckets, the classifier's
folds) is a *setting*: it goes to a details block under the table. A metric's own spread (MAUVE over
its k-means seeds, the classifier AUC over its folds) is shown beside the metric, not as a column of
its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from synthdiv.experiments import layout
from synthdiv.metrics import registry

UP, DOWN, TO_ONE, BESIDE, UNKNOWN = "↑", "↓", "→1", "↔", "?"
MARKS = {UP: "higher is better", DOWN: "lower is better", TO_ONE: "closer to 1 is better",
         BESIDE: "no way is better: read it beside the real set", UNKNOWN: "direction not recorded"}
_MARK = {registry.HIGHER: UP, registry.LOWER: DOWN, registry.NEAR_ONE: TO_ONE, registry.NEITHER: BESIDE}


@dataclass(frozen=True)
class Metric:
    column: str
    header: str  # without the direction mark
    description: str
    better: str  # one of MARKS
    spread: str = ""  # the runner's column of the metric's own sd, shown as "± sd" when the run has one seed
    interval: tuple[str, str] | None = None  # the runner's 95 % interval columns (low, high)

    @property
    def label(self) -> str:
        return f"{self.header} {self.better}"


def _metric(stat: registry.Stat, panel: str, column: str, values: dict) -> Metric:
    prefix = registry.PREFIXES[panel]
    spread = f"{prefix}_{stat.spread.replace('.', '_')}" if stat.spread else ""
    interval = tuple(f"{prefix}_{k.replace('.', '_')}" for k in stat.bounds) if stat.bounds else None
    return Metric(column, stat.text("header", **values), stat.text("description", **values), _MARK[stat.better], spread, interval)


def known(panel: str) -> tuple[Metric, ...]:
    """The report's columns of ``panel`` (registry.DIVERSITY or SHIFT), in the order the tables show them:
    the registry's, with the embedding distances first in the shift table (the paper's Table 2)."""
    found = [(_metric(s, panel, c, v), m.needs) for m in registry.metrics(panel) for s, c, v in registry.columns(panel)
             if s in m.stats]
    if panel == registry.SHIFT:
        found.sort(key=lambda item: item[1] != "embeddings")
    return tuple(metric for metric, _ in found)


def describe(column: str) -> Metric:
    """The report's column of any metric column: the registry's declaration (a family member beyond the
    usual ones too, such as distinct-7), else the column's own name with the mark for an unknown direction."""
    found = registry.stat_of(column)
    if found is not None:
        return _metric(found[0], found[1], column, found[2])
    short = column.split("_")[0] + "_"
    return Metric(column, column[len(short):].replace("_", " "), f"{column} ({MARKS[UNKNOWN]})", UNKNOWN)


DIVERSITY = known(registry.DIVERSITY)
SHIFT = known(registry.SHIFT)
# how the metrics were computed: shown once under the table, never as a column
SETTINGS = {
    "div_tokenizer": "tokenizer", "div_mode": "distinct-n over", "div_samples": "records measured",
    "div_embedder": "embedder", "div_embedding_embedded_samples": "records embedded", "div_embedding_kmeans_k": "k-means k",
    layout.matched("size"): "size-matched subsample size", layout.matched("draws"): "size-matched subsamples drawn",
    "shift_tokenizer": "tokenizer", "shift_embedder": "embedder", "shift_embedding_dimensions": "embedding dimensions",
    "shift_samples_compared": "records compared per set", "shift_n_real": "real records compared",
    "shift_n_generated": "generated records compared", "shift_embedding_mmd_bandwidth": "MMD RBF bandwidth",
    "shift_embedding_mmd_permutations": "MMD permutations", "shift_embedding_mmd_samples": "MMD records per set",
    "shift_embedding_prdc_k": "PRDC nearest neighbours k", "shift_embedding_prdc_samples": "PRDC records per set",
    "shift_embedding_mauve_buckets": "MAUVE k-means buckets", "shift_embedding_mauve_samples": "MAUVE records per set",
    "shift_embedding_subsample_seed": "numpy seed of the MMD, PRDC and MAUVE subsamples",
    "shift_embedding_classifier_folds": "classifier cross-validation folds",
    "shift_lengths_text_bootstrap": "length statistics: bootstrap resamples",
    "div_gradient_proxy": "gradient diversity: proxy model", "div_gradient_params": "gradient diversity: parameters",
    "div_gradient_dim": "gradient diversity: projection dimension", "div_gradient_seed": "gradient diversity: seed",
    "div_gradient_records": "gradient diversity: records measured",
    "div_gradient_matched_size": "size-matched G-Vendi: subsample size", "div_gradient_matched_draws": "size-matched G-Vendi: subsamples drawn",
    "div_gradient_matched_level": "size-matched G-Vendi: interval level",
    "div_fluency_reference": "fluency: reference model", "div_fluency_records": "fluency: records measured",
    "div_fluency_vs_real_permutations": "fluency vs real: permutations", "div_fluency_vs_real_verdict": "fluency vs real: verdict",
    "div_fluency_vs_real_differs": "fluency vs real: differs (p < 0.05)",
}
# parts of flattened metric names that are details or settings, not a metric to show
DETAIL_PARTS = ("_ci95", "_bootstrap", "_samples", "_dimensions", "_seed", "timings", "_real_", "_generated_", "_quantiles",
                "_ci_low", "_ci_high", "_draws", "_p_at_floor", "_p_value_text")
SETTING_ENDINGS = ("_k", "_folds", "_buckets", "_permutations", "_bandwidth", "_n_real", "_n_generated", "_size", "_sd", "_groups",
                   "_tokens")


def is_metric_column(column: str) -> bool:
    """A column that may be shown as an extra metric: not a setting, a spread, a duplicate or a detail."""
    return (column not in SETTINGS and column not in registry.ALIASES and not any(p in column for p in DETAIL_PARTS)
            and not column.endswith(SETTING_ENDINGS) and not column.startswith(("div_ngrams_", "div_unique_ngrams_")))
