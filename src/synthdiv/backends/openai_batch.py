"""OpenAI's Batch API: the same chat requests as the ``openai`` backend, at batch prices.

One ``generate`` call (one wave of the engine) becomes one or more batches: the requests are
written in the batch file format (``custom_id``, ``method``, ``url``, ``body``), uploaded to
``/files`` (purpose ``batch``), submitted to ``/batches`` (window ``24h``), polled, and their output
and error files downloaded and mapped back by ``custom_id``. The custom id of a request is its
response-cache key, so mapping back is exact and the cache the engine fills is the online
backend's (``cache_identity`` is the ``openai`` one: an answer paid for either way serves both).

What is paid for is on disk before it is used (:mod:`synthdiv.backends.batch_state`): the batch
ids right after submitting, the downloaded lines before they are handed over. A run killed while
polling resumes polling the same batches; one killed after a download answers from the saved lines.
Requests of a batch that failed, expired or was cancelled, and requests that got a retryable error
(429, 5xx, an unreadable answer), go into a new batch, at most ``max_submissions`` submissions in
all; a request the server refused (another 4xx) fails at once. A request set over the provider's
limits (50,000 requests or 200 MB a file) is split. The files work with vLLM's offline runner too
(docs/backends.md).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from synthdiv.backends.base import ChatRequest, Completion, OnResult, SamplingParams
from synthdiv.backends.batch_run import BatchRun, judge
from synthdiv.backends.batch_state import BatchStore
from synthdiv.backends.openai_compat import RETRY_STATUS, OpenAICompatBackend, _retry_after, server_message
from synthdiv.errors import UserError
from synthdiv.generation.cache import KeyMaker, canonical_json

ENDPOINT = "/v1/chat/completions"
COMPLETION_WINDOW = "24h"  # the only window OpenAI offers
MAX_REQUESTS = 50_000  # OpenAI's limits on one batch input file
MAX_BYTES = 200_000_000


class OpenAIBatchBackend(OpenAICompatBackend):
    """Chat completions through the Batch API. Settings beyond the ``openai`` ones:
    ``state_dir`` (where submitted batches are remembered; the runner puts it beside the
    response cache), ``poll_interval`` (seconds between status checks), ``max_wait`` (give up
    polling after this many seconds; a rerun resumes), ``max_submissions`` (of one request,
    resubmissions included), ``max_batch_requests`` / ``max_batch_bytes`` (split above these),
    ``price_factor`` (batch price / online price, applied to the cost line)."""

    name = "openai-batch"
    price_factor = 0.5  # OpenAI bills batch tokens at half the online price
    cache_as = OpenAICompatBackend.name  # the same request gets the same kind of answer either way
    run_mechanics = (*OpenAICompatBackend.run_mechanics, "poll_interval", "max_wait")

    @classmethod
    def preflight(cls, model: str, options: dict[str, Any]) -> None:
        """Nothing to ask before a sweep: the batch may be answered offline (vLLM's run_batch, docs/backends.md)."""

    def __init__(
        self,
        model: str,
        state_dir: str | None = None,
        poll_interval: float = 30.0,
        max_wait: float | None = None,
        max_submissions: int = 3,
        max_batch_requests: int = MAX_REQUESTS,
        max_batch_bytes: int = MAX_BYTES,
        price_factor: float | None = None,  # default: the class's
        **options: Any,
    ):
        price_factor = type(self).price_factor if price_factor is None else price_factor
        super().__init__(model, **options)
        if len(self.base_urls) > 1:
            raise UserError("the Batch API runs on one server: give one --base-url (generation.base_url)", where="--base-url")
        values = {"poll_interval": poll_interval, "max_wait": max_wait, "max_submissions": max_submissions,
                  "max_batch_requests": max_batch_requests, "max_batch_bytes": max_batch_bytes, "price_factor": price_factor}
        for setting, value in values.items():  # all positive; price_factor may be 0 (a free server), max_wait unset
            if value is not None and not (value >= 0 if setting == "price_factor" else value > 0):
                raise UserError(f"out of range (got {value})", where=f"backend_options.{setting}")
        if state_dir is None:
            from synthdiv.models.registry import cache_dir

            state_dir = str(cache_dir() / "responses" / "batches")
        self.state_dir = Path(state_dir)
        self.poll_interval, self.max_wait = float(poll_interval), max_wait
        self.max_submissions = int(max_submissions)
        self.max_batch_requests, self.max_batch_bytes = int(max_batch_requests), int(max_batch_bytes)
        self.price_factor = float(price_factor)
        self.http_calls = 0  # upload, create, retrieve, download: none of them is billed
        self.submitted_batches = 0

    def __repr__(self) -> str:
        return f"OpenAIBatchBackend(model={self.model!r}, base_url={self.base_url!r}, key_env={self.api_key_env!r})"

    def cache_identity(self) -> dict[str, Any]:
        return {"backend": self.cache_as, "model": self.model}  # the online backend's identity (cache_as)

    # ----- the batch file format -----------------------------------------------
    def custom_ids(self, requests: Sequence[ChatRequest], params: SamplingParams) -> list[str]:
        """Each request's response-cache key (what the engine stores its answer under)."""
        keys = KeyMaker(self.cache_identity(), params.to_dict())
        return [keys.key(canonical_json(r.messages), r.first_sample) + (f"-n{r.n}" if r.n != 1 else "") for r in requests]

    def request_lines(self, requests: Sequence[ChatRequest], params: SamplingParams) -> list[dict[str, Any]]:
        """One batch input line per request: also the input of ``vllm ... run_batch``."""
        return [{"custom_id": cid, "method": "POST", "url": ENDPOINT, "body": self._payload(r, params)}
                for cid, r in zip(self.custom_ids(requests, params), requests, strict=True)]

    def split(self, lines: list[dict[str, Any]]) -> list[bytes]:
        """Input files of at most ``max_batch_requests`` lines and ``max_batch_bytes`` bytes."""
        files: list[bytes] = []
        current: list[bytes] = []
        size = 0
        for line in lines:
            raw = (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")
            if len(raw) > self.max_batch_bytes:
                raise UserError(f"one request is {len(raw)} bytes, over the batch file limit of {self.max_batch_bytes}",
                                where="backend_options.max_batch_bytes")
            if current and (len(current) >= self.max_batch_requests or size + len(raw) > self.max_batch_bytes):
                files.append(b"".join(current))
                current, size = [], 0
            current.append(raw)
            size += len(raw)
        if current:
            files.append(b"".join(current))
        return files

    # ----- public ------------------------------------------------------------
    def generate(
        self, requests: Sequence[ChatRequest], params: SamplingParams, on_result: OnResult | None = None
    ) -> list[Completion]:
        import httpx

        if not requests:
            return []
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=self.timeout) as client:
            run = BatchRun(self, client, BatchStore(self.state_dir), list(requests), params, on_result)
            run.execute()
        return run.completions()

    # ----- HTTP --------------------------------------------------------------
    def call(self, client, method: str, path: str, **kwargs: Any):
        """One control call with the ``openai`` backend's retry rules: 429, 408, 5xx, timeouts
        and dropped connections are retried with backoff; another 4xx is the user's to fix."""
        import httpx

        error = "no attempt"
        for attempt in range(self.max_retries + 1):
            self.http_calls += 1
            retry_after = None
            try:
                resp = client.request(method, path, **kwargs)
            except httpx.TimeoutException:
                error = f"timeout after {self.timeout:g} s"
            except httpx.TransportError as exc:
                error = f"connection error ({type(exc).__name__})"
            else:
                if resp.status_code < 300:
                    return resp
                if resp.status_code not in RETRY_STATUS and resp.status_code < 500:
                    raise UserError(f"the server refused {method} {path} with HTTP {resp.status_code}: "
                                    f"{server_message(resp, self._api_key)}; check --model, --base-url and the key in "
                                    f"${self.api_key_env}", where=self.base_url)
                error = f"HTTP {resp.status_code}"
                retry_after = _retry_after(resp.headers.get("retry-after"))
            if attempt < self.max_retries:
                time.sleep(self._delay(attempt, retry_after))
        raise UserError(f"{method} {path} failed {self.max_retries + 1} times (last: {error}); rerun to resume: "
                        "submitted batches are remembered", where=self.base_url)

    def submit(self, client, data: bytes) -> tuple[str, str]:
        """Upload one input file and create its batch: (batch id, input file id)."""
        name = f"synthdiv-{hashlib.sha256(data).hexdigest()[:16]}.jsonl"
        upload = self.call(client, "POST", "/files", data={"purpose": "batch"},
                           files={"file": (name, data, "application/jsonl")})
        file_id = _field(upload, "id", "/files")
        created = self.call(client, "POST", "/batches", json={"input_file_id": file_id, "endpoint": ENDPOINT,
                                                             "completion_window": COMPLETION_WINDOW})
        self.submitted_batches += 1
        return _field(created, "id", "/batches"), file_id

    def download(self, client, file_id: str | None) -> list[dict[str, Any]]:
        """The result lines of an output or error file; unreadable lines are skipped (their
        requests then count as unanswered and go into the next batch)."""
        if not file_id:
            return []
        text = self.call(client, "GET", f"/files/{file_id}/content").text
        lines = []
        for raw in text.splitlines():
            try:
                line = json.loads(raw)
            except json.JSONDecodeError:
                continue
            if isinstance(line, dict) and isinstance(line.get("custom_id"), str):
                lines.append(line)
        return lines


def _field(resp, name: str, what: str) -> str:
    try:
        value = resp.json().get(name)
    except (ValueError, AttributeError):
        value = None
    if not isinstance(value, str):
        raise UserError(f"the answer of {what} has no {name!r}; is --base-url a server with the Batch API?")
    return value


def cache_results(results_file: str | Path, cache, model: str) -> int:
    """Store the answers of a results file (``vllm ... run_batch -o FILE``, or a downloaded batch
    output) in a response cache under their custom ids: a later run with the same model and
    sampling settings finds them there. Returns how many answers were stored."""
    stored = 0
    with open(results_file, encoding="utf-8") as fh:
        for raw in fh:
            line = json.loads(raw)
            comp, _, _ = judge(line, 1, "")
            if comp is not None and isinstance(line.get("custom_id"), str):
                cache.put(line["custom_id"], OpenAIBatchBackend.name, model, comp.texts[0], comp.prompt_tokens, comp.completion_tokens)
                stored += 1
    return stored
