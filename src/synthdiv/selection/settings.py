"""The settings of ``synthdiv select``, defined once with their defaults.

numpy-free, so the CLI takes its option defaults from here without slowing
``synthdiv --help``. The strategies themselves live in
:mod:`synthdiv.selection.strategies`; their names are listed here so that the
CLI can check a name (and suggest the closest one) before reading any file.
"""

from __future__ import annotations

from dataclasses import dataclass

from synthdiv.errors import UserError, check_choice

# The order is the one the help text and docs/selection.md use.
STRATEGY_NAMES = ("random", "dedup", "diverse", "matched", "matched-diverse")
NEEDS_REAL = ("matched", "matched-diverse")  # they estimate a density ratio against the real set
NEEDS_EMBEDDINGS = ("diverse", "matched", "matched-diverse")


@dataclass(frozen=True)
class SelectionSettings:
    """Every knob of every strategy.

    ``weight``: matched-diverse only; 0 keeps exactly matched's records, 1 exactly diverse's
    (docs/selection.md). ``seed``: the one seed of every random choice (the draw of random and
    dedup, the importance-resampling keys of matched, the first pick of diverse).

    Near-duplicates (dedup): two records are near-duplicates when the exact Jaccard similarity
    of their sets of ``shingle_words``-word shingles (lower-cased, punctuation removed) is at
    least ``near_duplicate_jaccard``. A 50-word story has 48 shingles and each changed word
    (away from the others) replaces three of them: one change gives 45/51 = 0.88, two 42/54 =
    0.78, three 39/57 = 0.68. So 0.7 calls "the same story with a word or two changed" a
    near-duplicate, and not a story that only shares its template. Lee et al. (2022, "Deduplicating
    Training Data Makes Language Models Better") use 5-grams at 0.8 on web pages; on 50-word
    texts that would catch only a single changed word. Candidate pairs come from datasketch's
    MinHash LSH with ``minhash_permutations`` permutations, banded so that a pair at the
    threshold is missed with probability below ``lsh_miss_probability``; every candidate is then
    checked with the exact Jaccard, so the LSH only decides which pairs are compared.

    Density ratio (matched): an L2-regularised logistic regression (``classifier_c``, the inverse
    regularisation strength of scikit-learn, on unit-length embeddings) tells real from pool;
    at most ``classifier_max_rows`` rows of each set train it (more adds time, not accuracy, for
    a linear model in 384 dimensions). ``max_abs_logit`` clips its log-odds so that one record
    cannot take all the weight (exp(10) = 22,026 times the mean record).
    """

    seed: int = 0
    weight: float = 0.5
    embedder: str = "minilm-l6"
    shingle_words: int = 3
    near_duplicate_jaccard: float = 0.7
    minhash_permutations: int = 128
    lsh_miss_probability: float = 1e-6
    classifier_c: float = 1.0
    classifier_max_rows: int = 20_000
    max_abs_logit: float = 10.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.weight <= 1.0:
            raise UserError(f"the weight must be in [0, 1]: 0 = matched, 1 = diverse (got {self.weight!r})", field="weight")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise UserError(f"the seed must be a whole number >= 0 (got {self.seed!r})", field="seed")
        if not 0.0 < self.near_duplicate_jaccard <= 1.0:
            raise UserError(f"the near-duplicate threshold must be in (0, 1] (got {self.near_duplicate_jaccard!r})")
        if self.shingle_words < 1 or self.minhash_permutations < 2 or self.classifier_max_rows < 2:
            raise UserError("shingle_words must be >= 1, minhash_permutations >= 2 and classifier_max_rows >= 2")


DEFAULTS = SelectionSettings()


def check_strategy(name: str) -> str:
    """``name`` if it is a strategy; otherwise a UserError that suggests the closest name."""
    return check_choice(name, STRATEGY_NAMES, what="strategy", where="--strategy")


def check_request(strategy: str, n: int, has_real: bool, embedder: str | None = DEFAULTS.embedder) -> None:
    """The refusals that need no file: an unknown strategy, N <= 0, a matched strategy without real data,
    a strategy that compares embeddings with no embedder ('none', which is never looked up as a model)."""
    from synthdiv.models.registry import NO_EMBEDDER, embedder_or_none

    check_strategy(strategy)
    if strategy in NEEDS_EMBEDDINGS and embedder_or_none(embedder) is None:
        raise UserError(f"strategy {strategy!r} compares embeddings, and {NO_EMBEDDER!r} means no embedding model; give one "
                        "(minilm-l6, mpnet-base, a folder or a hub id)", where="--embedder")
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise UserError(f"N must be a positive number of records (got {n!r})", where="--n")
    if strategy in NEEDS_REAL and not has_real:
        raise UserError(f"strategy {strategy!r} matches the pool to real data; give the real records with --real", where="--real")
