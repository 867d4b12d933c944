"""seed_pool: a level that also narrows the real seed stories its prompts show (D0 the same 3 stories, D6 all)."""

from __future__ import annotations

import pytest

from synthdiv.data.records_io import write_records
from synthdiv.errors import UserError
from synthdiv.generation.levels import SEED_POOL_SIZES, topic_level
from synthdiv.generation.topic_guided import draw_example_pool
from tests.generation.conftest import generate_level, make_stories


def test_the_level_pool_sizes_and_the_paper_default():
    assert [topic_level(f"D{i}", seed_pool="level").seed_pool_size for i in range(7)] == [3, 10, 30, 100, 300, 1000, None]
    assert topic_level("D3").seed_pool_size is None and "seed_pool" not in topic_level("D3").to_dict()
    assert topic_level("D3", seed_pool=12).seed_pool_size == 12 and topic_level("D3", seed_pool=12).to_dict()["seed_pool"] == 12
    assert SEED_POOL_SIZES["D0"] == topic_level("D0").k  # D0 shows the same k stories in every prompt
    for bad in ("some", 2, True):
        with pytest.raises(UserError, match="seed_pool is 'all', 'level' or a number"):
            topic_level("D3", seed_pool=bad)


def test_pools_are_nested_and_seeded():
    real = make_stories(50)
    small, large = draw_example_pool(real, 5, seed=1), draw_example_pool(real, 20, seed=1)
    assert len(small) == 5 and small == large[:5] and draw_example_pool(real, 5, seed=1) == small
    assert draw_example_pool(real, 5, seed=2) != small and draw_example_pool(real, None, seed=1) is real
    assert draw_example_pool(real, 80, seed=1) is real


def test_a_generated_level_shows_only_its_pool(tmp_path):
    real = tmp_path / "real.jsonl"
    write_records(make_stories(30), real)

    def seeds_shown(level: str, pool: str) -> set[str]:
        records = generate_level(tmp_path / f"{level}-{pool}.jsonl", real, level, 12, {"seed_pool": pool})
        if pool == "level":
            assert {r.provenance.extra["seed_pool_effective"] for r in records} == {SEED_POOL_SIZES[level] or 30}
        return {s for r in records for s in r.provenance.seed_ids}

    assert len(seeds_shown("D0", "level")) == 3
    assert len(seeds_shown("D1", "level")) <= 10 < len(seeds_shown("D1", "all"))


def test_a_level_fields_check_is_named_where_it_was_set():
    from synthdiv.generation.strategies import get_strategy

    with pytest.raises(UserError, match=r"^--level-option seed_pool: seed_pool 'level' shows 3 stories at D0, fewer than k=5"):
        get_strategy("topic").level("D0", {"seed_pool": "level", "k": 5}, where="--level-option")
    with pytest.raises(UserError, match=r"^generation.level_overrides.seed_pool: seed_pool is 'all', 'level' or a number"):
        get_strategy("topic").level("D3", {"seed_pool": 2})
