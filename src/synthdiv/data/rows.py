"""Rows of a data file, whatever holds them: JSONL, CSV, Parquet, a ``.txt`` file (a ``text`` row per
non-blank line) or a Hugging Face dataset (a ``save_to_disk`` folder, a folder of data files with a
dataset card, as ``synthdiv export --format hf`` writes, or a hub id). Each row comes with where it
was read (``file:line``, for errors); :mod:`synthdiv.data.inputs` tells the rows' shape and makes records.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthdiv.errors import UserError

Row = tuple[str, dict[str, Any]]


@dataclass
class Rows:
    kind: str  # jsonl, csv, parquet, txt, hf_disk, hf_folder, hf_hub
    origin: str
    columns: list[str]  # the first row's keys (a CSV's header)
    rows: list[Row]


def read_rows(path: str | os.PathLike, *, split: str | None = None, config: str | None = None) -> Rows:
    """Every row of ``path`` (see the module docstring); ``split`` and ``config`` choose a part of a
    Hugging Face dataset."""
    from synthdiv.data.records_io import detect_format

    kind = detect_format(path)
    origin = str(path)
    if kind == "jsonl":
        from synthdiv.data.loaders import json_rows

        rows = [(f"{origin}:{n}", obj) for n, obj in json_rows(path)]
    elif kind == "csv":
        from synthdiv.data.csvutil import read_csv_rows

        header, found = read_csv_rows(Path(origin))
        rows = [(f"{origin}:{n}", row) for n, row in found]
        return Rows(kind, origin, header, _nonempty(rows, origin))
    elif kind == "txt":
        from synthdiv.fileio import read_lines

        rows = [(f"{origin}:{n}", {"text": line}) for n, line in read_lines(path) if line.strip()]
    elif kind == "parquet":
        rows = [(f"{origin}:{i}", row) for i, row in enumerate(read_parquet_rows(Path(origin)), 1)]
    else:
        from synthdiv.data.hf import load_hf

        dataset = load_hf(origin, split=split, name=config)
        rows = [(f"{origin}:{i}", dict(row)) for i, row in enumerate(dataset, 1)]
    rows = _nonempty(rows, origin)
    return Rows(kind, origin, list(rows[0][1]), rows)


def column_names(path: str | os.PathLike, kind: str) -> list[str] | None:
    """The columns of a file, read without reading its rows where the format allows (a CSV's header, a
    JSONL file's first row, a Parquet schema); None for the kinds whose rows must be loaded first."""
    if kind == "csv":
        from synthdiv.data.csvutil import read_csv_rows

        header, _ = read_csv_rows(Path(str(path)))
        return header
    if kind == "jsonl":
        from synthdiv.data.loaders import json_rows

        first = next(json_rows(path), None)
        return None if first is None else list(first[1])
    if kind == "parquet":
        return list(_parquet(Path(str(path)), schema_only=True))
    if kind == "txt":
        return ["text"]
    return None


def read_parquet_rows(path: Path) -> list[dict[str, Any]]:
    return _parquet(path, schema_only=False)


def _parquet(path: Path, schema_only: bool) -> Any:
    from synthdiv.fileio import require_file

    require_file(path)
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - depends on the install
        raise UserError("reading Parquet needs pyarrow: pip install 'synthdiv[data]'") from None
    try:
        return pq.read_schema(path).names if schema_only else pq.read_table(path).to_pylist()
    except (pa.ArrowException, OSError) as exc:  # a truncated, damaged or foreign file
        if isinstance(exc, OSError) and exc.errno is not None:  # the disk failed, not the file
            raise
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"not a readable Parquet file ({first}); write it again", where=str(path)) from None


def _nonempty(rows: list[Row], origin: str) -> list[Row]:
    if not rows:
        raise UserError("no rows; give a file with at least one", where=origin)
    return rows
