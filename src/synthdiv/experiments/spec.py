"""The experiment spec: one YAML file describes a whole sweep.

A spec names the real data and the task, how generated data is made (strategy,
backend, model, levels, counts), how the training sets are mixed (ratios, fixed
or variable size, sizes), how the students are trained (models, LoRA settings),
how they are evaluated, and the seeds. It is validated by pydantic models with
``extra="forbid"``: an unknown key or a wrong type is a :class:`UserError` that
names the key and, for a near miss, says "did you mean". ``--set a.b=c``
overrides any value before validation (:func:`apply_overrides`).

Shipped configs (``configs/*.yaml`` in the repository, package data in a wheel)
are found by name: ``synthdiv run demo`` is ``synthdiv run configs/demo.yaml``.
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator

from synthdiv.console import say
from synthdiv.data.corpus import SOURCES as CORPUS_SOURCES
from synthdiv.data.inputs import AUTO_FORMAT, FORMATS
from synthdiv.deprecation import notice
from synthdiv.errors import UserError, check_choice
from synthdiv.experiments.layout import SCENARIOS, Scenario
from synthdiv.generation.levels import LEVELS
from synthdiv.metrics.choices import GRADIENT
from synthdiv.generation.config import SETTINGS, GenerationConfig, check_settings, generation_config
from synthdiv.generation.strategies import STRATEGIES, resolve_strategy
from synthdiv.records import TASKS
from synthdiv.selection.settings import NEEDS_EMBEDDINGS, STRATEGY_NAMES, SelectionSettings
from synthdiv.stats.uncertainty import RESAMPLES
from synthdiv.training.config import TrainConfig

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
# sections read under an old name for one release (synthdiv.deprecation.RELEASE): old -> new.
# "generations" was one letter from "generation", the section beside it that it has nothing to do with.
RENAMED_SECTIONS = {"generations": "loop"}


def _level(text: str) -> str:
    from synthdiv.generation.levels import level_name

    try:
        return level_name(text)
    except UserError:
        raise ValueError(f"unknown level {text!r}; use D0 … D6 (D0 = lowest diversity)") from None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class RealSpec(Strict):
    """The real data: the embedded corpus, a file or folder, or a hub id."""

    source: str = Field("corpus", description="'corpus' (embedded web-prose-v1 stories; 'corpus-dense': every window, split "
                        "by test_fraction), a file/folder, or a hub id (hf:OWNER/NAME)")
    format: Literal[(*FORMATS, AUTO_FORMAT)] = AUTO_FORMAT  # type: ignore[valid-type]
    columns: dict[str, str] | None = None
    test_source: str | None = Field(None, description="a separate test set (same format); default: split `source` by group")
    test_fraction: float = Field(0.2, gt=0, lt=1)
    per_group: int | None = Field(None, ge=1, description="QA: pairs sampled per long context (the paper: 30 in §4.2, 20 in §4.3)")
    n_train: int | None = Field(None, ge=1, description="real training records (None: all)")
    n_test: int | None = Field(None, ge=1, description="real test records (None: all)")
    seed: int = Field(0, description="seed of the split and the subsampling; fixed across the sweep's seeds")


def _setting(name: str, **constraints: Any) -> Any:
    """The spec field of generation setting ``name``: its default and help from generation.config."""
    setting = SETTINGS[name]
    return Field(setting.default, description=constraints.pop("description", setting.help), **constraints)


def _generation_fields() -> dict[str, Any]:
    """The spec's generation keys: every setting of GenerationConfig a sweep may set, with its type, default and help."""
    hints = typing.get_type_hints(GenerationConfig)
    return {f.name: (hints[f.name], _setting(f.name)) for f in dataclasses.fields(GenerationConfig)
            if "setting" in f.metadata and f.metadata.get("in_spec", True)}


_GenerationBase = create_model("_GenerationBase", __base__=Strict, **_generation_fields())


class GenerationSpec(_GenerationBase):  # type: ignore[misc, valid-type]
    """The generation settings of GenerationConfig (their defaults and help), and what a sweep adds: its levels, how
    many records each, the topics, the level fields and the backend's options."""

    strategy: str | None = Field(None, description="a generation.strategies name; default: the task's (topic for stories, paraphrase for QA)")
    levels: list[str] = Field(default_factory=lambda: list(LEVELS))
    n: int = Field(100, ge=1, description="records generated per level")
    topics: str | None = Field("builtin", description="'builtin' (paper A.4), a file, or null to generate a pool")
    level_overrides: dict[str, Any] = Field(default_factory=dict, description="e.g. {k: 3, topic_set_size: 50} for every level")
    backend_options: dict[str, Any] = Field(default_factory=dict, description="concurrency, rpm, tpm, timeout, batch_size, device …")
    max_cost: float | None = _setting("max_cost", description="USD per generate stage: no request is sent that could pass it (docs/generation.md)")

    @model_validator(mode="after")
    def _checked_by_generation_config(self):
        try:
            check_settings(self.model_dump(exclude={"levels", "strategy", "n", "topics", "level_overrides"}))
        except UserError as exc:  # the config's own range checks, naming this spec's key
            raise ValueError(("backend_options." if exc.field in self.backend_options else "") + exc.for_key()) from None
        return self

    def config(self, task: str, level: str, seed: int) -> GenerationConfig:
        """The generation config of ``level`` and ``seed``: what a sweep's generate stage runs and keys."""
        # what a run may spend reaches its stages through the run's context (graph.generation_mechanics), never a stage
        settings = self.model_dump(include=set(SETTINGS) - {"price_in", "price_out", "max_cost"})
        return generation_config(n=self.n, level=level, strategy=self.strategy, task=task, seed=seed, topics=self.topics,
                                 level_options=self.level_overrides, backend_options=self.backend_options, progress=True,
                                 **settings)

    @field_validator("backend")
    @classmethod
    def _backend(cls, value: str) -> str:
        from synthdiv.backends import BACKENDS  # names only: no backend module is imported

        try:
            return check_choice(value, BACKENDS, what="backend")
        except UserError as exc:
            raise ValueError(exc.message) from None

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | list[str] | None) -> str | list[str] | None:
        """Several servers: each once; a list of one is that one URL (and keys its stages as before)."""
        if not isinstance(value, list):
            return value
        from synthdiv.backends.servers import as_base_url, server_urls

        try:
            server_urls(value, default="")
        except UserError as exc:
            raise ValueError(exc.message) from None
        if not value:
            raise ValueError("give at least one server URL, or leave base_url out")
        return as_base_url(value)

    @field_validator("strategy")
    @classmethod
    def _strategy(cls, value: str | None) -> str | None:
        try:
            return value if value is None else check_choice(value, STRATEGIES, what="strategy")
        except UserError as exc:
            raise ValueError(exc.message) from None

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: list[str]) -> list[str]:
        names = [_level(v) for v in value]
        if len(set(names)) != len(names):
            raise ValueError("a level is listed twice")
        return names


def _embedder(value: str | None) -> str | None:
    """'none' is no embedder here as on every command's --embedder (models.registry.embedder_or_none)."""
    from synthdiv.models.registry import embedder_or_none

    return embedder_or_none(value)


class MetricsSpec(Strict):
    n: int = Field(5, ge=1, description="distinct-1..n")
    tokenizer: str = "regex"
    embedder: str | None = Field("minilm-l6", description="an embedding model, or null / none for lexical metrics only")
    shift: bool = True
    proxy: str | None = Field(None, description="a causal LM: gradient diversity (G-Vendi) under it; null: none")
    gradient_params: Literal["lora", "full"] = GRADIENT.params
    gradient_dim: int = Field(GRADIENT.dim, ge=1, description="gradient diversity: the projection's dimension")
    reference: str | None = Field(None, description="a causal LM: fluency, self-repetition and length, against the real set; null: none")

    @field_validator("embedder")
    @classmethod
    def _no_embedder(cls, value: str | None) -> str | None:
        return _embedder(value)


class MixingSpec(Strict):
    """Training sets. The default (ratios 0 and 1, fixed mode) is §4.2: real alone and each level alone."""

    mode: Literal["fixed", "variable"] = "fixed"
    sources: list[str] | Literal["all"] = "all"
    ratios: list[float] = Field(default_factory=lambda: [0.0, 1.0])
    sizes: list[int | None] = Field(default_factory=lambda: [None], description="fixed: total size; variable: real part; None: all real training records")

    @field_validator("ratios")
    @classmethod
    def _ratios(cls, value: list[float]) -> list[float]:
        for r in value:
            if not 0.0 <= r <= 1.0:
                raise ValueError(f"mixing ratio {r} is outside [0, 1]")
        if not value:
            raise ValueError("give at least one ratio")
        return value

    @field_validator("sizes")
    @classmethod
    def _sizes(cls, value: list[int | None]) -> list[int | None]:
        if any(s is not None and s < 1 for s in value):
            raise ValueError("a size is a number of records: at least 1 (or null for all)")
        return value

    @field_validator("sources")
    @classmethod
    def _sources(cls, value):
        return value if value == "all" else [_level(v) for v in value]

    @model_validator(mode="after")
    def _variable(self):
        if self.mode == "variable" and any(r >= 1.0 for r in self.ratios):
            raise ValueError("variable mode keeps every real record, so a ratio of 1 cannot be reached; use ratios below 1")
        return self


# report_to and processes are mechanics (in no stage key) that a spec still sets: training.report_to: [tensorboard]
_TRAIN_SKIP = {"model", "seed", *TrainConfig.MECHANICS} - {"report_to", "processes"}


def _training_fields() -> dict[str, Any]:
    hints = typing.get_type_hints(TrainConfig)
    fields = {}
    for f in dataclasses.fields(TrainConfig):
        if f.name in _TRAIN_SKIP:
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        fields[f.name] = (hints[f.name], default)
    return fields


_TrainingBase = create_model("_TrainingBase", __base__=Strict, **_training_fields())


class TrainingSpec(_TrainingBase):  # type: ignore[misc, valid-type]
    """LoRA settings: every TrainConfig field (the paper's defaults), for each model in ``models``."""

    models: list[str] = Field(default_factory=lambda: ["smollm2-135m-instruct"])
    evaluate_base: bool = Field(True, description="also evaluate each model without fine-tuning")
    gpus_per_stage: float | None = Field(None, ge=0, description="GPUs each train and evaluate stage asks the ray executor "
                                         "for; default: one per process where the cluster has GPUs, else none")
    checkpoint_every: int = Field(TrainConfig.checkpoint_every, ge=0)  # one default: the recipe's

    @model_validator(mode="after")
    def _checked_by_train_config(self):
        try:
            self.train_config("model", 0)
        except UserError as exc:  # TrainConfig's own range checks, naming this spec's key
            raise ValueError(exc.for_key()) from None
        return self

    def train_config(self, model: str, seed: int) -> TrainConfig:
        values = self.model_dump(exclude={"models", "evaluate_base", "gpus_per_stage"})
        return TrainConfig(model=model, seed=seed, progress=False, **values)


class EvaluationSpec(Strict):
    batch_size: int = Field(8, ge=1)
    max_length: int | None = Field(None, ge=2, description="default: training.max_length")
    # not in any stage key: the intervals are computed from the stored per-record losses
    resamples: int = Field(RESAMPLES, ge=100, description="bootstrap resamples of every interval (test records, seeds)")


class ReportSpec(Strict):
    embedder: str | None = Field(None, description="for the 2-D map; default: metrics.embedder (the paper: mpnet-base)")
    map_points: int = Field(1000, ge=10)
    map_method: Literal["tsne", "umap"] = "tsne"

    @field_validator("embedder")
    @classmethod
    def _no_embedder(cls, value: str | None) -> str | None:
        return _embedder(value)


class LoopSpec(Strict):
    """The recursive-training loop: training across generations (model collapse); the spec's ``loop``
    section (``generations`` before 0.2, one letter from ``generation``).

    Generation 0 fine-tunes the student on the real training set. Generation k ≥ 1
    fine-tunes it (from the base weights again) on a set that holds data written by
    generation k-1's fine-tuned student (its LoRA adapter loaded into the generating
    backend), with the same prompts and sampling settings at every generation:
    ``replace`` trains on the new data alone (Shumailov et al. 2024), ``accumulate`` on
    the real data and every generation's data so far (Gerstgrasser et al. 2024),
    ``accumulate-subsample`` on a seeded sample of that pool of a fixed size (Kazdan et al. 2024).
    """

    count: int = Field(4, ge=1, description="G: generations after generation 0 (the loop trains G+1 students per scenario)")
    scenarios: list[Scenario] = Field(default_factory=lambda: list(SCENARIOS))
    n: int | None = Field(None, ge=1, description="records generated per generation (default: real.n_train)")
    level: str = Field("D3", description="the diversity level of every generation's prompts")
    model: str | None = Field(None, description="the student, which also writes the next generation's data (default: generation.model)")
    subsample_size: int | None = Field(None, ge=1, description="accumulate-subsample: size of every training set (default: the real training set's)")

    @field_validator("level")
    @classmethod
    def _level(cls, value: str) -> str:
        return _level(value)

    @field_validator("scenarios")
    @classmethod
    def _scenarios(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError(f"give at least one scenario: {', '.join(SCENARIOS)}")
        if len(set(value)) != len(value):
            raise ValueError("a scenario is listed twice")
        return value


# the sweep's seed and metrics.embedder: one seed and one embedder for the whole sweep
_SELECTION_SKIP = {"seed", "embedder"}


def _selection_fields() -> dict[str, Any]:
    hints = typing.get_type_hints(SelectionSettings)
    return {f.name: (hints[f.name], f.default) for f in dataclasses.fields(SelectionSettings) if f.name not in _SELECTION_SKIP}


_SelectionSetBase = create_model("_SelectionSetBase", __base__=Strict, **_selection_fields())


class SelectionSetSpec(_SelectionSetBase):  # type: ignore[misc, valid-type]
    """One subset drawn from each level's pool: a strategy and every SelectionSettings knob (their defaults)."""

    strategy: Literal[STRATEGY_NAMES]  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _checked_by_settings(self):
        try:
            self.settings(0, None)
        except UserError as exc:  # SelectionSettings' own range checks, naming this spec's key
            raise ValueError(exc.for_key()) from None
        return self

    def settings(self, seed: int, embedder: str | None) -> SelectionSettings:
        knobs = self.model_dump(exclude={"strategy"})
        return SelectionSettings(seed=seed, **({"embedder": embedder} if embedder else {}), **knobs)

    @property
    def label(self) -> str:
        """What the training set is called after its level: "matched", "matched-diverse w=0.5"."""
        return f"{self.strategy} w={self.weight:g}" if self.strategy == "matched-diverse" else self.strategy


class SelectionSpec(Strict):
    """Subsets of a larger generated pool per level (docs/selection.md), each trained on as a generated set:
    a sweep can then hold shift roughly fixed while diversity varies, and the reverse."""

    pool: int | None = Field(None, ge=1, description="records generated per level (default generation.n); "
                                                   "every selection picks generation.n of them")
    sets: list[SelectionSetSpec] = Field(min_length=1, description="e.g. [{strategy: random}, {strategy: matched}]")

    @field_validator("sets")
    @classmethod
    def _distinct(cls, value: list[SelectionSetSpec]) -> list[SelectionSetSpec]:
        labels = [s.label for s in value]
        twice = sorted({label for label in labels if labels.count(label) > 1})
        if twice:
            raise ValueError(f"{', '.join(twice)} is listed twice; each selection names a training set")
        return value


class ExperimentSpec(Strict):
    name: str
    description: str = ""
    task: Literal[TASKS]  # type: ignore[valid-type]
    seeds: list[int] = Field(default_factory=lambda: [0])
    real: RealSpec = Field(default_factory=RealSpec)
    generation: GenerationSpec | None = None
    loop: LoopSpec | None = None  # the recursive-training loop (its old name: generations, RENAMED_SECTIONS)
    selection: SelectionSpec | None = None
    metrics: MetricsSpec = Field(default_factory=MetricsSpec)
    mixing: MixingSpec = Field(default_factory=MixingSpec)
    training: TrainingSpec = Field(default_factory=TrainingSpec)
    evaluation: EvaluationSpec = Field(default_factory=EvaluationSpec)
    report: ReportSpec = Field(default_factory=ReportSpec)

    @model_validator(mode="before")
    @classmethod
    def _renamed_sections(cls, data: Any) -> Any:
        """A section under its old name (``generations``) is read as its new one, with a notice."""
        if not isinstance(data, dict) or not any(old in data for old in RENAMED_SECTIONS):
            return data
        data = dict(data)
        for old, new in RENAMED_SECTIONS.items():
            if old in data:
                if new in data:
                    raise ValueError(f"{old} is the old name of {new}; give one of them")
                say(notice(f"the spec section {old!r}", repr(new)))
                data[new] = data.pop(old)
        return data

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        # the name is the run folder's (runs/NAME): no separator, no "..", nothing hidden
        import re

        if not re.fullmatch(r"\w[\w.-]{0,99}", value):
            raise ValueError(f"{value!r} cannot name a run folder; use letters, digits, '.', '_' and '-' "
                             "(at most 100, starting with a letter or digit)")
        return value

    @model_validator(mode="after")
    def _consistent(self):
        if not self.seeds:
            raise ValueError("seeds: give at least one seed")
        if any(s < 0 for s in self.seeds):
            raise ValueError("seeds: a seed is 0 or more (numpy's generators refuse negative seeds)")
        if self.real.source in CORPUS_SOURCES and self.task != "story_completion":
            raise ValueError(f"the embedded corpus holds stories; give real.source (your {self.task} data) for {self.task}")
        if self.loop is not None:
            self._loop_defaults()
        if self.selection is not None:
            self._selection_defaults()
        gen = self.generation
        if gen is None and "ratios" not in self.mixing.model_fields_set:
            self.mixing.ratios = [0.0]  # no generated data: train on the real set only
        if gen is not None:
            if gen.strategy is None:
                try:
                    gen.strategy = resolve_strategy(None, self.task).name
                except UserError as exc:
                    raise ValueError(f"generation: {exc.message}; or leave the generation section out") from None
            if STRATEGIES[gen.strategy].task != self.task:
                raise ValueError(f"generation.strategy {gen.strategy!r} does not make {self.task} data")
            try:
                for level in gen.levels or ["D0"]:  # a field's check may depend on the level (seed_pool: level)
                    STRATEGIES[gen.strategy].level(level, gen.level_overrides)
            except UserError as exc:  # a field the strategy's levels do not have, or a value out of range
                raise ValueError(f"generation.level_overrides: {exc.message}") from None
            sources = gen.levels if self.mixing.sources == "all" else self.mixing.sources
            missing = [s for s in sources if s not in gen.levels]
            if missing:
                raise ValueError(f"mixing.sources {missing} are not among generation.levels {gen.levels}")
        elif any(r > 0 for r in self.mixing.ratios):
            raise ValueError("mixing.ratios above 0 need generated data: add a `generation` section")
        return self

    def _loop_defaults(self) -> None:
        """A loop needs the generation settings (prompts, sampling); it sweeps no levels unless asked."""
        loop = self.loop
        assert loop is not None
        if self.generation is None:
            self.generation = GenerationSpec(levels=[])
        elif "levels" not in self.generation.model_fields_set:
            self.generation.levels = []
        if not self.generation.levels and "ratios" not in self.mixing.model_fields_set:
            self.mixing.ratios = [0.0]
        if loop.model is None:
            loop.model = self.generation.model
        from synthdiv.backends import backend_class, with_capability

        if not backend_class(self.generation.backend).loads_adapters:
            raise ValueError(f"loop: the student writes each generation's data with its LoRA adapter, which only the "
                             f"{', '.join(with_capability('loads_adapters'))} backends load; generation.backend is "
                             f"{self.generation.backend!r}")
        if loop.n is None:
            if self.real.n_train is None:
                raise ValueError("loop.n: give the records generated per generation (or real.n_train)")
            loop.n = self.real.n_train

    def _selection_defaults(self) -> None:
        sel = self.selection
        assert sel is not None
        if self.generation is None or not self.generation.levels:
            raise ValueError("selection: selections are drawn from generated pools; add a `generation` section with levels")
        if sel.pool is None:
            sel.pool = self.generation.n
        if sel.pool < self.generation.n:
            raise ValueError(f"selection.pool ({sel.pool}) is smaller than generation.n ({self.generation.n}), "
                             "the records each selection picks; raise selection.pool")
        needy = [s.label for s in sel.sets if s.strategy in NEEDS_EMBEDDINGS]
        if needy and not self.metrics.embedder:
            raise ValueError(f"selection: {', '.join(needy)} need{'s' if len(needy) == 1 else ''} the embeddings of "
                             "metrics.embedder, which is null; set metrics.embedder (e.g. minilm-l6)")

    def source_levels(self) -> list[str]:
        if self.generation is None:
            return []
        return list(self.generation.levels) if self.mixing.sources == "all" else list(self.mixing.sources)


# ----- loading, overrides and error messages ---------------------------------
def shipped_configs() -> dict[str, Path]:
    return {p.stem: p for p in sorted(CONFIG_DIR.glob("*.yaml"))}


def find_config(name_or_path: str | Path) -> Path:
    """A config file: a path, or the name of a shipped config (``demo``, ``story-levels`` …)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = shipped_configs()
    stem = path.name.removesuffix(".yaml").removesuffix(".yml")
    if stem in shipped and not path.exists():
        return shipped[stem]
    close = difflib.get_close_matches(stem, list(shipped), n=1, cutoff=0.6)
    hint = f"did you mean the shipped config {close[0]!r}? " if close else ""
    raise UserError(f"no such config file; {hint}shipped configs: {', '.join(shipped)}", where=str(name_or_path))


def parse_override(text: str) -> tuple[list[str], Any]:
    """``a.b=c`` → (["a", "b"], c) with c read as YAML (numbers, lists, null …)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise UserError(f"--set {text!r}: write KEY.PATH=VALUE, e.g. --set generation.n=50", where="--set")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return [p for p in key.strip().split(".")], value


def apply_overrides(data: dict, overrides: list[str]) -> dict:
    for text in overrides:
        path, value = parse_override(text)
        node = data
        for i, part in enumerate(path[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise UserError(f"--set {text!r}: {'.'.join(path[: i + 1])} is a value, not a section", where="--set")
            node = child
        node[path[-1]] = value
    return data


def _fields_at(loc: tuple) -> list[str]:
    """The keys allowed at ``loc`` (a pydantic error location) of the spec."""
    cls: Any = ExperimentSpec
    for part in loc:
        if isinstance(part, int):
            continue  # an item of a list of sections (selection.sets.0): its section's keys
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or part not in cls.model_fields:
            return []
        ann = cls.model_fields[part].annotation
        candidates = [a for a in typing.get_args(ann) if isinstance(a, type) and issubclass(a, BaseModel)] or [ann]
        cls = candidates[0]
    return list(cls.model_fields) if isinstance(cls, type) and issubclass(cls, BaseModel) else []


def describe_error(exc: ValidationError) -> str:
    """One line for the first problem of a validation error, with "did you mean" for unknown keys."""
    errors = exc.errors()
    err = errors[0]
    loc = tuple(err["loc"])
    where = ".".join(str(p) for p in loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        allowed = _fields_at(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.5)
        hint = f"did you mean {'.'.join([*map(str, loc[:-1]), close[0]])!r}?" if close else f"known keys here: {', '.join(allowed)}"
        msg = f"{where}: unknown key; {hint}"
    elif err["type"] == "missing":
        msg = f"{where}: required, but missing"
    else:
        got = err.get("input")
        text = err["msg"].removeprefix("Value error, ")
        shown = "" if isinstance(got, (dict, list)) or "(got" in text else f" (got {repr(got)[:80]})"
        msg = f"{where}: {text}{shown}" if loc else text
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return msg + more


def load_spec(path_or_name: str | Path, overrides: list[str] | None = None) -> ExperimentSpec:
    """Read, override and validate a spec; every problem is a one-line UserError naming the file."""
    path = find_config(path_or_name)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark else ""
        raise UserError(f"{line}not valid YAML ({getattr(exc, 'problem', None) or exc})", where=str(path)) from None
    except UnicodeDecodeError:
        raise UserError("not UTF-8 text; save the config as UTF-8", where=str(path)) from None
    if not isinstance(data, dict):
        raise UserError("a config is a YAML mapping (name:, task:, real:, generation: …)", where=str(path))
    data = apply_overrides(data, list(overrides or []))
    try:
        return ExperimentSpec.model_validate(data)
    except ValidationError as exc:
        raise UserError(_as_written(describe_error(exc), data), where=str(path)) from None


def _as_written(message: str, data: dict) -> str:
    """A message about a section the file gives under its old name names it so (``generations.n``, not ``loop.n``)."""
    import re

    for old, new in RENAMED_SECTIONS.items():
        if old in data:
            message = re.sub(rf"(?<![\w.]){re.escape(new)}(?=[.:])", old, message)
    return message


def spec_to_yaml(spec: ExperimentSpec) -> str:
    return yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
