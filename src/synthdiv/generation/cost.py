"""What a generation run will cost, before it is paid: prices, token counts, the plan and the cap.

* :data:`PRICES`: built-in online prices of common OpenAI models; ``--price-in/--price-out``
  (``generation.price_in/price_out``) override them and price any other model.
* :func:`load_counter`: prompt tokens counted with the model's tokenizer when one loads offline
  (a transformers folder or registry model, tiktoken for OpenAI models when it is installed),
  else estimated as characters / 4; each counter names its method.
* :func:`plan_generation` (``--dry-run``): runs the strategy's own code over the response cache
  with stand-in answers in place of the backend, so the prompts, retries and overdraw are the
  real run's; it sends nothing and writes nothing.
* :class:`Budget` (``--max-cost``): the engine asks it before sending each request whether
  what this output's requests cost so far (sent this run, or answered from the cache: paid before)
  plus what is reserved for the requests before it and its own bound (prompt tokens +
  ``max_tokens``) stays under the cap. So the cap bounds the output, not one invocation: a rerun
  with the same cap makes the same decisions over the cached answers and sends nothing more.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from synthdiv.backends.dummy import DummyBackend  # no model, no network: the planner's stand-in answers
from synthdiv.errors import UserError

Messages = list[dict[str, str]]

# USD per 1M tokens (input, output), standard online tier, uncached input. Taken from
# https://openai.com/api/pricing as published in August 2025 and not re-checked since (prices
# change): pass --price-in/--price-out (generation.price_in/price_out) for an exact cost.
PRICES_TAKEN = "openai.com/api/pricing, August 2025"
PRICES: dict[str, tuple[float, float]] = {
    "gpt-5": (1.25, 10.00), "gpt-5-mini": (0.25, 2.00), "gpt-5-nano": (0.05, 0.40),
    "gpt-4.1": (2.00, 8.00), "gpt-4.1-mini": (0.40, 1.60), "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4o": (2.50, 10.00), "gpt-4o-mini": (0.15, 0.60),
    "o1": (15.00, 60.00), "o3": (2.00, 8.00), "o3-mini": (1.10, 4.40), "o4-mini": (1.10, 4.40),
    "gpt-4-turbo": (10.00, 30.00), "gpt-3.5-turbo": (0.50, 1.50),
}
_DATED = re.compile(r"-\d{4}-\d{2}-\d{2}$")  # gpt-4o-2024-08-06 is priced as gpt-4o
CAP_HINT = ("raise --max-cost (or generation.max_cost) and run the same command again to resume: cached answers count "
            "toward the cap at what they cost and are not paid again")


@dataclass(frozen=True)
class Prices:
    per_m_in: float
    per_m_out: float
    source: str  # "given" or "built-in for MODEL (…)"

    def cost(self, prompt_tokens: float, completion_tokens: float, factor: float = 1.0) -> float:
        return (prompt_tokens * self.per_m_in + completion_tokens * self.per_m_out) / 1e6 * factor

    def describe(self, factor: float = 1.0) -> str:
        batch = f" x {factor:g} (batch prices)" if factor != 1 else ""
        return f"{self.per_m_in:g} in / {self.per_m_out:g} out per 1M tokens, {self.source}{batch}"


def resolve_prices(backend: str, model: str, price_in: float | None, price_out: float | None) -> Prices | None:
    """The given prices (both, checked by generation.config.check_prices), else the table's for an OpenAI model, else None."""
    if price_in is not None or price_out is not None:
        return Prices(price_in or 0.0, price_out or 0.0, "given")
    if _priced(backend):  # the table prices OpenAI's API, not a local server
        name = _DATED.sub("", model.removeprefix("openai/"))
        if name in PRICES:
            return Prices(*PRICES[name], f"built-in for {name} ({PRICES_TAKEN}; pass --price-in/--price-out for accuracy)")
    return None


# ----- prompt tokens ---------------------------------------------------------------------
@dataclass
class Counter:
    count: Callable[[Messages], int]
    method: str  # how the count is made, printed beside it
    exact: bool = True


@functools.lru_cache(maxsize=8)  # a sweep plans many stages of one model: its tokenizer loads once
def load_counter(backend: str, model: str) -> Counter:
    """The best offline prompt-token counter for ``model`` on ``backend``."""
    if backend == "dummy":  # the dummy backend bills whitespace words: its count is exact
        return Counter(lambda msgs: sum(len(m["content"].split()) for m in msgs), "the dummy backend's words")
    if _priced(backend):
        counter = _tiktoken_counter(model)
        if counter is not None:
            return counter
    tokenizer = _local_tokenizer(model)
    if tokenizer is not None:
        return Counter(lambda msgs: _template_length(tokenizer, msgs), f"the tokenizer of {model} (chat template)")
    return Counter(lambda msgs: sum(math.ceil(len(m["content"]) / 4) + 3 for m in msgs) + 3,
                   f"an estimate: characters / 4 (no tokenizer for {model} offline)", exact=False)


def _tiktoken_counter(model: str) -> Counter | None:
    try:
        import tiktoken
    except ImportError:
        return None
    try:
        enc = tiktoken.encoding_for_model(model)
    except KeyError:
        enc = tiktoken.get_encoding("o200k_base")  # the GPT-4o family's encoding
    # OpenAI's rule for chat requests: 3 tokens per message and 3 priming the reply
    return Counter(lambda msgs: sum(len(enc.encode(m["content"])) + 3 for m in msgs) + 3, f"tiktoken {enc.name} (+3 per message)")


def _local_tokenizer(model: str):
    """A tokenizer that loads without a network (registry name, local folder, GGUF, hub cache), or None."""
    from pathlib import Path

    try:
        from transformers import AutoTokenizer

        from synthdiv.models.registry import CAUSAL_LMS, SMOLLM2_GGUF, _package_dir, cache_dir

        if model in CAUSAL_LMS:  # the de-quantised folder when built, else the tokenizer inside the GGUF
            folder = cache_dir() / "models" / model
            if (folder / "tokenizer_config.json").exists():
                return AutoTokenizer.from_pretrained(str(folder))
            return AutoTokenizer.from_pretrained(str(_package_dir(CAUSAL_LMS[model], model)), gguf_file=SMOLLM2_GGUF)
        path = Path(model)
        if path.suffix.lower() == ".gguf" and path.is_file():
            return AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
        return AutoTokenizer.from_pretrained(model, local_files_only=True)
    except (OSError, ValueError, ImportError, UserError):
        return None


def _template_length(tokenizer, messages: Messages) -> int:
    """The prompt length the transformers backend bills: the chat template rendered, then tokenized."""
    if not getattr(tokenizer, "chat_template", None):
        return sum(len(tokenizer.encode(m["content"])) for m in messages)
    text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


# ----- the cap -------------------------------------------------------------------------
@dataclass(frozen=True)
class Stop:
    """The numbers when the cap held a request back: spent + reserved + next > cap."""

    spent: float  # this output's requests answered before the wave (sent this run, or from the cache)
    reserved: float  # the bounds of the wave's requests before the one held back
    next: float  # that request's bound


@dataclass
class Budget:
    """The cost cap of one output. ``stats`` is the backend's: what was sent is what it reported;
    answers taken from the cache count at the tokens they cost when they were sent."""

    cap: float
    prices: Prices
    counter: Counter
    max_tokens: int
    stats: Any  # synthdiv.backends.base.BackendStats
    factor: float = 1.0
    stopped: bool = False
    stop: Stop | None = None
    cached_prompt_tokens: int = 0
    cached_completion_tokens: int = 0

    @property
    def sent(self) -> float:
        return self.prices.cost(self.stats.prompt_tokens, self.stats.completion_tokens, self.factor)

    @property
    def cached(self) -> float:
        return self.prices.cost(self.cached_prompt_tokens, self.cached_completion_tokens, self.factor)

    @property
    def spent(self) -> float:
        """What this output's requests cost so far: sent this run, or answered from the cache (paid before)."""
        return self.sent + self.cached

    def bound(self, messages: Messages, max_tokens: int | None = None) -> float:
        """A request's most: its prompt tokens and ``max_tokens`` (the asking engine's; default the run's) at the prices."""
        return self.prices.cost(self.counter.count(messages), max_tokens or self.max_tokens, self.factor)

    def count_cached(self, prompt_tokens: int, completion_tokens: int) -> None:
        self.cached_prompt_tokens += prompt_tokens
        self.cached_completion_tokens += completion_tokens

    def admit(self, groups: list[tuple[list[Messages], bool]], max_tokens: int | None = None) -> int:
        """How many of a wave's groups of requests, in order, go ahead: ``(messages, answered)``. An answered
        group (from the cache) reserves its bound as it did when it was sent, so a rerun over the cache
        makes the same decisions; a group to send goes only while spent + reserved + its bound stays under
        the cap. At the first that does not, stop for good."""
        spent, reserved = self.spent, 0.0
        for i, (messages, answered) in enumerate(groups):
            bound = sum(self.bound(m, max_tokens) for m in messages)
            if not answered and (self.stopped or spent + reserved + bound > self.cap):
                if not self.stopped:
                    self.stopped, self.stop = True, Stop(spent, reserved, bound)
                return i
            reserved += bound
        return len(groups)

    def message(self, records: int, n: int, held: str, unit: str = "records") -> str:
        made = f"{records} of {n} {unit} made"
        if records >= n:  # the cap cut retries, overdraw or paraphrases: not necessarily the uncapped run's records
            made += " but some of the run's requests were held back, so they may differ from an uncapped run's"
        stop = self.stop or Stop(self.spent, 0.0, 0.0)
        total = stop.spent + stop.reserved + stop.next
        return (f"stopped at the cost cap: {made}; when it stopped, {stop.spent:.4f} USD was spent and {stop.reserved:.4f} USD "
                f"reserved for the requests before the next one (prompt tokens + --max-tokens each), which could cost up to "
                f"{stop.next:.4f} USD: {stop.spent:.4f} + {stop.reserved:.4f} + {stop.next:.4f} = {total:.4f} USD, over the "
                f"{self.cap:.4f} USD cap; this output's requests cost {self.spent:.4f} USD in all ({self.sent:.4f} USD sent this "
                f"run, {self.cached:.4f} USD answered from the cache, paid before); {held}; {CAP_HINT}")


@dataclass(frozen=True)
class CostOptions:
    """The money options of a command that sends requests (``generate``, ``topics``): ``--price-in/--price-out``
    and ``--max-cost``, checked here once, before any work."""

    backend: str
    model: str
    price_in: float | None = None
    price_out: float | None = None
    max_cost: float | None = None

    def __post_init__(self) -> None:
        from synthdiv.generation.config import check_prices

        if self.max_cost is not None and not (math.isfinite(self.max_cost) and self.max_cost >= 0):
            raise UserError(f"must be a number of USD, 0 or more (got {self.max_cost})", field="max_cost")
        check_prices(self.price_in, self.price_out)
        if self.max_cost is not None and self.prices is None:
            raise UserError(f"a cap needs prices and there is no built-in price for {self.model!r} on {self.backend}: "
                            "pass --price-in/--price-out (generation.price_in/price_out)", where="--max-cost (generation.max_cost)",
                            field="max_cost")

    @property
    def prices(self) -> Prices | None:
        return resolve_prices(self.backend, self.model, self.price_in, self.price_out)

    def budget(self, backend, max_tokens: int) -> Budget | None:
        """The cap of a run on ``backend`` (built), whose requests ask for ``max_tokens``; None without --max-cost."""
        if self.max_cost is None:
            return None
        return Budget(self.max_cost, self.prices, load_counter(self.backend, self.model), max_tokens, backend.stats,
                      factor=float(getattr(backend, "price_factor", 1.0)))

    def cost_line(self, stats, factor: float = 1.0) -> str | None:
        """'cost: …' of what a backend reported sending, or None without a price."""
        prices = self.prices
        if prices is None:
            return None
        batch = f" x {factor:g} (batch prices)" if factor != 1 else ""
        source = "configured" if prices.source == "given" else prices.source
        return f"cost: {prices.cost(stats.prompt_tokens, stats.completion_tokens, factor):.4f} (at the {source} prices per 1M tokens{batch})"


def budget_for(cfg, backend) -> Budget | None:
    """The cost cap of a run of ``cfg`` (a GenerationConfig) on ``backend``, or None without --max-cost."""
    return CostOptions(cfg.backend, cfg.model, cfg.price_in, cfg.price_out, cfg.max_cost).budget(backend, cfg.sampling.max_tokens)


# ----- the plan ---------------------------------------------------------------------------
@dataclass
class Plan:
    """What a run would send. Completion tokens are the ``max_tokens`` bound, not a forecast."""

    requests: int
    cached: int
    prompt_tokens: int
    max_tokens: int
    max_attempts: int
    overdraw: float
    counter: str
    prices: Prices | None
    factor: float = 1.0
    notes: list[str] = field(default_factory=list)

    @property
    def completion_bound(self) -> int:
        return self.requests * self.max_tokens

    @property
    def cost(self) -> float | None:
        return None if self.prices is None else self.prices.cost(self.prompt_tokens, self.completion_bound, self.factor)

    def cost_text(self) -> str:
        if self.cost is None:
            return "no price known: pass --price-in/--price-out"
        return (f"at most {self.cost:.4f} USD for these requests, up to {self.cost * self.max_attempts:.4f} USD if every one "
                f"is retried to --max-attempts {self.max_attempts} ({self.prices.describe(self.factor)})")

    def lines(self) -> list[str]:
        over = f" x overdraw {self.overdraw:g}" if self.overdraw != 1 else ""
        out = [
            f"requests to send: {self.requests} if every answer parses (one per missing record{over}), up to "
            f"{self.requests * self.max_attempts} with every retry; already cached (free): {self.cached}",
            f"prompt tokens: {self.prompt_tokens} (counted with {self.counter})",
            f"completion tokens: at most {self.completion_bound} (--max-tokens {self.max_tokens} per request: an upper bound)",
            f"cost: {self.cost_text()}",
        ]
        return out + [f"note: {n}" for n in self.notes]


def plan_generation(cfg) -> Plan:
    """The plan of ``cfg`` (a GenerationConfig): nothing is sent, nothing written, no model loaded."""
    from synthdiv.generation import runner
    from synthdiv.generation.engine import Engine

    level = runner.check_strategy(cfg)
    real = runner.load_real(cfg)
    identity, factor, alignment, constraint = _backend_facts(cfg)
    stand_in = _StandIn(cfg.backend, cfg.model, identity, alignment, constraint)
    cache = _read_only_cache(cfg)
    engine = Engine(stand_in, cfg.sampling, cache)
    try:
        runner.generate_records(engine, cfg, level, real, write_pool=False)
    finally:
        cache.close()
    counter = load_counter(cfg.backend, cfg.model)
    notes = [] if counter.exact else ["characters / 4 is a rule of thumb for English, not a count (pip install tiktoken for "
                                      "OpenAI models); --max-cost bounds requests with the same estimate"]
    if len(engine.steps) > 1:  # a later step's prompts hold earlier answers
        notes.append("where a prompt is built from an earlier answer not yet cached (a generated topic pool, a question "
                     "to paraphrase), it is counted with a stand-in answer of the same format")
    return Plan(requests=len(stand_in.sent), cached=engine.counters.cache_hits,
                prompt_tokens=sum(counter.count(m) for m in stand_in.sent), max_tokens=cfg.sampling.max_tokens,
                max_attempts=cfg.max_attempts, overdraw=cfg.overdraw, counter=counter.method,
                prices=resolve_prices(cfg.backend, cfg.model, cfg.price_in, cfg.price_out), factor=factor, notes=notes)


def _priced(backend: str) -> bool:
    from synthdiv.backends import BACKENDS, backend_class

    return backend in BACKENDS and backend_class(backend).priced


def _backend_facts(cfg) -> tuple[dict[str, Any], float, int | None, str | None]:
    """(cache identity, price factor, batch alignment, constraint) of the configured backend, built but never
    called; one that cannot be built here (no API key yet, a missing extra) gets its class's."""
    from synthdiv.backends import backend_class, get_backend

    try:
        backend = get_backend(cfg.backend, model=cfg.model, **cfg.backend_kwargs())
    except UserError:
        cls = backend_class(cfg.backend)
        ident = {"backend": cls.cache_as or cfg.backend, "model": cfg.model}
        if cfg.backend_options.get("adapter"):
            ident["adapter"] = str(cfg.backend_options["adapter"])
        return ident, float(cfg.backend_options.get("price_factor", cls.price_factor)), None, cls.constraint
    try:
        return backend.cache_identity(), float(backend.price_factor), backend.batch_alignment, backend.constraint
    finally:
        backend.close()


def _read_only_cache(cfg):
    from synthdiv.generation.cache import NullCache, ResponseCache
    from synthdiv.generation.runner import default_cache_dir

    folder = cfg.cache_dir or default_cache_dir()
    if not cfg.cache or not (folder / "responses.sqlite").exists():  # opening would create it
        return NullCache()
    cache = ResponseCache(folder)
    cache.put = lambda *args, **kwargs: None  # stand-in answers never reach the cache
    return cache


class _StandIn(DummyBackend):
    """Answers in each step's format in place of the backend, keyed as the backend would be, and
    named and able as it is: a strategy asks for what that backend can do (an output constraint) as in the run."""

    def __init__(self, name: str, model: str, identity: dict[str, Any], alignment: int | None, constraint: str | None = None):
        super().__init__(model=model)
        self.name, self._identity, self.batch_alignment, self.constraint = name, identity, alignment, constraint
        self.sent: list[Messages] = []

    def cache_identity(self) -> dict[str, Any]:
        return self._identity

    def generate(self, requests, params, on_result=None):
        self.sent.extend(r.messages for r in requests)
        return super().generate(requests, params, on_result)


def plan_topic_pool(recipe, cost: CostOptions, prompts_dir: str | None = None) -> list[str]:
    """A dry run of ``synthdiv topics``: the request cap and what it could cost at most. The nodes a tree asks
    are its own answers, so the count is the cap (the growth stops sooner when full or stalled), and a prompt is
    counted at the deepest node of the first fill, named with the longest built-in topics."""
    from synthdiv.generation.prompts import topic_tree_messages
    from synthdiv.generation.topics import builtin_topics

    counter = load_counter(cost.backend, cost.model)
    names = sorted(builtin_topics(), key=len, reverse=True)
    path = tuple(names[: max(0, recipe.depth - 1)])
    per_prompt = max(counter.count(topic_tree_messages(recipe.per_request, node, names[:5], prompts_dir)) for node in ((), path))
    cap = recipe.request_cap
    plan = Plan(requests=cap, cached=0, prompt_tokens=cap * per_prompt, max_tokens=recipe.max_tokens, max_attempts=1,
                overdraw=1.0, counter=counter.method, prices=cost.prices)
    price = plan.cost_text().split(", up to")[0] if plan.cost is not None else plan.cost_text()
    return [f"requests: at most {cap} (the request cap for --size {recipe.size} at --per-request {recipe.per_request}); "
            "fewer when the pool is full or the growth stalls; answered ones come from the cache, free",
            f"prompt tokens: at most {plan.prompt_tokens} ({per_prompt} a request at most, counted with {counter.method} on a "
            f"prompt of depth {len(path)})",
            f"completion tokens: at most {plan.completion_bound} (--max-tokens {recipe.max_tokens} per request: an upper bound)",
            f"cost: {price}"]
