"""Old spellings kept working for one release: the release that drops them, and the one-line notice.

The command line's old option spellings (cli/deprecated.py) and the spec's old section names
(experiments/spec.py) say it in the same words.
"""

from __future__ import annotations

RELEASE = "0.2"  # the release that drops the old spellings


def notice(old: str, new: str) -> str:
    return f"warning: {old} is deprecated and goes in synthdiv {RELEASE}; use {new}"
