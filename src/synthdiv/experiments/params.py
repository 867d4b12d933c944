"""The typed, frozen parameters of each stage kind: built by the graph, hashed from their fields.

A stage's key (:attr:`synthdiv.experiments.graph.Node.key`) hashes :meth:`StageParams.key_fields`:
every field, except

- fields marked ``when_set``: in the key only when they differ from their default, so the
  stages keyed before the setting existed keep their keys (a setting added later is marked so);
- fields marked ``never``: settings a stage reads that cannot change what it writes.

The classes are read-only mappings of their key fields as well, so a test, a results table or
``graph.json`` reads ``params["ratio"]`` the same whichever stage kind it is. Values that are
dicts (column maps, level overrides, backend options) are not copied: treat them as read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from synthdiv.training.config import TrainConfig

WHEN_SET = {"key": "when_set"}  # field metadata: in the key only when not the default


class StageParams(Mapping):
    """Base of every stage's parameters (frozen dataclasses)."""

    def key_fields(self) -> dict[str, Any]:
        out = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            rule = f.metadata.get("key", "always")
            if rule == "never" or (rule == "when_set" and value == f.default):
                continue
            out[f.name] = value
        return out

    def __getitem__(self, name: str) -> Any:
        return self.key_fields()[name]

    def __iter__(self):
        return iter(self.key_fields())

    def __len__(self) -> int:
        return len(self.key_fields())


@dataclass(frozen=True, eq=False)
class RealParams(StageParams):
    task: str
    source: dict[str, Any] | None  # graph.fingerprint of real.source: its content, not only its name
    source_name: str
    format: str
    columns: dict[str, str] | None
    test_source: dict[str, Any] | None
    test_fraction: float
    per_group: int | None
    n_train: int | None
    n_test: int | None
    seed: int


@dataclass(frozen=True, eq=False)
class TopicsParams(StageParams):
    """A generated topic pool (generation.topic_tree.PoolRecipe), asked from the generator's backend:
    every generate stage that asks for a pool of this size reads it, in one sweep or several."""

    backend: str
    model: str
    base_url: str | None
    backend_options: dict[str, Any]  # as GenerateParams.backend_options: only what changes the text
    temperature: float
    top_p: float
    size: int
    seed: int
    growth: str
    per_request: int
    depth: int
    embedder: str | None
    near_duplicate_threshold: float
    max_tokens: int

    def recipe(self):
        from synthdiv.generation.topic_tree import PoolRecipe

        return PoolRecipe(size=self.size, seed=self.seed, growth=self.growth, per_request=self.per_request, depth=self.depth,
                          embedder=self.embedder, near_duplicate_threshold=self.near_duplicate_threshold,
                          max_tokens=self.max_tokens)


@dataclass(frozen=True, eq=False)
class GenerateParams(StageParams):
    task: str
    strategy: str
    level: str
    n: int
    seed: int
    backend: str
    model: str
    base_url: str | None
    topics: str | None
    topics_content: dict[str, Any] | None  # a topics file's fingerprint
    pool_size: int | None
    level_overrides: dict[str, Any]
    temperature: float
    top_p: float
    max_tokens: int
    max_attempts: int
    # options that change the text (an adapter, a device's numerics); never the run mechanics
    backend_options: dict[str, Any]
    overdraw: float = field(default=1.0, metadata=WHEN_SET)
    # how a generated pool grows: None when the topics are given (then it changes nothing)
    pool_growth: str | None = field(default=None, metadata=WHEN_SET)
    min_topic_adherence: float | None = field(default=None, metadata=WHEN_SET)
    constrain: bool = field(default=False, metadata=WHEN_SET)
    generation: int | None = field(default=None, metadata=WHEN_SET)  # a recursive-training loop's generation

    def for_generation(self, k: int, model: str, n: int) -> GenerateParams:
        """Generation ``k`` of a loop: the student ``model`` writes ``n`` records from the same prompts."""
        return replace(self, model=model, n=n, generation=k)


@dataclass(frozen=True, eq=False)
class SelectParams(StageParams):
    strategy: str
    n: int
    seed: int
    reads: dict[str, Any]  # the SelectionSettings the strategy reads (graph.SELECTION_READS)

    def key_fields(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "n": self.n, "seed": self.seed, **self.reads}


@dataclass(frozen=True, eq=False)
class MeasureParams(StageParams):
    n: int
    tokenizer: str
    embedder: str | None
    shift: bool
    seed: int

    @classmethod
    def of(cls, metrics, seed: int, shift: bool | None = None) -> MeasureParams:
        """From the spec's ``metrics`` section (its fields are this class's, checked here)."""
        values = metrics.model_dump()
        return cls(**{**values, "shift": values["shift"] if shift is None else shift, "seed": seed})


@dataclass(frozen=True, eq=False)
class MixParams(StageParams):
    mode: str
    ratio: float
    size: int | None
    seed: int


@dataclass(frozen=True, eq=False)
class LoopSetParams(StageParams):
    """A recursive-training loop's training set at one generation (mixing.generations)."""

    scenario: str
    generation: int
    size: int | None
    seed: int


@dataclass(frozen=True, eq=False)
class TrainParams(StageParams):
    config: TrainConfig

    def key_fields(self) -> dict[str, Any]:
        out = self.config.computation()
        if out.get("loss_on") == "target":
            del out["loss_on"]  # the default: stages keyed before the option existed keep their keys
        return out

    def run_config(self, checkpoint_every: int, processes: int = 1) -> TrainConfig:
        """The config a stage trains with: its computation, this run's checkpoint interval and processes, a
        progress bar (the trackers come from the run's context, not the config)."""
        return replace(self.config, checkpoint_every=checkpoint_every, processes=processes, progress=True, report_to=[])


@dataclass(frozen=True, eq=False)
class EvaluateParams(StageParams):
    model: str
    batch_size: int
    max_length: int
