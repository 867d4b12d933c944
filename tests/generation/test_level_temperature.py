"""temperature: level: a level that also sets its stories' sampling temperature (D0 0.4 … D6 1.0)."""

from __future__ import annotations

import pytest

from synthdiv.backends.base import SamplingParams
from synthdiv.data.records_io import write_records
from synthdiv.errors import UserError
from synthdiv.generation.levels import LEVEL_TEMPERATURES, LEVELS, topic_level
from synthdiv.generation.strategies import get_strategy
from tests.generation.conftest import generate_level, make_stories


def test_the_level_temperatures_rise_and_the_paper_default_is_the_runs():
    values = [topic_level(name, temperature="level").sampling_temperature(0.7) for name in LEVELS]
    assert values == [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0] and values == [LEVEL_TEMPERATURES[n] for n in LEVELS]
    assert LEVEL_TEMPERATURES["D3"] == SamplingParams().temperature  # the middle level samples as the paper does
    assert topic_level("D0").sampling_temperature(0.55) == 0.55  # "run": the run's temperature, every level
    assert "temperature" not in topic_level("D0").to_dict()  # the paper's levels read as before the field existed
    assert topic_level("D0", temperature="level").to_dict()["temperature"] == "level"


@pytest.mark.parametrize("bad", ["hot", 0.9, None])
def test_anything_but_run_or_level_is_refused_where_it_was_set(bad):
    if bad is None:  # an unset override keeps the default
        assert get_strategy("topic").level("D2", {"temperature": None}).temperature == "run"
        return
    with pytest.raises(UserError, match=r"^--level-option temperature: temperature is 'run' .* or 'level' .*--temperature"):
        get_strategy("topic").level("D2", {"temperature": bad}, where="--level-option")


def test_each_level_samples_at_its_temperature_and_says_so(tmp_path):
    real = tmp_path / "real.jsonl"
    write_records(make_stories(30), real)

    def sampled(level: str, temperature: str) -> set[float]:
        records = generate_level(tmp_path / f"{level}-{temperature}.jsonl", real, level, 6, {"temperature": temperature}, temperature=0.65)
        return {r.provenance.sampling["temperature"] for r in records}

    assert sampled("D0", "level") == {0.4} and sampled("D6", "level") == {1.0}
    assert sampled("D0", "run") == {0.65} == sampled("D6", "run")


def test_the_ladder_row_names_the_sets_temperature():
    from synthdiv.metrics.ladder import LevelSet, measure_ladder
    from synthdiv.records import Provenance, Record

    def record(i: int, temperature: float) -> Record:
        return Record(id=f"g{i}", task="story_completion", context=f"story {i} has words {i * 7} and more.", target="The end.",
                      source="generated", provenance=Provenance(level="D1", topic="cats", seed_ids=[],
                                                                 sampling={"temperature": temperature}))

    same = LevelSet("D1", "D1", [record(i, 0.5) for i in range(6)], None, 5)
    mixed = LevelSet("D2", "D2", [record(i, 0.5 + 0.1 * (i % 2)) for i in range(6)], None, 25)
    rows = measure_ladder([same, mixed], {}, None, draws=5)
    assert [r["temperature"] for r in rows] == [0.5, None]
