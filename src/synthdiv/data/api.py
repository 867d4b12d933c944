"""Python API of the data stage; ``synthdiv data ...`` calls these."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from synthdiv.errors import UserError
from synthdiv.records import Record


def _subsample(records: list[Record], *, per_group: int | None, sample: int | None, seed: int) -> list[Record]:
    """``records`` subsampled as the paper does: k per group, then N in all."""
    from synthdiv.data.splits import sample_per_group, sample_records

    if per_group is not None:
        records = sample_per_group(records, per_group, seed=seed)
    if sample is not None:
        records = sample_records(records, sample, seed=seed)
    return records


def convert(
    path: str | os.PathLike,
    out: str | os.PathLike,
    *,
    fmt: str | None = None,
    task: str | None = None,
    columns: dict[str, str] | None = None,
    split: str | None = None,
    config: str | None = None,
    per_group: int | None = None,
    sample: int | None = None,
    test_fraction: float | None = None,
    test_out: str | os.PathLike | None = None,
    seed: int = 0,
    exclude_examples_of: Sequence[str | os.PathLike] = (),
    exclude_seeds_of: Sequence[str | os.PathLike] = (),  # the old name of exclude_examples_of, until synthdiv 0.2
) -> dict[str, Any]:
    """Convert a source dataset (any form :func:`synthdiv.data.read_input` reads; ``fmt`` and ``task``
    default to the data's own) to a record file (JSONL, CSV or Parquet by suffix).
    With ``exclude_examples_of``, first drop every record that a prompt of those generated files showed
    as an example (seed_exclusion.py), then subsample. With ``test_fraction``, split by group: train records go to
    ``out``, test records to ``test_out``."""
    from synthdiv.data.inputs import read_input
    from synthdiv.data.records_io import detect_format, write_records
    from synthdiv.data.splits import split_by_group

    if detect_format(out) not in ("jsonl", "csv", "parquet"):
        raise UserError("output must end in .jsonl, .csv or .parquet", where=str(out))
    if test_fraction is not None and test_out is None:
        raise UserError("--test-fraction needs --test-out for the test records")
    records = read_input(path, task=task, fmt=fmt, columns=columns, split=split, config=config)
    excluded: dict[str, Any] = {}
    if exclude_seeds_of:
        from synthdiv.console import say
        from synthdiv.deprecation import notice

        say(notice("convert(exclude_seeds_of=…)", "exclude_examples_of"))
        exclude_examples_of = [*exclude_examples_of, *exclude_seeds_of]
    if exclude_examples_of:
        from synthdiv.data.seed_exclusion import exclude_seeds_of as exclude

        exclusion = exclude(records, exclude_examples_of)
        records = exclusion.kept
        excluded = {"dropped": exclusion.dropped, "kept": len(exclusion.kept), "seed_ids": exclusion.seed_ids}
    records = _subsample(records, per_group=per_group, sample=sample, seed=seed)
    if test_fraction is None:
        write_records(records, out)
        return {"records": len(records), "groups": len({r.group for r in records}), "out": str(out), **excluded}
    train, test = split_by_group(records, test_fraction=test_fraction, seed=seed)
    write_records(test, test_out)
    write_records(train, out)
    return {"records": len(records), "train": len(train), "test": len(test), "out": str(out), "test_out": str(test_out), **excluded}


def inspect(path: str | os.PathLike, **reading: Any) -> dict[str, Any]:
    """Counts, length statistics and two sample records of a data file (any form ``read_input`` reads)."""
    from synthdiv.data.inputs import read_input
    from synthdiv.data.inspect import summarize

    return summarize(read_input(path, **reading))


def export_corpus(out: str | os.PathLike, *, split: str | None = "train", sample: int | None = None, seed: int = 0) -> int:
    """Write the embedded real corpus (or one split of it) to a record file."""
    from synthdiv.data.corpus import load_corpus_stories
    from synthdiv.data.records_io import write_records
    from synthdiv.data.splits import sample_records

    records = load_corpus_stories(split)
    if sample is not None:
        records = sample_records(records, sample, seed=seed)
    return write_records(records, out)
