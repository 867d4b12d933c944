"""Cost before spending: prices, token counters, the dry-run plan and the cost cap (generation.cost)."""

from __future__ import annotations

import math

import pytest

from synthdiv.backends.base import ChatRequest, SamplingParams
from synthdiv.backends.dummy import DummyBackend
from synthdiv.data.records_io import read_records
from synthdiv.errors import UserError
from synthdiv.generation import cost
from synthdiv.generation.cache import NullCache, ResponseCache
from synthdiv.generation.engine import Engine
from synthdiv.generation.config import GenerationConfig
from synthdiv.generation.runner import CostCapReached, run_generation

MAX_TOKENS = 50


def cfg_of(tmp_path, real, **kw):
    base = dict(task="story_completion", strategy="topic", level="D3", n=10, out=tmp_path / "out.jsonl", real=real, topics="builtin",
                backend="dummy", model="dummy", cache_dir=tmp_path / "cache", progress=False,
                max_tokens=MAX_TOKENS)
    base.update(kw)
    return GenerationConfig(**base)


# ----- prices -----------------------------------------------------------------------------
def test_prices_given_built_in_or_none():
    assert cost.resolve_prices("openai", "gpt-4o", 1.0, None) == cost.Prices(1.0, 0.0, "given")
    mini = cost.resolve_prices("openai-batch", "gpt-4o-mini-2024-07-18", None, None)
    assert (mini.per_m_in, mini.per_m_out) == cost.PRICES["gpt-4o-mini"] != cost.PRICES["gpt-4o"]
    assert "built-in for gpt-4o-mini" in mini.source and "--price-in" in mini.source
    assert cost.resolve_prices("openai", "gpt-4o-audio-preview", None, None) is None  # another model, other prices
    assert cost.resolve_prices("transformers", "gpt-4o", None, None) is None  # a local model is not billed by OpenAI
    assert mini.cost(2e6, 1e6, factor=0.5) == pytest.approx((2 * mini.per_m_in + mini.per_m_out) / 2)


# ----- token counters ---------------------------------------------------------------------
def test_the_dummy_counter_counts_what_the_dummy_backend_bills():
    messages = [{"role": "system", "content": "Write a story."}, {"role": "user", "content": "About a  red kite, please."}]
    (billed,) = DummyBackend().generate([ChatRequest(messages)], SamplingParams())
    assert cost.load_counter("dummy", "dummy").count(messages) == billed.prompt_tokens


def test_a_local_tokenizer_counts_what_the_transformers_backend_bills(tiny_model_dir):
    from synthdiv.backends.transformers_backend import TransformersBackend

    counter = cost.load_counter("transformers", str(tiny_model_dir))
    messages = [{"role": "system", "content": "Write a story."}, {"role": "user", "content": "Tom liked to herd cattle. He did it every day."}]
    (billed,) = TransformersBackend(str(tiny_model_dir), device="cpu").generate([ChatRequest(messages)], SamplingParams(max_tokens=2))
    assert counter.exact and "tokenizer" in counter.method and counter.count(messages) == billed.prompt_tokens


def test_without_a_tokenizer_the_count_is_a_stated_estimate(tmp_path):
    counter = cost.load_counter("openai", str(tmp_path / "no-such-model"))
    short, long = ([{"role": "user", "content": "x" * k}] for k in (40, 400))
    assert not counter.exact and "estimate: characters / 4" in counter.method
    assert counter.count(long) - counter.count(short) == (400 - 40) // 4


# ----- the plan -----------------------------------------------------------------------------
@pytest.mark.parametrize("overdraw", [1.0, 2.0])
def test_the_plan_is_what_the_run_then_sends(tmp_path, stories_file, overdraw):
    cfg = cfg_of(tmp_path, stories_file, n=12, overdraw=overdraw, price_in=1.0, price_out=2.0)
    plan = cost.plan_generation(cfg)
    assert not cfg.out.exists() and not (tmp_path / "cache").exists()  # nothing written, the cache not even created
    assert plan.requests == math.ceil(12 * overdraw) and plan.cached == 0  # the dummy's answers all parse
    assert plan.completion_bound == plan.requests * MAX_TOKENS
    assert plan.cost == pytest.approx(cfg.price_in * plan.prompt_tokens / 1e6 + cfg.price_out * plan.completion_bound / 1e6)
    summary = run_generation(cfg)
    assert (summary.requests, summary.prompt_tokens) == (plan.requests, plan.prompt_tokens)
    again = cost.plan_generation(cfg)
    assert (again.requests, again.cached, again.prompt_tokens) == (0, summary.requests, 0)


class ConstrainingDummy(DummyBackend):
    """The dummy's answers under the name of a backend that decodes with an output constraint."""

    name = "llamacpp"
    constraint = "grammar"


def test_the_plan_of_a_constrained_run_asks_as_the_run_did(tmp_path, stories_file, monkeypatch, capsys):
    from synthdiv import backends

    monkeypatch.setitem(backends.BACKENDS, "llamacpp", (__name__, "ConstrainingDummy"))
    cfg = cfg_of(tmp_path, stories_file, n=6, backend="llamacpp", constrain=True)
    summary = run_generation(cfg)
    assert {r.provenance.sampling["constraint"] for r in read_records(cfg.out)} == {"five_sentences"}
    capsys.readouterr()
    again = cost.plan_generation(cfg)  # the stand-in constrains as the backend does: the same keys, all cached
    assert (again.requests, again.cached) == (0, summary.requests)
    assert "cannot constrain" not in capsys.readouterr().err


def test_the_plan_of_qa_counts_pairs_and_paraphrases(tmp_path, qa_file):
    cfg = cfg_of(tmp_path, qa_file, task="long_context_qa", strategy="paraphrase", topics=None, n=16)
    plan = cost.plan_generation(cfg)
    assert plan.requests == run_generation(cfg).requests and plan.prices is None
    assert any("stand-in" in note for note in plan.notes) and any("cost: no price known" in line for line in plan.lines())


def test_the_plan_counts_prompt_tokens_with_the_model_tokenizer(tmp_path, stories_file, tiny_tokenizer, monkeypatch):
    folder = tmp_path / "tiny"  # a tokenizer and no weights: the plan must not load a model
    tiny_tokenizer.save_pretrained(folder)
    sent = []

    class Recording(cost._StandIn):
        def generate(self, requests, params, on_result=None):
            sent.extend(r.messages for r in requests)
            return super().generate(requests, params, on_result)

    monkeypatch.setattr(cost, "_StandIn", Recording)
    plan = cost.plan_generation(cfg_of(tmp_path, stories_file, backend="transformers", model=str(folder)))
    counter = cost.load_counter("transformers", str(folder))
    assert plan.requests == len(sent) == 10 and plan.counter == counter.method
    assert plan.prompt_tokens == sum(counter.count(m) for m in sent)


# ----- the cap ------------------------------------------------------------------------------
def capped(tmp_path, stories_file, cap, **kw):
    # 1 USD per completion token and free prompts: every request's bound is exactly MAX_TOKENS USD
    return cfg_of(tmp_path, stories_file, price_in=0.0, price_out=1e6, max_cost=cap, **kw)


def test_the_cap_stops_at_the_exact_record_count_and_a_higher_cap_resumes(tmp_path, stories_file):
    cap = 4.5 * MAX_TOKENS
    with pytest.raises(CostCapReached) as stop:
        run_generation(capped(tmp_path, stories_file, cap))
    fits = math.floor(cap / MAX_TOKENS)
    assert stop.value.exit_code == 3 and stop.value.summary.records == stop.value.summary.requests == fits
    assert len(read_records(tmp_path / "out.jsonl")) == fits and len(ResponseCache(tmp_path / "cache")) == fits
    message = str(stop.value)
    assert f"{fits} of 10 records" in message and f"{cap:.4f} USD cap" in message and "raise --max-cost" in message
    resumed = run_generation(capped(tmp_path, stories_file, 100 * MAX_TOKENS))
    assert (resumed.records, resumed.requests, resumed.cache_hits) == (10, 10 - fits, fits)  # cached answers not sent again
    resumed_ids = [r.id for r in read_records(tmp_path / "out.jsonl")]
    run_generation(cfg_of(tmp_path, stories_file, out=tmp_path / "plain.jsonl", cache_dir=tmp_path / "fresh"))
    assert resumed_ids == [r.id for r in read_records(tmp_path / "plain.jsonl")]  # the same records as an uncapped run


def test_cached_answers_are_used_whatever_the_cap_and_not_paid_again(tmp_path, stories_file):
    run_generation(cfg_of(tmp_path, stories_file))
    summary = run_generation(capped(tmp_path, stories_file, 0.0))
    assert (summary.records, summary.requests, summary.cost) == (10, 0, 0.0)


def test_a_batch_aligned_backend_sends_whole_batches_or_none():
    backend = DummyBackend()
    backend.batch_alignment = 4
    prices, counter = cost.Prices(0.0, 1e6, "given"), cost.load_counter("dummy", "dummy")
    budget = cost.Budget(6.5 * MAX_TOKENS, prices, counter, MAX_TOKENS, backend.stats)
    engine = Engine(backend, SamplingParams(max_tokens=MAX_TOKENS), NullCache(), budget=budget)
    jobs = [([{"role": "user", "content": f"story {i}"}], 0) for i in range(10)]
    answers = engine.answer(jobs)
    assert [a.unsent for a in answers] == [False] * 4 + [True] * 6 and engine.stopped and backend.stats.requests == 4


def test_a_cap_needs_a_price():
    with pytest.raises(UserError, match=r"--max-cost.*--price-in/--price-out"):
        GenerationConfig(task="story_completion", strategy="topic", level="D3", n=1, out="x.jsonl", backend="dummy", max_cost=1.0)
    with pytest.raises(UserError, match="--max-cost"):
        GenerationConfig(task="story_completion", strategy="topic", level="D3", n=1, out="x.jsonl", price_in=1.0, max_cost=-1.0)
    GenerationConfig(task="story_completion", strategy="topic", level="D3", n=1, out="x.jsonl", backend="openai", model="gpt-4.1-nano",
                     max_cost=1.0)  # a built-in price is enough


def test_a_cap_during_the_qa_pairs_writes_nothing_and_the_rerun_resumes(tmp_path, qa_file):
    def qa(cap):
        return capped(tmp_path, qa_file, cap, task="long_context_qa", strategy="paraphrase", topics=None, n=8)

    with pytest.raises(CostCapReached, match="0 of 8 records made.*nothing was written") as stop:
        run_generation(qa(5 * MAX_TOKENS))  # a context's m = 10 pairs are asked in one wave: half of them fit
    assert not (tmp_path / "out.jsonl").exists() and len(ResponseCache(tmp_path / "cache")) == 5 and stop.value.summary is None
    resumed = run_generation(qa(1000 * MAX_TOKENS))
    uncapped = run_generation(cfg_of(tmp_path, qa_file, task="long_context_qa", strategy="paraphrase", topics=None, n=8,
                                     out=tmp_path / "plain.jsonl", cache_dir=tmp_path / "fresh"))
    assert resumed.records == 8 and (resumed.requests, resumed.cache_hits) == (uncapped.requests - 5, 5)
