"""The settings of every bootstrap in :mod:`synthdiv.stats.uncertainty` and
:mod:`synthdiv.stats.trends`, defined once. numpy-free, so the CLI can take its
option defaults from here without slowing ``synthdiv --help``."""

from __future__ import annotations

import operator
from dataclasses import dataclass

from synthdiv.errors import UserError


@dataclass(frozen=True)
class BootstrapSettings:
    """``resamples``: bootstrap resamples (2000 puts the Monte Carlo error of a 95 % bound's
    coverage near 0.005 and the p-value floor at 1/2001); ``seed``: seed of numpy's PCG64;
    ``level``: two-sided confidence level of the percentile intervals."""

    resamples: int = 2000
    seed: int = 0
    level: float = 0.95

    def __post_init__(self) -> None:
        check_settings(self.resamples, self.level, self.seed)


def check_settings(resamples: int, level: float, seed: int = 0) -> None:
    """A UserError unless ``resamples`` is a positive integer, 0 < ``level`` < 1 and ``seed`` >= 0."""
    if _whole(resamples) < 1:
        raise UserError(f"the number of resamples must be a positive integer (got {resamples!r})", where="--resamples")
    if not 0.0 < level < 1.0:
        raise UserError(f"the confidence level must be strictly between 0 and 1, e.g. 0.95 (got {level!r})", where="--confidence")
    if _whole(seed) < 0:
        raise UserError(f"the seed must be a whole number >= 0 (got {seed!r})", where="--seed")


def _whole(value) -> int:
    """``value`` as an int if it is a whole number (int or numpy integer), else -1: 2.5, "7" and True are refused."""
    if isinstance(value, bool):
        return -1
    try:
        return operator.index(value)
    except TypeError:
        return -1


DEFAULTS = BootstrapSettings()
