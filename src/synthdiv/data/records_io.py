"""Reading and writing record files: JSONL (the interchange format), CSV,
Parquet and Hugging Face datasets (saved folders and hub ids).

The format follows the file name: ``.jsonl``/``.json`` JSONL, ``.csv`` CSV,
``.parquet`` Parquet, a folder written by ``Dataset.save_to_disk`` a saved
dataset, and ``hf:OWNER/NAME`` (or a bare ``OWNER/NAME`` that is not a local
path) a hub id for ``datasets.load_dataset``. In CSV and Parquet the nested
``provenance`` and ``meta`` objects are stored as JSON strings, so every
format round-trips a record exactly.

Record ids are unique within a file: a reader or writer that meets an id twice refuses
the file, naming the id and where it repeats (:func:`check_unique_ids`).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from synthdiv.errors import UserError
from synthdiv.fileio import atomic_path, atomic_write, read_lines, require_file
from synthdiv.records import Record

COLUMNS = ("id", "task", "source", "group", "split", "context", "question", "target", "provenance", "meta")
CHAT_COLUMN = "messages"  # written only when a record is a conversation (task sft), so other files keep their columns
NESTED = ("provenance", "meta", CHAT_COLUMN)


def detect_format(path: str | os.PathLike) -> str:
    """One of jsonl, csv, parquet, txt, hf_disk (a ``save_to_disk`` folder), hf_folder (a folder of data
files, as the Hub and ``synthdiv export --format hf`` lay them out) or hf_hub, from the path's name."""
    text = str(path)
    if text.startswith("hf:"):
        return "hf_hub"
    p = Path(text)
    if p.is_dir():
        if (p / "dataset_info.json").exists() or (p / "state.json").exists() or (p / "dataset_dict.json").exists():
            return "hf_disk"
        if _holds_data_files(p):
            return "hf_folder"
        raise UserError("folder holds no dataset (no dataset_info.json from save_to_disk, no .parquet, .jsonl or .csv data files); "
                        "give a data file or a dataset folder", where=text)
    suffix = p.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix == ".txt":
        return "txt"
    if not p.exists() and text.count("/") == 1 and not suffix:
        return "hf_hub"
    raise UserError("unknown record file type; use .jsonl, .csv, .parquet, a saved dataset folder or hf:OWNER/NAME", where=text)


DATA_SUFFIXES = (".parquet", ".jsonl", ".json", ".csv")


def _holds_data_files(folder: Path) -> bool:
    return any(f.suffix.lower() in DATA_SUFFIXES for f in folder.rglob("*") if f.is_file() and not f.name.startswith("."))


# ----- reading ------------------------------------------------------------
def read_records(path: str | os.PathLike, *, split: str | None = None) -> list[Record]:
    """All records of a file, in order, with unique ids. Errors name the file and the line or row."""
    return check_unique_ids(_read_any(path, split), str(path))


def check_unique_ids(records: list[Record], where: str) -> list[Record]:
    """``records`` when no two share an id; otherwise a UserError naming the first repeated id."""
    first: dict[str, int] = {}
    for i, rec in enumerate(records, 1):
        j = first.setdefault(rec.id, i)
        if j != i:
            raise UserError(
                f"record id {rec.id!r} is used twice (records {j} and {i}); ids must be unique: give each record its own "
                "id (a file without ids gets ids from the content)",
                where=where,
            )
    return records


def _read_any(path: str | os.PathLike, split: str | None) -> list[Record]:
    fmt = detect_format(path)
    if fmt == "jsonl":
        return list(iter_jsonl(path))
    if fmt == "csv":
        return list(_iter_csv(Path(path)))
    if fmt == "parquet":
        from synthdiv.data.rows import read_parquet_rows

        return records_from_rows(read_parquet_rows(Path(path)), str(path))
    if fmt in ("hf_disk", "hf_folder", "hf_hub"):
        from synthdiv.data.hf import load_hf_rows

        return records_from_rows(load_hf_rows(str(path), split=split), str(path))
    raise UserError("a .txt file holds plain texts, not records; this command needs a record file", where=str(path))


def iter_jsonl(path: str | os.PathLike) -> Iterator[Record]:
    """Records of a JSONL file, one per non-blank line."""
    seen = False
    for lineno, line in read_lines(path):
        if not line.strip():
            continue
        seen = True
        yield Record.from_json(line, where=f"{path}:{lineno}")
    if not seen:
        raise UserError("file has no records (only blank lines); give a file with at least one record", where=str(path))


def _iter_csv(path: Path) -> Iterator[Record]:
    require_file(path)
    from synthdiv.data.csvutil import read_csv_rows

    header, rows = read_csv_rows(path)
    missing = [c for c in ("task", "context", "target") if c not in header]
    if missing:
        raise UserError(f"CSV has no column {missing[0]!r}; a record CSV needs task, context and target", where=str(path))
    n = 0
    for rowno, row in rows:
        n += 1
        yield Record.from_dict(_decode_nested(row, f"{path}:{rowno}"), where=f"{path}:{rowno}")
    if n == 0:
        raise UserError("CSV has a header but no rows", where=str(path))


def _decode_nested(row: dict[str, Any], where: str) -> dict[str, Any]:
    out = {k: (None if v == "" and k in ("question", "group", "split") else v) for k, v in row.items()}
    for key in NESTED:
        value = out.get(key)
        if isinstance(value, str):
            if not value.strip():
                out[key] = None if key == CHAT_COLUMN else {}
                continue
            try:
                out[key] = json.loads(value)
            except json.JSONDecodeError:
                raise UserError(f"column {key!r} is not valid JSON", where=where) from None
    return out


def records_from_rows(rows: Iterable[dict[str, Any]], origin: str) -> list[Record]:
    """Records of rows in the record columns (Parquet, a Hugging Face dataset)."""
    records = [Record.from_dict(_decode_nested(dict(r), f"{origin}:{i}"), where=f"{origin}:{i}") for i, r in enumerate(rows, 1)]
    if not records:
        raise UserError("no records found", where=origin)
    return records


# ----- writing ------------------------------------------------------------
def write_records(records: Iterable[Record], path: str | os.PathLike) -> int:
    """Write records atomically in the format of ``path``'s suffix; returns the count.
    Records that share an id are refused before anything is written."""
    records = check_unique_ids(list(records), f"{path} (records to write)")
    fmt = detect_format(path) if not str(path).endswith("/") else "hf_disk"
    if fmt == "jsonl":
        with atomic_write(path) as fh:
            for rec in records:
                fh.write(rec.to_json())
                fh.write("\n")
    elif fmt == "csv":
        with atomic_write(path, newline="") as fh:
            columns = columns_of(records)
            writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            for rec in records:
                writer.writerow({k: ("" if v is None else v) for k, v in _flat(rec, columns).items()})
    elif fmt == "parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:  # pragma: no cover
            raise UserError("writing Parquet needs pyarrow: pip install 'synthdiv[data]'") from None
        columns = columns_of(records)
        table = pa.Table.from_pylist([_flat(r, columns) for r in records])
        with atomic_path(path, suffix=".parquet") as tmp:
            pq.write_table(table, tmp)
    else:
        raise UserError("cannot write this kind of output; use .jsonl, .csv or .parquet (or save_hf_dataset)", where=str(path))
    return len(records)


def columns_of(records: list[Record]) -> tuple[str, ...]:
    """The columns of a record file: a ``messages`` column only when a record is a conversation."""
    return COLUMNS + ((CHAT_COLUMN,) if any(r.messages is not None for r in records) else ())


def _flat(rec: Record, columns: tuple[str, ...] = COLUMNS) -> dict[str, Any]:
    d = rec.to_dict()
    for key in NESTED:
        if key in d:
            d[key] = json.dumps(d[key], ensure_ascii=False, sort_keys=True)
    return {k: d.get(k) for k in columns}


def save_hf_dataset(records: Iterable[Record], folder: str | os.PathLike) -> None:
    """Save records as a Hugging Face dataset folder (``Dataset.save_to_disk``)."""
    from synthdiv.data.hf import dataset_from_rows

    records = list(records)
    columns = columns_of(records)
    dataset_from_rows([_flat(r, columns) for r in records]).save_to_disk(str(folder))
