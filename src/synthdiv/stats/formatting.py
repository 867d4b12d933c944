"""How an estimate and its interval are written, the same in the terminal, the findings and the report."""

from __future__ import annotations

import numbers


def is_number(value) -> bool:
    """A real number that is not NaN (numpy scalars too; bools are not numbers here)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and value == value


def format_interval(value, low, high, *, signed: bool = False, missing: str = "-", without: str = "") -> str:
    """``3.1446 [2.9768, 3.3181]`` (``signed``: ``+0.0037 [+0.0013, +0.0059]``); ``missing`` when there
    is no value, the value and ``without`` when it has no interval."""
    if not is_number(value):
        return missing
    f = "+.4f" if signed else ".4f"
    if not (is_number(low) and is_number(high)):
        return f"{value:{f}}{without}"
    return f"{value:{f}} [{low:{f}}, {high:{f}}]"
