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
