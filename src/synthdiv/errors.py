"""The one error type for user mistakes.

Anything the user can fix (a missing file, a bad column, a malformed line, a
model that cannot load offline) raises :class:`UserError`. The CLI prints its
message on one line and exits with code 2; internal bugs keep their traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake in the input that the user can fix; the message says how."""

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None):
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


def check_choice(value: str, allowed, *, what: str, where: str | None = None) -> str:
    """``value`` if it is one of ``allowed``; else a UserError naming the closest choice and all of them."""
    import difflib

    allowed = list(allowed)
    if value in allowed:
        return value
    close = difflib.get_close_matches(value, allowed, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise UserError(f"unknown {what} {value!r}; {hint}use one of {', '.join(allowed)}", where=where)
