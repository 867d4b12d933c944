"""Where the compiled n-gram loops come from: an ahead-of-time build of them, else numba's JIT.

The loops (:mod:`~synthdiv.metrics.ngrams.jit_intern`, :mod:`~synthdiv.metrics.ngrams.jit_ngrams`)
are numba functions. Run through numba's JIT, even from its on-disk cache, a process pays for
importing numba and setting up its compiler before the first call: about 0.8 s on an idle machine,
more than tokenising and counting 4M tokens (docs/benchmarks.md). So the first process that needs
them builds them once, ahead of time (``numba.pycc``), into a plain extension module of the same
functions; later processes load that module in about a millisecond, without importing numba.
Same source, same compiler: the same results.

The build (20-30 s on the 2-core development machine, once per version of the loops' source, in
place of numba's first compile) is kept where numba keeps its cache: ``$NUMBA_CACHE_DIR``, else this package's
``__pycache__`` when writable, else ``~/.cache/synthdiv``. It covers 32-bit token ids and
positions (every corpus under 2**31 tokens); larger inputs, and machines where the build fails
(no C compiler: the failure is remembered beside it), run the same functions through the JIT.
``SYNTHDIV_PREBUILT=0`` in the environment does the same everywhere (to compare, or to rule the
build out).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import tempfile
import warnings
from functools import lru_cache
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np

_HERE = Path(__file__).resolve().parent
_SOURCES = ("jit_intern.py", "jit_ngrams.py", "compiled_tokenize.py", "compiled.py")  # a change to any of them is a new build

# Exported name: (module, function, signature). Types are numba's names: i4/i8 integers, u1 bytes,
# b1 booleans; ``[::1]`` a contiguous array, ``ro`` a read-only one (np.frombuffer of the text).
_EXPORTS = {
    "order1": ("jit_ngrams", "_order1",
               "i8(i4[::1], i8, i4[::1], b1, i4[::1], i4[::1], i8[::1], i8[:, ::1], i8[:, ::1])"),
    "next_tokens": ("jit_ngrams", "_next_tokens",
                    "void(i4[::1], i8, i4[::1], i8, i4[::1], i8[::1], b1, i4[::1])"),
    "split": ("jit_ngrams", "_split",
              "i8(i8, i4[::1], i8[::1], i8, i4[::1], b1, b1, i4[::1], i8[::1], i8[:, ::1], i4[::1], i4[::1], "
              "i8[::1], i8[:, ::1], i8[:, ::1])"),
    "tokenize_kernel": ("jit_intern", "tokenize_kernel",
                        "Tuple((i8[::1], i8, i8[::1], i8, u1[::1], i8[::1], u8[::1]))(ro, i8[::1], i8[::1], u1[::1], "
                        "u1[::1], u1[::1], u1[::1], u1[::1], b1[::1])"),
    "merge_words": ("jit_intern", "merge_words",
                    "Tuple((i8[::1], u1[::1], i8[::1], u8[::1], i8))(u1[::1], i8[::1], u8[::1], i8, u1[::1], i8[::1], "
                    "u8[::1], i8)"),
    "char_to_byte": ("jit_intern", "char_to_byte", "i8[::1](ro, i8[::1])"),
}


MAX_THREADS = 8


def threads_for(work: int, minimum: int) -> int:
    """Threads for ``work`` units (bytes, positions) of a loop that releases the GIL: the cores this
    process may use (at most 8), or one below ``minimum`` units, where starting threads costs more
    than it saves."""
    if work < minimum:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, MAX_THREADS))


def in_threads(call, jobs: list[tuple]) -> list:
    """``[call(*job) for job in jobs]``, each job in its own thread (the loops release the GIL, so they
    run side by side); the exception of the first job that failed, if any, is raised here, after every
    thread has ended. (threading, not concurrent.futures: importing that took 19 ms, 1.5 % of a
    distinct-n process on 4M tokens.)"""
    import threading

    results: list = [None] * len(jobs)
    errors: list = [None] * len(jobs)

    def run(k: int) -> None:
        try:
            results[k] = call(*jobs[k])
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            errors[k] = exc

    started = []
    try:
        for k in range(1, len(jobs)):
            thread = threading.Thread(target=run, args=(k,), daemon=True)
            try:
                thread.start()
            except RuntimeError:  # no thread to be had: this one runs the job itself
                run(k)
                continue
            started.append(thread)
        if jobs:
            run(0)  # this thread takes the first share
    finally:
        for thread in started:  # never leave a thread writing into the caller's arrays
            thread.join()
    failed = next((e for e in errors if e is not None), None)
    if failed is not None:
        raise failed
    return results


def kernels(wide: bool = False) -> SimpleNamespace | ModuleType:
    """The compiled loops, by their exported names (``order1``, ``split`` …). ``wide``: token ids or
    positions past 32 bits, which only the JIT takes."""
    module = None if wide else _prebuilt_or_build()
    return module if module is not None else _jit()


@lru_cache(maxsize=1)
def prebuilt() -> ModuleType | None:
    """The ahead-of-time module when it was built for this source, else None. Imports no numba."""
    if not _wanted():
        return None
    path = _module_path()
    if not path.exists():
        return None
    loader = importlib.machinery.ExtensionFileLoader(_module_name(), str(path))
    spec = importlib.util.spec_from_file_location(_module_name(), path, loader=loader)
    try:
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
    except ImportError:  # built against another numpy ABI, or damaged: build again
        return None
    return module


def _wanted() -> bool:
    return os.environ.get("SYNTHDIV_PREBUILT", "1") != "0"


def _prebuilt_or_build() -> ModuleType | None:
    module = prebuilt()
    if module is None and _wanted() and not _failed_path().exists() and build():
        prebuilt.cache_clear()
        module = prebuilt()
    return module


def build() -> bool:
    """Build the ahead-of-time module (numba and a C compiler needed); False, and the reason kept
    beside it so no later process tries again, when it cannot be built."""
    folder = _module_path().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder, prefix=".build-") as work:
            built = _compile(Path(work))
            os.replace(built, _module_path())  # atomic: a process beside this one sees all or nothing
    except Exception as exc:  # ImportError (no numba, no setuptools), a compiler's or linker's error …
        try:
            _failed_path().write_text(f"{type(exc).__name__}: {exc}\n", encoding="utf-8")
        except OSError:
            pass
        return False
    return True


def _compile(work: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba.pycc's pending-deprecation notice
        from numba import types
        from numba.pycc import CC

        cc = CC(_module_name())
        cc.output_dir = str(work)
        cc.verbose = False
        names = {**vars(types), "ro": types.Array(types.uint8, 1, "C", readonly=True)}
        for exported, (module_name, function, signature) in _EXPORTS.items():
            module = importlib.import_module(f"synthdiv.metrics.ngrams.{module_name}")
            cc.export(exported, eval(signature, {}, names))(getattr(module, function).py_func)  # noqa: S307 - ours
        with _quiet_build(), _releasing_the_gil():
            cc.compile()
    return work / os.path.basename(cc.output_file)


class _releasing_the_gil:
    """The built functions release the GIL while they run, as their ``nogil`` JIT versions do, so
    threads run them side by side (compiled_count). pycc takes no such option: its compiler's flags
    are given it for the build. Where this numba's pycc has no such hook the build goes on, and the
    functions then keep the GIL (threads take turns; the results are the same)."""

    def __enter__(self):
        from numba.pycc import compiler

        self.compiler, self.saved = compiler, getattr(compiler, "Flags", None)
        if self.saved is not None:
            base = self.saved

            class NoGilFlags(base):
                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    self.release_gil = True

            compiler.Flags = NoGilFlags

    def __exit__(self, *exc):
        if self.saved is not None:
            self.compiler.Flags = self.saved


class _quiet_build:
    """The compiler's and linker's output goes to a null file: a build is silent unless it fails."""

    def __enter__(self):
        self.saved = [os.dup(1), os.dup(2)]
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        os.close(null)

    def __exit__(self, *exc):
        for fd, saved in zip((1, 2), self.saved):
            os.dup2(saved, fd)
            os.close(saved)


def _jit() -> SimpleNamespace:
    from synthdiv.metrics.ngrams import jit_intern, jit_ngrams

    return SimpleNamespace(order1=jit_ngrams._order1, next_tokens=jit_ngrams._next_tokens, split=jit_ngrams._split,
                           tokenize_kernel=jit_intern.tokenize_kernel, merge_words=jit_intern.merge_words,
                           char_to_byte=jit_intern.char_to_byte)


@lru_cache(maxsize=1)
def _module_name() -> str:
    digest = hashlib.sha256()
    for name in _SOURCES:
        digest.update((_HERE / name).read_bytes())
    digest.update(f"numpy {np.__version__.split('.')[0]}".encode())
    return f"_ngram_kernels_{digest.hexdigest()[:16]}"


def _module_path() -> Path:
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    return _cache_folder() / f"{_module_name()}{suffix}"


def _failed_path() -> Path:
    return _module_path().with_name(_module_name() + ".failed")


def _cache_folder() -> Path:
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"]) / "synthdiv"
    local = _HERE / "__pycache__"
    if os.access(local if local.exists() else _HERE, os.W_OK):
        return local
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "synthdiv"

