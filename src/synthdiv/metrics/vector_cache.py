"""Vectors kept on disk by key: one SQLite file per model (embeddings, projected gradients).

SQLite gives atomic, concurrent-safe inserts: an interrupted run keeps what it stored, and a
rerun computes only what is missing. A vector is stored as float32 bytes under a string key
(a sha256 the caller builds from everything that decides the vector).
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from synthdiv.sqlite_files import sqlite_failures

_BOUND_PARAMETERS = 900  # SQLite's limit on bound parameters, with room


def cache_root() -> Path:
    try:
        from synthdiv.models.registry import cache_dir

        return cache_dir()
    except ImportError:  # registry not installed yet: same default as the registry
        return Path(os.environ.get("SYNTHDIV_CACHE") or Path.home() / ".cache" / "synthdiv")


def cache_file(kind: str, model: str) -> Path:
    """``$SYNTHDIV_CACHE/<kind>/<model slug>-<digest>.sqlite``."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_") or "model"
    digest = hashlib.sha256(model.encode("utf-8")).hexdigest()[:8]  # two names, one slug: still two files
    folder = cache_root() / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{slug}-{digest}.sqlite"


def cached_vectors(path: Path, keys: Sequence[str], compute: Callable[[list[int]], np.ndarray], *, what: str,
                   fix: str = "delete it (the vectors are then computed again)") -> np.ndarray:
    """float32 array (len(keys), d): the vectors of ``keys`` read from ``path``; ``compute`` gets the
    positions of the keys not stored yet (each distinct key once) and returns their vectors, which are
    stored. ``what`` names the cache in an error, ``fix`` says what to do about a damaged file."""
    with sqlite_failures(path, what=what, fix=fix), \
            sqlite3.connect(path, timeout=60) as db:
        db.execute("CREATE TABLE IF NOT EXISTS emb (key TEXT PRIMARY KEY, dim INTEGER, vec BLOB)")
        found: dict[str, np.ndarray] = {}
        unique_keys = list(dict.fromkeys(keys))
        for start in range(0, len(unique_keys), _BOUND_PARAMETERS):
            chunk = unique_keys[start : start + _BOUND_PARAMETERS]
            rows = db.execute(f"SELECT key, vec FROM emb WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32)
        first = {}
        for i, key in enumerate(keys):
            if key not in found:
                first.setdefault(key, i)
        if first:
            vectors = np.asarray(compute(list(first.values())), dtype=np.float32)
            for key, vec in zip(first, vectors):
                found[key] = vec
            db.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?, ?)",
                           [(k, int(v.size), v.tobytes()) for k, v in zip(first, vectors)])
    if not keys:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([found[k] for k in keys])
