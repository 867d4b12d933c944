"""The one error type for user mistakes.

Anything the user can fix (a missing file, a bad column, a malformed line, a
model that cannot load offline) raises :class:`UserError`. The CLI prints its
message on one line and exits with code 2; internal bugs keep their traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake in the input that the user can fix; the message says how.

    ``where`` names the file, line or option it is about. A setting's own check passes ``field``
    (its name, ``lora_r``) instead: the command line then reads ``--lora-r: …`` and a spec, through
    :meth:`for_key`, ``lora_r: …`` under its section, from the same error.
    """

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None, field: str | None = None):
        self.message, self.field = message, field
        self.where = where if where is not None or field is None else flag(field)
        super().__init__(f"{self.where}: {message}" if self.where else message)

    def for_key(self) -> str:
        """The message naming its setting as a spec key (the section is named by the spec's loader)."""
        return f"{self.field}: {self.message}" if self.field else str(self)


def flag(field: str) -> str:
    """The command-line option of a setting: ``lora_r`` -> ``--lora-r``."""
    return "--" + field.replace("_", "-")


def check_choice(value: str, allowed, *, what: str, where: str | None = None, field: str | None = None) -> str:
    """``value`` if it is one of ``allowed``; else a UserError naming the closest choice and all of them."""
    import difflib

    allowed = list(allowed)
    if value in allowed:
        return value
    close = difflib.get_close_matches(value, allowed, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise UserError(f"unknown {what} {value!r}; {hint}use one of {', '.join(allowed)}", where=where, field=field)
