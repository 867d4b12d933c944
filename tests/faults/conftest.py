"""Fixtures of the fault suite: the CLI in-process, a small record file, and real
size-limited or read-only folders.

A full disk and a read-only file system are real where the machine lets us mount a tmpfs (root
in a sandbox or CI container); elsewhere those tests skip, and the same failures are also
tested by patching the OS call (``os.fsync``, ``os.replace``) that would fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from faultkit import story_records

from synthdiv.cli.main import main
from synthdiv.data.records_io import write_records


@pytest.fixture
def cli(capsys):
    """cli(*args) -> (exit code, stdout, stderr) of ``synthdiv ARGS`` run in this process."""

    def run(*args):
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def real_file(tmp_path) -> Path:
    """40 story records, as the issue's reports used."""
    path = tmp_path / "real.jsonl"
    write_records(story_records(40), path)
    return path


@pytest.fixture
def gen_file(tmp_path) -> Path:
    path = tmp_path / "gen.jsonl"
    records = story_records(20, prefix="gen")
    for r in records:
        r.source = "generated"
    write_records(records, path)
    return path


def _mount(folder: Path, options: str) -> bool:
    if os.name != "posix" or os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    return proc.returncode == 0


def _unmount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.fixture
def small_disk(tmp_path):
    """small_disk(kib) -> a folder on a tmpfs of that size; resize(folder, kib) grows it (skips without mount)."""
    mounted: list[Path] = []

    def make(kib: int) -> Path:
        folder = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
        folder.mkdir()
        if not _mount(folder, f"size={kib}k"):
            pytest.skip("cannot mount a tmpfs here (needs root); the patched-OS-call tests cover the same failure")
        mounted.append(folder)
        return folder

    yield make
    for folder in mounted:
        _unmount(folder)


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder this process cannot write: a read-only tmpfs as root, mode 0555 otherwise."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.name == "posix" and os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    if not _mount(folder, "size=64k"):
        pytest.skip("root without mount: no way to make a folder unwritable")
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True, capture_output=True)
    yield folder
    _unmount(folder)
