"""Output checks and the staged folder: a folder export is built in a hidden folder beside OUT
and renamed into place only when complete, so a failure leaves OUT as it was."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from synthdiv.errors import UserError


def check_output(out: Path, *, folder: bool, overwrite: bool) -> None:
    """Refuse an OUT that would lose data: an existing file, or a non-empty folder, unless ``overwrite``."""
    if folder:
        if out.exists() and not out.is_dir():
            raise UserError("output exists and is a file; give a folder path for this format", where=str(out))
        if out.is_dir() and any(out.iterdir()) and not overwrite:
            raise UserError("output folder exists and is not empty; choose another path or pass --overwrite", where=str(out))
        return
    if out.is_dir():
        raise UserError("output is a folder; give a .jsonl file path for a single record file", where=str(out))
    if out.suffix.lower() != ".jsonl":
        raise UserError("TRL output must be a .jsonl file", where=str(out))
    if out.exists() and not overwrite:
        raise UserError("output file exists; choose another path or pass --overwrite", where=str(out))


@contextlib.contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """Yield an empty folder beside ``out``; on success it replaces ``out``, on failure it is removed."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.{secrets.token_hex(4)}.tmp"
    tmp.mkdir()  # plain mkdir (not mkdtemp's 0700): the finished folder gets the usual permissions
    try:
        yield tmp
        if out.exists():
            old = out.parent / f".{out.name}.{secrets.token_hex(4)}.old"
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
