"""The one generation config: every setting of a generation run, written once with its default, its
help and its check, as :class:`synthdiv.training.config.TrainConfig` is for training.

Everything else is derived from :class:`GenerationConfig` (torchtune's one config per recipe, overridden
by key; datatrove's steps that declare what they need):

- ``synthdiv generate`` takes a setting as its own flag (a help ``panel``) or as ``--set NAME=VALUE``
  (cli/generate.py reads :data:`SETTINGS`);
- a spec's ``generation`` section has the settings as its keys (experiments/spec.py) and checks them with
  :func:`check_settings`, the same check the config makes;
- a sweep's generate stage holds the config of its level and seed, and its key is
  :meth:`GenerationConfig.computation`: what changes the text, by the rule marked at each field
  (``key``: always, ``when_set`` (only when not the default, so stages keyed before the setting existed
  keep their keys) or ``never``: the run's paths, its cache, its prices and cost cap, and how requests are
  sent, which change what a run spends and where it writes, never what it writes);
- the backend gets :attr:`GenerationConfig.sampling` (backends.base.SamplingParams, the backends' one
  request interface, where the sampling defaults and their ranges are), which keys the response cache.

:func:`generation_config` builds a config from flat options, as the command line, the Python API and a
spec give them.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from synthdiv.backends.base import OPTION_DEFAULTS, SamplingParams
from synthdiv.errors import UserError
from synthdiv.generation.strategies import STRATEGIES


POOL_GROWTHS = ("tree", "flat")  # topic_tree.grow_topic_tree, topics.generate_topic_pool

# generate's help panels: a setting in one has a flag of its own; the others are set with --set NAME=VALUE
MODEL_PANEL, COST_PANEL = "Model and sampling", "Cost and cache"

ALWAYS, WHEN_SET, NEVER = "always", "when_set", "never"  # a field's place in a stage key (GenerationConfig.computation)


@dataclass(frozen=True)
class Setting:
    default: Any
    help: str
    type: type = str  # what a value given as text (--set, a YAML scalar) is read as; list: one or several
    panel: str | None = None  # generate's help panel of its own flag; None: set with --set NAME=VALUE

    def read(self, name: str, value: Any) -> Any:
        """A value of this setting from a YAML scalar (``--set top_p=0.9``), or a UserError naming it."""
        if value is None or self.type is list:
            return value
        if self.type in (int, float) and isinstance(value, str):  # YAML reads 1e-3 and nan as text
            try:
                return self.type(value)
            except ValueError:
                pass
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if self.type in (str, Path) and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return self.type(str(value))
        if type(value) is not self.type:
            what = {int: "a whole number", float: "a number", bool: "true or false"}.get(self.type, self.type.__name__)
            raise UserError(f"must be {what} (got {value!r})", where=f"--set {name}")
        return value


def _setting(default: Any, help: str, type: type = str, panel: str | None = None, *, key: str = ALWAYS, in_spec: bool = True) -> Any:
    """A field a user sets: its default, its help, the type a text value is read as, its flag's help panel, its
    place in a stage key, and whether a spec's ``generation`` section has it (not the paths of one command's run)."""
    return field(default=default, metadata={"setting": Setting(default, help, type, panel), "key": key, "in_spec": in_spec})


def _run(default: Any = None) -> Any:
    """A field of this one run (a path, a switch) that no user setting and no stage key holds."""
    return field(default=default, metadata={"key": NEVER}, repr=default is not None)


_MAX_TOKENS_HELP = "Answer budget in tokens (default: " + ", ".join(f"{s.max_tokens} {s.name}" for s in STRATEGIES.values()) + ")."


@dataclass(frozen=True)
class GenerationConfig:
    """Everything that decides what a generation run writes, and the mechanics of the run, marked at each field."""

    # --- what is generated
    task: str
    strategy: str
    level: str
    n: int
    seed: int = 0  # every draw of the strategy, and the backends' per-sample seeds
    level_overrides: dict[str, Any] = field(default_factory=dict)  # the level's fields (the strategy's level_options)
    topics: str | None = None  # a file, "builtin" (the paper's A.4), or None: the model grows a pool
    generation: int | None = field(default=None, metadata={"key": WHEN_SET})  # a recursive-training loop's: in ids
    # --- the model
    backend: str = _setting("transformers", "Generation backend.", str, MODEL_PANEL)
    model: str = _setting("smollm2-135m-instruct", "Model name, registry name, folder or GGUF file.", str, MODEL_PANEL)
    base_url: str | list[str] | None = _setting(None, "openai: the server URL, e.g. http://localhost:8000/v1; several (repeated, or a list) "
                                          "share the requests: replicas of one model.", list, MODEL_PANEL)
    api_key_env: str = _setting("OPENAI_API_KEY", "openai: the variable holding the key (never written).", str, MODEL_PANEL,
                                key=NEVER)
    # the backend's own options (BACKEND_SETTINGS, and any its class takes); keyed: those that change the text
    # (an adapter, a device's numerics), never what a backend declares as its run mechanics (how requests are sent)
    backend_options: dict[str, Any] = field(default_factory=dict)
    # --- sampling (the defaults and ranges are SamplingParams', the backends' request interface)
    temperature: float = _setting(SamplingParams.temperature, f"Sampling temperature (the paper's {SamplingParams.temperature:g}).",
                                  float, MODEL_PANEL)
    top_p: float = _setting(SamplingParams.top_p, "Nucleus sampling: keep the smallest set of tokens whose probability sums "
                                                  "to this (1: all).", float)
    max_tokens: int | None = _setting(None, _MAX_TOKENS_HELP, int, MODEL_PANEL)  # None: the strategy's
    # --- the topic pool, the checks on answers, the tries
    pool_size: int | None = _setting(None, "Topics to generate for the pool (default: the level's |T|).", int)
    pool_growth: str = _setting("tree", "How a pool is asked for: tree (themes > subtopics > topics) or flat (one list prompt).",
                                str)
    min_topic_adherence: float | None = _setting(None, "Reject stories whose own topic ranks below this among distractor topics "
                                                       "(0.5 = chance; needs the embed extra); rejects keep the reason.", float,
                                                 key=WHEN_SET)
    constrain: bool = _setting(False, "Decode five sentences with a grammar (llamacpp), regex (vllm) or JSON schema (openai), "
                                      "so fewer answers are rejected.", bool, key=WHEN_SET)
    max_attempts: int = _setting(3, "Tries per record when answers do not parse.", int, MODEL_PANEL)
    overdraw: float = _setting(1.0, "Requests in flight per missing record, 1 to 10; 2 suits a model that rejects half its "
                                    "answers.", float, key=WHEN_SET)
    # --- money: what a run may spend, never what it writes
    price_in: float | None = _setting(None, "USD per 1M prompt tokens.", float, COST_PANEL, key=NEVER)
    price_out: float | None = _setting(None, "USD per 1M completion tokens.", float, COST_PANEL, key=NEVER)
    max_cost: float | None = _setting(None, "USD: send no request that could pass it, then exit 3 (a rerun with a higher cap "
                                            "resumes; needs prices).", float, COST_PANEL, key=NEVER)
    # --- this run: where it reads and writes, its cache
    out: Path | None = _run()
    real: Path | None = _run()  # the real examples' file (default: the task's built-in ones)
    real_records: list[Any] | None = field(default=None, repr=False, metadata={"key": NEVER})  # or the records (the Python API)
    cache: bool = _setting(True, "Read and write the response cache.", bool, key=NEVER, in_spec=False)
    cache_dir: Path | None = _setting(None, "Response cache folder (default: $SYNTHDIV_CACHE/responses).", Path, COST_PANEL, key=NEVER, in_spec=False)
    rejects: Path | None = _setting(None, "Rejects file (default OUT.rejects.jsonl).", Path, key=NEVER, in_spec=False)
    prompts_dir: str | None = _setting(None, "Folder with replacement prompt templates.", Path, key=NEVER, in_spec=False)
    progress: bool = _run(True)

    def __post_init__(self) -> None:
        # refused where the settings live: the CLI, a sweep's stage and the API get the same checks
        if self.n < 1:
            raise UserError(f"must be at least 1 (got {self.n})", field="n")
        check_settings({f.name: getattr(self, f.name) for f in fields(self)})

    @property
    def answer_budget(self) -> int:
        """``max_tokens``, or the strategy's default answer budget."""
        return self.max_tokens if self.max_tokens is not None else STRATEGIES[self.strategy].max_tokens

    @property
    def sampling(self) -> SamplingParams:
        """What the backend samples with; the response cache keys it."""
        return SamplingParams(temperature=self.temperature, top_p=self.top_p, seed=self.seed, max_tokens=self.answer_budget)

    def backend_kwargs(self) -> dict[str, Any]:
        """The backend's constructor options: the server, the key's variable and the backend's own options."""
        return {"base_url": self.base_url, "api_key_env": self.api_key_env, **self.backend_options}

    def computation(self) -> dict[str, Any]:
        """What decides the records a generate stage writes, the fields of its key: each by the rule marked at it.
        The server is in only as one URL (several are replicas of one model: adding one keeps every key), the
        answer budget as resolved, the backend's options without its run mechanics."""
        from synthdiv.backends import run_mechanics

        out = {}
        for f in fields(self):
            rule = f.metadata.get("key", ALWAYS)
            value = getattr(self, f.name)
            if rule == NEVER or (rule == WHEN_SET and value == f.default):
                continue
            out[f.name] = value
        out["base_url"] = self.base_url if isinstance(self.base_url, str) else None
        out["max_tokens"] = self.answer_budget
        out["backend_options"] = {k: v for k, v in self.backend_options.items() if k not in run_mechanics() and v is not None}
        if self.topics is not None:  # given topics: how a pool would have grown changes nothing
            del out["pool_growth"]
        return out


# the settings a user gives by name: generate's flags and --set, a spec's generation keys
SETTINGS: dict[str, Setting] = {f.name: f.metadata["setting"] for f in fields(GenerationConfig) if "setting" in f.metadata}

# The backend's own options: how it sends requests or runs its model (backends.base.OPTION_DEFAULTS).
BACKEND_SETTINGS: dict[str, Setting] = {
    "adapter": Setting(None, "transformers, vllm: a LoRA adapter folder to generate with.", Path),
    "concurrency": Setting(OPTION_DEFAULTS["concurrency"], "openai: requests in flight, per server.", int),
    "rpm": Setting(None, "openai: requests per minute limit.", float),
    "tpm": Setting(None, "openai: tokens per minute limit.", float),
    "timeout": Setting(OPTION_DEFAULTS["timeout"], "openai: per-request timeout, seconds.", float),
    "max_retries": Setting(OPTION_DEFAULTS["max_retries"], "openai: retries per request.", int),
    "batch_size": Setting(OPTION_DEFAULTS["batch_size"], "transformers: prompts per forward pass.", int),
    "device": Setting(None, "transformers: cpu, cuda … (default: a GPU when there is one).", str),
    "dtype": Setting(None, "transformers: float32, bfloat16 or float16 (default: bfloat16 on a GPU, float32 on a CPU).", str),
    "constraint_mode": Setting(OPTION_DEFAULTS["constraint_mode"], "openai: how an output constraint is sent: json_schema, or grammar "
                                              "(llama.cpp's server).", str),
    "gpu_memory_utilization": Setting(OPTION_DEFAULTS["gpu_memory_utilization"], "vllm: the share of the GPU's memory "
                                                                                 "its engine takes, in (0, 1].", float),
    "max_model_len": Setting(None, "vllm: the longest prompt and answer, in tokens (default: the model's).", int),
    "n_ctx": Setting(OPTION_DEFAULTS["n_ctx"], "llamacpp: the context window, prompt and answer, in tokens.", int),
    "n_threads": Setting(None, "llamacpp: CPU threads (default: llama.cpp's choice).", int),
}

EVERY_SETTING = {**SETTINGS, **BACKEND_SETTINGS}


def default(name: str) -> Any:
    return SETTINGS[name].default


def option_name(name: str) -> str:
    """How ``synthdiv generate`` takes setting ``name``: its flag, or ``--set name``."""
    from synthdiv.errors import flag

    return flag(name) if EVERY_SETTING[name].panel is not None else f"--set {name}"


def check_settings(values: dict[str, Any]) -> None:
    """Every generation setting's range, checked once here for the config and for a spec's section: a UserError
    names the setting (``field``), which the command line reads as its flag and a spec as its key."""
    from synthdiv.generation.cost import CostOptions

    at_least_one = {"max_attempts": values.get("max_attempts"), "pool_size": values.get("pool_size"),
                    **{name: values.get("backend_options", {}).get(name)
                       for name in ("concurrency", "batch_size", "max_model_len", "n_ctx", "n_threads")}}
    for name, value in at_least_one.items():
        if value is not None and value < 1:
            raise UserError(f"must be at least 1 (got {value})", field=name)
    options = values.get("backend_options", {})
    retries = options.get("max_retries")
    if retries is not None and retries < 0:
        raise UserError(f"must be 0 or more (got {retries})", field="max_retries")
    for name in ("timeout", "rpm", "tpm"):
        value = options.get(name)
        if value is not None and not (math.isfinite(value) and value > 0):
            raise UserError(f"must be a positive number (got {value})", field=name)
    share = options.get("gpu_memory_utilization")
    if share is not None and not 0 < share <= 1:
        raise UserError(f"must lie in (0, 1] (got {share})", field="gpu_memory_utilization")
    if options.get("dtype") is not None:
        from synthdiv.backends.transformers_backend import check_dtype

        check_dtype(options["dtype"], field="dtype")
    if options.get("constraint_mode") is not None:
        from synthdiv.backends.constraints import CONSTRAINT_MODES
        from synthdiv.errors import check_choice

        check_choice(options["constraint_mode"], CONSTRAINT_MODES, what="constraint mode", field="constraint_mode")
    overdraw = values.get("overdraw", default("overdraw"))
    if not (math.isfinite(overdraw) and 1 <= overdraw <= 10):
        raise UserError(f"must be between 1 and 10 (got {overdraw})", field="overdraw")
    if values.get("pool_growth", default("pool_growth")) not in POOL_GROWTHS:
        raise UserError(f"unknown pool growth {values['pool_growth']!r}; use one of {', '.join(POOL_GROWTHS)}", field="pool_growth")
    adherence = values.get("min_topic_adherence")
    if adherence is not None and not 0 <= adherence <= 1:
        raise UserError(f"must lie in [0, 1] (got {adherence}; 0.5 is chance)", field="min_topic_adherence")
    # the sampling ranges are SamplingParams' own (a backend refuses the same values)
    SamplingParams(temperature=values.get("temperature", default("temperature")), top_p=values.get("top_p", default("top_p")),
                   max_tokens=1 if values.get("max_tokens") is None else values["max_tokens"])
    CostOptions(values.get("backend", default("backend")), values.get("model", default("model")), values.get("price_in"),
                values.get("price_out"), values.get("max_cost"))  # the money settings' own checks


def check_prices(price_in: float | None, price_out: float | None) -> None:
    """Prices are finite USD per 1M tokens, 0 or more, given both or neither (the built-in table):
    a NaN, an infinity or a negative price would switch the cost cap off, and a missing one would
    price those tokens at 0. A UserError names the setting (``--price-in``, ``generation.price_in``)."""
    for name, value in (("price_in", price_in), ("price_out", price_out)):
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise UserError(f"must be a finite price in USD per 1M tokens, 0 or more (got {value})", field=name)
    if (price_in is None) != (price_out is None):
        given, missing = ("price_in", "completion") if price_out is None else ("price_out", "prompt")
        other = "price_out" if price_out is None else "price_in"
        raise UserError(f"the {missing} price is missing (--{other.replace('_', '-')}, generation.{other}): give both prices, "
                        "or neither for the built-in ones", field=given)


# what a caller may give beside the settings: this run's paths and switches
_RUN_OPTIONS = ("real", "real_records", "topics", "progress")


def generation_config(*, n: int, level: str = "D3", strategy: str | None = None, task: str | None = None, seed: int = 0,
                      level_options: dict[str, Any] | None = None, backend_options: dict[str, Any] | None = None,
                      **options: Any) -> GenerationConfig:
    """The config of one generation run from flat options, as ``synthdiv generate``, ``synthdiv.generate`` and a
    spec's section give them: ``strategy`` and ``task`` resolve each other, the level's fields are checked against
    the strategy's, a backend setting (``concurrency`` …) joins ``backend_options``; an option left out (or None)
    takes its setting's default. ``out`` is where the records go (None: a sweep's stage sets it when it runs)."""
    from synthdiv.backends.servers import as_base_url
    from synthdiv.generation.strategies import resolve_strategy

    chosen = resolve_strategy(strategy, task)
    overrides = dict(level_options or {})
    chosen.level(level, overrides, where="--level-option")  # refuses a field the strategy's levels do not have
    known = {*SETTINGS, *BACKEND_SETTINGS, *_RUN_OPTIONS, "out"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise UserError(f"unknown generation setting {unknown[0]!r}; use one of {', '.join(sorted(known - {'out'}))}")
    given = {name: value for name, value in options.items() if value is not None}
    extra = copy.copy(backend_options or {})
    extra.update({name: given.pop(name) for name in BACKEND_SETTINGS if name in given})
    if extra.get("adapter") is not None:
        extra["adapter"] = str(extra["adapter"])
    url = given.get("base_url")  # one URL, or several (a repeated --base-url, a list): requests spread over them
    if isinstance(url, (list, tuple)):
        given["base_url"] = as_base_url(list(url))
    for name in ("out", "real", "cache_dir", "rejects"):
        if name in given:
            given[name] = Path(given[name])
    if "prompts_dir" in given:
        given["prompts_dir"] = str(given["prompts_dir"])
    return GenerationConfig(task=chosen.task, strategy=chosen.name, level=level, n=n, seed=seed, level_overrides=overrides,
                            backend_options=extra, **given)
