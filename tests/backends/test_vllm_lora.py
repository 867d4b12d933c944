"""The vllm backend's LoRA path against a stand-in vllm module (vLLM itself needs a CUDA GPU)."""

import json
import sys
import types

import pytest

from synthdiv.backends import get_backend
from synthdiv.backends.base import ChatRequest, SamplingParams
from synthdiv.errors import UserError


@pytest.fixture
def fake_vllm(monkeypatch):
    calls = {}

    class LLM:
        def __init__(self, **kwargs):
            calls["init"] = kwargs

        def chat(self, messages, sampling_params, use_tqdm, **kwargs):
            calls["chat"] = kwargs
            out = types.SimpleNamespace(text="A story.", token_ids=[1, 2, 3])
            return [types.SimpleNamespace(outputs=[out], prompt_token_ids=[5] * 7) for _ in messages]

    class LoRARequest:
        def __init__(self, name, int_id, path):
            self.name, self.int_id, self.path = name, int_id, path

    vllm = types.ModuleType("vllm")
    vllm.LLM, vllm.SamplingParams = LLM, lambda **kw: kw
    request = types.ModuleType("vllm.lora.request")
    request.LoRARequest = LoRARequest
    for name, module in (("vllm", vllm), ("vllm.lora", types.ModuleType("vllm.lora")), ("vllm.lora.request", request)):
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr("synthdiv.models.registry.resolve_causal_lm", lambda name: f"/models/{name}")
    return calls


def test_vllm_serves_a_lora_adapter(fake_vllm, tmp_path):
    (tmp_path / "adapter_config.json").write_text(json.dumps({"r": 12}))
    be = get_backend("vllm", model="smollm2-135m-instruct", adapter=str(tmp_path))
    out = be.generate([ChatRequest([{"role": "user", "content": "hi"}])], SamplingParams(max_tokens=4, seed=0))
    assert out[0].texts == ["A story."] and out[0].completion_tokens == 3 and out[0].prompt_tokens == 7
    assert fake_vllm["init"]["enable_lora"] is True and fake_vllm["init"]["max_lora_rank"] == 16  # 12 rounded up
    assert fake_vllm["chat"]["lora_request"].path == str(tmp_path)
    assert be.cache_identity()["adapter"] == str(tmp_path)


def test_vllm_without_adapter_sends_no_lora(fake_vllm):
    be = get_backend("vllm", model="smollm2-135m-instruct")
    be.generate([ChatRequest([{"role": "user", "content": "hi"}])], SamplingParams(max_tokens=4))
    assert "enable_lora" not in fake_vllm["init"] and fake_vllm["chat"] == {} and "adapter" not in be.cache_identity()


def test_vllm_rejects_a_folder_that_is_no_adapter(fake_vllm, tmp_path):
    with pytest.raises(UserError, match="adapter_config.json"):
        get_backend("vllm", model="smollm2-135m-instruct", adapter=str(tmp_path))
