"""Sentence embeddings, computed once per (model, text) and kept on disk.

The cache is one SQLite file per embedding model under
``$SYNTHDIV_CACHE/embeddings/`` (default ``~/.cache/synthdiv``), keyed by the
sha256 of the text. SQLite gives atomic, concurrent-safe inserts: an
interrupted run keeps what it embedded, and a rerun embeds only what is missing.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from synthdiv.metrics import vector_cache

Encoder = Callable[[list[str]], np.ndarray]


def cache_file(model: str) -> Path:
    return vector_cache.cache_file("embeddings", model)


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

    def compute(positions: list[int]) -> np.ndarray:
        encode = encoder or _default_encoder(model, batch_size)
        return encode([texts[i] for i in positions])

    return vector_cache.cached_vectors(cache_file(model), keys, compute, what="the embedding cache",
                                       fix="delete it (the embeddings are then computed again)")
