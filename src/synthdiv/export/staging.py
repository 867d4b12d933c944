"""Output checks and the staged folder: a folder export is built in a hidden folder beside OUT
and renamed into place only when complete, so a failure leaves OUT as it was.

``--overwrite`` replaces only what an export wrote (:func:`earlier_export`) or what holds no
synthdiv data (:func:`synthdiv.paths.check_replace`): never a run folder, a stage store or a record file."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from synthdiv.errors import UserError
from synthdiv.paths import Labelled, check_io, check_replace


def check_output(out: Path, *, folder: bool, overwrite: bool, inputs: Labelled) -> None:
    """Refuse an OUT that would lose data: an existing file, or a non-empty folder, unless ``overwrite``;
    with it, anything but an earlier export or a folder without synthdiv data; and what the path rule refuses."""
    if folder:
        if out.exists() and not out.is_dir():
            raise UserError("output exists and is a file; give a folder path for this format", where=str(out))
        if out.is_dir() and any(out.iterdir()) and not overwrite:
            raise UserError("output folder exists and is not empty; choose another path or pass --overwrite", where=str(out))
    else:
        if out.is_dir():
            raise UserError("output is a folder; give a .jsonl file path for a single record file", where=str(out))
        if out.suffix.lower() != ".jsonl":
            raise UserError("TRL output must be a .jsonl file", where=str(out))
        if out.exists() and not overwrite:
            raise UserError("output file exists; choose another path or pass --overwrite", where=str(out))
    if overwrite:
        check_replace(out, label="--out", inputs=inputs, earlier_output=earlier_export)
    check_io(inputs=inputs, **{"folders" if folder else "outputs": {"--out": out}})


def earlier_export(path: Path) -> bool:
    """Whether ``path`` holds only what an export writes: a dataset folder (a card tagged synthdiv,
    Parquet shards under data/), or TRL row files (one file, or a run's folder of them)."""
    from synthdiv.export.hf_folder import CARD

    if path.is_file():
        return _is_trl_file(path)
    files = [p for p in path.rglob("*") if p.is_file()]
    card = path / CARD
    if card.is_file() and _tagged_synthdiv(card):
        return all(f == card or (f.suffix == ".parquet" and path / "data" in f.parents) for f in files)
    return bool(files) and all(f.parent == path and _is_trl_file(f) for f in files)


def _tagged_synthdiv(card: Path) -> bool:
    import yaml

    parts = card.read_text(encoding="utf-8", errors="replace").split("---\n", 2)
    try:
        meta = yaml.safe_load(parts[1]) if len(parts) == 3 else None
    except yaml.YAMLError:
        return False
    return isinstance(meta, dict) and "synthdiv" in (meta.get("tags") or [])


def _is_trl_file(path: Path) -> bool:
    """A .jsonl of TRL rows (prompt/completion or messages, no record ``task``); an empty one holds nothing."""
    if path.suffix.lower() != ".jsonl":
        return False
    with open(path, encoding="utf-8", errors="replace") as fh:
        first = next((line for line in fh if line.strip()), None)
    if first is None:
        return True
    try:
        row = json.loads(first)
    except json.JSONDecodeError:
        return False
    return isinstance(row, dict) and "task" not in row and ({"prompt", "completion"} <= row.keys() or "messages" in row)


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
