"""The diversity and shift metrics, each declared once: how it is computed, what it needs, the
numbers it reports (their keys, which way is better, label, unit, interval) and the sample size
below which it warns.

lm-evaluation-harness's shape: a small interface (``measure(panel) -> dict``, in the metric's own
module) and one registry. The panels (metrics.panel, metrics.shift) run the entries; the CLI's text
(cli.metrics_text), the report's columns (reports.metric_columns) and the dataset card
(export.panels) read their numbers' labels and directions from here. Adding a metric is its module
and one entry (``register`` does it from outside, as tests/metrics/test_metric_registry.py shows).

Nothing heavy is imported: a metric's function is a ``"module:function"`` string, resolved when it runs,
so ``synthdiv --help`` reads the names without numpy.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any, Callable

# Which way a number is better: more diverse (a diversity metric) or closer to the real set (a shift metric).
HIGHER, LOWER, NEAR_ONE = "higher", "lower", "near 1"
NEITHER = "neither"  # no way is better in itself (a length): read it beside the real set
# How a number's uncertainty is given: none, it is exact (counts of the whole set); none computed (an
# estimate not resampled); a bootstrap interval beside it; a permutation p-value; its own standard
# deviation (over k-means seeds, folds …: ``spread``)
EXACT, NOT_RESAMPLED, BOOTSTRAP, PERMUTATION, SD = "exact", "not resampled", "bootstrap", "permutation", "sd"
# the panels, and the prefix of their numbers' columns in the run's tables (experiments.layout.METRIC_GROUPS)
DIVERSITY, SHIFT = "diversity", "shift"
PREFIXES = {DIVERSITY: "div", SHIFT: "shift"}
# a family's members: distinct-1 … 5, n-gram JS of orders 1 … 3, lengths of these record fields (reading order)
ORDERS = {"distinct": range(1, 6), "ngram_js": range(1, 4)}
FIELDS = ("text", "context", "question", "target")
_NGRAMS = {1: "unigrams", 2: "bigrams", 3: "trigrams"}


@dataclass(frozen=True)
class Stat:
    """One number of a metric's output. ``key`` is its path there, dotted (``embedding.vendi_score``); a family
    of numbers has ``{n}`` (an n-gram order) or ``{field}`` (a record field) in it: ``distinct.{n}``. The texts
    may use ``{n}``, ``{field}``, ``{ngrams}`` (bigrams …), ``{top}`` (the highest order) and ``{len}``
    (``len``, ``target len``)."""

    key: str
    label: str  # what the card calls it
    header: str  # the report table's short column header
    better: str  # HIGHER, LOWER, NEAR_ONE or NEITHER
    description: str = ""  # what it is, one line (the report)
    unit: str = ""
    reading: str = ""  # which way means what, in words, where the shift output says it
    interval: str = EXACT  # EXACT, BOOTSTRAP, PERMUTATION or SD
    spread: str | None = None  # the key of its own sd (interval SD)
    bounds: tuple[str, str] | None = None  # the keys of its interval's ends, shown beside it in the report's tables
    derived: bool = False  # computed from several sets (a size-matched draw, a group maximum): not on one set's card
    short: str = ""  # what the command line calls it (default: its name)
    row: bool = True  # a line of its own in the command's output (False: shown beside another, as MMD²'s p-value)

    @property
    def name(self) -> str:
        """Its last named part: ``mmd2``, ``ks``, ``ngram_js`` (of ``ngram_js.{n}``)."""
        return [p for p in self.key.split(".") if "{" not in p][-1]

    @property
    def cli_name(self) -> str:
        return self.short or self.name

    def column(self, panel: str, **values: Any) -> str:
        """Its column in the run's tables: ``div_distinct_3``, ``shift_embedding_mmd2``."""
        return f"{PREFIXES[panel]}_{self.key.format(**values).replace('.', '_')}"

    def pattern(self, panel: str) -> re.Pattern:
        """A regular expression of its columns, naming the family's value (``n``, ``field``)."""
        text = re.escape(self.column(panel, n="{n}", field="{field}"))
        text = text.replace(r"\{n\}", r"(?P<n>\d+)").replace(r"\{field\}", r"(?P<field>[a-z]+)")
        return re.compile(text + "$")

    def text(self, which: str, top: int = 5, **values: Any) -> str:
        """Its ``label``, ``header``, ``description`` or ``cli_name`` with the family's value filled in."""
        n = int(values.get("n", 0) or 0)
        fld = values.get("field", "")
        return getattr(self, which).format(n=n, field=fld, top=top, ngrams=_NGRAMS.get(n, f"{n}-grams"),
                                           len="len" if fld == "text" else f"{fld} len")

    def members(self) -> list[dict[str, Any]]:
        """The values of a family its tables list when they have them (``[{}]`` for a single number)."""
        if "{n}" in self.key:
            return [{"n": n} for n in ORDERS.get(self.key.split(".")[0], range(1, 6))]
        if "{field}" in self.key:
            return [{"field": f} for f in FIELDS]
        return [{}]


@dataclass(frozen=True)
class Metric:
    """A metric: ``measure`` (``"module:function"``) takes the panel's inputs and returns the part of the
    panel's output it owns; ``needs`` says which inputs it reads (``texts``, ``tokens``, ``embeddings``)."""

    name: str  # as --metrics names it
    panel: str  # DIVERSITY or SHIFT
    measure: str
    stats: tuple[Stat, ...]
    needs: str = "texts"
    default: bool = True  # computed unless a --metrics list leaves it out
    timing: str | None = None  # its key in the output's timings_s (default: its name)
    min_samples: int | None = None  # points per side below which its numbers move too much with the sample (a warning)
    # points per side it runs on at most: its cost grows with the square of the points, so past this it runs on a
    # seeded subsample, and its output states the subsample (``{name}_samples``, ``subsample_seed``; metrics.shift)
    max_samples: int | None = None
    counts: bool = False  # its output states the set's samples, tokens and tokenizer (else the panel does)
    option: str | None = None  # the command-line option naming its model (``--proxy``): giving it computes the metric

    def run(self, inputs) -> dict[str, Any]:
        module, _, function = self.measure.partition(":")
        return getattr(importlib.import_module(module), function)(inputs)


def _s(key: str, label: str, header: str, better: str, description: str = "", **extra: Any) -> Stat:
    return Stat(key, label, header, better, description, **extra)


_LOWER_SHIFT = "higher = more shifted"
METRICS: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    """Add ``metric`` to the registry (after those there); a name is used once."""
    if metric.name in METRICS:
        raise ValueError(f"a metric named {metric.name!r} is registered already")
    METRICS[metric.name] = metric
    return metric


def unregister(name: str) -> None:
    METRICS.pop(name, None)


def metrics(panel: str) -> list[Metric]:
    """The registered metrics of ``panel``, in the order they run and are shown."""
    return [m for m in METRICS.values() if m.panel == panel]


def stats(panel: str) -> list[Stat]:
    return [s for m in metrics(panel) for s in m.stats]


def stat_of(column: str) -> tuple[Stat, str, dict[str, Any]] | None:
    """(stat, panel, family values) of a table column (``div_distinct_3``), or None for a column no metric declares."""
    for panel in PREFIXES:
        for s in stats(panel):
            found = s.pattern(panel).match(column)
            if found:
                values = {k: (int(v) if k == "n" else v) for k, v in found.groupdict().items()}
                return s, panel, values
    return None


def columns(panel: str, present: Callable[[str], bool] | None = None) -> list[tuple[Stat, str, dict[str, Any]]]:
    """(stat, column, family values) of every number of ``panel`` in registry order, a family member by member
    (each record field's KS, then its Wasserstein-1); with ``present``, only the columns it accepts."""
    out = []
    for metric in metrics(panel):
        done: set[str] = set()
        for stat in metric.stats:
            if stat.key in done:
                continue
            family = [s for s in metric.stats if s.members() == stat.members()] if "{" in stat.key else [stat]
            for values in stat.members():
                out += [(s, s.column(panel, **values), values) for s in family]
            done |= {s.key for s in family}
    return [item for item in out if present is None or present(item[1])]


# Numbers the output gives twice under two names: the second is left out of tables and cards.
ALIASES = {"div_embedding_vendi_score_q_1": "div_embedding_vendi_score"}

_DIVERSITY = (
    Metric("distinct", DIVERSITY, "synthdiv.metrics.distinct:measure", needs="tokens", counts=True, stats=(
        _s("distinct.{n}", "distinct-{n}", "distinct-{n}", HIGHER, "unique / total {ngrams} of the set concatenated (Eq. 4)"),
        _s("ngram_diversity_score", "distinct-1..{top} summed (n-gram diversity score)", "sum d1–{top}", HIGHER,
           "distinct-1 + … + distinct-{top}: the values the paper reports as 'Distinct-5'",
           interval=BOOTSTRAP),  # in group mode: over the groups (ngram_diversity_score_ci_low/high)
        _s("matched.ngram_diversity_score", "size-matched distinct-1..{top} summed", "size-matched sum d1–{top}", HIGHER,
           "sum d1–{top} on equal-size subsamples of the sets compared, with its 95 % interval over subsamples "
           "(a point when no set is larger than the matched size)", interval=BOOTSTRAP,
           bounds=("matched.ci_low", "matched.ci_high"), derived=True),
        _s("norm", "normalised n-gram diversity score", "normalised", HIGHER,
           "sum d1–{top} divided by the largest in its comparison group", derived=True),
    )),
    Metric("compression", DIVERSITY, "synthdiv.metrics.compression:measure", stats=(
        _s("compression_ratio", "compression ratio (higher = more repetitive)", "compression", LOWER,
           "raw size / compressed size"),
        _s("compression_ratio_gzip", "compression ratio, gzip (higher = more repetitive)", "compression (gzip)", LOWER,
           "raw size / gzip-compressed size, as the diversity package computes it"),
    )),
    Metric("self-bleu", DIVERSITY, "synthdiv.metrics.self_bleu_score:measure", needs="tokens", timing="self_bleu", stats=(
        _s("self_bleu", "self-BLEU-4 (higher = records more alike)", "self-BLEU", LOWER, "mean BLEU-4 of each text against the others"),
    )),
    Metric("embedding", DIVERSITY, "synthdiv.metrics.embedding:measure", needs="embeddings", timing="embedding_metrics", stats=(
        _s("embedding.mean_pairwise_cosine_distance", "embedding: mean pairwise cosine distance", "cos. dist.", HIGHER,
           "mean pairwise cosine distance of embeddings"),
        _s("embedding.vendi_score", "embedding: Vendi score (q=1; effective number of distinct records)", "Vendi", HIGHER,
           "Vendi score (order q = 1): effective number of distinct samples"),
        _s("embedding.vendi_score_q.2", "embedding: Vendi score (q=2)", "Vendi q=2", HIGHER,
           "Vendi score of order 2: weighs common modes more"),
        _s("embedding.vendi_score_q.inf", "embedding: Vendi score (q=∞)", "Vendi q=∞", HIGHER,
           "Vendi score of order ∞: set by the largest mode"),
        _s("embedding.centroid_radius", "embedding: centroid radius", "radius", HIGHER, "mean distance of embeddings to their centroid"),
        _s("embedding.kmeans_inertia", "embedding: k-means inertia per record", "k-means inertia", HIGHER,
           "k-means inertia of the embeddings, per record"),
    )),
    Metric("gradient", DIVERSITY, "synthdiv.metrics.gradient:measure", needs="records", default=False, option="--proxy", stats=(
        _s("gradient.vendi_score", "gradient diversity: G-Vendi (q=1, proxy-model loss gradients)", "G-Vendi", HIGHER,
           "Vendi score (q = 1) of each record's loss gradient under a proxy model, projected to 1,024 dimensions "
           "and unit-normalised (Jung et al. 2025)"),
        _s("gradient.matched.vendi_score", "size-matched G-Vendi", "size-matched G-Vendi", HIGHER,
           "G-Vendi on equal-size subsamples of the sets compared, with its 95 % interval over subsamples",
           interval=BOOTSTRAP, bounds=("gradient.matched.ci_low", "gradient.matched.ci_high"), derived=True),
    )),
    Metric("fluency", DIVERSITY, "synthdiv.metrics.fluency:measure", needs="records", default=False, option="--reference", stats=(
        _s("fluency.loss", "fluency: mean target-token loss under the reference LM (nats; lower = more fluent)", "fluency loss",
           LOWER, "mean over records of each record's target-token loss under a reference causal LM, with its 95 % bootstrap "
           "interval over records", unit="nats", interval=BOOTSTRAP, bounds=("fluency.loss_ci_low", "fluency.loss_ci_high")),
        _s("fluency.repetition", "self-repetition: seq-rep-4, share of repeated word 4-grams in a record", "self-rep.", LOWER,
           "mean share of a record's word 4-grams that repeat an earlier one of the same record (seq-rep-4), with its 95 % "
           "bootstrap interval",
           interval=BOOTSTRAP, bounds=("fluency.repetition_ci_low", "fluency.repetition_ci_high")),
        _s("fluency.words", "length: words per record", "words", NEITHER,
           "mean words per record, with its 95 % bootstrap interval", unit="words", interval=BOOTSTRAP,
           bounds=("fluency.words_ci_low", "fluency.words_ci_high")),
        _s("fluency.vs_real.loss_difference", "fluency: generated − real loss (nats)", "Δ fluency vs real", NEITHER,
           "mean fluency loss of the set minus the real set's", unit="nats", interval=PERMUTATION, derived=True),
        _s("fluency.vs_real.loss_p_value", "fluency vs real: permutation p-value", "fluency p vs real", HIGHER,
           "two-sided permutation p-value of the fluency difference from the real set; below 0.05: differs from real on fluency",
           derived=True),
    )),
)

_SHIFT = (
    Metric("lengths", SHIFT, "synthdiv.metrics.shift_lexical:measure_lengths", stats=(
        _s("lengths.{field}.ks", "length of {field}: KS statistic", "KS {len}", LOWER,
           "Kolmogorov–Smirnov statistic of {field} lengths", reading=_LOWER_SHIFT, interval=BOOTSTRAP,
           short="length[{field}] KS"),
        _s("lengths.{field}.wasserstein", "length of {field}: Wasserstein distance (tokens)", "W1 {len}", LOWER,
           "Wasserstein-1 distance of {field} lengths, tokens", unit="tokens", reading=_LOWER_SHIFT, interval=BOOTSTRAP,
           short="length[{field}] Wasserstein-1 (tokens)"),
    )),
    Metric("ngram_js", SHIFT, "synthdiv.metrics.shift_lexical:measure_ngram_js", stats=(
        _s("ngram_js.{n}", "{n}-gram Jensen-Shannon divergence (bits)", "JS {n}-gram", LOWER,
           "Jensen–Shannon divergence of {n}-gram distributions, bits", unit="bits",
           reading="higher = more shifted (0 same, 1 disjoint)", short="{n}-gram JS (bits)"),
    )),
    Metric("frechet_distance", SHIFT, "synthdiv.metrics.shift_embedding:measure_frechet", needs="embeddings", timing="frechet", stats=(
        _s("embedding.frechet_distance", "Fréchet distance (embeddings)", "Fréchet", LOWER, "Fréchet distance of embedding Gaussians",
           reading=_LOWER_SHIFT, interval=NOT_RESAMPLED),
    )),
    # the caps: MMD²'s pooled kernel matrix is (2m)² floats; PRDC's k-NN balls take
    # m² distances three times (10,000 as in Naeem et al.'s, 2020, examples); MAUVE's k-means has m/10 clusters, so its
    # cost is m² as well (5,000 a side as Pillutla et al., 2021, measure it). Measured cost: docs/benchmarks/scale.md
    Metric("mmd", SHIFT, "synthdiv.metrics.shift_embedding:measure_mmd", needs="embeddings", max_samples=2_000, stats=(
        _s("embedding.mmd2", "MMD² (embeddings)", "MMD²", LOWER, "unbiased squared MMD, RBF kernel", reading=_LOWER_SHIFT,
           interval=PERMUTATION),
        _s("embedding.mmd2_p_value", "MMD² permutation p-value", "MMD p", HIGHER,
           "permutation p-value of MMD²; small = the sets differ, '≤' = at the permutation floor 1/(B+1)", row=False),
    )),
    Metric("prdc", SHIFT, "synthdiv.metrics.shift_embedding:measure_prdc", needs="embeddings", min_samples=200,
           max_samples=10_000, stats=(
        _s("embedding.precision", "precision (PRDC)", "precision", HIGHER, "share of generated samples inside the real manifold (k-NN)",
           reading="higher = closer (generated inside the real support)", interval=NOT_RESAMPLED),
        _s("embedding.recall", "recall (PRDC)", "recall", HIGHER, "share of real samples inside the generated manifold",
           reading="higher = closer (real support covered)", interval=NOT_RESAMPLED),
        _s("embedding.density", "density (PRDC)", "density", NEAR_ONE, "PRDC density: 1 when generated samples sit as densely as real ones",
           reading="near 1 = closer (above 1: packed more tightly than real)", interval=NOT_RESAMPLED),
        _s("embedding.coverage", "coverage (PRDC)", "coverage", HIGHER, "PRDC coverage: share of real neighbourhoods with a generated sample",
           reading="higher = closer", interval=NOT_RESAMPLED),
    )),
    Metric("mauve", SHIFT, "synthdiv.metrics.mauve_score:measure", needs="embeddings", min_samples=200, max_samples=5_000,
           stats=(
        _s("embedding.mauve", "MAUVE", "MAUVE", HIGHER, "MAUVE; ± its sd over k-means seeds", reading="higher = closer (1 same)",
           interval=SD, spread="embedding.mauve_sd"),
    )),
    Metric("classifier_auc", SHIFT, "synthdiv.metrics.shift_embedding:measure_classifier", needs="embeddings", timing="classifier",
           min_samples=50, stats=(
               _s("embedding.classifier_auc", "classifier AUC (0.5 = indistinguishable)", "clf. AUC", LOWER,
                  "AUC of a classifier telling real from generated (0.5 = indistinguishable); ± its sd over folds",
                  reading="higher = more shifted (0.5 indistinguishable)", interval=SD, spread="embedding.classifier_auc_sd"),
           )),
)

for _metric in (*_DIVERSITY, *_SHIFT):
    register(_metric)


def names(panel: str = DIVERSITY) -> tuple[str, ...]:
    return tuple(m.name for m in metrics(panel))
