"""select_records: provenance in and out, refusals before any work, the summary's objectives."""

from __future__ import annotations

import pytest
from selection_helpers import FARM, make_stories, word_hash_encoder

from synthdiv.errors import UserError
from synthdiv.selection.api import select_records
from synthdiv.selection.settings import SelectionSettings


def test_random_keeps_provenance_and_adds_the_selection_entry(farm_space_pool):
    pool, _ = farm_space_pool
    report = select_records(pool, 10, "random", settings=SelectionSettings(seed=7), pool_name="pool.jsonl")
    assert len(report.records) == 10 and len({r.id for r in report.records}) == 10
    for rank, rec in enumerate(report.records):
        original = next(p for p in pool if p.id == rec.id)
        assert (rec.provenance.strategy, rec.provenance.level, rec.provenance.dataset) == ("topic", "D3", "gen")
        assert rec.provenance.extra["kept"] == original.provenance.extra["kept"]
        entry = rec.provenance.extra["selection"]
        assert set(entry) == {"strategy", "score", "rank", "pool", "n", "seed"}
        assert (entry["strategy"], entry["rank"], entry["pool"], entry["n"], entry["seed"]) == ("random", rank, "pool.jsonl", 10, 7)
        assert entry["score"] <= 0  # log(u)
    assert [r.provenance.extra["selection"]["score"] for r in report.records] == sorted(
        (r.provenance.extra["selection"]["score"] for r in report.records), reverse=True)
    assert all("selection" not in p.provenance.extra for p in pool)  # the pool is left as it was
    again = select_records(pool, 10, "random", settings=SelectionSettings(seed=7))
    other = select_records(pool, 10, "random", settings=SelectionSettings(seed=8))
    assert [r.id for r in again.records] == [r.id for r in report.records] != [r.id for r in other.records]


def test_matched_diverse_entry_and_summary(farm_space_pool):
    pool, real = farm_space_pool
    report = select_records(pool, 12, "matched-diverse", real=real, settings=SelectionSettings(weight=0.25), encoder=word_hash_encoder)
    first, second = (r.provenance.extra["selection"] for r in report.records[:2])
    assert set(first) == {"strategy", "score", "rank", "pool", "n", "seed", "weight", "log_density_ratio"}
    assert first["score"] is None and second["score"] > 0 and first["weight"] == 0.25
    s = report.summary
    assert (s["pool_size"], s["real_size"], s["selected"], s["eligible"], s["weight"]) == (60, 20, 12, 12 + 12, 0.25)
    assert set(s["objectives"]) == {"vendi_score", "min_pairwise_cosine_distance", "frechet_distance"}


def test_matched_picks_the_farm_stories(farm_space_pool):
    pool, real = farm_space_pool
    report = select_records(pool, 15, "matched", real=real, encoder=word_hash_encoder)
    assert sum(r.id.startswith("f") for r in report.records) >= 14
    fd = report.summary["objectives"]["frechet_distance"]
    assert fd["selected"] < 0.5 * fd["random"]


def test_diverse_summary_reports_vendi_before_and_after(farm_space_pool):
    pool, _ = farm_space_pool
    report = select_records(pool, 10, "diverse", encoder=word_hash_encoder)
    objectives = report.summary["objectives"]
    assert set(objectives) == {"vendi_score", "min_pairwise_cosine_distance"}
    assert objectives["min_pairwise_cosine_distance"]["selected"] > objectives["min_pairwise_cosine_distance"]["random"]
    assert report.summary["score"].startswith("cosine distance to the nearest earlier pick")


def test_refusals(farm_space_pool):
    pool, real = farm_space_pool
    with pytest.raises(UserError, match="--n: cannot select 61 records from a pool of 60; ask for at most 60"):
        select_records(pool, 61, "random")
    with pytest.raises(UserError, match="--n: N must be a positive number"):
        select_records(pool, 0, "random")
    with pytest.raises(UserError, match="give the real records with --real"):
        select_records(pool, 5, "matched")
    qa_real = make_stories(FARM, 5, seed=4, prefix="q", task="long_context_qa")
    with pytest.raises(UserError, match="--real: the real records are long_context_qa but the pool is story_completion"):
        select_records(pool, 5, "matched", real=qa_real)
    with pytest.raises(UserError, match="--pool: the pool mixes tasks long_context_qa, story_completion"):
        select_records(pool + qa_real, 5, "random")
    with pytest.raises(UserError, match="did you mean 'dedup'"):
        select_records(pool, 5, "dedupe")
    with pytest.raises(UserError, match="--pool: the pool has no records"):
        select_records([], 1, "random")


def test_an_unknown_strategy_is_refused_before_the_embedder_runs(farm_space_pool):
    pool, _ = farm_space_pool

    def must_not_run(texts):
        raise AssertionError("embedded before refusing")

    with pytest.raises(UserError, match="cannot select 100"):
        select_records(pool, 100, "diverse", encoder=must_not_run)
