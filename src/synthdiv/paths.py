"""The path rules every command checks before it does any work (docs/errors.md).

A command names its inputs, its output files and its output folders, each under the
option that gave it, and calls :func:`check_io` once. It refuses, before anything is
read or written:

* an output that is one of the inputs or another output: paths are compared after
  resolving links and relative parts (``os.path.realpath``) and, for what exists, by
  device and inode, so a hard link counts as the same file;
* an output file that is an existing folder, and an output folder that is an existing file;
* an output whose nearest existing parent is a file, or a folder this process cannot write
  (a read-only file system, no permission).

Inputs that are not on disk (hub ids, registry names, ``corpus``) are skipped: there is
nothing to destroy, and ``train --model gpt2 --out gpt2`` is a fine thing to ask.

An output that a command replaces whole (``export --overwrite``) passes :func:`check_replace`
too: it may not be or contain an input, nor hold synthdiv data that the command did not write
itself (a run folder, a stage store, a record file): what was paid for is never deleted.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from synthdiv.errors import UserError

PathLike = str | os.PathLike
Labelled = Mapping[str, PathLike | None]  # the option (or argument) that named a path -> the path; None: not given


@dataclass(frozen=True)
class _Named:
    label: str
    path: Path
    real: str  # links and relative parts resolved
    inode: tuple[int, int] | None  # (device, inode) of what exists: hard links share it

    def same_as(self, other: _Named) -> bool:
        return self.real == other.real or (self.inode is not None and self.inode == other.inode)


def _named(label: str, value: PathLike) -> _Named:
    path = Path(value)
    try:
        st = os.stat(path)
        inode = (st.st_dev, st.st_ino)
    except (OSError, ValueError):  # not there (yet), or not a path at all (a hub id)
        inode = None
    return _Named(label, path, os.path.realpath(path), inode)


def _given(paths: Labelled | None) -> list[_Named]:
    return [_named(label, value) for label, value in (paths or {}).items() if value is not None and str(value) != ""]


def check_io(*, inputs: Labelled | None = None, outputs: Labelled | None = None, folders: Labelled | None = None) -> None:
    """Refuse (UserError, before any work) outputs that would destroy an input or another
    output, or that cannot be written. ``outputs`` are files, ``folders`` are output folders."""
    ins = [named for named in _given(inputs) if named.inode is not None]  # only what exists can be destroyed
    files, dirs = _given(outputs), _given(folders)
    written = files + dirs
    for i, out in enumerate(written):
        for inp in ins:
            if out.same_as(inp):
                raise UserError(
                    f"{out.path} is the input {inp.label} ({inp.path}); writing it would destroy that input: give another output path",
                    where=out.label,
                )
        for other in written[:i]:
            if out.same_as(other):
                raise UserError(f"{out.path} is also the output {other.label}; give each output its own path", where=out.label)
    for out in files:
        if out.path.is_dir():
            raise UserError(f"{out.path} is a folder; give a file path", where=out.label)
        _check_writable(out, Path(out.real).parent)
    for out in dirs:
        if out.path.exists() and not out.path.is_dir():
            raise UserError(f"{out.path} is a file; give a folder path (a missing folder is created)", where=out.label)
        _check_writable(out, Path(out.real))


def _check_writable(out: _Named, folder: Path) -> None:
    """The nearest existing folder at or above ``folder`` must be a folder we can write:
    every missing folder below it is created there."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UserError(f"cannot create {out.path}: {existing} is a file, not a folder", where=out.label)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"cannot write {out.path}: the folder {existing} is {_why_not_writable(existing)}", where=out.label)


def _why_not_writable(folder: Path) -> str:
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "on a read-only file system"
    except (OSError, AttributeError):  # no statvfs (Windows)
        pass
    return "not writable (permission denied)"


# ----- replacing an output whole ----------------------------------------------------------------
_RECORD_FORMATS = ("jsonl", "csv", "parquet")  # what synthdiv.data.records_io reads as records (text files are notes)


def check_replace(path: PathLike, *, label: str, inputs: Labelled | None = None,
                  earlier_output: Callable[[Path], bool] = lambda _: False) -> None:
    """Refuse (UserError) to replace the existing ``path`` when it is or contains an input, or
    holds synthdiv data that this command did not write: ``earlier_output(path)`` says whether
    ``path`` is the command's own earlier output, which it may replace."""
    path = Path(path)
    target = Path(os.path.realpath(path))
    for given in _given(inputs):
        if given.inode is not None and (given.real == str(target) or target in Path(given.real).parents):
            what = "is" if given.real == str(target) else "holds"
            raise UserError(f"{path} {what} the input {given.label} ({given.path}): output would replace an input; "
                            "choose an output outside the input's folder", where=label)
    if not path.exists() or earlier_output(path):
        return
    found = synthdiv_data(path)
    if found is not None:
        raise UserError(f"{path} {found}, which this command did not write; it replaces only its own earlier output: "
                        "give another path, or move that data away yourself", where=label)


def synthdiv_data(path: Path) -> str | None:
    """What synthdiv data ``path`` is or holds, in words ("is a stage store …"), or None."""
    from synthdiv.experiments import layout

    if path.is_file():
        return "is a record file" if _is_record_file(path) else None
    for root, _dirs, files in os.walk(path):
        here, names = Path(root), set(files)
        what = "is" if here == path else f"holds ({here})"
        if {layout.SPEC, layout.GRAPH} <= names or layout.csv_name(layout.DATASETS) in names:
            return f"{what} a run folder of `synthdiv run`"
        if layout.STAGE_DONE in names:  # STORE/KIND/KEY/done.json
            store = here.parent.parent
            return f"{'is' if store == path else f'holds ({store})'} a stage store of `synthdiv run` (finished stages)"
        record = next((name for name in sorted(files) if _is_record_file(here / name)), None)
        if record is not None:
            return f"holds the record file {here / record}"
    return None


def _is_record_file(path: Path) -> bool:
    from synthdiv.data.records_io import detect_format

    try:
        return detect_format(path) in _RECORD_FORMATS
    except UserError:  # not a record file type
        return False
