"""The OpenAI-compatible backend against a real local HTTP server (pytest-httpserver)
that misbehaves on purpose: 429 with Retry-After, 500, answers slower than the
timeout, truncated and invalid JSON, bodies without choices, a refused key."""

from __future__ import annotations

import json
import threading
import time

import pytest
from werkzeug.wrappers import Response

from synthdiv.backends import ChatRequest, SamplingParams, get_backend
from synthdiv.errors import UserError

MSG = [{"role": "user", "content": "Say hi."}]


def ok_body(text="hi", n=1):
    return json.dumps({
        "choices": [{"index": i, "message": {"role": "assistant", "content": f"{text}{i if n > 1 else ''}"}} for i in range(n)],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1},
    })


class Script:
    """Answers requests from a list of (status, body, headers, delay); the last one repeats."""

    def __init__(self, steps):
        self.steps = list(steps)
        self.lock = threading.Lock()
        self.seen: list[dict] = []

    def __call__(self, request):
        with self.lock:
            self.seen.append({"json": request.get_json(), "auth": request.headers.get("Authorization")})
            step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        status, body, headers, delay = (*step, {}, 0)[:4] if len(step) < 4 else step
        if delay:
            time.sleep(delay)
        return Response(body, status=status, headers=headers or {}, content_type="application/json")


def backend_for(server, script, **kw):
    server.expect_request("/v1/chat/completions", method="POST").respond_with_handler(script)
    opts = {"base_url": server.url_for("/v1"), "timeout": 2.0, "max_retries": 3, "backoff_base": 0.01, "backoff_max": 5.0}
    opts.update(kw)
    return get_backend("openai", model="test-model", **opts)


def test_plain_answer_with_usage_and_payload(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-123")
    script = Script([(200, ok_body("hello"), {}, 0)])
    be = backend_for(server, script)
    [comp] = be.generate([ChatRequest(MSG, n=1, first_sample=2)], SamplingParams(temperature=0.5, max_tokens=7, seed=3))
    assert comp.ok and comp.texts == ["hello"] and comp.prompt_tokens == 3 and comp.completion_tokens == 1
    sent = script.seen[0]
    assert sent["auth"] == "Bearer sk-secret-123"
    assert sent["json"]["model"] == "test-model" and sent["json"]["messages"] == MSG
    assert sent["json"]["temperature"] == 0.5 and sent["json"]["max_tokens"] == 7 and "n" not in sent["json"]
    assert "sk-secret-123" not in repr(be) and "sk-secret-123" not in json.dumps(be.cache_identity())


def test_n_samples_come_back_in_index_order(server):
    script = Script([(200, ok_body("s", n=3), {}, 0)])
    [comp] = backend_for(server, script).generate([ChatRequest(MSG, n=3)], SamplingParams())
    assert comp.texts == ["s0", "s1", "s2"] and script.seen[0]["json"]["n"] == 3


def test_429_honours_retry_after(server):
    script = Script([(429, "{}", {"Retry-After": "0.6"}, 0), (200, ok_body(), {}, 0)])
    be = backend_for(server, script)
    t0 = time.monotonic()
    [comp] = be.generate([ChatRequest(MSG)], SamplingParams())
    assert comp.ok and comp.attempts == 2
    assert time.monotonic() - t0 >= 0.55  # waited as told, not the 10 ms backoff
    assert be.stats.requests == 2 and be.stats.retries == 1 and be.stats.failures == 0


@pytest.mark.parametrize(
    "bad, reason",
    [
        ((500, "oops", {}, 0), "HTTP 500"),
        ((503, "", {}, 0), "HTTP 503"),
        ((200, '{"choices": [{"message": {"content": "cut', {}, 0), "not valid JSON"),
        ((200, "<html>gateway</html>", {}, 0), "not valid JSON"),
        ((200, '{"id": "x", "choices": []}', {}, 0), "no choices"),
        ((200, '{"choices": [{"message": {}}]}', {}, 0), "no message content"),
    ],
)
def test_failed_attempts_are_retried_then_succeed(server, bad, reason):
    script = Script([bad, bad, (200, ok_body("fine"), {}, 0)])
    be = backend_for(server, script)
    [comp] = be.generate([ChatRequest(MSG)], SamplingParams())
    assert comp.texts == ["fine"] and comp.attempts == 3
    assert be.stats.retries == 2 and be.stats.failures == 0


def test_persistent_failure_is_counted_with_its_reason(server):
    script = Script([(200, "{truncated", {}, 0)])
    be = backend_for(server, script, max_retries=2)
    comps = be.generate([ChatRequest(MSG), ChatRequest(MSG, first_sample=1)], SamplingParams())
    assert [c.ok for c in comps] == [False, False]
    assert "not valid JSON" in comps[0].error and comps[0].attempts == 3
    assert be.stats.failures == 2 and be.stats.requests == 6 and be.stats.retries == 4


def test_slow_answer_past_timeout_is_retried(server):
    script = Script([(200, ok_body("late"), {}, 1.5), (200, ok_body("quick"), {}, 0)])
    be = backend_for(server, script, timeout=0.4)
    t0 = time.monotonic()
    [comp] = be.generate([ChatRequest(MSG)], SamplingParams())
    assert comp.texts == ["quick"] and comp.attempts == 2 and time.monotonic() - t0 < 1.4


def test_dropped_connection_is_retried():
    # a port where nobody listens: the connection is refused, every attempt fails
    be = get_backend("openai", model="m", base_url="http://127.0.0.1:9/v1", max_retries=2, backoff_base=0.01)
    [comp] = be.generate([ChatRequest(MSG)], SamplingParams())
    assert not comp.ok and "connection error" in comp.error and be.stats.requests == 3


def test_refused_key_is_a_user_error_without_the_key(server, monkeypatch):
    monkeypatch.setenv("MY_KEY", "sk-do-not-print")
    body = json.dumps({"error": {"message": "Incorrect API key provided: sk-do-not-print"}})
    be = backend_for(server, Script([(401, body, {}, 0)]), api_key_env="MY_KEY")
    with pytest.raises(UserError) as exc:
        be.generate([ChatRequest(MSG)], SamplingParams())
    assert "401" in str(exc.value) and "sk-do-not-print" not in str(exc.value) and "$MY_KEY" in str(exc.value)


def test_missing_key_for_openai_is_a_user_error(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(UserError, match="OPENAI_API_KEY"):
        get_backend("openai", model="gpt-4o")


def test_concurrency_is_bounded(server):
    active = {"now": 0, "max": 0}
    lock = threading.Lock()

    def handler(request):
        with lock:
            active["now"] += 1
            active["max"] = max(active["max"], active["now"])
        time.sleep(0.05)
        with lock:
            active["now"] -= 1
        return Response(ok_body(), content_type="application/json")

    be = backend_for(server, handler, concurrency=4)
    comps = be.generate([ChatRequest(MSG, first_sample=i) for i in range(20)], SamplingParams())
    assert all(c.ok for c in comps) and 2 <= active["max"] <= 4


def test_requests_per_minute_limit_spaces_requests(server):
    be = backend_for(server, Script([(200, ok_body(), {}, 0)]), rpm=1200, concurrency=32)  # 20/s, burst 20
    t0 = time.monotonic()
    be.generate([ChatRequest(MSG, first_sample=i) for i in range(40)], SamplingParams())
    assert time.monotonic() - t0 >= 0.9


def test_tokens_per_minute_limit_spaces_requests(server):
    # each request is estimated at max_tokens=100 (+ a few prompt tokens); 6000 tokens/min = 100/s
    be = backend_for(server, Script([(200, ok_body(), {}, 0)]), tpm=6000, concurrency=32)
    t0 = time.monotonic()
    be.generate([ChatRequest(MSG, first_sample=i) for i in range(4)], SamplingParams(max_tokens=100))
    assert time.monotonic() - t0 >= 2.5


def test_on_result_sees_each_answer_as_it_arrives(server):
    order = []
    be = backend_for(server, Script([(200, ok_body(), {}, 0)]))
    be.generate([ChatRequest(MSG, first_sample=i) for i in range(5)], SamplingParams(), on_result=lambda i, c: order.append(i))
    assert sorted(order) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    "status, body, shown",
    [
        (400, {"detail": "Server is pinned to smollm2; requested 'smollm2-typo'."},
         "HTTP 400: Server is pinned to smollm2; requested 'smollm2-typo'."),  # transformers serve
        (401, {"detail": "Invalid API key"}, "HTTP 401: Invalid API key"),
        (422, {"detail": [{"loc": ["body", "messages"], "msg": "Field required", "type": "missing"},
                          {"loc": ["body", "max_tokens"], "msg": "Input should be a valid integer", "type": "int_parsing"}]},
         "HTTP 422: body.messages: Field required; body.max_tokens: Input should be a valid integer"),  # FastAPI/pydantic
        (404, {"error": {"message": "The model `gpt-5x` does not exist", "type": "invalid_request_error"}},
         "HTTP 404: The model `gpt-5x` does not exist"),  # OpenAI, vLLM
        (404, {"error": "model 'llama9' not found"}, "HTTP 404: model 'llama9' not found"),  # Ollama
        (400, "plain text\n  reason", "HTTP 400: plain text reason"),
        (400, {"object": "error"}, 'HTTP 400: {"object": "error"}'),  # no known field: the body itself
    ],
)
def test_error_bodies_of_every_form_reach_the_error_line(server, status, body, shown):
    text = body if isinstance(body, str) else json.dumps(body)
    be = backend_for(server, Script([(status, text, {}, 0)]))
    with pytest.raises(UserError) as exc:
        be.generate([ChatRequest(MSG)], SamplingParams())
    assert f"the server refused the request with {shown}; check --model" in str(exc.value)
