"""Helpers of the fault suite, shared by its modules (conftest.py holds the fixtures)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from synthdiv.records import Record

WORDS = "sun rain dog cat road hill lake farm shop town bus car tree bird fish cake milk door park book".split()


def story_records(n: int, prefix: str = "real") -> list[Record]:
    out = []
    for i in range(n):
        s = [f"{WORDS[(i + j) % len(WORDS)].title()} went to the {WORDS[(i * 3 + j) % len(WORDS)]} with friend {i}." for j in range(5)]
        out.append(Record(id=f"{prefix}-{i}", task="story_completion", context=" ".join(s[:4]), target=s[4]))
    return out


def resize(folder: Path, kib: int) -> None:
    """Grow (or shrink) a tmpfs made by the ``small_disk`` fixture: "free space"."""
    subprocess.run(["mount", "-o", f"remount,size={kib}k", str(folder)], check=True, capture_output=True)


def one_error_line(err: str) -> str:
    """The stderr of a refused command: exactly one line, starting 'error: '."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def last_error_line(err: str) -> str:
    """The one 'error: ' line of a command that printed progress or warnings before it failed: the last line."""
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], err
    return errors[0]


def tree(folder: Path) -> list[str]:
    """Every file under ``folder``, hidden ones included, relative and sorted."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
