"""CSV reading with errors that name the file and line."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from synthdiv.errors import UserError
from synthdiv.fileio import require_file

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # long contexts exceed the 128 KiB default


def decode_utf8(path: Path) -> str:
    """The file's text; bytes that are not UTF-8 raise a UserError naming the line."""
    raw = require_file(path).read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        lineno = raw.count(b"\n", 0, exc.start) + 1
        raise UserError("bytes that are not UTF-8; re-save the file as UTF-8", where=f"{path}:{lineno}") from None


def read_csv_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The header and an iterator of (line number where the row starts, row as a dict)."""
    text = decode_utf8(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise UserError("CSV file is empty; it needs a header row and data rows", where=str(path)) from None
    except csv.Error as exc:
        raise UserError(f"malformed CSV header ({exc})", where=f"{path}:1") from None

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        start = reader.line_num + 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise UserError(f"malformed CSV ({exc}); check quoting", where=f"{path}:{start}") from None
            if values and any(v.strip() for v in values):
                if len(values) != len(header):
                    raise UserError(
                        f"row has {len(values)} fields but the header has {len(header)}; check quoting and commas",
                        where=f"{path}:{start}",
                    )
                yield start, dict(zip(header, values, strict=True))
            start = reader.line_num + 1

    return header, rows()


def require_columns(path: Path, header: Sequence[str], needed: Sequence[str], what: str) -> None:
    """A UserError naming the first needed column the CSV lacks."""
    for col in needed:
        if col not in header:
            raise UserError(
                f"CSV has no column {col!r}, which {what} needs (columns needed: {', '.join(needed)})", where=str(path)
            )


def require_value(row: dict[str, str], column: str, where: str) -> str:
    """The stripped value of a column; an empty one is a UserError naming line and field."""
    value = (row.get(column) or "").strip()
    if not value:
        raise UserError(f"field {column!r} is empty; every row needs it", where=where)
    return value
