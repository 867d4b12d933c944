"""Sentence embeddings, computed once per (model, text) and kept on disk.

The cache is one SQLite file per embedding model under
``$SYNTHDIV_CACHE/embeddings/`` (default ``~/.cache/synthdiv``), keyed by the
sha256 of the text. SQLite gives atomic, concurrent-safe inserts: an
interrupted run keeps what it embedded, and a rerun embeds only what is missing.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from synthdiv.sqlite_files import sqlite_failures

Encoder = Callable[[list[str]], np.ndarray]


def _cache_root() -> Path:
    try:
        from synthdiv.models.registry import cache_dir

        return cache_dir()
    except ImportError:  # registry not installed yet: same default as the registry
        return Path(os.environ.get("SYNTHDIV_CACHE") or Path.home() / ".cache" / "synthdiv")


def cache_file(model: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_") or "model"
    digest = hashlib.sha256(model.encode("utf-8")).hexdigest()[:8]  # two names, one slug: still two files
    folder = _cache_root() / "embeddings"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{slug}-{digest}.sqlite"


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=2)
def _sentence_transformer(model: str):
    """Loaded once per process: real and generated sets are embedded by the same model."""
    from synthdiv.models.registry import load_embedder

    return load_embedder(model)


def _default_encoder(model: str, batch_size: int) -> Encoder:
    st = _sentence_transformer(model)

    def encode(texts: list[str]) -> np.ndarray:
        return st.encode(texts, batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False)

    return encode


def embed_texts(
    texts: Sequence[str], model: str = "minilm-l6", *, encoder: Encoder | None = None, batch_size: int = 64
) -> np.ndarray:
    """float32 array (len(texts), d). Cached texts are read from disk; only the rest are
    encoded, with ``encoder`` (tests pass a fake) or the registry's SentenceTransformer."""
    keys = [text_key(t) for t in texts]
    path = cache_file(model)
    with sqlite_failures(path, what="the embedding cache", fix="delete it (the embeddings are then computed again)"), \
            sqlite3.connect(path, timeout=60) as db:
        db.execute("CREATE TABLE IF NOT EXISTS emb (key TEXT PRIMARY KEY, dim INTEGER, vec BLOB)")
        found: dict[str, np.ndarray] = {}
        unique_keys = list(dict.fromkeys(keys))
        for start in range(0, len(unique_keys), 900):  # SQLite's limit on bound parameters
            chunk = unique_keys[start : start + 900]
            rows = db.execute(f"SELECT key, vec FROM emb WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32)
        missing = {k: t for k, t in zip(keys, texts) if k not in found}
        if missing:
            encode = encoder or _default_encoder(model, batch_size)
            vectors = np.asarray(encode(list(missing.values())), dtype=np.float32)
            for key, vec in zip(missing, vectors):
                found[key] = vec
            db.executemany(
                "INSERT OR REPLACE INTO emb VALUES (?, ?, ?)",
                [(k, int(v.size), v.tobytes()) for k, v in zip(missing, vectors)],
            )
    if not keys:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([found[k] for k in keys])
