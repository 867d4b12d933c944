"""The generation settings a user sets, each defined once with its default and help.

``synthdiv generate`` builds its options from here (cli/generate.py), the spec's ``generation``
section its fields (experiments/spec.py) and :class:`synthdiv.generation.runner.GenerationConfig`
its defaults, so a default is written in one place. Range checks live where the value is used
(GenerationConfig, the backends) and name the setting as ``--flag`` on the command line and as
``generation.key`` in a spec; the money settings carry their check here (:func:`check_prices`),
since every command that spends (``generate``, ``topics``, a sweep's stages) takes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from synthdiv.errors import UserError
from synthdiv.generation.strategies import STRATEGIES


POOL_GROWTHS = ("tree", "flat")  # topic_tree.grow_topic_tree, topics.generate_topic_pool


@dataclass(frozen=True)
class Setting:
    default: Any
    help: str


SETTINGS: dict[str, Setting] = {
    "backend": Setting("transformers", "generation backend"),
    "model": Setting("smollm2-135m-instruct", "model name, registry name, folder or GGUF"),
    "pool_size": Setting(None, "topics to generate for the pool (default: the level's |T|)"),
    "pool_growth": Setting("tree", "how a pool is asked for: tree (themes > subtopics > topics) or flat (one list prompt)"),
    "min_topic_adherence": Setting(None, "reject stories whose own topic ranks below this among distractor topics "
                                         "(0.5 = chance; needs the embed extra); rejects keep the reason"),
    "constrain": Setting(False, "decode five sentences with a grammar (llamacpp), regex (vllm) or JSON schema (openai) "
                                "so fewer answers are rejected"),
    "base_url": Setting(None, "openai: server URL, e.g. http://localhost:8000/v1; several (repeat --base-url, or a list "
                              "in a spec) share the requests: replicas of one model"),
    "api_key_env": Setting("OPENAI_API_KEY", "openai: environment variable holding the key (its value is never written)"),
    "temperature": Setting(0.7, "sampling temperature (the paper's 0.7)"),
    "top_p": Setting(1.0, "nucleus sampling: keep the smallest set of tokens whose probability sums to this (1: all)"),
    "max_tokens": Setting(None, "answer budget in tokens (default: the strategy's: "
                                + ", ".join(f"{s.max_tokens} {s.name}" for s in STRATEGIES.values()) + ")"),
    "max_attempts": Setting(3, "tries per slot when an output does not parse"),
    "overdraw": Setting(1.0, "requests in flight per missing record, 1 to 10; 2 suits a model that rejects half its answers"),
    "price_in": Setting(None, "price per 1M prompt tokens, for the cost line"),
    "price_out": Setting(None, "price per 1M completion tokens"),
    "max_cost": Setting(None, "USD: send no request that could take this run past it, then exit 3; "
                              "a rerun with a higher cap resumes (needs prices: given or built-in)"),
}


def default(name: str) -> Any:
    return SETTINGS[name].default


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
