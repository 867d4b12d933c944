"""Which engine tokenises and counts n-grams: compiled loops (numba) or numpy.

Both give the same token ids and the same counts, exactly; numba is only faster
(see docs/benchmarks/metrics.md). ``auto`` takes numba when it imports (the
``fast`` extra: ``pip install 'synthdiv[fast]'``) and numpy otherwise. The
environment variable ``SYNTHDIV_NUMBA=0`` makes ``auto`` take numpy.

numba is imported here only when a function asks for it, never at import time,
so ``synthdiv --help`` and ``import synthdiv.metrics`` stay light; and not even then
once the loops' ahead-of-time build exists (:mod:`synthdiv.metrics.ngrams.compiled`).
"""

from __future__ import annotations

import os
from functools import lru_cache

ENGINES = ("auto", "numba", "numpy")  # not the LLM backends (synthdiv.backends): how n-grams are counted


@lru_cache(maxsize=1)
def numba_available() -> bool:
    """True when the compiled loops can run: their ahead-of-time build loads (no numba import),
    or numba imports (it refuses to import with a numpy it does not support)."""
    from synthdiv.metrics.ngrams.compiled import prebuilt

    if prebuilt() is not None:
        return True
    try:
        import numba  # noqa: F401
    except Exception:  # ImportError, or numba's own error for an unsupported numpy
        return False
    return True


def resolve_backend(backend: str = "auto") -> str:
    """``numba`` or ``numpy`` for a requested backend; ValueError for an unknown name or
    for ``numba`` when numba is not installed."""
    if backend not in ENGINES:
        raise ValueError(f"unknown backend {backend!r}; use one of {', '.join(ENGINES)}")
    if backend == "auto":
        if os.environ.get("SYNTHDIV_NUMBA", "1") == "0":
            return "numpy"
        return "numba" if numba_available() else "numpy"
    if backend == "numba" and not numba_available():
        raise ValueError("backend 'numba' needs numba: pip install 'synthdiv[fast]'")
    return backend
