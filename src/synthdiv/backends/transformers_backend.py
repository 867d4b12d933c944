"""A local Hugging Face causal LM (registry names such as ``smollm2-135m-instruct``
work offline): batched, left-padded generation with the model's chat template,
seeded, on the GPU when there is one. An optional LoRA adapter folder (from
``synthdiv train``) is loaded on top with peft.
"""

from __future__ import annotations

from collections.abc import Sequence

from synthdiv.backends.base import OPTION_DEFAULTS, Backend, ChatRequest, Completion, OnResult, SamplingParams, read_adapter_config, sample_seed
from synthdiv.errors import UserError, check_choice


DTYPES = ("float32", "bfloat16", "float16")  # what ``dtype`` may name (torch's names)


class TransformersBackend(Backend):
    """Generation with ``model.generate``; ``batch_size`` prompts per forward pass."""

    name = "transformers"
    loads_adapters = True

    @classmethod
    def preflight(cls, model: str, options: dict) -> None:
        """The model resolves offline: a registry name, a local folder or the Hugging Face cache."""
        from synthdiv.models.checks import check_model

        check_model(model, embedder=False, field="generation.model")  # its dtype: generation.config.check_settings

    def __init__(
        self,
        model: str = "smollm2-135m-instruct",
        adapter: str | None = None,
        batch_size: int = OPTION_DEFAULTS["batch_size"],
        device: str | None = None,
        dtype: str | None = None,
        **_: object,
    ):
        super().__init__(model)
        check_dtype(dtype, where="backend option dtype")
        self.adapter = adapter
        self.batch_size = max(1, int(batch_size))
        self.batch_alignment = self.batch_size  # one torch seed per batch: keep batches stable
        self.device = device
        self.dtype = dtype
        self._model = None
        self._tokenizer = None

    def cache_identity(self) -> dict:
        """Also the batch size (which prompts share a random stream and a padded batch) and the dtype the
        model runs in (unset: bfloat16 on a GPU, float32 on a CPU), since both change the sampled text;
        left out at batch size 16 and float32, so the keys of answers cached on a CPU before stay the same."""
        ident = super().cache_identity()
        if self.batch_size != OPTION_DEFAULTS["batch_size"]:
            ident["batch_size"] = self.batch_size
        if (dtype := self._dtype_name()) != "float32":
            ident["dtype"] = dtype
        return ident

    def _resolved_device(self) -> str:
        import torch

        return self.device or ("cuda" if torch.cuda.is_available() else "cpu")

    def _dtype_name(self) -> str:
        return self.dtype or ("bfloat16" if self._resolved_device().startswith("cuda") else "float32")

    def _load(self):
        if self._model is not None:
            return self._model, self._tokenizer
        import torch

        from synthdiv.models.registry import load_causal_lm

        device = self._resolved_device()
        model, tokenizer = load_causal_lm(self.model, dtype=getattr(torch, self._dtype_name()), device=device)
        if self.adapter:
            model = _with_adapter(model, self.adapter)
        if not getattr(tokenizer, "chat_template", None):
            raise UserError(f"model {self.model!r} has no chat template; use an instruction-tuned model", where=self.model)
        tokenizer.padding_side = "left"  # generation continues the right end of every row
        model.eval()
        self._model, self._tokenizer, self._device = model, tokenizer, device
        return model, tokenizer

    def generate(
        self, requests: Sequence[ChatRequest], params: SamplingParams, on_result: OnResult | None = None
    ) -> list[Completion]:
        out: list[Completion] = []
        for start in range(0, len(requests), self.batch_size):
            chunk = list(requests[start : start + self.batch_size])
            for j, comp in enumerate(self._generate_batch(chunk, params)):
                self.stats.add_usage(comp)
                if on_result:
                    on_result(start + j, comp)
                out.append(comp)
        return out

    def _generate_batch(self, chunk: list[ChatRequest], params: SamplingParams) -> list[Completion]:
        import torch

        model, tok = self._load()
        texts = [tok.apply_chat_template(r.messages, add_generation_prompt=True, tokenize=False) for r in chunk]
        enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(self._device)
        n = max(r.n for r in chunk)
        # One seed per batch, from the run seed and the first request's sample index: a run
        # from scratch is reproducible; rows of one batch still get different random streams.
        seed = sample_seed(params.seed, chunk[0].first_sample, offset=len(chunk))
        if seed is not None:
            torch.manual_seed(seed)
        sampling = params.temperature > 0
        kwargs = {"do_sample": sampling, "max_new_tokens": params.max_tokens, "num_return_sequences": n,
                  "pad_token_id": tok.pad_token_id}
        if sampling:
            kwargs.update(temperature=params.temperature, top_p=params.top_p, top_k=0)
        with torch.no_grad():
            generated = model.generate(**enc, **kwargs)
        self.stats.requests += 1
        new = generated[:, enc["input_ids"].shape[1] :]
        prompt_lens = enc["attention_mask"].sum(dim=1).tolist()
        results = []
        for i, req in enumerate(chunk):
            rows = new[i * n : i * n + req.n]
            texts_i, used = [], 0
            for row in rows:
                ids = row.tolist()
                stop = next((k for k, t in enumerate(ids) if t in (tok.eos_token_id, tok.pad_token_id)), len(ids))
                used += stop
                texts_i.append(_apply_stop(tok.decode(ids[:stop], skip_special_tokens=True), params.stop))
            results.append(Completion(texts=texts_i, prompt_tokens=int(prompt_lens[i]), completion_tokens=used))
        return results


def check_dtype(dtype: str | None, *, where: str | None = None, field: str | None = None) -> None:
    """``dtype`` is None (bfloat16 on a GPU, float32 on a CPU) or one of :data:`DTYPES`; else a UserError."""
    if dtype is not None:
        check_choice(dtype, DTYPES, what="dtype", where=where, field=field)


def _apply_stop(text: str, stop: tuple[str, ...] | None) -> str:
    for s in stop or ():
        if s in text:
            text = text[: text.index(s)]
    return text.strip()


def _with_adapter(model, adapter: str):
    """The base model with a LoRA adapter folder loaded by peft (read-only, for generation)."""
    read_adapter_config(adapter)  # a clear error for a folder that is not an adapter
    try:
        from peft import PeftModel
    except ImportError:  # pragma: no cover - depends on the install
        raise UserError("loading an adapter needs peft: pip install 'synthdiv[train]'") from None
    return PeftModel.from_pretrained(model, adapter, is_trainable=False)
