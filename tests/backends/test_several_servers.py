"""Several OpenAI-compatible servers behind one backend: requests spread by in-flight count, a server
that dies mid-run has its requests moved to the others within the retry budget, nothing lost or
answered twice, and the summary says how many requests each server answered.

Two local fake servers (fake_servers.FakeServer); throughput against one server is measured by
benchmarks/bench_servers.py, not here."""

from __future__ import annotations

import json
import re
import socket
from collections import Counter

import pytest
from fake_servers import FakeServer

from synthdiv.backends import ChatRequest, SamplingParams, get_backend
from synthdiv.cli.main import main
from synthdiv.data.records_io import read_records, write_records
from synthdiv.errors import UserError
from synthdiv.records import Record


def asks(n: int) -> list[ChatRequest]:
    return [ChatRequest([{"role": "user", "content": f"Tell story {i}."}], first_sample=i) for i in range(n)]


@pytest.fixture
def servers():
    made: list[FakeServer] = []

    def make(**kw) -> FakeServer:
        made.append(FakeServer(**kw))
        return made[-1]

    yield make
    for s in made:
        s.stop()


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"  # closed again: nothing listens there


def backend(urls, **kw):
    return get_backend("openai", model="m", base_url=urls, timeout=5.0, backoff_base=0.05, backoff_max=0.5, **kw)


def seeds(server: FakeServer) -> list[int]:
    return [body["seed"] for body in server.answered]


def test_requests_spread_over_both_servers_each_at_its_own_concurrency(servers):
    a, b = servers(delay=0.05), servers(delay=0.05)
    be = backend([a.url, b.url], concurrency=3)
    comps = be.generate(asks(30), SamplingParams(seed=0))
    assert all(c.ok for c in comps) and len(comps) == 30
    assert a.most_in_flight == b.most_in_flight == 3  # each server held its concurrency, never more
    assert 10 <= len(a.answered) <= 20 and len(a.answered) + len(b.answered) == 30
    assert be.stats.servers == {a.url: {"answered": len(a.answered), "failed": 0}, b.url: {"answered": len(b.answered), "failed": 0}}
    assert set(Counter(seeds(a) + seeds(b)).values()) == {1}  # none answered twice
    assert be.stats.requests == 30 and be.stats.completion_tokens == 30 * 20


def test_a_server_killed_mid_run_has_its_requests_moved_nothing_lost_or_answered_twice(servers):
    a, b = servers(delay=0.05, kill_after=4), servers(delay=0.05)
    be = backend([a.url, b.url], concurrency=4, max_retries=2)
    comps = be.generate(asks(40), SamplingParams(seed=0))
    assert all(c.ok for c in comps), [c.error for c in comps if not c.ok]
    assert len(a.answered) == 4 and len(b.answered) == 36  # a answered four, then died with requests in flight
    answered = Counter(seeds(a) + seeds(b))
    assert len(answered) == 40 and set(answered.values()) == {1}  # every request answered exactly once
    counts = be.stats.servers
    assert counts[a.url]["answered"] == 4 and counts[b.url] == {"answered": 36, "failed": 0}
    assert 1 <= counts[a.url]["failed"] <= 8  # its dropped requests (at most its 4 slots), and few tries after: it is set aside
    assert be.stats.retries == counts[a.url]["failed"] and be.stats.failures == 0
    assert be.stats.completion_tokens == 40 * 20  # paid once each: usage counted from the answers only


def test_a_server_dead_from_the_start_is_set_aside_after_its_first_refusals(servers):
    live, dead = servers(delay=0.02), dead_url()
    # set aside for 1 s after its first refusal, 2 s after the next: a run of about 0.2 s (a few s on a loaded machine)
    be = get_backend("openai", model="m", base_url=[dead, live.url], concurrency=2, backoff_base=1.0, backoff_max=4.0)
    comps = be.generate(asks(20), SamplingParams(seed=0))
    assert all(c.ok for c in comps) and len(live.answered) == 20
    # refused: the requests first sent there (at most its 2 slots), then at most one try each time its pause ends
    assert be.stats.servers[dead]["answered"] == 0 and 1 <= be.stats.servers[dead]["failed"] <= 4


def test_with_every_server_down_a_request_fails_after_its_retry_budget_naming_the_last_server():
    first, second = dead_url(), dead_url()
    be = backend([first, second], max_retries=3)
    [comp] = be.generate(asks(1), SamplingParams())
    assert not comp.ok and comp.attempts == 4
    assert comp.error in (f"connection error (ConnectError) from {first}", f"connection error (ConnectError) from {second}")
    failed = [be.stats.servers[u]["failed"] for u in (first, second)]
    assert sum(failed) == 4 and min(failed) >= 1  # retries alternate: each server got tried


def test_the_cache_key_holds_no_url(servers):
    a, b = servers(), servers()
    one, both = backend(a.url), backend([a.url, b.url])
    assert one.cache_identity() == both.cache_identity() == backend(b.url).cache_identity() == {"backend": "openai", "model": "m"}


@pytest.mark.parametrize("urls, message", [
    (["http://a/v1", "http://a/v1/"], "http://a/v1 is given twice; list each server once"),
    (["http://a/v1", ""], "a server URL must be text such as http://localhost:8000/v1 (got '')"),
])
def test_server_lists_are_checked(urls, message):
    with pytest.raises(UserError, match=re.escape(message)):
        backend(urls)


def test_the_batch_backend_refuses_several_servers():
    with pytest.raises(UserError, match="the Batch API runs on one server"):
        get_backend("openai-batch", model="m", base_url=["http://a/v1", "http://b/v1"], api_key_env="NO_SUCH_KEY_VAR")


# ----- through `synthdiv generate` ----------------------------------------------------------------
def real_file(tmp_path):
    path = tmp_path / "real.jsonl"
    write_records([Record(id=f"r{i}", task="story_completion", target=f"Ann walked home with friend {i} at last.",
                          context=" ".join(f"Ann saw thing {i}-{j} near the river today." for j in range(4))) for i in range(20)], path)
    return path


def test_generate_with_two_servers_one_killed_writes_every_record_and_says_who_answered(servers, tmp_path, capsys):
    a, b = servers(delay=0.03, kill_after=3), servers(delay=0.03)
    args = ["generate", "--real", str(real_file(tmp_path)), "--level", "D6", "--n", "16", "--topics", "builtin", "--backend", "openai",
            "--model", "m", "--out", str(tmp_path / "out.jsonl"), "--cache-dir", str(tmp_path / "cache"), "--no-progress",
            "--set", "concurrency=2", "--set", "max_retries=2"]
    code = main([*args, "--base-url", a.url, "--base-url", b.url])
    out = capsys.readouterr().out
    assert code == 0, out
    records = read_records(tmp_path / "out.jsonl")
    answered = len(a.answered) + len(b.answered)
    assert len(records) == 16 and len(a.answered) == 3
    asked = Counter(json.dumps([body["messages"], body["seed"]]) for body in a.answered + b.answered)
    assert set(asked.values()) == {1}  # none answered twice
    line = next(x for x in out.splitlines() if x.startswith("servers: "))
    assert line.startswith(f"servers: {a.url} answered 3 (") and line.endswith(f"{b.url} answered {len(b.answered)}")
    # the rerun on the other server alone is answered from the cache: the key holds no URL
    assert main([*args, "--base-url", b.url, "--out", str(tmp_path / "again.jsonl")]) == 0
    assert f"requests: 0 (retries 0, failures 0), cache hits: {answered}" in capsys.readouterr().out
    assert read_records(tmp_path / "again.jsonl") == records


# ----- in a spec ------------------------------------------------------------------------------------
def test_spec_server_lists_keep_the_stage_keys_and_reach_the_stages(tiny_spec, servers):
    from synthdiv.experiments.graph import build_graph, generation_mechanics
    from synthdiv.experiments.spec import load_spec

    def keys(base_url):
        spec = load_spec(tiny_spec(generation={"backend": "openai", "model": "m", "base_url": base_url}))
        return spec, [n.key for n in build_graph(spec).nodes]

    two, keys_two = keys(["http://a/v1", "http://b/v1"])
    _, keys_three = keys(["http://a/v1", "http://b/v1", "http://c/v1"])
    one, keys_one = keys(["http://a/v1"])
    _, keys_plain = keys("http://a/v1")
    assert keys_two == keys_three  # adding a replica reuses every stage
    assert keys_one == keys_plain and one.generation.base_url == "http://a/v1"  # a list of one is that URL, keyed as before
    assert generation_mechanics(two)["backend_options"]["base_url"] == ["http://a/v1", "http://b/v1"]


def test_spec_preflight_checks_every_server(tiny_spec, servers, tmp_path, capsys):
    live, dead = servers(), dead_url()
    config = tiny_spec(generation={"backend": "openai", "model": "m", "base_url": [live.url, dead]})
    code = main(["run", str(config), "--out", str(tmp_path / "run"), "--dry-run"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1] == (f"error: generation.base_url: cannot reach the API at {dead} (connection refused: nothing "
                                     "listens there); start the server or fix generation.base_url")


def test_spec_refuses_a_server_listed_twice(tiny_spec, tmp_path, capsys):
    config = tiny_spec(generation={"backend": "openai", "model": "m", "base_url": ["http://a/v1", "http://a/v1"]})
    assert main(["validate", str(config)]) == 2
    assert "generation.base_url: http://a/v1 is given twice; list each server once" in capsys.readouterr().err


def test_a_set_aside_server_is_tried_again_when_its_pause_ends():
    import asyncio
    import time

    from synthdiv.backends.servers import ServerPool

    async def scenario() -> list[str]:
        pool = ServerPool(["http://a", "http://b"], 1, lambda url: [object()], backoff_base=0.05, backoff_max=1.0)
        order = []
        a, shard = await pool.acquire()
        pool.failed(a, unreachable=True)  # refused: set aside for 0.05 s
        await pool.release(a, shard)
        b, b_shard = await pool.acquire(avoid=a)
        order += [a.url, b.url]
        start = time.monotonic()
        again, _ = await pool.acquire()  # b is busy and a set aside: waits for a's pause to end
        order.append(again.url)
        assert time.monotonic() - start >= 0.04
        pool.succeeded(again)  # it answers: back in the rotation for good
        assert again.strikes == 0 and not again.away(time.monotonic())
        return order

    assert asyncio.run(scenario()) == ["http://a", "http://b", "http://a"]
