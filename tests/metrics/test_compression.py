"""zstd with a long window sees repeats far beyond gzip's 32 KB window."""

from __future__ import annotations

import gzip
import random

from synthdiv.metrics import compression_ratio


def _random_texts(n, seed=0):
    rng = random.Random(seed)
    return [" ".join(f"w{rng.randrange(10**6)}" for _ in range(30)) for _ in range(n)]


def test_far_duplicates_double_the_ratio():
    texts = _random_texts(600)  # about 190 KB: the copy starts far beyond 32 KB back
    once, twice = compression_ratio(texts), compression_ratio(texts + texts)
    assert twice.compression_ratio > 1.9 * once.compression_ratio
    data = "\n".join(texts).encode()
    gz_once = len(data) / len(gzip.compress(data))
    gz_twice = 2 * len(data) / len(gzip.compress(data + b"\n" + data))
    assert gz_twice < 1.2 * gz_once  # what gzip would have missed


def test_records_compressor_level_and_window():
    res = compression_ratio(["hello world"] * 3)
    assert res.compressor.startswith("zstd") and res.level == 10 and res.window_log >= 20
    assert res.original_bytes == len("\n".join(["hello world"] * 3).encode())
    assert res.to_dict()["compression_ratio"] == res.compression_ratio
