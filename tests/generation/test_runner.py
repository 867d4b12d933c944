"""Whole runs on the dummy backend: exact counts, provenance, rejects, cache reuse,
the paraphrase replacement, and the CLI."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from synthdiv.cli.main import main
from synthdiv.data.records_io import read_records
from synthdiv.generation.topics import read_topics
from synthdiv.generation.config import GenerationConfig
from synthdiv.generation.runner import run_generation


def story_cfg(tmp_path, stories_file, **kw):
    base = dict(task="story_completion", strategy="topic", level="D3", n=40, out=tmp_path / "out.jsonl", real=stories_file,
                backend="dummy", model="dummy", cache_dir=tmp_path / "cache", progress=False)
    base.update(kw)
    return GenerationConfig(**base)


def test_story_run_gives_exact_count_full_provenance_and_a_topic_pool(tmp_path, stories_file):
    summary = run_generation(story_cfg(tmp_path, stories_file))
    recs = read_records(tmp_path / "out.jsonl")
    assert summary.records == len(recs) == 40 and len({r.id for r in recs}) == 40
    header, *lines = (tmp_path / "out.topics.txt").read_text().splitlines()
    pool = read_topics(tmp_path / "out.topics.txt")  # a tree's lines are 'Theme > Subtopic > Topic'
    assert header.startswith("# synthdiv topics: 100 topics, dummy dummy, seed 0")  # the pool file `synthdiv topics` writes
    assert len(lines) == len(pool) == 100  # the D3 preset's |T|
    themes = next(i for i, line in enumerate(lines) if " > " in line)  # the root's themes come first
    assert 0 < themes < 100 and all(" > " in line for line in lines[themes:])  # every topic below them keeps its path
    r = recs[0]
    assert r.source == "generated" and r.task == "story_completion" and r.context.count(".") >= 4 and r.target.endswith(".")
    p = r.provenance
    assert (p.strategy, p.level, p.backend, p.model) == ("topic", "D3", "dummy", "dummy")
    assert p.topic in pool and len(p.seed_ids) == 3 and all(s.startswith("real-") for s in p.seed_ids)
    assert len(p.prompt_hash) == 64 and p.sampling["temperature"] == 0.7 and "sample_index" in p.sampling
    assert summary.rejects == 0 and summary.requests >= 40 + 4  # the stories plus at least 100/25 topic requests


def test_level_controls_the_number_of_topics(tmp_path, stories_file):
    def topics(level):
        run_generation(story_cfg(tmp_path, stories_file, level=level, topics="builtin", out=tmp_path / f"{level}.jsonl"))
        return {r.provenance.topic for r in read_records(tmp_path / f"{level}.jsonl")}

    assert len(topics("D0")) == 1
    assert 3 <= len(topics("D1")) <= 5
    assert len(topics("D6")) > 20  # 40 draws from all 97 built-in topics


def test_rerun_is_served_from_cache_and_identical(tmp_path, stories_file):
    first = run_generation(story_cfg(tmp_path, stories_file, topics="builtin"))
    text = (tmp_path / "out.jsonl").read_text()
    again = run_generation(story_cfg(tmp_path, stories_file, topics="builtin"))
    assert first.requests > 0 and again.requests == 0 and again.cache_hits == first.requests
    assert (tmp_path / "out.jsonl").read_text() == text


def test_no_cache_sends_every_request_again(tmp_path, stories_file):
    from synthdiv.generation.cache import ResponseCache

    run_generation(story_cfg(tmp_path, stories_file, topics="builtin"))
    stored = len(ResponseCache(tmp_path / "cache"))
    s = run_generation(story_cfg(tmp_path, stories_file, topics="builtin", cache=False, seed=9))
    assert s.cache_hits == 0 and s.requests == 40 and len(ResponseCache(tmp_path / "cache")) == stored


def test_rejects_are_retried_and_kept_with_reasons(tmp_path, stories_file):
    cfg = story_cfg(tmp_path, stories_file, topics="builtin", backend_options={"reject_every": 3})
    summary = run_generation(cfg)
    recs = read_records(tmp_path / "out.jsonl")
    rejects = [json.loads(line) for line in (tmp_path / "out.rejects.jsonl").read_text().splitlines()]
    assert len(recs) == 40 and summary.rejects == len(rejects) > 0
    assert all(r["raw"].startswith("Sorry") and "complete sentences" in r["reason"] for r in rejects)
    assert summary.requests == 40 + len(rejects)
    retried = [r for r in recs if r.provenance.sampling["sample_index"] > 0]
    assert retried  # a reject was retried with the next sample of the same prompt


def test_paraphrase_run_replaces_r_pairs_per_context(tmp_path, qa_file):
    cfg = GenerationConfig(task="long_context_qa", strategy="paraphrase", level="D1", n=30, out=tmp_path / "qa.jsonl", real=qa_file,
                           backend="dummy", model="dummy", cache_dir=tmp_path / "cache", progress=False,
                           level_overrides={"m": 10, "k": 3})
    summary = run_generation(cfg)
    recs = read_records(tmp_path / "qa.jsonl")
    assert summary.records == len(recs) == 30 and len({r.id for r in recs}) == 30
    by_group = Counter(r.group for r in recs)
    assert sorted(by_group.values()) == [10, 10, 10]
    replaced = [r for r in recs if r.provenance.parent_id]
    assert len(replaced) == 3 * 8  # D1: r = round(0.75 × 10) = 8 per context
    ids = {r.id: r for r in recs}
    for r in replaced:
        parent = ids[r.provenance.parent_id]  # the source pair is kept in the same context
        assert parent.group == r.group and parent.target == r.target and parent.question != r.question
        assert r.provenance.extra["replaced_index"] in range(10)
    originals = [r for r in recs if not r.provenance.parent_id]
    assert all(len(r.provenance.seed_ids) == 3 for r in originals)
    # p = 5 paraphrases were asked per source question
    assert summary.requests == 30 + 5 * len({r.provenance.parent_id for r in replaced})


def test_paraphrase_d6_keeps_every_generated_pair(tmp_path, qa_file):
    cfg = GenerationConfig(task="long_context_qa", strategy="paraphrase", level="D6", n=16, out=tmp_path / "qa.jsonl", real=qa_file,
                           backend="dummy", model="dummy", cache=False, progress=False, level_overrides={"m": 8})
    run_generation(cfg)
    assert not any(r.provenance.parent_id for r in read_records(tmp_path / "qa.jsonl"))


def test_cli_generate_runs_and_reports(tmp_path, stories_file, capsys):
    code = main(["generate", "--task", "story_completion", "--strategy", "topic", "--real", str(stories_file), "--level", "D2",
                 "--n", "12", "--topics", "builtin", "--backend", "dummy", "--model", "dummy", "--out", str(tmp_path / "g.jsonl"),
                 "--cache-dir", str(tmp_path / "c"), "--no-progress", "--price-in", "1", "--price-out", "2", "--seed", "5"])
    out = capsys.readouterr().out
    assert code == 0 and len(read_records(tmp_path / "g.jsonl")) == 12
    for word in ("records: 12", "requests:", "cache hits:", "retries", "failures", "rejects:", "tokens", "cost:"):
        assert word in out


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--backend", "dumy"], "did you mean 'dummy'"),
        (["--level", "D9"], "D0 … D6"),
        (["--task", "story_completion", "--strategy", "paraphrase"], "generates long_context_qa"),
        (["--n", "0"], "--n"),
        (["--topics", "missing.txt"], "not found"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(tmp_path, stories_file, capsys, args, needle):
    base = {"--real": str(stories_file), "--n": "5", "--backend": "dummy", "--out": str(tmp_path / "x.jsonl"), "--topics": "builtin"}
    extra = dict(zip(args[::2], args[1::2], strict=True))
    argv = ["generate", "--no-progress", "--cache-dir", str(tmp_path / "c")] + [x for k, v in {**base, **extra}.items() for x in (k, v)]
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error:") and needle in err[0]
    assert not (tmp_path / "x.jsonl").exists()
