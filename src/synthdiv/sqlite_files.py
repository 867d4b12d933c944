"""SQLite failures as the failures they are, naming the database file.

The response cache and the embedding cache are SQLite files. SQLite reports a full disk,
a read-only folder and a damaged file as ``sqlite3.DatabaseError`` subclasses told apart
only by their text (the module has no finer classes), so this one place reads the text and
raises what the CLI already reports in one line: ``OSError`` with an errno for the machine's
refusals (exit 4, docs/errors.md), a UserError for a damaged file (exit 2).
"""

from __future__ import annotations

import contextlib
import errno
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from synthdiv.errors import UserError


def nearly_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < 1 << 20  # under 1 MiB: SQLite cannot grow its files
    except OSError:
        return False


@contextlib.contextmanager
def sqlite_failures(path: Path, *, what: str, fix: str) -> Iterator[None]:
    """Around every use of the database at ``path``; ``what`` names it ("the response cache
    database") and ``fix`` says what to do when it is damaged."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        text = str(exc)
        if "disk is full" in text or ("disk I/O error" in text and nearly_full(path.parent)):
            # WAL mode reports a full disk as an I/O error when its shared-memory file cannot grow
            raise OSError(errno.ENOSPC, "database or disk is full", str(path)) from exc
        if "disk I/O error" in text:
            raise OSError(errno.EIO, text, str(path)) from exc
        if "unable to open" in text and path.is_dir():
            raise OSError(errno.EISDIR, text, str(path)) from exc
        if "readonly" in text or "unable to open" in text:
            raise OSError(errno.EACCES, text, str(path)) from exc
        if "not a database" in text or "malformed" in text:
            raise UserError(f"{what} is corrupt ({text}); {fix}", where=str(path)) from None
        raise
