"""The one small interface every generation backend implements.

A backend takes a batch of chat requests (messages + how many samples) and
sampling parameters, and returns texts with token usage. It does not cache,
parse or retry parsing: that is the generation runner's job, so every backend
gets the same resume and reject behaviour for free (the lm-evaluation-harness
shape: a tiny model interface, a dummy implementation for tests).

What a backend can do is declared on its class (:class:`Backend`'s capability attributes and
:meth:`Backend.preflight`), and read from there by the spec, the sweep's preflight and graph,
the strategies and the cost planner: adding a backend is its module and its line in
``synthdiv.backends.BACKENDS``.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

Messages = list[dict[str, str]]

# The backends' option defaults, read by their constructors and by the commands' option defaults.
OPTION_DEFAULTS: dict[str, Any] = {
    "concurrency": 16,  # openai: requests in flight, per server
    "timeout": 60.0,  # openai: seconds per request (the preflight's GET /models waits as long)
    "max_retries": 6,  # openai: retries per request
    "constraint_mode": "json_schema",  # openai: how an output constraint is sent (backends.constraints.CONSTRAINT_MODES)
    "batch_size": 16,  # transformers: prompts per forward pass
    "gpu_memory_utilization": 0.85,  # vllm: the share of the GPU's memory its engine takes
    "n_ctx": 4096,  # llamacpp: the context window, prompt and answer, in tokens
}


@dataclass(frozen=True)
class SamplingParams:
    """How to sample. ``seed`` is the run's base seed; backends derive per-sample seeds from it.
    Temperature 0.7 is the paper's setting for GPT-4o (§4.1)."""

    temperature: float = 0.7
    top_p: float = 1.0
    max_tokens: int = 256
    seed: int | None = 0
    stop: tuple[str, ...] | None = None
    constraint: str | None = None  # an output constraint's name (backends.constraints), for backends that decode with one

    def __post_init__(self) -> None:
        # refused here, where the settings live, so the CLI, the spec and the API all refuse them
        import math

        from synthdiv.errors import UserError

        checks = [
            ("temperature", math.isfinite(self.temperature) and self.temperature >= 0, "a finite number, 0 or more"),
            ("top_p", math.isfinite(self.top_p) and 0 < self.top_p <= 1, "in (0, 1]"),
            ("max_tokens", isinstance(self.max_tokens, int) and self.max_tokens >= 1, "at least 1"),
        ]
        for name, ok, what in checks:
            if not ok:
                raise UserError(f"must be {what} (got {getattr(self, name)})", field=name)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["stop"] = list(self.stop) if self.stop else None
        if self.constraint is None:
            del d["constraint"]  # cache keys of unconstrained requests stay as they were before constraints existed
        return d


@dataclass(frozen=True)
class ChatRequest:
    """One prompt. ``first_sample`` is the sample index of the first of the ``n`` samples:
    sample indexes make retries of one prompt differ and key the response cache."""

    messages: Messages
    n: int = 1
    first_sample: int = 0


@dataclass
class Completion:
    """The answer to one request: ``n`` texts (or an error after all retries) and usage."""

    texts: list[str] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    attempts: int = 1
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class BackendStats:
    """Counters a backend keeps across calls (the runner's summary reads them)."""

    requests: int = 0  # HTTP requests or local generate() calls sent, retries included
    retries: int = 0
    failures: int = 0  # requests that failed after all retries
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # several servers (openai): per server URL, the requests it answered and its failed attempts
    servers: dict[str, dict[str, int]] = field(default_factory=dict)

    def add_usage(self, c: Completion) -> None:
        self.prompt_tokens += c.prompt_tokens
        self.completion_tokens += c.completion_tokens


OnResult = Callable[[int, Completion], None]


class Backend(ABC):
    """A text generator behind a chat interface, and what it can do (class attributes, read before
    one is built: ``synthdiv.backends.backend_class(name).loads_adapters``)."""

    name: str = "base"
    # Loads a LoRA adapter folder (``adapter=``) on top of ``model``: a recursive-training loop's
    # student writes the next generation's data with one.
    loads_adapters: bool = False
    # How it decodes with an output constraint (backends.constraints): "grammar" (GBNF), "regex" or
    # "json_schema"; None: it cannot, and the parser checks every answer.
    constraint: str | None = None
    # Its model names are priced by the built-in table (generation.cost.PRICES): OpenAI's API.
    priced: bool = False
    # Its price / the online price of the same tokens (0.5 for a batch API), applied to the cost line.
    price_factor: float = 1.0
    # Options that change how requests are sent, never what comes back (concurrency, rate limits,
    # timeouts): a sweep passes them through the run's context, outside every stage key.
    run_mechanics: tuple[str, ...] = ()
    # The backend whose cached answers it shares (a batch API gives the online API's answers); None: its own.
    cache_as: str | None = None
    # A backend whose sampled text depends on which requests share a batch (one random
    # stream per batch, padding) sets this to its batch size: the engine then always sends
    # the same batches, whatever the cache already holds, so a resumed run writes the same
    # text as an uninterrupted one. None: each request's answer depends on itself only.
    batch_alignment: int | None = None
    # A LoRA adapter folder loaded on top of ``model`` (a backend that loads_adapters sets it):
    # part of the cache identity, since it changes every answer.
    adapter: str | None = None

    def __init__(self, model: str):
        self.model = model
        self.stats = BackendStats()

    @abstractmethod
    def generate(
        self, requests: Sequence[ChatRequest], params: SamplingParams, on_result: OnResult | None = None
    ) -> list[Completion]:
        """One :class:`Completion` per request, in order. ``on_result(i, completion)`` is
        called as soon as request ``i`` is answered, so a caller can store it before
        the rest of the batch finishes (a kill then loses no answered prompt)."""

    def cache_identity(self) -> dict[str, Any]:
        """What, besides messages and parameters, decides the answer (keys the cache)."""
        ident = {"backend": self.cache_as or self.name, "model": self.model}
        if self.adapter:
            ident["adapter"] = str(self.adapter)
        return ident

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (HTTP clients, GPU memory)."""

    @classmethod
    def preflight(cls, model: str, options: dict[str, Any]) -> None:  # noqa: B027 - optional hook
        """What a sweep checks before any stage runs, in one line each (the model resolves, the server
        answers, the package is installed): ``model`` and ``options`` (``base_url``, ``api_key_env`` and the
        backend options) are the spec's ``generation`` section, and a UserError names its key."""


def sample_seed(base: int | None, first_sample: int, offset: int = 0) -> int | None:
    """A per-sample seed derived from the run seed, so sample ``i`` of a prompt is reproducible."""
    if base is None:
        return None
    return (base * 1_000_003 + first_sample + offset) % (2**31 - 1)


def read_adapter_config(adapter: str) -> dict[str, Any]:
    """The ``adapter_config.json`` of a LoRA adapter folder; a UserError when the folder is not one."""
    import json
    from pathlib import Path

    from synthdiv.errors import UserError

    config = Path(adapter) / "adapter_config.json"
    if not config.is_file():
        raise UserError("not a LoRA adapter folder (no adapter_config.json); give the folder `synthdiv train` wrote",
                        where=str(adapter))
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"adapter_config.json is not valid JSON ({exc}); rewrite it or train the adapter again", where=str(config)) from None
    if not isinstance(data, dict):
        raise UserError("adapter_config.json is not a JSON object; rewrite it or train the adapter again", where=str(config))
    for weights in sorted(Path(adapter).glob("*.safetensors")):
        check_safetensors(weights)
    return data


def check_safetensors(path: str | os.PathLike, fix: str = "copy it again or train the adapter again") -> None:
    """A UserError naming the file when it is not a whole safetensors file (truncated, or not
    one at all): its header must parse and its tensors must end where the file ends. Reads the
    header only, so it costs nothing beside loading the weights."""
    import json
    import struct
    from pathlib import Path

    from synthdiv.errors import UserError

    path = Path(path)
    size = path.stat().st_size
    bad = "is not a whole safetensors file ({}); " + fix.replace("{", "{{").replace("}", "}}")
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise UserError(bad.format(f"{size} bytes"), where=str(path))
        (length,) = struct.unpack("<Q", head)
        if length > size - 8:
            raise UserError(bad.format("its header runs past the end of the file"), where=str(path))
        try:
            header = json.loads(fh.read(length))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise UserError(bad.format("its header is not JSON"), where=str(path)) from None
    if not isinstance(header, dict):
        raise UserError(bad.format("its header is not a JSON object"), where=str(path))
    ends = [v["data_offsets"][1] for k, v in header.items() if k != "__metadata__" and isinstance(v, dict) and "data_offsets" in v]
    if 8 + length + max(ends, default=0) > size:
        raise UserError(bad.format(f"truncated: {size} bytes, its tensors need {8 + length + max(ends)}"), where=str(path))
