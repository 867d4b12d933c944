"""Leak-free test sets: drop the real records that a generation prompt showed.

Topic-guided generation shows k real records in each prompt and keeps their ids in
``provenance.seed_ids`` (generation/topic_guided.py). A model fine-tuned on such
generated data has, in effect, seen those real records; testing it on them would
reward copying. :func:`exclude_seeds` removes every record whose id a generated
record names as a seed, so the test set holds only records no prompt showed.

Only the exact records shown are dropped, matched by id: two windows of one chapter
are different records, and the group split (splits.py) is what keeps groups apart.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from synthdiv.errors import UserError
from synthdiv.records import Record


@dataclass(frozen=True)
class Exclusion:
    """What :func:`exclude_seeds` did: the records kept, how many were dropped and from how many seed ids."""

    kept: list[Record]
    dropped: int
    seed_ids: int


def seed_ids_of(path: str | os.PathLike, *, where: str = "--exclude-examples-of") -> set[str]:
    """The ids of every real record shown in a prompt of the generated records in ``path``.

    A file where no record carries ``provenance.seed_ids`` (real data, or generated data
    from a tool that did not record its seeds) is an error: excluding nothing would look
    like a clean test set while it may not be one. An empty list (a prompt that showed
    no seeds, k = 0) is provenance and counts."""
    from synthdiv.data.records_io import read_records

    records = read_records(path)
    with_provenance = [r.provenance.seed_ids for r in records if r.provenance.seed_ids is not None]
    if not with_provenance:
        raise UserError(
            f"no record of {path} carries provenance.seed_ids; give a file that 'synthdiv generate' wrote",
            where=where,
        )
    return {sid for ids in with_provenance for sid in ids}


def exclude_seeds(records: Sequence[Record], seed_ids: Iterable[str], *, where: str = "--exclude-examples-of") -> Exclusion:
    """The records whose id is not among ``seed_ids``, in their input order."""
    shown = set(seed_ids)
    kept = [r for r in records if r.id not in shown]
    if not kept:
        raise UserError(f"all {len(records)} records were shown as seeds; nothing is left for a leak-free set", where=where)
    return Exclusion(kept=kept, dropped=len(records) - len(kept), seed_ids=len(shown))


def exclude_seeds_of(records: Sequence[Record], paths: Sequence[str | os.PathLike]) -> Exclusion:
    """:func:`exclude_seeds` with the seed ids of every generated file in ``paths``."""
    shown: set[str] = set()
    for path in paths:
        shown |= seed_ids_of(path)
    return exclude_seeds(records, shown)
