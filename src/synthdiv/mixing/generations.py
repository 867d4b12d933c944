"""The training set of each generation of a recursive-training loop (model collapse).

Generation 0 trains on the real training set R. Generation k ≥ 1 has new data S_k,
written by generation k-1's fine-tuned model, and trains on

``replace``
    S_k alone: each model learns only from its predecessor (Shumailov et al. 2024).
``accumulate``
    R ∪ S_1 ∪ … ∪ S_k: nothing is thrown away, the set grows by |S_k| per
    generation (Gerstgrasser et al. 2024).
``accumulate-subsample``
    a seeded uniform sample, without replacement, of ``size`` records from that
    accumulated pool (default size: |R|), drawn afresh at every generation, so the
    set stays as large as the real one while the real share shrinks (Kazdan et al. 2024).

Records are never modified; each keeps its provenance, whose ``generation`` says
which generation's model wrote it (None for real records). Generated records
of different generations have different ids (the generation runner suffixes them).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal, get_args

from synthdiv.errors import UserError
from synthdiv.records import Record

Scenario = Literal["replace", "accumulate", "accumulate-subsample"]
SCENARIOS: tuple[str, ...] = get_args(Scenario)
REPLACE, ACCUMULATE, ACCUMULATE_SUBSAMPLE = SCENARIOS


@dataclass
class GenerationSet:
    """The (shuffled) training set of one generation and where its records came from."""

    records: list[Record]
    scenario: str
    generation: int
    seed: int
    pool: int  # records the set was drawn from
    by_generation: dict[str, int] = field(default_factory=dict)  # "real", "1", "2" … → records in the set

    @property
    def n_real(self) -> int:
        return self.by_generation.get("real", 0)

    @property
    def n_generated(self) -> int:
        return len(self.records) - self.n_real

    def summary(self) -> dict:
        """The keys of a mix summary (so the results table reads both alike) plus the loop's own."""
        size = len(self.records)
        return {
            "mode": self.scenario, "scenario": self.scenario, "generation": self.generation,
            "ratio_asked": None, "ratio": self.n_generated / size if size else 0.0, "size": size,
            "real": self.n_real, "generated": self.n_generated, "seed": self.seed, "pool": self.pool,
            "by_generation": dict(self.by_generation),
        }


def drawn_generations(scenario: str, k: int) -> list[int]:
    """The generations 1 … k whose data generation ``k``'s set draws from: replace the newest alone,
    the accumulating scenarios all of them (the real set too: :func:`draws_real`)."""
    if scenario not in SCENARIOS:
        raise UserError(f"unknown scenario {scenario!r}; use one of {', '.join(SCENARIOS)}", where="loop.scenarios")
    return ([k] if scenario == REPLACE else list(range(1, k + 1))) if k > 0 else []


def draws_real(scenario: str, k: int) -> bool:
    return k == 0 or scenario != REPLACE


def subsample_size(scenario: str, size: int | None) -> int | None:
    """The set's fixed size: ``loop.subsample_size`` for accumulate-subsample (None: the real set's), else None."""
    return size if scenario == ACCUMULATE_SUBSAMPLE else None


def source_of(record: Record) -> str:
    """"real", or the generation whose model wrote the record."""
    gen = record.provenance.generation
    return "real" if record.source == "real" or gen is None else str(gen)


def generation_set(
    scenario: str, real: list[Record], generated: list[list[Record]], *, size: int | None = None, seed: int = 0
) -> GenerationSet:
    """The training set of generation ``len(generated)``: ``generated[j]`` is S_{j+1}."""
    k = len(generated)
    pool = (list(real) if draws_real(scenario, k) else []) + [r for j in drawn_generations(scenario, k) for r in generated[j - 1]]
    if not pool:
        raise UserError(f"generation {k} of {scenario} has no records to train on: the previous generation wrote none")
    ids = [r.id for r in pool]
    if len(set(ids)) != len(ids):  # an internal bug (generations share ids), not a user error
        raise RuntimeError(f"generation {k} of {scenario}: the accumulated records have duplicate ids")
    rng = random.Random(f"{scenario}/{k}/{seed}")
    if scenario == ACCUMULATE_SUBSAMPLE and k > 0:
        want = size or len(real)
        chosen = rng.sample(pool, min(want, len(pool)))
    else:
        chosen = list(pool)
        rng.shuffle(chosen)
    counts = Counter(source_of(r) for r in chosen)
    order = sorted(counts, key=lambda s: (s != "real", int(s) if s.isdigit() else 0))
    return GenerationSet(chosen, scenario, k, seed, len(pool), {s: counts[s] for s in order})
