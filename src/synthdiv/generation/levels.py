"""Diversity levels Gen-D0 … Gen-D6 as named presets per strategy (paper §4.1).

The paper's copy we have lost the per-level values (the symbols of §4.1 did not
survive text extraction), so the defaults below are ours, documented in
docs/generation.md:

* topic-guided generation: topic-set size |T| = 1, 5, 25, 100, 500, 2500, 10000
  (a geometric ladder up to the paper's 10k-topic pool);
* paraphrasing-based augmentation: replaced share r/m = 0.9, 0.75, 0.6, 0.45,
  0.3, 0.15, 0 (a larger r means lower diversity); p = 5 paraphrases per
  question, as the paper says.

Every field can be overridden (``--level-option k=4``, ``generation.level_overrides``);
the level name then still names the preset it started from.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace

from synthdiv.errors import UserError

LEVELS = tuple(f"D{i}" for i in range(7))
TOPIC_SET_SIZES = dict(zip(LEVELS, (1, 5, 25, 100, 500, 2500, 10000), strict=True))
# real seed stories a level's prompts draw from, with ``seed_pool: level`` (D6: all of them)
SEED_POOL_SIZES = dict(zip(LEVELS, (3, 10, 30, 100, 300, 1000, None), strict=True))
# the sampling temperature of a level's stories, with ``temperature: level``: D3 samples at the paper's 0.7
LEVEL_TEMPERATURES = dict(zip(LEVELS, (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0), strict=True))
REPLACE_SHARES = dict(zip(LEVELS, (0.9, 0.75, 0.6, 0.45, 0.3, 0.15, 0.0), strict=True))


@dataclass(frozen=True)
class TopicLevel:
    """Topic-guided generation (story completion). ``k``: real seed stories per prompt.

    ``seed_pool``: the real stories the prompts draw their ``k`` seeds from: ``"all"`` (the paper),
    ``"level"`` (the level's SEED_POOL_SIZES: D0 the same 3 stories, D6 all), or a number. A small
    generator follows its seed stories more than its topic, so its diversity moves with the seeds a
    level shows; ``level`` makes the level narrow them too (docs/generation.md).

    ``temperature``: ``"run"`` (the run's sampling temperature, the paper) or ``"level"`` (the level's
    LEVEL_TEMPERATURES, D0 0.4 … D6 1.0): a small generator's wording moves with the temperature far
    more than with its topics or seeds, so ``level`` makes the level set that too."""

    name: str
    topic_set_size: int
    k: int = 3
    seed_pool: str | int = "all"
    temperature: str = "run"

    @property
    def seed_pool_size(self) -> int | None:
        """Seed stories to draw from; None: all the real ones."""
        if self.seed_pool == "all":
            return None
        return SEED_POOL_SIZES[self.name] if self.seed_pool == "level" else int(self.seed_pool)

    def sampling_temperature(self, run_temperature: float) -> float:
        """The temperature this level's stories are sampled at."""
        return LEVEL_TEMPERATURES[self.name] if self.temperature == "level" else run_temperature

    def to_dict(self) -> dict:
        out = asdict(self)
        if self.seed_pool == "all":
            del out["seed_pool"]  # the paper's levels: their records read as before the option existed
        if self.temperature == "run":
            del out["temperature"]  # likewise: the record's sampling says the temperature
        return out


@dataclass(frozen=True)
class ParaphraseLevel:
    """Paraphrasing-based augmentation (long-context QA, Eq. 1–3).

    ``m`` generated pairs per context, each prompted with ``k`` real pairs; ``p``
    paraphrases per paraphrased question; ``replace_count`` (r) of the m pairs are
    replaced by paraphrases of other generated pairs of the same context. When
    ``replace_count`` is None it is ``round(replace_share * m)``, capped at m − 1."""

    name: str
    replace_share: float
    m: int = 10
    k: int = 5
    p: int = 5
    replace_count: int | None = None

    @property
    def r(self) -> int:
        r = self.replace_count if self.replace_count is not None else round(self.replace_share * self.m)
        return max(0, min(int(r), self.m - 1))

    def to_dict(self) -> dict:
        return {**asdict(self), "r": self.r}


def level_name(text: str) -> str:
    """'D3', 'd3', 'Gen-D3' -> 'D3'."""
    m = re.fullmatch(r"(?:gen-)?d([0-6])", text.strip(), flags=re.IGNORECASE)
    if not m:
        raise UserError(f"unknown level {text!r}; use D0 … D6 (D0 = lowest diversity)", where="--level")
    return f"D{m.group(1)}"


def topic_level(name: str, **overrides) -> TopicLevel:
    """The preset for ``name`` with any non-None override applied."""
    name = level_name(name)
    level = replace(TopicLevel(name, TOPIC_SET_SIZES[name]), **{k: v for k, v in overrides.items() if v is not None})
    _at_least_one(level, "topic_set_size", "k")
    pool = level.seed_pool
    if not (pool in ("all", "level") or (isinstance(pool, int) and not isinstance(pool, bool) and pool >= level.k)):
        raise UserError(f"seed_pool is 'all', 'level' or a number of stories of at least k={level.k} (got {pool!r})",
                        field="seed_pool")
    if level.temperature not in ("run", "level"):
        raise UserError(f"temperature is 'run' (the run's sampling temperature) or 'level' (D0 {LEVEL_TEMPERATURES['D0']:.1f} … "
                        f"D6 {LEVEL_TEMPERATURES['D6']:.1f}), "
                        f"got {level.temperature!r}; set one temperature for every level with --temperature",
                        field="temperature")
    if (level.seed_pool_size or level.k) < level.k:
        raise UserError(f"seed_pool 'level' shows {level.seed_pool_size} stories at {name}, fewer than k={level.k}; "
                        "lower k or give seed_pool a number", field="seed_pool")
    return level


def paraphrase_level(name: str, **overrides) -> ParaphraseLevel:
    name = level_name(name)
    level = replace(ParaphraseLevel(name, REPLACE_SHARES[name]), **{k: v for k, v in overrides.items() if v is not None})
    _at_least_one(level, "m", "k", "p")
    if not 0.0 <= level.replace_share <= 1.0:
        raise UserError(f"the replaced share must lie in [0, 1] (got {level.replace_share})", field="replace_share")
    return level


def _at_least_one(level, *names: str) -> None:
    """Counts of a level are at least 1 (a field's own check: named where it was set, by Strategy.level)."""
    for name in names:
        if getattr(level, name) < 1:
            raise UserError(f"must be at least 1 (got {getattr(level, name)})", field=name)
