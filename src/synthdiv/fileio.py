"""File helpers every stage uses: atomic writes and checked reads.

Outputs are written to a temporary file in the destination folder and renamed
into place, so a crash or a bad input never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from synthdiv.errors import UserError


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None
) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success fsync and rename it to ``path``.
    On any exception the temporary file is removed and ``path`` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        kwargs = {"encoding": encoding, "newline": newline} if "b" not in mode else {}
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Like :func:`atomic_write` for writers that want a path (Parquet, save_to_disk)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or ".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def require_file(path: str | os.PathLike, what: str = "input file") -> Path:
    """The path, if it is an existing non-empty file; otherwise a UserError saying so."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{what} not found; check the path", where=str(path))
    if path.is_dir():
        raise UserError(f"{what} is a folder, expected a file", where=str(path))
    if path.stat().st_size == 0:
        raise UserError(f"{what} is empty; give a file with at least one record", where=str(path))
    return path


def read_lines(path: str | os.PathLike) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, line without newline) of a UTF-8 text file.
    Bytes that are not UTF-8 raise a UserError naming the line."""
    path = require_file(path)
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise UserError(
                    f"bytes that are not UTF-8 at byte {exc.start} of the line; re-save the file as UTF-8",
                    where=f"{path}:{lineno}",
                ) from None
            yield lineno, line.rstrip("\r\n")


def check_utf8(path: Path) -> None:
    """Raise a UserError naming the first line with bytes that are not UTF-8."""
    for _ in read_lines(path):
        pass
