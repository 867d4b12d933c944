"""Mixing real and generated records (paper §4.3, Eq. 7)."""

from __future__ import annotations

import pytest

from synthdiv.errors import UserError
from synthdiv.mixing import mix, mix_fixed, mix_variable, mixing_ratio
from tests.mixing.conftest import mix_records


REAL, GEN = mix_records(100, "real"), mix_records(80, "generated")


def test_eq7_ratio():
    assert mixing_ratio(20, 80) == 0.2
    assert mixing_ratio(0, 5) == 0.0
    with pytest.raises(UserError):
        mixing_ratio(0, 0)


@pytest.mark.parametrize("ratio", [0.0, 0.1, 0.2, 0.5, 0.8])
def test_fixed_size_keeps_total_and_share(ratio):
    res = mix_fixed(REAL, GEN, ratio, size=50, seed=1)
    assert len(res.records) == 50
    n_gen = sum(r.is_generated for r in res.records)
    assert n_gen == res.n_generated == round(ratio * 50)
    assert res.ratio == pytest.approx(ratio)
    assert len({r.id for r in res.records}) == 50  # without replacement


def test_fixed_size_defaults_to_real_count():
    res = mix_fixed(REAL, GEN, 0.3, seed=0)
    assert len(res.records) == len(REAL)
    assert res.n_generated == 30 and res.n_real == 70


@pytest.mark.parametrize("ratio", [0.0, 0.2, 0.4])
def test_variable_size_keeps_real_part_and_adds_generated(ratio):
    res = mix_variable(REAL[:40], GEN, ratio, seed=0)
    real_ids = {r.id for r in res.records if not r.is_generated}
    assert real_ids == {r.id for r in REAL[:40]}  # every real record, none dropped
    assert res.n_generated == round(ratio / (1 - ratio) * 40)
    assert res.ratio == pytest.approx(ratio, abs=1 / len(res.records))


def test_variable_size_with_size_samples_the_real_part():
    res = mix_variable(REAL, GEN, 0.5, real_size=10, seed=0)
    assert res.n_real == 10 and res.n_generated == 10 and len(res.records) == 20


def test_rounding_is_half_up():
    assert mix_fixed(REAL, GEN, 0.5, size=5).n_generated == 3  # round() would give 2


def test_seeded_and_provenance_kept():
    a = mix(REAL, GEN, 0.25, mode="fixed", size=40, seed=7)
    b = mix(REAL, GEN, 0.25, mode="fixed", size=40, seed=7)
    c = mix(REAL, GEN, 0.25, mode="fixed", size=40, seed=8)
    assert [r.id for r in a.records] == [r.id for r in b.records]
    assert [r.id for r in a.records] != [r.id for r in c.records]
    by_id = {r.id: r for r in REAL + GEN}
    for rec in a.records:
        assert rec.to_dict() == by_id[rec.id].to_dict()  # provenance and all fields untouched


def test_mixes_at_two_ratios_are_nested():
    # one seeded stream per source: a larger ratio adds generated records and drops real ones,
    # it does not redraw the rest
    low, high = mix_fixed(REAL, GEN, 0.2, size=50, seed=3), mix_fixed(REAL, GEN, 0.4, size=50, seed=3)
    assert set(low.generated_ids) < set(high.generated_ids)
    assert set(high.real_ids) < set(low.real_ids)
    v_low, v_high = mix_variable(REAL[:40], GEN, 0.2, seed=3), mix_variable(REAL[:40], GEN, 0.5, seed=3)
    assert set(v_low.generated_ids) < set(v_high.generated_ids)


def test_too_small_source_says_how_many_are_needed():
    with pytest.raises(UserError, match=r"needs 60 generated records, but only 10"):
        mix_fixed(REAL, GEN[:10], 0.6, size=100)
    with pytest.raises(UserError, match=r"needs 90 real records, but only 50"):
        mix_fixed(REAL[:50], GEN, 0.1, size=100)
    with pytest.raises(UserError, match=r"needs 100 generated records"):
        mix_variable(REAL, GEN, 0.5)


@pytest.mark.parametrize("ratio,mode", [(-0.1, "fixed"), (1.5, "fixed"), (1.0, "variable")])
def test_bad_ratio(ratio, mode):
    with pytest.raises(UserError, match="--ratio"):
        mix(REAL, GEN, ratio, mode=mode)


def test_wrong_source_or_mode_is_an_error():
    with pytest.raises(UserError, match="source 'real'"):
        mix_fixed(REAL, REAL, 0.2)
    with pytest.raises(UserError, match="--mode"):
        mix(REAL, GEN, 0.2, mode="both")
