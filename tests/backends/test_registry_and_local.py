"""Backend registry, the dummy backend, and the optional extras' error messages."""

from __future__ import annotations

import copy
import importlib.util

import pytest

from synthdiv.backends import ChatRequest, SamplingParams, get_backend
from synthdiv.errors import UserError

MSG = [{"role": "system", "content": "You write short everyday stories."}, {"role": "user", "content": 'Write a story of about 30 words about the topic "Rain".'}]


def test_unknown_backend_suggests_the_close_name():
    with pytest.raises(UserError, match="did you mean 'openai'"):
        get_backend("opneai")


def test_dummy_is_deterministic_per_messages_and_sample():
    be = get_backend("dummy")
    params = SamplingParams(seed=1)
    a = be.generate([ChatRequest(MSG, n=2, first_sample=0)], params)[0]
    b = be.generate([ChatRequest(MSG, n=1, first_sample=1)], params)[0]
    assert len(a.texts) == 2 and a.texts[1] == b.texts[0] and a.texts[0] != a.texts[1]
    assert "Rain" in a.texts[0] and a.completion_tokens > 0 and be.stats.requests == 2


def test_dummy_reject_every_makes_some_answers_malformed():
    be = get_backend("dummy", reject_every=2)
    texts = [be.generate([ChatRequest(MSG, first_sample=i)], SamplingParams())[0].texts[0] for i in range(40)]
    bad = sum(t.startswith("Sorry") for t in texts)
    assert 5 < bad < 35


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is not None, reason="llama-cpp-python is installed")
def test_llamacpp_missing_names_the_pip_command():
    with pytest.raises(UserError, match="pip install llama-cpp-python"):
        get_backend("llamacpp", model="smollm2-135m-instruct")


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm is installed")
def test_vllm_missing_names_the_pip_command():
    with pytest.raises(UserError, match="pip install vllm"):
        get_backend("vllm", model="smollm2-135m-instruct")


def test_transformers_backend_generates_batched_left_padded(tiny_llama, monkeypatch):
    import torch

    torch.set_num_threads(1)
    model, tok = tiny_llama[0], copy.deepcopy(tiny_llama[1])  # the tokenizer fixture is shared
    monkeypatch.setattr("synthdiv.models.registry.load_causal_lm", lambda name, dtype=None, device=None: (model, tok))
    be = get_backend("transformers", model="tiny", batch_size=2, device="cpu")
    reqs = [ChatRequest([{"role": "user", "content": "Tom liked cattle." * (i + 1)}], first_sample=i) for i in range(3)]
    params = SamplingParams(temperature=0.7, max_tokens=5, seed=0)
    seen = []
    out = be.generate(reqs, params, on_result=lambda i, c: seen.append(i))
    again = get_backend("transformers", model="tiny", batch_size=2, device="cpu").generate(reqs, params)
    assert seen == [0, 1, 2] and len(out) == 3
    assert [c.texts for c in out] == [c.texts for c in again]  # seeded
    assert all(0 < c.completion_tokens <= 5 and c.prompt_tokens > 0 for c in out)
    assert be.stats.requests == 2 and tok.padding_side == "left"


def test_transformers_adapter_must_be_an_adapter_folder(tiny_llama, monkeypatch, tmp_path):
    model, tok = tiny_llama[0], copy.deepcopy(tiny_llama[1])  # the tokenizer fixture is shared
    monkeypatch.setattr("synthdiv.models.registry.load_causal_lm", lambda name, dtype=None, device=None: (model, tok))
    be = get_backend("transformers", model="tiny", adapter=str(tmp_path), device="cpu")
    with pytest.raises(UserError, match="adapter_config.json"):
        be.generate([ChatRequest([{"role": "user", "content": "hi"}])], SamplingParams(max_tokens=2))


def test_transformers_loads_a_lora_adapter(tiny_llama, monkeypatch, tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model

    torch.set_num_threads(1)
    model, tok = tiny_llama[0], copy.deepcopy(tiny_llama[1])  # the tokenizer fixture is shared
    peft_model = get_peft_model(model, LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"]))
    peft_model.save_pretrained(tmp_path / "adapter")
    base = peft_model.unload()
    monkeypatch.setattr("synthdiv.models.registry.load_causal_lm", lambda name, dtype=None, device=None: (base, tok))
    be = get_backend("transformers", model="tiny", adapter=str(tmp_path / "adapter"), device="cpu")
    [comp] = be.generate([ChatRequest([{"role": "user", "content": "hi"}])], SamplingParams(max_tokens=3))
    from peft import PeftModel

    assert comp.ok and isinstance(be._model, PeftModel)
    assert "adapter" in be.cache_identity()


def test_transformers_keys_its_cache_by_batch_size_and_dtype_when_not_the_defaults(monkeypatch):
    """Both change the sampled text (a batch's random stream and padding; the arithmetic), so a cache
    filled at one must not answer the other; at batch 16 in float32 the keys stay those cached before."""
    import torch

    default = get_backend("transformers", model="tiny", device="cpu").cache_identity()
    assert default == {"backend": "transformers", "model": "tiny"}
    assert get_backend("transformers", model="tiny", device="cpu", batch_size=16, dtype="float32").cache_identity() == default
    assert get_backend("transformers", model="tiny", device="cpu", batch_size=8).cache_identity()["batch_size"] == 8
    assert get_backend("transformers", model="tiny", device="cpu", dtype="bfloat16").cache_identity()["dtype"] == "bfloat16"
    # unset, the dtype follows the device: bfloat16 on a GPU, so a GPU's answers do not answer a CPU run
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_backend("transformers", model="tiny").cache_identity()["dtype"] == "bfloat16"
    assert "dtype" not in get_backend("transformers", model="tiny", dtype="float32").cache_identity()


def test_transformers_refuses_an_unknown_dtype_in_one_line():
    with pytest.raises(UserError, match="unknown dtype 'fp8'.*float32, bfloat16, float16") as caught:
        get_backend("transformers", model="tiny", dtype="fp8")
    assert caught.value.where == "backend option dtype"
