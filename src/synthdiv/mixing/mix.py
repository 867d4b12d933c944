"""Mix real and generated records at a mixing ratio (paper §4.3).

The paper defines the mixing ratio (Eq. 7) as

    ratio = |generated| / (|generated| + |real|)

and uses it in two settings:

``fixed``
    The mixed set has a fixed size N (the paper: the size of the real subset,
    20,000 stories or 22,040 QA pairs); a share ``ratio`` of it is generated,
    the rest real. Raising the ratio *replaces* real records by generated ones.
``variable``
    The real part is fixed (the paper: 2,000 stories or 2,204 QA pairs);
    generated records are *added* until the ratio is reached, so the set grows:
    |generated| = ratio / (1 - ratio) * |real|.

Records are drawn with a seeded ``random.Random(seed).sample`` (without
replacement), never modified: the provenance of every record is kept as it was.
Counts are rounded half up; the achieved ratio is reported, since it can differ
from the one asked for by less than one record.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from synthdiv.errors import UserError
from synthdiv.records import Record

MODES = ("fixed", "variable")


def mixing_ratio(n_generated: int, n_real: int) -> float:
    """Eq. 7 of the paper: |generated| / (|generated| + |real|)."""
    total = n_generated + n_real
    if total == 0:
        raise UserError("a mix of zero records has no mixing ratio")
    return n_generated / total


def _round_half_up(x: float) -> int:
    # Python's round() rounds half to even (round(2.5) == 2); a count that moves
    # with the parity of the size would surprise a reader of the table.
    return int(math.floor(x + 0.5))


@dataclass
class MixResult:
    """The mixed records (shuffled) and what went into them."""

    records: list[Record]
    mode: str
    ratio_asked: float
    n_real: int
    n_generated: int
    seed: int
    real_available: int
    generated_available: int
    real_ids: list[str] = field(default_factory=list, repr=False)
    generated_ids: list[str] = field(default_factory=list, repr=False)

    @property
    def ratio(self) -> float:
        """The achieved mixing ratio (Eq. 7)."""
        return mixing_ratio(self.n_generated, self.n_real)

    def to_dict(self) -> dict:
        """The summary, with the ids of the records drawn from each side."""
        return {**self.summary(), "real_ids": self.real_ids, "generated_ids": self.generated_ids}

    def summary(self) -> dict:
        return {
            "mode": self.mode,
            "ratio_asked": self.ratio_asked,
            "ratio": self.ratio,
            "size": len(self.records),
            "real": self.n_real,
            "generated": self.n_generated,
            "seed": self.seed,
            "real_available": self.real_available,
            "generated_available": self.generated_available,
        }


def planned_counts(mode: str, ratio: float, size: int) -> tuple[int, int]:
    """(real, generated) records a mix needs: ``size`` is the total in fixed mode, the real part in variable mode."""
    if mode == "fixed":
        n_gen = _round_half_up(ratio * size)
        return size - n_gen, n_gen
    return size, _round_half_up(ratio / (1.0 - ratio) * size)


def _check_ratio(ratio: float, mode: str) -> None:
    if not (0.0 <= ratio <= 1.0) or math.isnan(ratio):
        raise UserError(f"--ratio is {ratio}; a mixing ratio lies between 0 and 1", where="--ratio")
    if mode == "variable" and ratio >= 1.0:
        raise UserError(
            "--ratio 1 cannot be reached in variable mode (the real part is fixed and never removed); "
            "use --mode fixed for a purely generated set",
            where="--ratio",
        )


def _check_sources(real: list[Record], generated: list[Record]) -> None:
    for name, records, expected in (("--real", real, "real"), ("--generated", generated, "generated")):
        wrong = next((r for r in records if r.source != expected), None)
        if wrong is not None:
            raise UserError(
                f"record {wrong.id} has source {wrong.source!r}, but this file is given as {name}; "
                f"give {expected} records there (or fix the record's 'source' field)",
                where=name,
            )
    tasks = {r.task for r in real} | {r.task for r in generated}
    if len(tasks) > 1:
        raise UserError(f"real and generated records are of different tasks ({', '.join(sorted(tasks))}); mix one task at a time")


def _need(records: list[Record], k: int, what: str, how: str) -> None:
    if k > len(records):
        raise UserError(
            f"{how} needs {k} {what} records, but only {len(records)} are available; "
            f"give at least {k} {what} records or lower --ratio/--size",
            where=f"--{what}",
        )


def _draw(records: list[Record], k: int, rng: random.Random) -> list[Record]:
    """k records without replacement: the first k of a seeded shuffle, so that a
    larger k draws a superset of a smaller one (mixes at two ratios are nested)."""
    order = list(records)
    rng.shuffle(order)
    return order[:k]


def mix_fixed(real: list[Record], generated: list[Record], ratio: float, size: int | None = None, seed: int = 0) -> MixResult:
    """A mix of ``size`` records (default: as many as there are real records), a share ``ratio`` generated."""
    _check_ratio(ratio, "fixed")
    _check_sources(real, generated)
    size = len(real) if size is None else size
    if size <= 0:
        raise UserError(f"--size is {size}; give a positive number of records", where="--size")
    n_real, n_gen = planned_counts("fixed", ratio, size)
    how = f"a fixed-size mix of {size} at ratio {ratio}"
    _need(real, n_real, "real", how)
    _need(generated, n_gen, "generated", how)
    return _assemble(real, generated, n_real, n_gen, "fixed", ratio, seed)


def mix_variable(real: list[Record], generated: list[Record], ratio: float, real_size: int | None = None, seed: int = 0) -> MixResult:
    """All (or ``real_size`` sampled) real records plus enough generated ones to reach ``ratio``."""
    _check_ratio(ratio, "variable")
    _check_sources(real, generated)
    n_real = len(real) if real_size is None else real_size
    if n_real <= 0:
        raise UserError(f"--size is {n_real}; the real part needs at least one record", where="--size")
    n_real, n_gen = planned_counts("variable", ratio, n_real)
    how = f"a variable-size mix with {n_real} real records at ratio {ratio}"
    _need(real, n_real, "real", how)
    _need(generated, n_gen, "generated", how)
    return _assemble(real, generated, n_real, n_gen, "variable", ratio, seed)


def mix(real: list[Record], generated: list[Record], ratio: float, mode: str = "fixed", size: int | None = None, seed: int = 0) -> MixResult:
    """Dispatch on ``mode``: in fixed mode ``size`` is the total, in variable mode the real part."""
    if mode == "fixed":
        return mix_fixed(real, generated, ratio, size, seed)
    if mode == "variable":
        return mix_variable(real, generated, ratio, size, seed)
    raise UserError(f"unknown --mode {mode!r}; use fixed or variable", where="--mode")


def _assemble(real, generated, n_real, n_gen, mode, ratio, seed) -> MixResult:
    # One generator per source, derived from the seed, so that the real records
    # drawn do not depend on how many generated ones are drawn (and vice versa):
    # mixes at different ratios share as many records as they can (nested draws).
    real_part = _draw(real, n_real, random.Random(f"{seed}:real"))
    gen_part = _draw(generated, n_gen, random.Random(f"{seed}:generated"))
    records = real_part + gen_part
    random.Random(f"{seed}:order").shuffle(records)
    return MixResult(
        records=records,
        mode=mode,
        ratio_asked=ratio,
        n_real=n_real,
        n_generated=n_gen,
        seed=seed,
        real_available=len(real),
        generated_available=len(generated),
        real_ids=[r.id for r in real_part],
        generated_ids=[r.id for r in gen_part],
    )

