"""Deterministic, seeded splits and the paper's subsampling.

Splits are by group (story id or long-context document id), so no story and
no document has records on both sides. The same seed and the same set of
groups always give the same split, whatever the order of the input.
"""

from __future__ import annotations

import random
from collections import defaultdict

from synthdiv.errors import UserError
from synthdiv.records import Record


def group_of(record: Record) -> str:
    return record.group if record.group is not None else record.id


def split_by_group(records: list[Record], *, test_fraction: float = 0.2, seed: int = 0) -> tuple[list[Record], list[Record]]:
    """(train, test): a seeded share of the groups goes to test; each record's ``split`` is set."""
    if not 0 < test_fraction < 1:
        raise UserError(f"test fraction must be between 0 and 1 (exclusive), got {test_fraction}")
    groups = sorted({group_of(r) for r in records})
    if len(groups) < 2:
        raise UserError(f"need at least two groups to split, got {len(groups)}")
    rng = random.Random(seed)
    rng.shuffle(groups)
    n_test = min(len(groups) - 1, max(1, round(len(groups) * test_fraction)))
    test_groups = set(groups[:n_test])
    train, test = [], []
    for rec in records:
        if group_of(rec) in test_groups:
            rec.split = "test"
            test.append(rec)
        else:
            rec.split = "train"
            train.append(rec)
    return train, test


def sample_records(records: list[Record], n: int, *, seed: int = 0) -> list[Record]:
    """``n`` records drawn without replacement (seeded), in their input order (the paper's "N stories")."""
    if n > len(records):
        raise UserError(f"asked for {n} records but only {len(records)} are available; lower the count or add data")
    rng = random.Random(seed)
    keep = set(rng.sample(range(len(records)), n))
    return [r for i, r in enumerate(records) if i in keep]


def sample_per_group(records: list[Record], k: int, *, seed: int = 0, strict: bool = False) -> list[Record]:
    """At most ``k`` records per group (the paper's "k QA pairs per long context"), seeded.
    With ``strict``, a group with fewer than ``k`` records is an error instead of kept whole."""
    by_group: dict[str, list[int]] = defaultdict(list)
    for i, rec in enumerate(records):
        by_group[group_of(rec)].append(i)
    rng = random.Random(seed)
    keep: set[int] = set()
    for group in sorted(by_group):
        idx = by_group[group]
        if len(idx) < k and strict:
            raise UserError(f"group {group} has {len(idx)} records, fewer than k={k}; lower k or drop strict")
        keep.update(idx if len(idx) <= k else rng.sample(idx, k))
    return [r for i, r in enumerate(records) if i in keep]
