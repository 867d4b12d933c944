"""File helpers every stage uses: atomic writes and checked reads.

Outputs are written to a temporary file in the destination folder and renamed
into place, so a crash or a bad input never leaves a half-written file.

The temporary file is ``.NAME.TAG.tmp`` beside NAME, where TAG names the writer
(a hash of the host and its PID namespace, the PID, a random part). It is created
with mode 0666 less the umask, as ``open()`` would, so outputs follow the user's umask.
A writer killed before the rename (kill -9, power loss) leaves its temporary file;
the next write of the same NAME removes it when it is certainly dead (docs/errors.md):
written on this host by a process that no longer runs, or older than
:data:`STALE_AGE_S` (another host on a shared disk, or a file from before these tags).
A live writer's file is never removed, so two processes may write the same target.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from synthdiv.errors import UserError

# A temporary file whose writer cannot be checked (another host) is stale after a day:
# every write in this package takes minutes at most, and a file being written is touched.
STALE_AGE_S = 24 * 3600


def _host_tag() -> str:
    """6 hex digits naming this host and PID namespace: a PID means something only within both."""
    try:
        namespace = str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        namespace = ""
    return hashlib.sha256(f"{socket.gethostname()}/{namespace}".encode()).hexdigest()[:6]


_HOST = _host_tag()
_TAGGED = re.compile(r"(?P<host>[0-9a-f]{6})-(?P<pid>[0-9]+)-[0-9a-f]{8}\.tmp(\.[^.]+)?")
# tempfile.mkstemp names of the versions before the tags: ".NAME.XXXXXXXX.tmp" (".parquet" for Parquet)
_UNTAGGED = re.compile(r"[a-z0-9_]{8}\.(tmp|parquet)")


def _temp_name(path: Path, suffix: str) -> Path:
    return path.parent / f".{path.name}.{_HOST}-{os.getpid()}-{secrets.token_hex(4)}.tmp{suffix}"


def _create_temp(path: Path, suffix: str = "") -> tuple[int, Path]:
    """An exclusive new temporary file beside ``path``: (fd, its path); mode 0666 less the umask."""
    while True:
        tmp = _temp_name(path, suffix)
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), tmp
        except FileExistsError:  # 32 random bits collided: draw again
            continue


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # pragma: no cover - os.kill would terminate it; rely on the age rule
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _is_stale(name: str, tmp: Path) -> bool:
    tagged = _TAGGED.fullmatch(name)
    if tagged and tagged["host"] == _HOST:
        return not _pid_alive(int(tagged["pid"]))
    if tagged or _UNTAGGED.fullmatch(name):
        try:
            return time.time() - tmp.stat().st_mtime > STALE_AGE_S
        except OSError:
            return False
    return False


def remove_stale_temps(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that killed writers of ``path`` left beside it; returns them."""
    path = Path(path)
    prefix = f".{path.name}."
    removed = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:  # no folder yet: nothing left over
        return removed
    for entry in entries:
        if entry.name.startswith(prefix) and entry.is_file(follow_symlinks=False):
            if _is_stale(entry.name[len(prefix):], Path(entry.path)):
                with contextlib.suppress(FileNotFoundError):  # a concurrent cleaner was first
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


# what a write, an fsync or a rename may fail with (other errors inside the block keep their own names)
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS, errno.EACCES, errno.EPERM,
                 errno.EISDIR, errno.ENOTDIR, errno.EEXIST}


def _name_target(exc: OSError, path: Path, tmp: Path) -> OSError:
    """The OSError with the target as its file name: a full disk during ``write`` names no file,
    and the temporary file's name means nothing to the user."""
    if exc.errno not in _WRITE_ERRNOS or exc.filename not in (None, str(tmp)):
        return exc
    return OSError(exc.errno, exc.strerror, str(path))


def _prepare(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)


@contextlib.contextmanager
def _into_place(path: Path, tmp: Path) -> Iterator[None]:
    """Rename ``tmp`` to ``path`` when the block succeeds; remove it when it fails."""
    try:
        yield
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        named = _name_target(exc, path, tmp) if isinstance(exc, OSError) else exc
        if named is not exc:
            raise named from exc
        raise


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None
) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success fsync and rename it to ``path``.
    On any exception the temporary file is removed and ``path`` is left as it was."""
    path = Path(path)
    _prepare(path)
    fd, tmp = _create_temp(path)
    with _into_place(path, tmp):
        kwargs = {"encoding": encoding, "newline": newline} if "b" not in mode else {}
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Like :func:`atomic_write` for writers that want a path (Parquet, save_to_disk)."""
    path = Path(path)
    _prepare(path)
    fd, tmp = _create_temp(path, suffix)
    os.close(fd)
    with _into_place(path, tmp):
        yield tmp


@contextlib.contextmanager
def made_folders(path: str | os.PathLike) -> Iterator[Path]:
    """``path`` created with its missing parents for the block; when the block fails, what it created
    is removed again if no file was written in it, so a failed start leaves no empty folder behind."""
    path = Path(path)
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    try:
        yield path
    except BaseException:
        top = missing[-1] if missing else None  # the shallowest folder this call created
        if top is not None and not any(p.is_file() for p in top.rglob("*")):
            shutil.rmtree(top, ignore_errors=True)
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
