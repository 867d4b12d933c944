"""The settings of ``synthdiv export``, defined once. Import-light (no numpy), so the CLI
takes its option defaults from here without slowing ``synthdiv --help``."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from synthdiv.errors import UserError, check_choice
from synthdiv.models.registry import NO_EMBEDDER, embedder_or_none  # noqa: F401 (NO_EMBEDDER: the CLI's help)

TRL_PROMPT_COMPLETION = "trl-prompt-completion"
TRL_MESSAGES = "trl-messages"
HF = "hf"
FORMATS = (TRL_PROMPT_COMPLETION, TRL_MESSAGES, HF)
DEFAULT_CONFIG = "default"  # the config name of a single exported file (what load_dataset(OUT) picks)


@dataclass(frozen=True)
class ExportSettings:
    """``embedder``: the sentence encoder of the embedding metrics (``none`` for lexical only);
    ``shard_rows``: rows per Parquet shard (50k rows of QA records with their long contexts stay
    well under the Hub's recommended ~500 MB per file); ``sample_chars``: how much of each text
    field the card's sample row shows; ``private``: create the Hub repo as private;
    ``overwrite``: replace an existing output; ``seed``: the run seed exported from a run folder
    (None: the lowest one); ``license``: the card's licence id, written only when given;
    ``hub_timeout``: seconds ``--push-to-hub`` waits for the Hub to connect or send the next byte
    (a minute: the Hub answers in well under a second, an upload streams its bytes); ``shift_caps``: points
    per side the card's MMD², PRDC and MAUVE run on at most (metric name -> cap; None: the registry's caps,
    ``synthdiv.metrics.shift.max_points``), past which they run on a seeded subsample the card states."""

    embedder: str = "minilm-l6"
    shard_rows: int = 50_000
    sample_chars: int = 300
    private: bool = False
    overwrite: bool = False
    seed: int | None = None
    license: str | None = None
    hub_timeout: float = 60.0
    shift_caps: Mapping[str, int] | None = None

    def __post_init__(self) -> None:
        if self.shard_rows < 1:
            raise UserError(f"rows per shard must be a positive integer (got {self.shard_rows!r})", where="--shard-rows")
        if not (math.isfinite(self.hub_timeout) and self.hub_timeout > 0):
            raise UserError(f"must be a positive number of seconds (got {self.hub_timeout})", field="hub_timeout")

    @property
    def embedder_name(self) -> str | None:
        """The embedder to load, or None for lexical metrics only."""
        return embedder_or_none(self.embedder)


DEFAULTS = ExportSettings()


def check_format(fmt: str) -> str:
    """``fmt`` if it is a known export format, else a UserError with the closest name."""
    return check_choice(fmt, FORMATS, what="export format", where="--format")


# The Hub's size buckets (the ``size_categories`` a dataset card may use).
_SIZE_BUCKETS = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                 (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B"),
                 (10_000_000_000, "1B<n<10B"), (100_000_000_000, "10B<n<100B"), (1_000_000_000_000, "100B<n<1T"))


def size_category(n: int) -> str:
    """The Hub's size bucket of a dataset of ``n`` rows."""
    for limit, name in _SIZE_BUCKETS:
        if n < limit:
            return name
    return "n>1T"


def config_name(label: str) -> str:
    """A config name from a run's dataset label: ``Gen-D3`` → ``D3``, ``Gen-D3 50%`` → ``D3-50pct``,
    ``Gen-D3 (n=100)`` → ``D3-n100``. Letters, digits, ``_`` and ``-`` only: it is a folder name too."""
    name = label.removeprefix("Gen-").replace("%", "pct").replace("(n=", "n")
    return re.sub(r"[^A-Za-z0-9_]+", "-", name).strip("-") or DEFAULT_CONFIG
