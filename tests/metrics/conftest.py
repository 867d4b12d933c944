"""``backend``: every exactness test runs on the numpy path and, when numba is
installed, on the compiled path too (skipped, not failed, without numba)."""

from __future__ import annotations

import importlib.util

import pytest

HAS_NUMBA = importlib.util.find_spec("numba") is not None
BACKENDS = ["numpy", pytest.param("numba", marks=pytest.mark.skipif(not HAS_NUMBA, reason="numba not installed"))]


@pytest.fixture(params=BACKENDS, scope="module")
def backend(request) -> str:
    return request.param
