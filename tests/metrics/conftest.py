"""``backend``: every exactness test runs on the numpy path and, when numba is
installed, on the compiled path too (skipped, not failed, without numba): with the loops'
ahead-of-time build ("numba"), and with the same loops through numba's JIT ("numba-jit",
which larger inputs and machines without a C compiler use)."""

from __future__ import annotations

import importlib.util

import pytest

HAS_NUMBA = importlib.util.find_spec("numba") is not None
_NEEDS_NUMBA = pytest.mark.skipif(not HAS_NUMBA, reason="numba not installed")
BACKENDS = ["numpy", pytest.param("numba", marks=_NEEDS_NUMBA), pytest.param("numba-jit", marks=_NEEDS_NUMBA)]


@pytest.fixture(params=BACKENDS, scope="module")
def backend(request):
    if request.param != "numba-jit":
        yield request.param
        return
    from synthdiv.metrics.ngrams import compiled, compiled_count, compiled_tokenize

    with pytest.MonkeyPatch.context() as patch:
        for module in (compiled_count, compiled_tokenize):
            patch.setattr(module, "kernels", lambda wide=False: compiled._jit())
        yield "numba"


# Reference packages (diversity, mauve-text with faiss-cpu, fast-bleu) are never dependencies.
# Tests that compare with them skip unless they import, either as installed or from the folder
# this variable names: .venv/bin/pip install --no-deps --target /tmp/ref diversity mauve-text faiss-cpu fast-bleu
REFERENCE_PATH_ENV = "SYNTHDIV_REFERENCE_PATH"


@pytest.fixture
def reference(monkeypatch):
    """``reference("mauve")``: the imported reference module, or a skip saying how to get it."""
    import importlib
    import os

    def load(module: str):
        folder = os.environ.get(REFERENCE_PATH_ENV)
        if folder:
            monkeypatch.syspath_prepend(folder)
        try:
            return importlib.import_module(module)
        except ImportError as exc:
            pytest.skip(f"reference {module!r} not importable ({exc}); set {REFERENCE_PATH_ENV} to a --target folder")

    return load


@pytest.fixture
def reference_module_file():
    """``reference_module_file("diversity", "compression.py")``: that one file of a reference
    package loaded as a module, without the package's __init__ (diversity's imports spacy)."""
    import os
    from pathlib import Path

    def load(package: str, filename: str):
        folder = os.environ.get(REFERENCE_PATH_ENV)
        spec = importlib.util.find_spec(package)
        roots = ([Path(folder) / package] if folder else []) + ([Path(spec.submodule_search_locations[0])] if spec else [])
        for root in roots:
            if (root / filename).exists():
                file_spec = importlib.util.spec_from_file_location(f"reference_{package}_{Path(filename).stem}", root / filename)
                module = importlib.util.module_from_spec(file_spec)
                file_spec.loader.exec_module(module)
                return module
        pytest.skip(f"reference {package!r} not installed; set {REFERENCE_PATH_ENV} to a --target folder")

    return load
