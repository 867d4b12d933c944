"""A run over HTTP against a local server: killed with SIGKILL mid-run and rerun
(no answered prompt is asked again, exact count, no duplicates), and requests
that keep failing (counted, kept in the rejects file, replaced by new slots)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from werkzeug.wrappers import Response

from synthdiv.backends.base import SamplingParams, sample_seed
from synthdiv.backends.dummy import DummyBackend
from synthdiv.cli.main import main
from synthdiv.data.records_io import read_records
from synthdiv.generation.cache import cache_key

SRC = Path(__file__).resolve().parents[2] / "src"
PARAMS = SamplingParams(temperature=0.7, top_p=1.0, max_tokens=160, seed=0).to_dict()  # the CLI's story defaults
SEED_TO_SAMPLE = {sample_seed(0, s): s for s in range(50)}


class StoryServer:
    """Answers chat completions like the dummy backend would, with a delay; logs every request."""

    def __init__(self, delay: float = 0.0, fail_every: int = 0):
        self.delay, self.fail_every = delay, fail_every
        self.dummy = DummyBackend()
        self.log: list[tuple[list, int]] = []
        self.lock = threading.Lock()

    def __call__(self, request):
        body = request.get_json()
        with self.lock:
            self.log.append((body["messages"], body["seed"]))
        time.sleep(self.delay)
        digest = hashlib.sha256(json.dumps(body["messages"]).encode()).digest()
        if self.fail_every and digest[0] % self.fail_every == 0:
            return Response('{"choices": [', content_type="application/json")  # truncated JSON, every attempt
        text = self.dummy.respond(body["messages"], SEED_TO_SAMPLE[body["seed"]], SamplingParams())
        out = {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
               "usage": {"prompt_tokens": 10, "completion_tokens": len(text.split())}}
        return Response(json.dumps(out), content_type="application/json")


def argv(server, tmp_path, stories_file, n, *extra):
    return ["generate", "--real", str(stories_file), "--level", "D4", "--n", str(n), "--topics", "builtin", "--backend", "openai",
            "--model", "m", "--base-url", server.url_for("/v1"), "--out", str(tmp_path / "out.jsonl"), "--cache-dir",
            str(tmp_path / "cache"), "--no-progress", *extra]


def test_kill_9_mid_run_then_rerun_repeats_no_answered_prompt(server, tmp_path, stories_file, capsys):
    handler = StoryServer(delay=0.03)
    server.expect_request("/v1/chat/completions", method="POST").respond_with_handler(handler)
    n = 60
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen([sys.executable, "-m", "synthdiv.cli.main", *argv(server, tmp_path, stories_file, n, "--set", "concurrency=4")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(handler.log) < 20 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL and not (tmp_path / "out.jsonl").exists()
    answered = {row[0] for row in sqlite3.connect(tmp_path / "cache" / "responses.sqlite").execute("SELECT key FROM responses")}
    assert 10 <= len(answered) < n

    first_run = len(handler.log)
    assert main(argv(server, tmp_path, stories_file, n, "--set", "concurrency=4")) == 0
    out = capsys.readouterr().out
    ident = {"backend": "openai", "model": "m"}
    rerun_keys = [cache_key(ident, msgs, PARAMS, SEED_TO_SAMPLE[seed]) for msgs, seed in handler.log[first_run:]]
    assert not set(rerun_keys) & answered  # nothing answered and stored was asked again
    assert len(rerun_keys) == len(set(rerun_keys))
    assert f"cache hits: {len(answered)}" in out
    recs = read_records(tmp_path / "out.jsonl")
    assert len(recs) == n and len({r.id for r in recs}) == n
    assert len({(r.context, r.target) for r in recs}) == n


def test_failing_requests_are_counted_and_replaced(server, tmp_path, stories_file, capsys):
    handler = StoryServer(fail_every=4)
    server.expect_request("/v1/chat/completions", method="POST").respond_with_handler(handler)
    code = main(argv(server, tmp_path, stories_file, 30, "--set", "max_retries=1", "--set", "concurrency=8"))
    out = capsys.readouterr().out
    assert code == 0 and len(read_records(tmp_path / "out.jsonl")) == 30
    rejects = [json.loads(x) for x in (tmp_path / "out.rejects.jsonl").read_text().splitlines()]
    failed = [r for r in rejects if r["reason"].startswith("request failed")]
    assert failed and all("not valid JSON" in r["reason"] and r["raw"] is None for r in failed)
    assert f"failures {len(failed)}" in out and f"retries {len(failed)}" in out  # one retry each, then given up
    assert len(handler.log) == 30 + 2 * len(failed)
