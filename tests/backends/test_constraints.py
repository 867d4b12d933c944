"""Output constraints: the exact payload each backend sends, the cache keys they get, and
the story parser reading a JSON-schema answer."""

from __future__ import annotations

import re
import sys
import types

import pytest

from synthdiv.backends import ChatRequest, SamplingParams, get_backend
from synthdiv.backends.constraints import FIVE_SENTENCES, openai_fields
from synthdiv.errors import UserError
from synthdiv.generation.cache import NullCache
from synthdiv.generation.engine import Engine
from synthdiv.generation.parse import parse_story

MSG = [{"role": "user", "content": "Write a story."}]
FIVE = "Ann woke up. She made tea. It rained all day. They read books. Then they slept."


def test_openai_payload_carries_the_json_schema_or_a_grammar():
    be = get_backend("openai", model="m", base_url="http://localhost:1/v1")
    body = be._payload(ChatRequest(MSG), SamplingParams(constraint="five_sentences"))
    assert body["response_format"] == {"type": "json_schema", "json_schema": {
        "name": "five_sentence_story", "strict": True,
        "schema": {"type": "object", "properties": {"sentences": {"type": "array", "items": {"type": "string", "maxLength": 142},
                                                                                 "minItems": 5, "maxItems": 5}},
                   "required": ["sentences"], "additionalProperties": False}}}
    assert "response_format" not in be._payload(ChatRequest(MSG), SamplingParams())
    server = get_backend("openai", model="m", base_url="http://localhost:1/v1", constraint_mode="grammar")
    body = server._payload(ChatRequest(MSG), SamplingParams(constraint="five_sentences"))
    assert body["grammar"] == FIVE_SENTENCES.gbnf and "response_format" not in body
    assert server.cache_identity()["constraint_mode"] == "grammar" and "constraint_mode" not in be.cache_identity()
    with pytest.raises(UserError, match="constraint_mode"):
        get_backend("openai", model="m", base_url="http://localhost:1/v1", constraint_mode="regexp")
    assert openai_fields(None) == {}


def test_the_batch_file_carries_the_same_body():
    be = get_backend("openai-batch", model="m", base_url="http://localhost:1/v1", state_dir="/tmp/unused")
    [line] = be.request_lines([ChatRequest(MSG)], SamplingParams(constraint="five_sentences"))
    [plain] = be.request_lines([ChatRequest(MSG)], SamplingParams())
    assert line["body"]["response_format"]["json_schema"]["name"] == "five_sentence_story" and "response_format" not in plain["body"]
    assert line["custom_id"] != plain["custom_id"]  # cached apart


def test_the_regex_and_the_grammar_accept_five_sentences_only():
    assert re.fullmatch(FIVE_SENTENCES.regex, FIVE)
    assert not re.fullmatch(FIVE_SENTENCES.regex, "Ann woke up. She made tea.")
    run_on = "Ann woke up" + ", and she woke up again" * 10 + ". She made tea. It rained. They read. Then they slept."
    assert not re.fullmatch(FIVE_SENTENCES.regex, run_on)  # a sentence over 140 characters is not allowed
    assert FIVE_SENTENCES.gbnf.startswith('root ::= sentence " " sentence " " sentence " " sentence " " sentence\n')


def test_llamacpp_compiles_the_grammar_once_and_passes_it(monkeypatch):
    llama_cpp = pytest.importorskip("llama_cpp")
    be = get_backend("llamacpp", model="smollm2-135m-instruct")
    seen = []

    class FakeLlama:
        def create_chat_completion(self, **kw):
            seen.append(kw)
            return {"choices": [{"message": {"content": FIVE}}], "usage": {}}

    be._llm = FakeLlama()
    be.generate([ChatRequest(MSG), ChatRequest(MSG)], SamplingParams(constraint="five_sentences"))
    be.generate([ChatRequest(MSG)], SamplingParams())
    assert isinstance(seen[0]["grammar"], llama_cpp.LlamaGrammar) and seen[1]["grammar"] is seen[0]["grammar"]
    assert seen[2]["grammar"] is None


def test_vllm_guides_by_the_regex(monkeypatch):
    class StructuredOutputsParams:
        def __init__(self, regex):
            self.regex = regex

    seen = {}

    class LLM:
        def __init__(self, **kw):
            pass

        def chat(self, messages, sampling_params, use_tqdm, **kw):
            seen["params"] = sampling_params
            out = types.SimpleNamespace(text=FIVE, token_ids=[1])
            return [types.SimpleNamespace(outputs=[out], prompt_token_ids=[1]) for _ in messages]

    vllm = types.ModuleType("vllm")
    vllm.LLM, vllm.SamplingParams = LLM, lambda **kw: kw
    sp = types.ModuleType("vllm.sampling_params")
    sp.StructuredOutputsParams = StructuredOutputsParams
    monkeypatch.setitem(sys.modules, "vllm", vllm)
    monkeypatch.setitem(sys.modules, "vllm.sampling_params", sp)
    monkeypatch.setattr("synthdiv.models.registry.resolve_causal_lm", lambda name: f"/models/{name}")
    be = get_backend("vllm", model="smollm2-135m-instruct")
    be.generate([ChatRequest(MSG)], SamplingParams(constraint="five_sentences"))
    assert seen["params"][0]["structured_outputs"].regex == FIVE_SENTENCES.regex


def test_a_constrained_engine_keys_apart_and_leaves_unconstrained_keys_as_they_were():
    engine = Engine(get_backend("dummy"), SamplingParams(), NullCache())
    constrained = engine.with_constraint("five_sentences")
    assert "constraint" not in engine.params_dict and constrained.params_dict["constraint"] == "five_sentences"
    assert constrained.params_dict["constraint_fingerprint"] == FIVE_SENTENCES.fingerprint
    assert constrained._keys.key("[]", 0) != engine._keys.key("[]", 0)
    assert constrained.counters is engine.counters and constrained.rejects is engine.rejects
    assert engine.with_constraint(None) is engine


def test_the_parser_reads_a_json_schema_answer():
    raw = '{"sentences": ["Ann woke up.", "She made tea.", "It rained all day.", "They read books.", "Then they slept."]}'
    assert parse_story(raw, target_words=16).value == parse_story(FIVE, target_words=16).value
    assert parse_story('{"sentences": 3}', target_words=16).ok is False  # not a list: read as text, too few sentences
