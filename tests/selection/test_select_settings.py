"""Settings, names and the refusals that need no file."""

from __future__ import annotations

import inspect

import pytest

from synthdiv.errors import UserError
from synthdiv.selection.settings import DEFAULTS, STRATEGY_NAMES, SelectionSettings, check_request, check_strategy
from synthdiv.selection.strategies import STRATEGIES


def test_registry_has_exactly_the_listed_names():
    assert tuple(STRATEGIES) == STRATEGY_NAMES == ("random", "dedup", "diverse", "matched", "matched-diverse")
    assert [s.needs_real for s in STRATEGIES.values()] == [False, False, False, True, True]
    assert [s.needs_embeddings for s in STRATEGIES.values()] == [False, False, True, True, True]


def test_cli_defaults_come_from_the_settings():
    from synthdiv.cli.select import select_cmd

    params = inspect.signature(select_cmd).parameters
    for name in ("weight", "embedder", "seed"):
        assert params[name].default.default == getattr(DEFAULTS, name), name
    assert (DEFAULTS.weight, DEFAULTS.seed, DEFAULTS.embedder) == (0.5, 0, "minilm-l6")


def test_unknown_strategy_suggests_the_closest():
    with pytest.raises(UserError, match=r"unknown strategy 'divers'; did you mean 'diverse'\? use one of random, dedup"):
        check_strategy("divers")
    with pytest.raises(UserError, match="did you mean 'matched-diverse'"):
        check_strategy("matched_diverse")
    with pytest.raises(UserError) as err:
        check_strategy("zzz")
    assert "did you mean" not in str(err.value)


@pytest.mark.parametrize("n", [0, -3, True, 2.0])
def test_n_must_be_a_positive_int(n):
    with pytest.raises(UserError, match="--n: N must be a positive number"):
        check_request("random", n, has_real=False)


@pytest.mark.parametrize("strategy", ["matched", "matched-diverse"])
def test_matched_needs_real(strategy):
    with pytest.raises(UserError, match="--real: .* give the real records with --real"):
        check_request(strategy, 5, has_real=False)
    check_request(strategy, 5, has_real=True)  # and is fine with it


@pytest.mark.parametrize("weight", [-0.01, 1.5, float("nan")])
def test_weight_outside_unit_interval_is_refused(weight):
    with pytest.raises(UserError, match=r"--weight: the weight must be in \[0, 1\]"):
        SelectionSettings(weight=weight)


def test_bad_seed_and_threshold_are_refused():
    with pytest.raises(UserError, match="--seed"):
        SelectionSettings(seed=-1)
    with pytest.raises(UserError, match="near-duplicate threshold"):
        SelectionSettings(near_duplicate_jaccard=0.0)
