"""Which records train each generation of a recursive-training loop, per scenario."""

import pytest

from synthdiv.errors import UserError
from synthdiv.mixing.generations import SCENARIOS, generation_set, source_of
from synthdiv.records import Provenance, Record


def _records(prefix: str, n: int, generation: int | None = None) -> list[Record]:
    source = "real" if generation is None else "generated"
    return [Record(id=f"{prefix}{i}", task="story_completion", context=f"{prefix} context {i}.", target=f"{prefix} end {i}.",
                   source=source, provenance=Provenance(generation=generation)) for i in range(n)]


REAL = _records("r", 8)
GEN = [_records(f"g{k}-", 6, k) for k in (1, 2, 3)]


def _ids(records):
    return {r.id for r in records}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_generation_zero_trains_on_the_real_set_alone(scenario):
    s = generation_set(scenario, REAL, [], seed=0)
    assert _ids(s.records) == _ids(REAL) and s.by_generation == {"real": 8} and s.n_generated == 0


def test_replace_trains_on_the_newest_generation_only():
    for k in (1, 2, 3):
        s = generation_set("replace", REAL, GEN[:k], seed=0)
        assert _ids(s.records) == _ids(GEN[k - 1])
        assert s.by_generation == {str(k): 6} and s.n_real == 0 and s.summary()["ratio"] == 1.0


def test_accumulate_keeps_the_real_set_and_every_generation():
    for k in (1, 2, 3):
        s = generation_set("accumulate", REAL, GEN[:k], seed=0)
        assert _ids(s.records) == _ids(REAL).union(*(_ids(g) for g in GEN[:k]))
        assert len(s.records) == 8 + 6 * k == s.pool
        assert s.by_generation == {"real": 8, **{str(j): 6 for j in range(1, k + 1)}}
        assert s.summary()["ratio"] == pytest.approx(6 * k / (8 + 6 * k))


def test_accumulate_subsample_draws_a_fixed_size_fresh_each_generation():
    pool = _ids(REAL).union(*(_ids(g) for g in GEN))
    sets = [generation_set("accumulate-subsample", REAL, GEN[:k], seed=0) for k in (1, 2, 3)]
    for k, s in enumerate(sets, start=1):
        assert len(s.records) == 8 and s.pool == 8 + 6 * k and _ids(s.records) <= pool
        assert sum(s.by_generation.values()) == 8
        assert all(int(g) <= k for g in s.by_generation if g != "real")
    assert len({frozenset(_ids(s.records)) for s in sets}) == 3  # a fresh draw each generation
    again = generation_set("accumulate-subsample", REAL, GEN[:2], seed=0)
    assert [r.id for r in again.records] == [r.id for r in sets[1].records]  # seeded
    other = generation_set("accumulate-subsample", REAL, GEN[:2], seed=1)
    assert [r.id for r in other.records] != [r.id for r in sets[1].records]
    assert len(generation_set("accumulate-subsample", REAL, GEN[:2], size=5, seed=0).records) == 5
    assert len(generation_set("accumulate-subsample", REAL, GEN[:1], size=100, seed=0).records) == 14  # the whole pool


def test_records_are_not_modified_and_sources_are_traced():
    s = generation_set("accumulate", REAL, GEN, seed=0)
    by_id = {r.id: r for r in REAL + [r for g in GEN for r in g]}
    assert all(r is by_id[r.id] for r in s.records)
    assert {source_of(r) for r in s.records} == {"real", "1", "2", "3"}


def test_bad_inputs():
    with pytest.raises(UserError, match="unknown scenario 'recycle'"):
        generation_set("recycle", REAL, [])
    with pytest.raises(UserError, match="no records to train on"):
        generation_set("replace", REAL, [[]])
    with pytest.raises(RuntimeError, match="duplicate ids"):
        generation_set("accumulate", REAL, [GEN[0], GEN[0]])
