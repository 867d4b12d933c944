"""One ``generate`` call of the batch backend: adopt what earlier runs submitted, submit the
rest, poll, hand the answers over by custom id, resubmit what may still succeed.

Order matters for "never pay twice": a batch is remembered on disk before it is polled, its
downloaded lines before any answer is handed over, and an ended batch is forgotten only after
the requests it could not answer sit in a newer, remembered batch.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from typing import Any

from synthdiv.backends.base import ChatRequest, Completion, OnResult, SamplingParams
from synthdiv.backends.batch_state import TERMINAL, BatchEntry, BatchStore, line_status
from synthdiv.backends.openai_compat import RETRY_STATUS, _parse_body
from synthdiv.errors import UserError
from synthdiv.console import say

Failures = dict[str, tuple[str, bool]]  # custom id -> (error, worth another batch)


class BatchRun:
    def __init__(self, backend, client, store: BatchStore, requests: list[ChatRequest], params: SamplingParams,
                 on_result: OnResult | None):
        self.b, self.client, self.store, self.on_result = backend, client, store, on_result
        self.requests, self.params = requests, params
        self.ids = backend.custom_ids(requests, params)
        self.where: dict[str, list[int]] = defaultdict(list)  # custom id -> request indexes (the engine sends each once)
        for i, cid in enumerate(self.ids):
            self.where[cid].append(i)
        self.results: list[Completion | None] = [None] * len(requests)
        self.submissions: dict[str, int] = {}  # custom id -> batches it was submitted in so far
        self.done: set[str] = set()
        self.answered = self.failed = 0
        self.last_error = ""
        self.running: list[BatchEntry] = []
        self.counts: dict[str, tuple[int, int]] = {}  # running batch -> (requests done, requests)
        self.to_mark: list[tuple[BatchEntry, set[str]]] = []
        self.start = time.monotonic()
        self.shown = ""

    # ----- the whole call ------------------------------------------------------
    def execute(self) -> None:
        failures = self.adopt()
        flying = {cid for e in self.running for cid in e.custom_ids}
        fresh = [cid for cid in self.where if cid not in self.done and cid not in flying and cid not in failures]
        self.settle(failures, fresh)
        while self.running:
            self.poll_once()
            self.report()
            if self.running:
                self.check_wait()
                time.sleep(self.b.poll_interval)
        if self.failed:
            emit(f"batch: {self.failed} of {len(self.where)} requests failed (last: {self.last_error}); "
                 f"each was submitted at most {self.b.max_submissions} times")

    def completions(self) -> list[Completion]:
        if any(r is None for r in self.results):  # every request ends answered or failed
            raise RuntimeError("a batch request got neither an answer nor an error")
        return list(self.results)  # type: ignore[arg-type]

    # ----- earlier runs --------------------------------------------------------
    def adopt(self) -> Failures:
        """Batches an earlier run submitted for any of these requests: finished ones answer from
        their saved lines, running ones are polled again instead of submitting anew."""
        finished: list[BatchEntry] = []
        for entry in self.store.entries():
            mine = set(entry.custom_ids) & self.where.keys()
            if not mine:
                continue
            for cid in mine:
                self.submissions[cid] = max(self.submissions.get(cid, 0), entry.submission)
            (finished if entry.finished else self.running).append(entry)
        failures: Failures = {}
        for entry in finished:  # all answers first: a request answered by any batch is not a failure
            failures.update(self.take(entry, f"batch {entry.status}"))
        flying = {cid for e in self.running for cid in e.custom_ids}
        return {cid: f for cid, f in failures.items() if cid not in self.done and cid not in flying}

    # ----- submitting ----------------------------------------------------------
    def submit(self, custom_ids: list[str]) -> None:
        """New batches for these requests, split at the provider's limits; each is on disk
        before it is polled."""
        by_round: dict[int, list[str]] = defaultdict(list)
        for cid in custom_ids:
            by_round[self.submissions.get(cid, 0) + 1].append(cid)
        for submission, ids in sorted(by_round.items()):
            lines = self.b.request_lines([self.requests[self.where[cid][0]] for cid in ids], self.params)
            start = 0
            for data in self.b.split(lines):
                count = data.count(b"\n")
                chunk = ids[start : start + count]
                start += count
                batch_id, file_id = self.b.submit(self.client, data)
                entry = BatchEntry(batch_id, file_id, chunk, submission)
                self.store.save(entry)
                self.running.append(entry)
                self.counts[batch_id] = (0, len(chunk))
                for cid in chunk:
                    self.submissions[cid] = submission
                self.b.stats.requests += len(chunk)
                if submission > 1:
                    self.b.stats.retries += len(chunk)
        for entry, ids in self.to_mark:  # their unanswered requests now sit in a remembered batch
            self.store.mark_delivered(entry, ids)
        self.to_mark = []

    def settle(self, failures: Failures, fresh: list[str] = ()) -> None:
        """Resubmit what may still succeed and has submissions left (with ``fresh``, never sent
        before); the rest fails now."""
        again = list(fresh)
        for cid, (error, retryable) in failures.items():
            if retryable and self.submissions.get(cid, 0) < self.b.max_submissions:
                again.append(cid)
            else:
                self.fail(cid, error)
        self.submit(again)

    # ----- polling -------------------------------------------------------------
    def poll_once(self) -> None:
        failures: Failures = {}
        for entry in list(self.running):
            batch = self.b.call(self.client, "GET", f"/batches/{entry.batch_id}").json()
            status = str(batch.get("status"))
            counts = batch.get("request_counts") or {}
            done = int(counts.get("completed") or 0) + int(counts.get("failed") or 0)
            self.counts[entry.batch_id] = (done, int(counts.get("total") or len(entry.custom_ids)))
            if status not in TERMINAL:
                continue
            lines = self.b.download(self.client, batch.get("output_file_id")) + self.b.download(self.client, batch.get("error_file_id"))
            entry.status = status
            self.store.save_results(entry, lines)  # on disk before anything is handed over
            self.running.remove(entry)
            self.counts.pop(entry.batch_id, None)
            failures.update(self.take(entry, f"batch {status}{_batch_errors(batch)}"))
        self.settle(failures)

    def take(self, entry: BatchEntry, why_missing: str) -> Failures:
        """Hand over the answers of a finished batch; the requests it did not answer come back."""
        lines = self.store.results(entry)
        mine = set(entry.custom_ids) & self.where.keys()
        failures: Failures = {}
        for cid in sorted(mine - self.done):
            n = self.requests[self.where[cid][0]].n
            comp, error, retryable = judge(lines.get(cid), n, why_missing, self.b._api_key)
            if comp is not None:
                comp.attempts = entry.submission
                self.b.stats.add_usage(comp)  # counted once: a custom id is answered once
                self.answered += 1
                self.hand_over(cid, comp)
            else:
                failures[cid] = (error, retryable)
        self.to_mark.append((entry, mine))
        return failures

    def fail(self, cid: str, error: str) -> None:
        count = self.submissions.get(cid, 0)
        self.b.stats.failures += 1
        self.failed += 1
        self.last_error = error
        self.hand_over(cid, Completion(error=f"{error} (batch submissions: {count})", attempts=count))

    def hand_over(self, cid: str, comp: Completion) -> None:
        self.done.add(cid)
        for i in self.where[cid]:
            self.results[i] = comp
            if self.on_result:
                self.on_result(i, comp)

    def check_wait(self) -> None:
        if self.b.max_wait is not None and time.monotonic() - self.start > self.b.max_wait:
            names = ", ".join(e.batch_id for e in self.running)
            raise UserError(f"{len(self.running)} batch(es) still running after {self.b.max_wait:g} s ({names}); rerun the "
                            "same command to resume polling them: nothing is submitted again", where="backend_options.max_wait")

    def report(self) -> None:
        line = progress_line(self.answered, self.failed, len(self.where), list(self.counts.values()))
        if line != self.shown:  # one line per change, not per poll
            self.shown = line
            emit(f"{line}, {time.monotonic() - self.start:.0f} s")


def judge(line: dict[str, Any] | None, n: int, why_missing: str, secret: str | None = None) -> tuple[Completion | None, str, bool]:
    """(completion, error, retryable) for one request's result line (None: no line at all).
    A 200 with a readable answer is a success; 429, 408, 5xx, an unreadable answer and a
    request that got no answer (expired, cancelled) may succeed in a new batch; another 4xx will not."""
    if line is None:
        return None, why_missing, True
    status = line_status(line)
    if status == 200:
        parsed = _parse_body(json.dumps(line["response"].get("body")).encode("utf-8"), n)
        return (parsed, "", False) if isinstance(parsed, Completion) else (None, parsed, True)
    error = line.get("error") if isinstance(line.get("error"), dict) else {}
    if status is None:
        return None, f"{error.get('code') or 'no response'}: {error.get('message') or why_missing}", True
    body = line["response"].get("body")
    message = body["error"].get("message") if isinstance(body, dict) and isinstance(body.get("error"), dict) else body
    text = " ".join(str(message or error.get("message") or "").split())[:200]
    if secret:  # a server may echo the key back
        text = text.replace(secret, "***")
    return None, f"HTTP {status}: {text or 'no message'}", status in RETRY_STATUS or status >= 500


def _batch_errors(batch: dict[str, Any]) -> str:
    """A failed batch's own reason (a validation error of the input file, for instance)."""
    errors = batch.get("errors")
    data = errors.get("data") if isinstance(errors, dict) else None
    if not isinstance(data, list) or not data or not isinstance(data[0], dict):
        return ""
    first = data[0]
    return f" ({first.get('code') or 'error'}: {' '.join(str(first.get('message') or '').split())[:150]})"


def progress_line(answered: int, failed: int, total: int, running: list[tuple[int, int]]) -> str:
    """``batch: 3/10 answered, 0 failed; 2 batches running (4/7 done there)``."""
    done, size = sum(c for c, _ in running), sum(t for _, t in running)
    where = f"; {len(running)} batch{'es' if len(running) != 1 else ''} running ({done}/{size} done there)" if running else ""
    return f"batch: {answered}/{total} answered, {failed} failed{where}"


def emit(line: str) -> None:
    say(line)
