"""The generation settings a user sets, each defined once with its default, its type and its help.

``synthdiv generate`` builds its options from here (cli/generate.py: a setting with a help
``panel`` has a flag of its own, every one is ``--set NAME=VALUE``), the spec's ``generation``
section its fields (experiments/spec.py) and :class:`synthdiv.generation.runner.GenerationConfig`
its defaults, so a default is written in one place. Range checks live where the value is used
(GenerationConfig, the backends) and name the setting as ``--flag`` on the command line and as
``generation.key`` in a spec; the money settings carry their check here (:func:`check_prices`),
since every command that spends (``generate``, ``topics``, a sweep's stages) takes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthdiv.backends.base import OPTION_DEFAULTS, SamplingParams
from synthdiv.errors import UserError
from synthdiv.generation.strategies import STRATEGIES


POOL_GROWTHS = ("tree", "flat")  # topic_tree.grow_topic_tree, topics.generate_topic_pool

# generate's help panels: a setting in one has a flag of its own; the others are set with --set NAME=VALUE
MODEL_PANEL, COST_PANEL = "Model and sampling", "Cost and cache"


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


SETTINGS: dict[str, Setting] = {
    "backend": Setting("transformers", "Generation backend.", str, MODEL_PANEL),
    "model": Setting("smollm2-135m-instruct", "Model name, registry name, folder or GGUF file.", str, MODEL_PANEL),
    "pool_size": Setting(None, "Topics to generate for the pool (default: the level's |T|).", int),
    "pool_growth": Setting("tree", "How a pool is asked for: tree (themes > subtopics > topics) or flat (one list prompt).", str),
    "min_topic_adherence": Setting(None, "Reject stories whose own topic ranks below this among distractor topics "
                                         "(0.5 = chance; needs the embed extra); rejects keep the reason.", float),
    "constrain": Setting(False, "Decode five sentences with a grammar (llamacpp), regex (vllm) or JSON schema (openai), "
                                "so fewer answers are rejected.", bool),
    "base_url": Setting(None, "openai: the server URL, e.g. http://localhost:8000/v1; several (repeated, or a list) "
                              "share the requests: replicas of one model.", list, MODEL_PANEL),
    "api_key_env": Setting("OPENAI_API_KEY", "openai: the variable holding the key (never written).", str, MODEL_PANEL),
    # the sampling defaults are SamplingParams' (backends.base), where their checks are: written once, read here
    "temperature": Setting(SamplingParams.temperature, f"Sampling temperature (the paper's {SamplingParams.temperature:g}).", float, MODEL_PANEL),
    "top_p": Setting(SamplingParams.top_p, "Nucleus sampling: keep the smallest set of tokens whose probability sums to this (1: all).", float),
    "max_tokens": Setting(None, "Answer budget in tokens (default: "
                                + ", ".join(f"{s.max_tokens} {s.name}" for s in STRATEGIES.values()) + ").", int, MODEL_PANEL),
    "max_attempts": Setting(3, "Tries per record when answers do not parse.", int, MODEL_PANEL),
    "overdraw": Setting(1.0, "Requests in flight per missing record, 1 to 10; 2 suits a model that rejects half its answers.", float),
    "price_in": Setting(None, "USD per 1M prompt tokens.", float, COST_PANEL),
    "price_out": Setting(None, "USD per 1M completion tokens.", float, COST_PANEL),
    "max_cost": Setting(None, "USD: send no request that could pass it, then exit 3 (a rerun with a higher cap "
                              "resumes; needs prices).", float, COST_PANEL),
}

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
}

# Paths and switches of one run: in no stage key, never in a spec.
RUN_SETTINGS: dict[str, Setting] = {
    "cache": Setting(True, "Read and write the response cache.", bool),
    "cache_dir": Setting(None, "Response cache folder (default: $SYNTHDIV_CACHE/responses).", Path, COST_PANEL),
    "rejects": Setting(None, "Rejects file (default OUT.rejects.jsonl).", Path),
    "prompts_dir": Setting(None, "Folder with replacement prompt templates.", Path),
}

EVERY_SETTING = {**SETTINGS, **BACKEND_SETTINGS, **RUN_SETTINGS}


def default(name: str) -> Any:
    return SETTINGS[name].default


def option_name(name: str) -> str:
    """How ``synthdiv generate`` takes setting ``name``: its flag, or ``--set name``."""
    from synthdiv.errors import flag

    return flag(name) if EVERY_SETTING[name].panel is not None else f"--set {name}"


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
