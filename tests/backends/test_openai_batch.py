"""The Batch API backend against a fake Batch API on 127.0.0.1 (fake_batch_api.py) with faults:
a failed batch, an expired one with partial output, per-request errors, a run stopped between
submit and download, a kill between download and the cache. Exact counts; every custom id is
paid once; the key is on no file and in no output."""

from __future__ import annotations

import json

import pytest
from fake_batch_api import FakeBatchAPI

from synthdiv.backends import ChatRequest, SamplingParams, get_backend
from synthdiv.errors import UserError
from synthdiv.generation.cache import ResponseCache, cache_key

KEY = "sk-batch-secret-4242"
PARAMS = SamplingParams(temperature=0.7, max_tokens=32, seed=0)


def reqs(n: int) -> list[ChatRequest]:
    return [ChatRequest([{"role": "user", "content": f"Write story {i}."}], n=1, first_sample=0) for i in range(n)]


def make(server, tmp_path, **kw):
    opts = {"base_url": server.url_for("/v1"), "state_dir": str(tmp_path / "state"), "poll_interval": 0.02,
            "backoff_base": 0.01, "timeout": 5.0}
    return get_backend("openai-batch", model="m", **{**opts, **kw})


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)


def state_files(tmp_path) -> list[str]:
    folder = tmp_path / "state"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_one_batch_in_the_batch_file_format(server, tmp_path, capsys):
    fake = FakeBatchAPI().install(server)
    be = make(server, tmp_path)
    seen = []
    out = be.generate(reqs(5), PARAMS, on_result=lambda i, c: seen.append(i))
    assert [c.ok for c in out] == [True] * 5 and sorted(seen) == [0, 1, 2, 3, 4]
    assert out[2].texts == [fake.dummy.respond(reqs(5)[2].messages, 0, SamplingParams())]
    assert fake.uploads == 1 and fake.purposes == ["batch"] and fake.batch_sizes() == [5]
    assert fake.creates[0]["endpoint"] == "/v1/chat/completions" and fake.creates[0]["completion_window"] == "24h"
    line = fake.inputs["batch_1"][0]
    assert line["custom_id"] == cache_key({"backend": "openai", "model": "m"}, reqs(1)[0].messages, PARAMS.to_dict(), 0)
    assert line["method"] == "POST" and line["url"] == "/v1/chat/completions"
    assert line["body"] == {"model": "m", "messages": reqs(1)[0].messages, "temperature": 0.7, "top_p": 1.0, "max_tokens": 32,
                            "seed": 0}
    assert fake.auth == {f"Bearer {KEY}"}
    assert be.stats.requests == 5 and be.stats.retries == 0 and be.stats.prompt_tokens == 50
    assert be.cache_identity() == {"backend": "openai", "model": "m"} and KEY not in repr(be)
    assert state_files(tmp_path) == []  # every answer handed over: nothing left to resume
    assert "batch: 5/5 answered, 0 failed" in capsys.readouterr().err


def test_a_failed_batch_is_submitted_again(server, tmp_path):
    fake = FakeBatchAPI(plans=["fail", "ok"]).install(server)
    be = make(server, tmp_path)
    out = be.generate(reqs(4), PARAMS)
    assert [c.attempts for c in out] == [2, 2, 2, 2] and all(c.ok for c in out)
    assert fake.batch_sizes() == [4, 4] and list(fake.paid.values()) == [1, 1, 1, 1]
    assert be.stats.requests == 8 and be.stats.retries == 4 and be.stats.failures == 0


def test_an_expired_batch_resubmits_only_what_it_did_not_answer(server, tmp_path):
    # 7 requests: 3 answered, 2 listed as batch_expired, 2 in no file at all
    fake = FakeBatchAPI(plans=[("expire", 3, 2), "ok"]).install(server)
    be = make(server, tmp_path)
    out = be.generate(reqs(7), PARAMS)
    assert all(c.ok for c in out) and [c.attempts for c in out] == [1, 1, 1, 2, 2, 2, 2]
    assert fake.batch_sizes() == [7, 4]
    first = {x["custom_id"] for x in fake.inputs["batch_1"][3:]}
    assert {x["custom_id"] for x in fake.inputs["batch_2"]} == first
    assert len(fake.paid) == 7 and set(fake.paid.values()) == {1}  # no request paid twice
    assert be.stats.requests == 11 and be.stats.retries == 4


def test_error_file_lines_retry_5xx_and_fail_4xx(server, tmp_path, capsys):
    fake = FakeBatchAPI(plans=[("errors", {1: 500, 3: 400}), "ok"]).install(server)
    be = make(server, tmp_path)
    out = be.generate(reqs(5), PARAMS)
    assert [c.ok for c in out] == [True, True, True, False, True]
    assert out[3].error == "HTTP 400: scripted 400 (batch submissions: 1)"
    assert out[1].attempts == 2 and fake.batch_sizes() == [5, 1]
    assert be.stats.failures == 1 and len(fake.paid) == 4 and set(fake.paid.values()) == {1}
    assert "batch: 1 of 5 requests failed (last: HTTP 400: scripted 400)" in capsys.readouterr().err


def test_resubmission_stops_after_max_submissions(server, tmp_path, capsys):
    fake = FakeBatchAPI(plans=[("expire", 0, 4)]).install(server)
    be = make(server, tmp_path, max_submissions=3)
    out = be.generate(reqs(4), PARAMS)
    assert fake.batch_sizes() == [4, 4, 4] and not fake.paid
    assert [c.error for c in out] == ["batch_expired: This request could not be executed before the completion window expired. "
                                      "(batch submissions: 3)"] * 4
    assert be.stats.failures == 4 and be.stats.requests == 12 and be.stats.retries == 8
    err = capsys.readouterr().err
    assert "batch: 4 of 4 requests failed (last: batch_expired: " in err and "each was submitted at most 3 times" in err
    assert state_files(tmp_path) == []


def test_a_failed_batch_without_files_names_its_reason(server, tmp_path):
    FakeBatchAPI(plans=["fail"]).install(server)
    out = make(server, tmp_path, max_submissions=2).generate(reqs(2), PARAMS)
    assert [c.error for c in out] == ["batch failed (invalid_request: scripted failure) (batch submissions: 2)"] * 2


def test_split_at_the_request_and_byte_limits(server, tmp_path):
    fake = FakeBatchAPI().install(server)
    assert all(c.ok for c in make(server, tmp_path, max_batch_requests=2).generate(reqs(5), PARAMS))
    assert fake.batch_sizes() == [2, 2, 1]
    be = make(server, tmp_path)
    size = len(be.split(be.request_lines(reqs(1), PARAMS))[0])  # every line of reqs(5) has this length
    assert all(c.ok for c in make(server, tmp_path, max_batch_bytes=3 * size).generate(reqs(5), PARAMS))
    assert fake.batch_sizes() == [2, 2, 1, 3, 2]
    with pytest.raises(UserError, match=f"one request is {size} bytes, over the batch file limit of {size - 1}"):
        make(server, tmp_path, max_batch_bytes=size - 1).generate(reqs(1), PARAMS)


def test_stopped_between_submit_and_download_resumes_polling(server, tmp_path):
    fake = FakeBatchAPI(plans=["hold"]).install(server)
    with pytest.raises(UserError, match=r"1 batch\(es\) still running after 0.2 s \(batch_1\); rerun the same command"):
        make(server, tmp_path, max_wait=0.2).generate(reqs(6), PARAMS)
    assert state_files(tmp_path) == ["batch_1.json"] and fake.uploads == 1
    state = json.loads((tmp_path / "state" / "batch_1.json").read_text())
    assert state["input_file_id"] == "file-1" and len(state["custom_ids"]) == 6 and not state["finished"]
    fake.release()
    be = make(server, tmp_path)
    out = be.generate(reqs(6), PARAMS)
    assert all(c.ok for c in out) and fake.uploads == 1 and len(fake.creates) == 1  # polled again, nothing new submitted
    assert len(fake.paid) == 6 and set(fake.paid.values()) == {1} and be.stats.requests == 0
    assert state_files(tmp_path) == []


def test_killed_after_the_download_answers_from_the_saved_lines(server, tmp_path):
    fake = FakeBatchAPI().install(server)
    got = []

    def dies_at_the_third(i, comp):
        if len(got) == 2:
            raise KeyboardInterrupt
        got.append(i)

    with pytest.raises(KeyboardInterrupt):
        make(server, tmp_path).generate(reqs(5), PARAMS, on_result=dies_at_the_third)
    assert state_files(tmp_path) == ["batch_1.json", "batch_1.results.jsonl"]
    calls = len(fake.log)
    out = make(server, tmp_path).generate(reqs(5), PARAMS)
    assert all(c.ok for c in out) and len(fake.log) == calls  # not one more HTTP call
    assert set(fake.paid.values()) == {1} and state_files(tmp_path) == []


def test_vllm_run_batch_results_fill_the_cache(server, tmp_path):
    fake = FakeBatchAPI().install(server)
    be = make(server, tmp_path)
    lines = be.request_lines(reqs(3), PARAMS)
    results = tmp_path / "results.jsonl"  # what `vllm.entrypoints.openai.run_batch -o` writes: the same line shape
    results.write_text("".join(json.dumps({**fake._answer(x), "id": "vllm-1"}) + "\n" for x in lines))
    from synthdiv.backends.openai_batch import cache_results
    from synthdiv.generation.engine import Engine

    cache = ResponseCache(tmp_path / "cache")
    assert cache_results(results, cache, "m") == 3
    answers = Engine(be, PARAMS, cache).answer([(r.messages, 0) for r in reqs(3)])
    assert all(a.cached for a in answers) and fake.log == []
    cache.close()


def test_settings_are_checked():
    with pytest.raises(UserError, match="backend_options.max_submissions: out of range"):
        get_backend("openai-batch", model="m", base_url="http://127.0.0.1:9/v1", max_submissions=0)
    with pytest.raises(UserError, match="did you mean 'openai-batch'"):
        get_backend("openai-bath")


def test_generate_cli_end_to_end_and_rerun_from_cache(server, tmp_path, records_of, capsys):
    from synthdiv.cli.main import main
    from synthdiv.data.records_io import read_records, write_records

    fake = FakeBatchAPI(polls=0).install(server)  # done at the first status check: the CLI polls every 30 s
    write_records(records_of(12), tmp_path / "real.jsonl")
    argv = ["generate", "--real", str(tmp_path / "real.jsonl"), "--level", "D4", "--n", "6", "--topics", "builtin",
            "--backend", "openai-batch", "--model", "m", "--base-url", server.url_for("/v1"), "--out", str(tmp_path / "out.jsonl"),
            "--cache-dir", str(tmp_path / "cache"), "--no-progress", "--price-in", "1000", "--price-out", "2000"]
    assert main(argv) == 0
    first = capsys.readouterr()
    assert len(read_records(tmp_path / "out.jsonl")) == 6
    sent = [x for x in fake.log if x[0] == "POST"]
    tokens = next(x for x in first.out.splitlines() if x.startswith("tokens sent"))
    prompt, completion = int(tokens.split()[4]), int(tokens.split()[7])
    assert fake.batch_sizes() == [6] and "requests: 6 (retries 0, failures 0), cache hits: 0" in first.out
    # (60 × 1000 + 160 × 2000) / 1e6 at half the online price
    assert (prompt, completion) == (60, 160) and "cost: 0.1900 (at the configured prices per 1M tokens x 0.5 (batch prices))" in first.out
    assert len(fake.paid) == 6 and set(fake.paid.values()) == {1}
    assert main(argv) == 0
    second = capsys.readouterr()
    assert len(read_records(tmp_path / "out.jsonl")) == 6 and "requests: 0 (retries 0, failures 0), cache hits: 6" in second.out
    assert [x for x in fake.log if x[0] == "POST"] == sent  # the rerun is answered from the cache
    for text in (first.out, first.err, second.out, second.err):
        assert KEY not in text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_generate_killed_while_polling_resumes_the_same_batch(server, tmp_path, records_of):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from synthdiv.cli.main import main
    from synthdiv.data.records_io import read_records, write_records

    fake = FakeBatchAPI(plans=["hold"], polls=0).install(server)
    write_records(records_of(12), tmp_path / "real.jsonl")
    argv = ["generate", "--real", str(tmp_path / "real.jsonl"), "--level", "D4", "--n", "4", "--topics", "builtin",
            "--backend", "openai-batch", "--model", "m", "--base-url", server.url_for("/v1"), "--out", str(tmp_path / "out.jsonl"),
            "--cache-dir", str(tmp_path / "cache"), "--no-progress"]
    src = Path(__file__).resolve().parents[2] / "src"
    proc = subprocess.Popen([sys.executable, "-m", "synthdiv.cli.main", *argv], env={**os.environ, "PYTHONPATH": str(src)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = tmp_path / "cache" / "batches" / "batch_1.json"
    deadline = time.monotonic() + 60
    while not (state.exists() and ("GET", "/v1/batches/batch_1") in fake.log) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)  # polling, between submit and download
    proc.wait()
    assert len(fake.creates) == 1 and not fake.paid and KEY.encode() not in state.read_bytes()
    fake.release()
    assert main(argv) == 0
    assert len(read_records(tmp_path / "out.jsonl")) == 4
    assert fake.inputs["batch_1"] and set(fake.paid.values()) == {1}
    first = {x["custom_id"] for x in fake.inputs["batch_1"]}
    later = [x["custom_id"] for c in fake.creates[1:] for x in fake.inputs[c["id"]]]
    assert not first & set(later)  # the killed run's batch was polled again, not submitted again


def test_the_spec_takes_the_batch_backend_and_its_settings(tiny_spec):
    from synthdiv.experiments.preflight import check_backend
    from synthdiv.experiments.spec import load_spec

    spec = load_spec(tiny_spec(generation={"backend": "openai-batch", "model": "m", "base_url": "http://127.0.0.1:9/v1",
                                           "backend_options": {"poll_interval": 60, "max_submissions": 2}}))
    check_backend(spec)  # a registry name: no second list of backends to keep in step
    be = get_backend(spec.generation.backend, model="m", base_url=spec.generation.base_url, **spec.generation.backend_options)
    assert (be.poll_interval, be.max_submissions, be.price_factor) == (60.0, 2, 0.5)
