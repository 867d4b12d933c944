"""Generation backends behind one small interface (:mod:`synthdiv.backends.base`).

``get_backend(name, **options)`` builds one by name; modules are imported only
when asked for, so listing or mistyping a name costs nothing.
"""

from __future__ import annotations

import difflib
import importlib

from synthdiv.backends.base import Backend, BackendStats, ChatRequest, Completion, SamplingParams
from synthdiv.errors import UserError

BACKENDS = {
    "dummy": ("synthdiv.backends.dummy", "DummyBackend"),
    "openai": ("synthdiv.backends.openai_compat", "OpenAICompatBackend"),
    "openai-batch": ("synthdiv.backends.openai_batch", "OpenAIBatchBackend"),
    "transformers": ("synthdiv.backends.transformers_backend", "TransformersBackend"),
    "llamacpp": ("synthdiv.backends.llamacpp", "LlamaCppBackend"),
    "vllm": ("synthdiv.backends.vllm", "VLLMBackend"),
}
# Backends that load a LoRA adapter folder (``adapter=``) on top of their model: the
# recursive-training loop needs one (the dummy backend mixes the path into its answers).
ADAPTER_BACKENDS = ("transformers", "vllm", "dummy")

__all__ = ["ADAPTER_BACKENDS", "BACKENDS", "Backend", "BackendStats", "ChatRequest", "Completion", "SamplingParams", "get_backend"]


def get_backend(name: str, **options) -> Backend:
    """A backend by name; options go to its constructor (unknown ones are ignored)."""
    if name not in BACKENDS:
        close = difflib.get_close_matches(name, list(BACKENDS), n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise UserError(f"unknown backend {name!r}; {hint}choose one of {', '.join(BACKENDS)}", where="--backend")
    module_name, class_name = BACKENDS[name]
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(**{k: v for k, v in options.items() if v is not None})
