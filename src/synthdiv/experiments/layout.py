"""The run folder's layout, in one place for the runner that writes it and the report and tests
that read it: its file names, its tables' columns with the rules that name one column after
another, and the names of its sets and loop scenarios.

RUN_DIR/
  spec.yaml          the resolved spec
  graph.json         every stage, its key and folder
  datasets.csv/.parquet   one row per measured set (diversity, shift, size-matched diversity)
  results.csv/.parquet    one row per evaluated model, with its intervals (evidence.py)
  aggregate.csv/.parquet  one row per model × training set × size: the mean over seeds with its interval
  trends.csv/.parquet     rank-correlation trend tests across levels, ratios and sizes
  findings.json      the paper's claims this run can test, each with a verdict
  plane.json         test loss regressed on size-matched diversity and shift across the trained sets
  predictors.json    every measured property of the trained sets ranked by how well it predicts the test loss
  generations.csv/.parquet  the recursive-training loop, when the spec has one
  ladder.csv/.parquet     one row per generated level: topics, adherence, seed copying, rejects, diversity with intervals
  tracking/          the trackers' runs (training.report_to)
  report/            ``synthdiv report``

Each table's columns are a :class:`Columns`: the columns every run of the table's full design
writes (``named``), those only some designs write (``optional``: a selection's labels, an
embedder's metrics), and the families flattened from metrics.json or from a stage's settings
(``prefixes``: ``div_distinct_3``, ``train_lr`` …). A table the runner writes, or a test factory
fakes, has every named column and none outside the three.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from synthdiv.mixing.generations import ACCUMULATE, ACCUMULATE_SUBSAMPLE, REPLACE, SCENARIOS, Scenario  # noqa: F401 (re-exported)

# ----- files --------------------------------------------------------------------------------------
SPEC = "spec.yaml"
GRAPH = "graph.json"
DATASETS = "datasets"  # table stems: .csv always, .parquet with pyarrow
RESULTS = "results"
AGGREGATE = "aggregate"
TRENDS = "trends"
GENERATIONS = "generations"
LADDER = "ladder"
FINDINGS = "findings.json"
PLANE = "plane.json"
PREDICTORS = "predictors.json"
TRACKING = "tracking"
REPORT = "report"
STAGE_DONE = "done.json"  # in the store, STORE/KIND/KEY/done.json marks a finished stage (experiments.store)


def csv_name(table: str) -> str:
    """The CSV file of a table stem (``results`` → ``results.csv``)."""
    return f"{table}.csv"


def parquet_name(table: str) -> str:
    return f"{table}.parquet"


# ----- set and scenario names ---------------------------------------------------------------------
# the recursive-training loop's scenarios (SCENARIOS, REPLACE …) are defined with their rules in mixing/generations.py

REAL = "real"  # the real training set's name, and its mixes at ratio 0


def level_label(level: str | None) -> str:
    """A generated level's set name ("Gen-D3"); the real set (no level) is "real"."""
    return f"Gen-{level}" if level else REAL


def mix_label(mode: str, ratio: float, level: str | None, size: int | None, selection: str | None = None) -> str:
    """A training set's name: "real" at ratio 0, else its source (the level and the selection that picked
    its records) alone ("Gen-D3") or with its share ("Gen-D3 50%"); in a size sweep, then "(n=200)"."""
    source = level_label(level) + (f" {selection}" if selection else "")
    if ratio == 0:
        base = REAL
    elif ratio == 1 and mode == "fixed":
        base = source
    else:
        base = f"{source} {round(ratio * 100, 1):g}%"
    return base if size is None else f"{base} (n={size})"


# ----- names derived from another column ----------------------------------------------------------
def interval(column: str) -> tuple[str, str]:
    """The 95 % interval of ``column``: ``<column>_ci_low``, ``<column>_ci_high``."""
    return f"{column}_ci_low", f"{column}_ci_high"


def with_interval(column: str) -> tuple[str, str, str]:
    return (column, *interval(column))


def delta(reference: str) -> str:
    """Test loss minus that of ``reference`` (one of REFERENCES)."""
    return f"delta_vs_{reference}"


def p_value(reference: str) -> str:
    return f"p_vs_{reference}"


def comparison(reference: str) -> tuple[str, str, str, str]:
    """The columns of one comparison: the difference, its interval and its two-sided p-value."""
    return (*with_interval(delta(reference)), p_value(reference))


def mean_interval(column: str) -> tuple[str, str]:
    """A results row's interval of its group's mean over seeds (the aggregate row's), for figures that draw means."""
    return interval(f"{column}_mean")


def seed_sd(column: str) -> str:
    """The sample sd over seeds of ``column`` (aggregate rows, the report's tables)."""
    return f"{column}_sd"


def within_sd(column: str) -> str:
    """The report's tables: a metric's own spread (MAUVE over its k-means seeds), shown beside it."""
    return f"{column}_within_sd"


def bound(column: str) -> str:
    """The report's tables: true when ``column`` is a bound (a p-value at the permutation floor)."""
    return f"{column}_bound"


def setting(stage: str, name: str) -> str:
    """A stage setting's column (``train_lr``, ``gen_model``, ``selection_strategy``); stage is one of SETTING_STAGES."""
    return f"{stage}_{name}"


def matched(key: str) -> str:
    """A size-matched diversity column (``div_matched_ci_low``); key is one of MATCHED_KEYS."""
    return f"div_matched_{key}"


def lengths(field: str) -> tuple[str, str]:
    """Mean and sd of a record field's length in tokens (``len_target_mean``, ``len_target_sd``)."""
    return f"len_{field}_mean", f"len_{field}_sd"


NEW_PREFIX = "new_"


def new(column: str) -> str:
    """A generations row's column of the data its step generated (``new_div_…``), beside the training set's."""
    return NEW_PREFIX + column


def ladder_copy(column: str) -> str:
    """A ladder column copied onto its generated set's datasets row (``gen_adherence``)."""
    return f"gen_{column}"


# ----- columns and groups of columns --------------------------------------------------------------
TEST_LOSS = "test_loss"
SIZE_ASKED = "size_asked"  # the asked training-set size; the achieved one is ``size``
DIVERSITY_SCORE = "div_ngram_diversity_score"  # distinct-1 + … + distinct-5: the paper's "Distinct-5"
NORM = "div_norm"  # DIVERSITY_SCORE over the largest of its comparison group
MATCHED_KEYS = ("size", "ngram_diversity_score", "ci_low", "ci_high", "draws")
MATCHED_SCORE = matched("ngram_diversity_score")
TOKENS_PER_RECORD = "tokens_per_record"
REFERENCES = ("real", "base")  # delta_vs_real: the real-only twin; delta_vs_base: the model before fine-tuning
METRIC_GROUPS = {"diversity": "div", "shift": "shift"}  # metrics.json section → column prefix
GROUP_PREFIXES = tuple(f"{group}_" for group in METRIC_GROUPS.values())  # ("div_", "shift_"): metrics.json flattened
METRIC_PREFIXES = (*GROUP_PREFIXES, "len_", TOKENS_PER_RECORD)  # every column of a measured set's metrics
SETTING_STAGES = ("train", "gen", "selection")

MIX_NUMBERS = ("ratio", "size", "n_real", "n_generated")  # a training set's make-up
SELECTION_LABELS = ("selection", "selection_strategy", "selection_weight")  # a selected set's labels
AGGREGATE_KEYS = ("model", "dataset", "role", "level", "mode", SIZE_ASKED)  # one aggregate row per value
AGGREGATED_METRICS = (DIVERSITY_SCORE, NORM, MATCHED_SCORE)  # averaged over seeds into the aggregate rows
LADDER_COPIED = (*with_interval("adherence"), "adherence_hit_rate", "copy_rate", "reject_rate", "topics_used")
TREND_INTERVAL = ("ci_low", "ci_high")  # of a trend's rank correlation ``rho``
# the datasets and results columns the report reads as text ("" for missing) and as numbers
TEXT_COLUMNS = ("experiment", "model", "dataset", "role", "level", "mode", "train_dir", "eval_dir", "path")
NUMBER_COLUMNS = ("seed", *MIX_NUMBERS, "records", TEST_LOSS, "base_test_loss", "train_first_loss", "train_final_loss", "steps")


# ----- each table's columns -----------------------------------------------------------------------
@dataclass(frozen=True)
class Columns:
    """One table's columns (the module docstring says what each part holds)."""

    named: tuple[str, ...]
    optional: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()

    def defines(self, column: str) -> bool:
        return column in self.named or column in self.optional or column.startswith(self.prefixes)

    def undefined(self, header: Iterable[str]) -> list[str]:
        """The columns of ``header`` this table does not define."""
        return [c for c in header if not self.defines(c)]

    def missing(self, header: Iterable[str]) -> list[str]:
        """The named columns ``header`` lacks."""
        have = set(header)
        return [c for c in self.named if c not in have]


DATASETS_COLUMNS = Columns(
    named=("dataset", "role", "level", "seed", "mode", *MIX_NUMBERS, "records", "path", "stage_key", SIZE_ASKED, NORM,
           *map(matched, MATCHED_KEYS)),
    optional=(*SELECTION_LABELS, *map(ladder_copy, LADDER_COPIED)),  # a selection; a ladder (two levels or more)
    prefixes=METRIC_PREFIXES,
)
RESULTS_COLUMNS = Columns(
    named=("experiment", "seed", "model", "dataset", "role", "level", "mode", *MIX_NUMBERS, SIZE_ASKED, "train_set_key",
           "train_first_loss", "train_final_loss", "steps", "epochs", "train_records", "train_dir",
           TEST_LOSS, "test_tokens", "test_samples", "test_loss_per_char", "eval_dir", "base_test_loss", NORM,
           *map(matched, MATCHED_KEYS), *interval(TEST_LOSS), *comparison("real"), *comparison("base"),
           *mean_interval(TEST_LOSS)),
    optional=SELECTION_LABELS,
    prefixes=(*METRIC_PREFIXES, *(setting(stage, "") for stage in SETTING_STAGES)),
)
AGGREGATE_COLUMNS = Columns(
    named=(*AGGREGATE_KEYS, "ratio", "n_real", "n_generated", "seeds", "seed_ids", "test_records", "test_tokens",
           TEST_LOSS, seed_sd(TEST_LOSS), *interval(TEST_LOSS), *comparison("real"), *comparison("base"), *AGGREGATED_METRICS),
)
TRENDS_COLUMNS = Columns(
    named=("trend", "model", SIZE_ASKED, "level", "points", "x", "y", "seeds", "rho", *TREND_INTERVAL, "direction"),
    optional=("seed",),  # the diversity trends, one per seed
)
GENERATIONS_COLUMNS = Columns(
    named=("experiment", "scenario", "seed", "generation", "model", TEST_LOSS, "test_tokens", "base_test_loss",
           "train_records", "n_real", "n_generated", "generated_share", "pool", "by_generation", "train_final_loss", "steps",
           *map(new, ("records", "rejects", "requests", "seconds", "path")), "train_set_path", "train_dir"),
    prefixes=(*METRIC_PREFIXES, *map(new, METRIC_PREFIXES)),
)
LADDER_COLUMNS = Columns(
    named=("seed", "model", "set", "level", "records", "topics_asked", "topics_used", "topic_set_reached", "seeds_shown", "temperature", "copy_rate",
           "copy_rouge_l_mean", "copy_longest_run_max", *with_interval("seq_rep"), "rejects", "reject_rate", *with_interval("distinct"), "subset_size",
           "draws"),
    optional=(*with_interval("adherence"), "adherence_hit_rate", *with_interval("vendi"),  # with an embedder
              *with_interval("fluency"), "fluency_p_vs_real", "fluency_vs_real"),  # with metrics.reference
)
# the ladder's fluency columns: datasets.csv's column of each (metrics.fluency, the measure stage)
LADDER_FLUENCY = {"fluency": "div_fluency_loss", "fluency_ci_low": "div_fluency_loss_ci_low",
                  "fluency_ci_high": "div_fluency_loss_ci_high", "fluency_p_vs_real": "div_fluency_vs_real_loss_p_value",
                  "fluency_vs_real": "div_fluency_vs_real_verdict"}
TABLES = {DATASETS: DATASETS_COLUMNS, RESULTS: RESULTS_COLUMNS, AGGREGATE: AGGREGATE_COLUMNS, TRENDS: TRENDS_COLUMNS,
          GENERATIONS: GENERATIONS_COLUMNS, LADDER: LADDER_COLUMNS}  # table stem → its columns
