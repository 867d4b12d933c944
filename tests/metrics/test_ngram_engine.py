"""Choosing the engine: numba when it imports, numpy otherwise or when asked."""

from __future__ import annotations

import pytest

from synthdiv.metrics.ngrams import engine as backend_module
from synthdiv.metrics.ngrams.engine import resolve_backend
from synthdiv.metrics.distinct import distinct_n


def test_auto_falls_back_to_numpy_without_numba(monkeypatch):
    monkeypatch.setattr(backend_module, "numba_available", lambda: False)
    assert resolve_backend("auto") == "numpy"
    with pytest.raises(ValueError, match="synthdiv\\[fast\\]"):
        resolve_backend("numba")
    # the metrics still work, on the numpy path
    assert distinct_n(["a b a b"], n=2).unique_ngrams == {"1": 2, "2": 2}


def test_environment_variable_turns_numba_off(monkeypatch):
    monkeypatch.setattr(backend_module, "numba_available", lambda: True)
    assert resolve_backend("auto") == "numba"
    monkeypatch.setenv("SYNTHDIV_NUMBA", "0")
    assert resolve_backend("auto") == "numpy"
    assert resolve_backend("numba") == "numba"  # an explicit request still wins


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="unknown backend"):
        resolve_backend("cuda")



def test_in_threads_returns_in_order_and_raises_a_jobs_error():
    from synthdiv.metrics.ngrams.compiled import in_threads

    assert in_threads(lambda a, b: a * b, [(1, 2), (3, 4), (5, 6)]) == [2, 12, 30]

    def fails_on_two(k):
        if k == 2:
            raise ValueError("job 2")
        return k

    with pytest.raises(ValueError, match="job 2"):
        in_threads(fails_on_two, [(1,), (2,), (3,)])
    assert in_threads(fails_on_two, []) == []


def test_the_ahead_of_time_build_is_given_flags_that_release_the_gil():
    """The threads of the compiled loops overlap only if the built functions release the GIL; pycc has
    no option for it, so the build hands it flags that do (a numba that changed this hook fails here)."""
    pytest.importorskip("numba")
    from numba.pycc import compiler

    from synthdiv.metrics.ngrams.compiled import _releasing_the_gil

    before = compiler.Flags
    with _releasing_the_gil():
        flags = compiler.Flags()
        assert flags.release_gil and flags.copy().release_gil
    assert compiler.Flags is before and not compiler.Flags().release_gil
