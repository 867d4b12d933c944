"""Embeddings are computed once per (model, text) and read back from disk."""

from __future__ import annotations

import numpy as np

from synthdiv.metrics.embed_cache import cache_file, embed_texts


class CountingEncoder:
    def __init__(self, offset=0.0):
        self.seen: list[str] = []
        self.offset = offset

    def __call__(self, texts):
        self.seen.extend(texts)
        return np.array([[len(t), t.count("a"), self.offset] for t in texts], dtype=np.float32)


def test_second_call_encodes_only_new_texts(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHDIV_CACHE", str(tmp_path))
    enc = CountingEncoder()
    first = embed_texts(["a", "bb", "a"], "fake-model", encoder=enc)
    assert enc.seen == ["a", "bb"]  # the repeat is encoded once
    again = embed_texts(["bb", "ccc", "a"], "fake-model", encoder=enc)
    assert enc.seen == ["a", "bb", "ccc"]
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[2], first[0])
    assert cache_file("fake-model").parent == tmp_path / "embeddings"


def test_cache_is_keyed_by_model(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHDIV_CACHE", str(tmp_path))
    a = embed_texts(["x"], "model-a", encoder=CountingEncoder(1.0))
    b = embed_texts(["x"], "model-b", encoder=CountingEncoder(2.0))
    assert a[0, 2] == 1.0 and b[0, 2] == 2.0
    assert cache_file("model-a") != cache_file("model-b")
