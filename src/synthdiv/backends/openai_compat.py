"""Any OpenAI-compatible chat-completions server: OpenAI, vLLM's server,
llama.cpp's server, Ollama, TGI.

Requests go out asynchronously (httpx) with bounded concurrency and optional
requests-per-minute and tokens-per-minute limits. A 429, a 5xx, a timeout, a
dropped connection, a body that is not JSON or a body without ``choices`` is a
failed attempt: it is retried with exponential backoff and jitter, honouring
``Retry-After``. Other 4xx answers (bad key, unknown model) are the user's to
fix and stop the run with a UserError. The API key is read from the environment
only and is never logged, cached or written: it lives in the request headers
and nowhere else.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import random
import threading
import time
from collections.abc import Sequence
from typing import Any

from synthdiv.backends.base import Backend, ChatRequest, Completion, OnResult, SamplingParams, sample_seed
from synthdiv.errors import UserError

RETRY_STATUS = {408, 409, 425, 429}
POOL_SHARD = 8  # connections per httpx client
DEFAULT_BASE_URL = "https://api.openai.com/v1"


class TokenBucket:
    """At most ``per_minute`` units a minute, refilled continuously; ``None`` = no limit.
    The burst is one second's worth, so a limit holds over short windows too (a full
    minute's burst at start-up is what trips a provider's own limiter)."""

    def __init__(self, per_minute: float | None):
        self.rate = None if not per_minute else per_minute / 60.0
        self.capacity = max(1.0, self.rate or 0.0)
        self.level = self.capacity
        self.stamp = time.monotonic()

    async def take(self, amount: float) -> None:
        if self.rate is None:
            return
        amount = min(amount, self.capacity)  # one oversized request must not wait forever
        while True:
            now = time.monotonic()
            self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.level >= amount:
                self.level -= amount
                return
            await asyncio.sleep((amount - self.level) / self.rate)


class OpenAICompatBackend(Backend):
    """Chat completions over HTTP. ``model`` is the server's model name."""

    name = "openai"

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int = 16,
        rpm: float | None = None,
        tpm: float | None = None,
        timeout: float = 60.0,
        max_retries: int = 6,
        backoff_base: float = 0.5,
        backoff_max: float = 60.0,
        **_: object,
    ):
        super().__init__(model)
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.api_key_env = api_key_env
        self._api_key = os.environ.get(api_key_env) or None  # private: never in repr, logs or the cache key
        if self._api_key is None and "api.openai.com" in self.base_url:
            raise UserError(f"no API key: set the environment variable {api_key_env} (or pass --base-url for a local server)")
        self.concurrency = max(1, int(concurrency))
        self.rpm, self.tpm = rpm, tpm
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.backoff_base, self.backoff_max = float(backoff_base), float(backoff_max)
        self._rng = random.Random()

    def __repr__(self) -> str:
        return f"OpenAICompatBackend(model={self.model!r}, base_url={self.base_url!r}, key_env={self.api_key_env!r})"

    # ----- public ------------------------------------------------------------
    def generate(
        self, requests: Sequence[ChatRequest], params: SamplingParams, on_result: OnResult | None = None
    ) -> list[Completion]:
        coro = self._run_all(list(requests), params, on_result)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(coro)
        # called from inside an event loop (a notebook): run ours in a worker thread
        box: dict[str, Any] = {}
        thread = threading.Thread(target=lambda: box.setdefault("out", asyncio.run(coro)))
        thread.start()
        thread.join()
        return box["out"]

    # ----- internals -----------------------------------------------------------
    async def _run_all(self, requests: list[ChatRequest], params: SamplingParams, on_result: OnResult | None) -> list[Completion]:
        import httpx

        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        sem = asyncio.Semaphore(self.concurrency)
        rpm, tpm = TokenBucket(self.rpm), TokenBucket(self.tpm)
        results: list[Completion | None] = [None] * len(requests)
        # Several small connection pools instead of one big one: httpcore scans every
        # connection of a pool on each request, which costs more than the request itself
        # at 64 connections on a local server (measured: benchmarks/bench_orchestration.py).
        shards = max(1, -(-self.concurrency // POOL_SHARD))
        per_shard = -(-self.concurrency // shards)
        limits = httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard)
        clients = [
            httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=self.timeout, limits=limits) for _ in range(shards)
        ]

        inflight = [0] * shards

        async def one(i: int, req: ChatRequest) -> None:
            async with sem:
                # the least busy pool always has a free connection (in flight <= shards × per_shard)
                k = inflight.index(min(inflight))
                inflight[k] += 1
                try:
                    comp = await self._with_retries(clients[k], req, params, rpm, tpm)
                finally:
                    inflight[k] -= 1
            results[i] = comp
            if comp.ok:
                self.stats.add_usage(comp)
            else:
                self.stats.failures += 1
            if on_result:
                on_result(i, comp)

        try:
            await asyncio.gather(*(one(i, r) for i, r in enumerate(requests)))
        finally:
            for client in clients:
                await client.aclose()
        return [r for r in results if r is not None]

    def _payload(self, req: ChatRequest, params: SamplingParams) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": req.messages,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": params.max_tokens,
        }
        if req.n != 1:
            body["n"] = req.n
        if params.seed is not None:
            body["seed"] = sample_seed(params.seed, req.first_sample)
        if params.stop:
            body["stop"] = list(params.stop)
        return body

    async def _with_retries(self, client, req: ChatRequest, params: SamplingParams, rpm: TokenBucket, tpm: TokenBucket) -> Completion:
        import httpx

        body = self._payload(req, params)
        # a rough token estimate for the TPM budget: 4 characters a token, plus the answer budget
        estimate = sum(len(m["content"]) for m in req.messages) / 4 + params.max_tokens * req.n
        error = "no attempt"
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.stats.retries += 1
            await rpm.take(1)
            await tpm.take(estimate)
            self.stats.requests += 1
            retry_after = None
            try:
                resp = await client.post("/chat/completions", json=body)
            except httpx.TimeoutException:
                error = f"timeout after {self.timeout:g} s"
            except httpx.TransportError as exc:  # refused, reset, dropped mid-body
                error = f"connection error ({type(exc).__name__})"
            else:
                if resp.status_code == 200:
                    parsed = _parse_body(resp.content, req.n)
                    if isinstance(parsed, Completion):
                        parsed.attempts = attempt + 1
                        return parsed
                    error = parsed
                elif resp.status_code in RETRY_STATUS or resp.status_code >= 500:
                    error = f"HTTP {resp.status_code}"
                    retry_after = _retry_after(resp.headers.get("retry-after"))
                else:
                    raise UserError(
                        f"the server refused the request with HTTP {resp.status_code}: {_server_message(resp, self._api_key)}; "
                        f"check --model, --base-url and the key in ${self.api_key_env}",
                        where=self.base_url,
                    )
            if attempt < self.max_retries:
                await asyncio.sleep(self._delay(attempt, retry_after))
        return Completion(error=error, attempts=self.max_retries + 1)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Retry-After when the server gives it, else exponential backoff with full jitter."""
        if retry_after is not None:
            return min(retry_after, self.backoff_max)
        ceiling = min(self.backoff_max, self.backoff_base * 2**attempt)
        return ceiling * (0.5 + 0.5 * self._rng.random())


def _parse_body(content: bytes, n: int) -> Completion | str:
    """A Completion, or the reason the body counts as a failed attempt."""
    try:
        data = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "response body is not valid JSON"
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list) or not choices:
        return "response has no choices"
    texts = []
    for choice in sorted(choices, key=lambda c: c.get("index", 0) if isinstance(c, dict) else 0):
        message = choice.get("message") if isinstance(choice, dict) else None
        text = message.get("content") if isinstance(message, dict) else None
        if not isinstance(text, str):
            return "a choice has no message content"
        texts.append(text)
    if len(texts) < n:
        return f"asked for {n} choices, got {len(texts)}"
    usage = data.get("usage") or {}
    return Completion(
        texts=texts[:n],
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
    )


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _server_message(resp, secret: str | None) -> str:
    try:
        err = resp.json().get("error")
        msg = err.get("message") if isinstance(err, dict) else err
    except Exception:  # noqa: BLE001 - any body shape: fall back to text
        msg = resp.text
    text = " ".join(str(msg or "").split())
    if secret:  # a server may echo the key back; it must not reach the terminal
        text = text.replace(secret, "***")
    return text[:200] or "no message"
