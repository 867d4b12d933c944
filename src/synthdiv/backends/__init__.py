"""Generation backends behind one small interface (:mod:`synthdiv.backends.base`).

``BACKENDS`` is the one registry: a name and where its class lives. What a backend can do (load
an adapter, decode with a constraint and how, be priced by the built-in table, which of its options
only pace the requests, what to check before a sweep) is declared on its class and read through
:func:`backend_class`; so adding a backend is its module and one line here
(tests/backends/test_new_backend.py adds one). ``get_backend(name, **options)`` builds one; modules
are imported only when asked for, so listing or mistyping a name costs nothing.
"""

from __future__ import annotations

import importlib

from synthdiv.backends.base import Backend, BackendStats, ChatRequest, Completion, SamplingParams
from synthdiv.errors import check_choice

BACKENDS: dict[str, tuple[str, str]] = {
    "dummy": ("synthdiv.backends.dummy", "DummyBackend"),
    "openai": ("synthdiv.backends.openai_compat", "OpenAICompatBackend"),
    "openai-batch": ("synthdiv.backends.openai_batch", "OpenAIBatchBackend"),
    "transformers": ("synthdiv.backends.transformers_backend", "TransformersBackend"),
    "llamacpp": ("synthdiv.backends.llamacpp", "LlamaCppBackend"),
    "vllm": ("synthdiv.backends.vllm", "VLLMBackend"),
}

__all__ = ["BACKENDS", "Backend", "BackendStats", "ChatRequest", "Completion", "SamplingParams", "backend_class", "get_backend",
           "run_mechanics", "with_capability"]


def backend_class(name: str, where: str = "--backend") -> type[Backend]:
    """The class of backend ``name`` (its module imported now): what it can do, before one is built."""
    module_name, class_name = BACKENDS[check_choice(name, BACKENDS, what="backend", where=where)]
    return getattr(importlib.import_module(module_name), class_name)


def get_backend(name: str, **options) -> Backend:
    """A backend by name; options go to its constructor (unknown ones are ignored)."""
    return backend_class(name)(**{k: v for k, v in options.items() if v is not None})


def with_capability(attribute: str) -> list[str]:
    """The backends whose class declares ``attribute`` (``loads_adapters`` …), for messages that name them."""
    return [name for name in BACKENDS if getattr(backend_class(name), attribute)]


def run_mechanics() -> frozenset[str]:
    """The options any backend only paces its requests with (concurrency, rate limits, timeouts): never in a stage
    key, whichever backend a spec names, since an option one backend sends requests with is ignored by the others."""
    return frozenset(option for name in BACKENDS for option in backend_class(name).run_mechanics)

