"""What each metric column of datasets.csv is, which way is better, and which columns are settings.

The tables show metrics only. A column that says how a metric was computed (the MMD
bandwidth, PRDC's k, MAUVE's buckets, the classifier's folds) is a *setting*: it goes to
a details block under the table. A metric's own spread (MAUVE over its k-means seeds,
the classifier AUC over its folds) is shown beside the metric, not as a column of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from synthdiv.experiments import layout

UP, DOWN, TO_ONE, UNKNOWN = "↑", "↓", "→1", "?"
MARKS = {UP: "higher is better", DOWN: "lower is better", TO_ONE: "closer to 1 is better", UNKNOWN: "direction not recorded"}


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


DIVERSITY = (
    Metric("div_distinct_1", "distinct-1", "unique / total unigrams of the concatenated set (Eq. 4)", UP),
    Metric("div_distinct_2", "distinct-2", "unique / total bigrams", UP),
    Metric("div_distinct_3", "distinct-3", "unique / total trigrams", UP),
    Metric("div_distinct_4", "distinct-4", "unique / total 4-grams", UP),
    Metric("div_distinct_5", "distinct-5", "unique / total 5-grams", UP),
    Metric(layout.DIVERSITY_SCORE, "sum d1–5", "distinct-1 + … + distinct-5: the values the paper reports as 'Distinct-5'", UP),
    Metric(layout.MATCHED_SCORE, "size-matched sum d1–5",
           "sum d1–5 on equal-size subsamples of the sets compared, with its 95 % interval over subsamples "
           "(a point when no set is larger than the matched size)", UP, interval=(layout.matched("ci_low"), layout.matched("ci_high"))),
    Metric(layout.NORM, "normalised", "sum d1–5 divided by the largest in its comparison group", UP),
    Metric("div_compression_ratio", "compression", "raw size / compressed size", DOWN),
    Metric("div_self_bleu", "self-BLEU", "mean BLEU-4 of each text against the others", DOWN),
    Metric("div_embedding_mean_pairwise_cosine_distance", "cos. dist.", "mean pairwise cosine distance of embeddings", UP),
    Metric("div_embedding_vendi_score", "Vendi", "Vendi score (order q = 1): effective number of distinct samples", UP),
    Metric("div_embedding_vendi_score_q_2", "Vendi q=2", "Vendi score of order 2: weighs common modes more", UP),
    Metric("div_embedding_vendi_score_q_inf", "Vendi q=∞", "Vendi score of order ∞: set by the largest mode", UP),
    Metric("div_embedding_centroid_radius", "radius", "mean distance of embeddings to their centroid", UP),
    Metric("div_embedding_kmeans_inertia", "k-means inertia", "k-means inertia of the embeddings", UP),
)
SHIFT = (
    Metric("shift_embedding_frechet_distance", "Fréchet", "Fréchet distance of embedding Gaussians", DOWN),
    Metric("shift_embedding_mmd2", "MMD²", "unbiased squared MMD, RBF kernel", DOWN),
    Metric("shift_embedding_mmd2_p_value", "MMD p", "permutation p-value of MMD²; small = the sets differ, '≤' = at the "
           "permutation floor 1/(B+1)", UP),
    Metric("shift_embedding_precision", "precision", "share of generated samples inside the real manifold (k-NN)", UP),
    Metric("shift_embedding_recall", "recall", "share of real samples inside the generated manifold", UP),
    Metric("shift_embedding_density", "density", "PRDC density: 1 when generated samples sit as densely as real ones", TO_ONE),
    Metric("shift_embedding_coverage", "coverage", "PRDC coverage: share of real neighbourhoods with a generated sample", UP),
    Metric("shift_embedding_mauve", "MAUVE", "MAUVE; ± its sd over k-means seeds", UP, spread="shift_embedding_mauve_sd"),
    Metric("shift_embedding_classifier_auc", "clf. AUC", "AUC of a classifier telling real from generated (0.5 = "
           "indistinguishable); ± its sd over folds", DOWN, spread="shift_embedding_classifier_auc_sd"),
    Metric("shift_ngram_js_1", "JS 1-gram", "Jensen–Shannon divergence of unigram distributions, bits", DOWN),
    Metric("shift_ngram_js_2", "JS 2-gram", "JS divergence of bigram distributions, bits", DOWN),
    Metric("shift_ngram_js_3", "JS 3-gram", "JS divergence of trigram distributions, bits", DOWN),
    Metric("shift_lengths_text_ks", "KS len", "Kolmogorov–Smirnov statistic of text lengths", DOWN),
    Metric("shift_lengths_text_wasserstein", "W1 len", "Wasserstein-1 distance of text lengths, tokens", DOWN),
    Metric("shift_lengths_target_ks", "KS target len", "KS statistic of target (completion / answer) lengths", DOWN),
    Metric("shift_lengths_target_wasserstein", "W1 target len", "Wasserstein-1 of target lengths, tokens", DOWN),
    Metric("shift_lengths_question_ks", "KS question len", "KS statistic of question lengths (QA)", DOWN),
    Metric("shift_lengths_question_wasserstein", "W1 question len", "Wasserstein-1 of question lengths, tokens (QA)", DOWN),
    Metric("shift_lengths_context_ks", "KS context len", "KS statistic of context lengths", DOWN),
    Metric("shift_lengths_context_wasserstein", "W1 context len", "Wasserstein-1 of context lengths, tokens", DOWN),
)
# how the metrics were computed: shown once under the table, never as a column
SETTINGS = {
    "div_tokenizer": "tokenizer", "div_mode": "distinct-n over", "div_samples": "records measured",
    "div_embedder": "embedder", "div_embedding_embedded_samples": "records embedded", "div_embedding_kmeans_k": "k-means k",
    layout.matched("size"): "size-matched subsample size", layout.matched("draws"): "size-matched subsamples drawn",
    "shift_tokenizer": "tokenizer", "shift_embedder": "embedder", "shift_embedding_dimensions": "embedding dimensions",
    "shift_samples_compared": "records compared per set", "shift_n_real": "real records compared",
    "shift_n_generated": "generated records compared", "shift_embedding_mmd_bandwidth": "MMD RBF bandwidth",
    "shift_embedding_mmd_permutations": "MMD permutations", "shift_embedding_mmd_samples": "MMD records per set",
    "shift_embedding_prdc_k": "PRDC nearest neighbours k", "shift_embedding_mauve_buckets": "MAUVE k-means buckets",
    "shift_embedding_classifier_folds": "classifier cross-validation folds",
    "shift_lengths_text_bootstrap": "length statistics: bootstrap resamples",
}
# columns that repeat another under a second name (Vendi of order 1 is the Vendi score)
DUPLICATES = {"div_embedding_vendi_score_q_1": "div_embedding_vendi_score"}
# parts of flattened metric names that are details or settings, not a metric to show
DETAIL_PARTS = ("_ci95", "_bootstrap", "_samples", "_dimensions", "_seed", "timings", "_real_", "_generated_", "_quantiles",
                "_ci_low", "_ci_high", "_draws", "_p_at_floor", "_p_value_text")
SETTING_ENDINGS = ("_k", "_folds", "_buckets", "_permutations", "_bandwidth", "_n_real", "_n_generated", "_size", "_sd", "_groups",
                   "_tokens")


def is_metric_column(column: str) -> bool:
    """A column that may be shown as an extra metric: not a setting, a spread, a duplicate or a detail."""
    return (column not in SETTINGS and column not in DUPLICATES and not any(p in column for p in DETAIL_PARTS)
            and not column.endswith(SETTING_ENDINGS) and not column.startswith(("div_ngrams_", "div_unique_ngrams_")))
