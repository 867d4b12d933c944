"""vLLM's offline engine (optional extra ``vllm``, needs a GPU).

The whole batch goes to ``LLM.chat`` at once; vLLM schedules it. The import
happens on construction; without the package the run stops with the pip command.
An ``adapter`` (a LoRA folder from ``synthdiv train``) is served with vLLM's
LoRA support (``enable_lora`` with the adapter's rank, a ``LoRARequest`` per call),
so the recursive-training loop can generate on a GPU.
"""

from __future__ import annotations

from collections.abc import Sequence

from synthdiv.backends.base import OPTION_DEFAULTS, Backend, ChatRequest, Completion, OnResult, SamplingParams, read_adapter_config, sample_seed
from synthdiv.errors import UserError

PIP_HINT = "pip install vllm (on a machine with a CUDA GPU; it pins its own torch)"


def _import_vllm():
    try:
        import vllm
    except ImportError:
        raise UserError(f"the vllm backend needs vLLM: {PIP_HINT}") from None
    return vllm


class VLLMBackend(Backend):
    name = "vllm"
    loads_adapters = True  # enable_lora and a LoRARequest
    constraint = "regex"  # guided decoding / structured outputs (backends.constraints)

    @classmethod
    def preflight(cls, model: str, options: dict) -> None:
        import importlib.util

        if importlib.util.find_spec("vllm") is None:
            raise UserError(f"the vllm backend needs vLLM: {PIP_HINT}", where="generation.backend")

    def __init__(self, model: str, gpu_memory_utilization: float = OPTION_DEFAULTS["gpu_memory_utilization"], max_model_len: int | None = None,
                 adapter: str | None = None, **_: object):
        super().__init__(model)
        self._vllm = _import_vllm()
        self.gpu_memory_utilization = gpu_memory_utilization
        self.max_model_len = max_model_len
        self.adapter = adapter
        # vLLM must be told the largest rank it serves; a bad folder fails here, before loading
        self._lora_rank = int(read_adapter_config(adapter).get("r") or 8) if adapter else None
        self._llm = None

    def _load(self):
        if self._llm is None:
            from synthdiv.models.registry import resolve_causal_lm

            lora = {"enable_lora": True, "max_lora_rank": _served_rank(self._lora_rank or 8)} if self.adapter else {}
            self._llm = self._vllm.LLM(
                model=resolve_causal_lm(self.model),
                gpu_memory_utilization=self.gpu_memory_utilization,
                max_model_len=self.max_model_len,
                **lora,
            )
        return self._llm

    def _lora_request(self):
        if not self.adapter:
            return {}
        from vllm.lora.request import LoRARequest

        return {"lora_request": LoRARequest("synthdiv-adapter", 1, str(self.adapter))}

    def _guided(self, name: str | None) -> dict:
        """vLLM's guided decoding by the constraint's regular expression (its name moved between versions)."""
        if name is None:
            return {}
        from synthdiv.backends.constraints import get_constraint

        regex = get_constraint(name).regex
        try:
            from vllm.sampling_params import StructuredOutputsParams  # vLLM >= 0.11

            return {"structured_outputs": StructuredOutputsParams(regex=regex)}
        except ImportError:
            from vllm.sampling_params import GuidedDecodingParams

            return {"guided_decoding": GuidedDecodingParams(regex=regex)}

    def generate(
        self, requests: Sequence[ChatRequest], params: SamplingParams, on_result: OnResult | None = None
    ) -> list[Completion]:
        llm = self._load()
        sampling = [
            self._vllm.SamplingParams(
                n=r.n,
                temperature=params.temperature,
                top_p=params.top_p,
                max_tokens=params.max_tokens,
                seed=sample_seed(params.seed, r.first_sample),
                stop=list(params.stop) if params.stop else None,
                **self._guided(params.constraint),
            )
            for r in requests
        ]
        outputs = llm.chat([r.messages for r in requests], sampling_params=sampling, use_tqdm=False, **self._lora_request())
        self.stats.requests += len(requests)
        result = []
        for i, out in enumerate(outputs):
            comp = Completion(
                texts=[o.text for o in out.outputs],
                prompt_tokens=len(out.prompt_token_ids or []),
                completion_tokens=sum(len(o.token_ids) for o in out.outputs),
            )
            self.stats.add_usage(comp)
            if on_result:
                on_result(i, comp)
            result.append(comp)
        return result


def _served_rank(rank: int) -> int:
    """The smallest ``max_lora_rank`` vLLM accepts that holds ``rank``."""
    return next((r for r in (8, 16, 32, 64, 128, 256, 512) if r >= rank), rank)
