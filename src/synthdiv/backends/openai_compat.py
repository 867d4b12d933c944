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

Local servers are often slower and narrower than the defaults assume: repeated
timeouts print one warning suggesting a lower concurrency, and a silence while
requests wait or back off prints a line every ``silence_report_s`` seconds.

Several servers (``base_url`` a list: replicas of one model) each take ``concurrency``
requests at a time; :mod:`synthdiv.backends.servers` routes each attempt to the least
busy one and moves the requests of a server that stops answering to the others.
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
from dataclasses import dataclass
from typing import Any

from synthdiv.backends.base import OPTION_DEFAULTS, Backend, ChatRequest, Completion, OnResult, SamplingParams, sample_seed
from synthdiv.backends.constraints import CONSTRAINT_MODES, openai_fields
from synthdiv.backends.servers import Server, ServerPool, add_counts, server_urls
from synthdiv.errors import UserError, check_choice
from synthdiv.console import say

RETRY_STATUS = {408, 409, 425, 429}
POOL_SHARD = 8  # connections per httpx client
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT_S = OPTION_DEFAULTS["timeout"]  # per request; the preflight's GET /models waits as long
TIMEOUTS_BEFORE_WARNING = 3  # one timeout is a slow answer; three suggest requests queueing on the server
SILENCE_REPORT_S = 30.0  # how long without any answer before a "still waiting" line


@dataclass
class Flight:
    """What the requests of one generate() call are doing, for the silence report."""

    sending: int = 0  # sent and not answered yet
    backing_off: int = 0  # failed, sleeping before their retry
    last_answer: float = 0.0  # monotonic time of the last answer (or of the start)
    last_error: str = ""


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
    """Chat completions over HTTP. ``model`` is the server's model name; ``base_url`` one server's
    URL or a list of them (each takes ``concurrency`` requests at a time)."""

    name = "openai"
    constraint = "json_schema"  # a response_format JSON schema, or llama.cpp server's grammar (constraint_mode)
    priced = True  # the built-in table prices OpenAI's model names
    run_mechanics = ("concurrency", "rpm", "tpm", "timeout", "max_retries", "silence_report_s")

    @classmethod
    def preflight(cls, model: str, options: dict[str, Any]) -> None:
        """Every server answers within the backend's own timeout (a busy local server answers GET /models as
        slowly as a generation), accepts the key and serves the model; each server in its own line."""
        from synthdiv.backends.openai_check import check_openai

        base_url = options.get("base_url")
        for url in base_url if isinstance(base_url, list) else [base_url or DEFAULT_BASE_URL]:
            check_openai(url, options.get("api_key_env") or "OPENAI_API_KEY", float(options.get("timeout", DEFAULT_TIMEOUT_S)),
                         model=model)

    def __init__(
        self,
        model: str,
        base_url: str | list[str] | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int = OPTION_DEFAULTS["concurrency"],
        rpm: float | None = None,
        tpm: float | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        max_retries: int = OPTION_DEFAULTS["max_retries"],
        backoff_base: float = 0.5,
        backoff_max: float = 60.0,
        silence_report_s: float = SILENCE_REPORT_S,
        constraint_mode: str = OPTION_DEFAULTS["constraint_mode"],
        **_: object,
    ):
        super().__init__(model)
        self.base_urls = server_urls(base_url, os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL)
        self.base_url = self.base_urls[0]  # the one server, or the first: what one-server messages name
        self.api_key_env = api_key_env
        self._api_key = os.environ.get(api_key_env) or None  # private: never in repr, logs or the cache key
        if self._api_key is None and any("api.openai.com" in url for url in self.base_urls):
            raise UserError(f"no API key: set the environment variable {api_key_env} (or pass --base-url for a local server)")
        self.concurrency = max(1, int(concurrency))
        self.rpm, self.tpm = rpm, tpm
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.backoff_base, self.backoff_max = float(backoff_base), float(backoff_max)
        self.silence_report_s = float(silence_report_s)
        if not self.silence_report_s > 0:  # 0 would spin the reporter; NaN compares false too
            raise UserError(f"must be a positive number of seconds (got {silence_report_s})", where="backend_options.silence_report_s")
        self.constraint_mode = check_choice(constraint_mode, CONSTRAINT_MODES, what="constraint mode", where="backend_options.constraint_mode")
        self.constraint = self.constraint_mode
        self._rng = random.Random()
        self._timeouts = 0  # over the backend's life: the warning is printed once, at the third
        self._health: dict[str, tuple[int, float]] = {}  # servers set aside by one generate() call, for the next

    def cache_identity(self) -> dict[str, Any]:
        ident = super().cache_identity()
        if self.constraint_mode != OPTION_DEFAULTS["constraint_mode"]:  # a grammar and a schema give differently shaped answers
            ident["constraint_mode"] = self.constraint_mode
        return ident

    def __repr__(self) -> str:
        urls = self.base_url if len(self.base_urls) == 1 else self.base_urls
        return f"OpenAICompatBackend(model={self.model!r}, base_url={urls!r}, key_env={self.api_key_env!r})"

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
        rpm, tpm = TokenBucket(self.rpm), TokenBucket(self.tpm)
        results: list[Completion | None] = [None] * len(requests)
        # Several small connection pools per server instead of one big one: httpcore scans every
        # connection of a pool on each request, which costs more than the request itself
        # at 64 connections on a local server (measured: benchmarks/bench_orchestration.py).
        shards = max(1, -(-self.concurrency // POOL_SHARD))
        per_shard = -(-self.concurrency // shards)
        limits = httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard)

        def clients(url: str) -> list:
            return [httpx.AsyncClient(base_url=url, headers=headers, timeout=self.timeout, limits=limits) for _ in range(shards)]

        pool = ServerPool(self.base_urls, self.concurrency, clients, self.backoff_base, self.backoff_max, self._health)
        flight = Flight(last_answer=time.monotonic())

        async def one(i: int, req: ChatRequest) -> None:
            comp = await self._with_retries(pool, req, params, rpm, tpm, flight)
            results[i] = comp
            if comp.ok:
                self.stats.add_usage(comp)
            else:
                self.stats.failures += 1
            if on_result:
                on_result(i, comp)

        reporter = asyncio.ensure_future(self._report_silence(flight))
        try:
            await asyncio.gather(*(one(i, r) for i, r in enumerate(requests)))
        finally:
            reporter.cancel()
            await pool.aclose()
            self._health = pool.health()
            if len(self.base_urls) > 1:
                add_counts(self.stats.servers, pool.counts())
        return [r for r in results if r is not None]

    async def _report_silence(self, flight: Flight) -> None:
        """A line every ``silence_report_s`` while nothing is answered: without it a dead or
        overloaded server looks like a hung run for the minutes the retries take."""
        while True:
            await asyncio.sleep(self.silence_report_s)
            quiet = time.monotonic() - flight.last_answer
            if quiet >= self.silence_report_s and (flight.sending or flight.backing_off):
                cause = f" (last failure: {flight.last_error})" if flight.last_error else ""
                where = self.base_url if len(self.base_urls) == 1 else f"any of {len(self.base_urls)} servers"
                _say(f"waiting: no answer from {where} for {quiet:.1f} s; {flight.sending} requests sent and "
                     f"unanswered, {flight.backing_off} waiting to retry{cause}")

    def _count_timeout(self) -> None:
        self._timeouts += 1
        if self._timeouts != TIMEOUTS_BEFORE_WARNING:
            return
        if self.concurrency > 1:
            hint = (f"the server may answer fewer requests at a time than concurrency {self.concurrency} "
                    "(--set concurrency, backend_options.concurrency) and queue the rest past the timeout; lower it to the "
                    "server's parallelism (llama.cpp: --parallel) or raise the timeout (--set timeout)")
        else:
            hint = "the server is slower than the timeout for one request; raise it (--set timeout, backend_options.timeout)"
        _say(f"warning: {self._timeouts} requests timed out after {self.timeout:g} s: {hint}")

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
        body.update(openai_fields(params.constraint, self.constraint_mode))
        return body

    async def _with_retries(
        self, pool: ServerPool, req: ChatRequest, params: SamplingParams, rpm: TokenBucket, tpm: TokenBucket, flight: Flight
    ) -> Completion:
        """Up to ``max_retries + 1`` attempts, each on a server the pool picks: a retry after a failure goes
        to another server when there is one (at once), else to the same after the backoff."""
        body = self._payload(req, params)
        # a rough token estimate for the TPM budget: 4 characters a token, plus the answer budget
        estimate = sum(len(m["content"]) for m in req.messages) / 4 + params.max_tokens * req.n
        error = "no attempt"
        failed_on: Server | None = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.stats.retries += 1
            await rpm.take(1)
            await tpm.take(estimate)
            server, shard = await pool.acquire(avoid=failed_on)
            self.stats.requests += 1
            flight.sending += 1
            try:
                parsed, retry_after, unreachable = await self._attempt(server.clients[shard], server.url, body, req.n, flight)
            finally:
                flight.sending -= 1
                await pool.release(server, shard)
            if isinstance(parsed, Completion):
                pool.succeeded(server)
                parsed.attempts = attempt + 1
                return parsed
            pool.failed(server, unreachable)
            error = flight.last_error = parsed if len(self.base_urls) == 1 else f"{parsed} from {server.url}"
            failed_on = server
            if attempt < self.max_retries and not pool.another_is_present(server):
                flight.backing_off += 1
                try:
                    await asyncio.sleep(self._delay(attempt, retry_after))
                finally:
                    flight.backing_off -= 1
        return Completion(error=error, attempts=self.max_retries + 1)

    async def _attempt(self, client, url: str, body: dict[str, Any], n: int,
                       flight: Flight) -> tuple[Completion | str, float | None, bool]:
        """One POST: a Completion, or the reason it failed, the server's Retry-After, and whether the
        server could not be reached (refused or dropped connection). A 4xx that retrying cannot fix
        raises the UserError."""
        import httpx

        try:
            resp = await client.post("/chat/completions", json=body)
        except httpx.TimeoutException:
            self._count_timeout()
            return f"timeout after {self.timeout:g} s", None, False
        except httpx.TransportError as exc:  # refused, reset, dropped mid-body
            return f"connection error ({type(exc).__name__})", None, True
        flight.last_answer = time.monotonic()  # any answer, even an error, ends a silence
        if resp.status_code == 200:
            return _parse_body(resp.content, n), None, False
        if resp.status_code in RETRY_STATUS or resp.status_code >= 500:
            return f"HTTP {resp.status_code}", _retry_after(resp.headers.get("retry-after")), False
        raise UserError(
            f"the server refused the request with HTTP {resp.status_code}: {server_message(resp, self._api_key)}; "
            f"check --model, --base-url and the key in ${self.api_key_env}",
            where=url,
        )

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


def server_message(resp, secret: str | None) -> str:
    """The reason in an error body, one line: OpenAI's ``{"error": {"message": …}}`` (or a bare
    ``"error"`` string), FastAPI's ``{"detail": "…"}`` or its list of pydantic errors
    (``transformers serve``, llama-cpp-python's server), else the body's text."""
    try:
        data = resp.json()
    except Exception:  # noqa: BLE001 - not JSON: the text is the message
        data = None
    msg = _message_of(data) if isinstance(data, dict) else None
    text = " ".join(str(msg if msg is not None else resp.text or "").split())
    if secret:  # a server may echo the key back; it must not reach the terminal
        text = text.replace(secret, "***")
    return text[:300] or "no message"


def _message_of(data: dict) -> str | None:
    err = data.get("error")
    if isinstance(err, dict) and err.get("message"):
        return str(err["message"])
    if isinstance(err, str) and err:
        return err
    detail = data.get("detail")
    if isinstance(detail, str) and detail:
        return detail
    if isinstance(detail, list) and detail:  # pydantic: [{"loc": ["body", "model"], "msg": "Field required"}, …]
        parts = []
        for item in detail:
            if isinstance(item, dict):
                loc = ".".join(str(x) for x in item.get("loc") or [])
                parts.append(f"{loc}: {item.get('msg', '')}" if loc else str(item.get("msg", item)))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    if isinstance(data.get("message"), str) and data["message"]:
        return data["message"]
    return None


def _say(line: str) -> None:
    # sys.stderr looked up at each call, so a captured or redirected stderr gets it
    say(line)
