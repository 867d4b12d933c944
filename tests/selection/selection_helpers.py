"""Helpers of the selection tests: story records with provenance and a fake embedder."""

from __future__ import annotations

import zlib

import numpy as np

from synthdiv.records import Provenance, Record

FARM = "cow barn hay tractor field farmer milk sheep goat fence corn pig".split()
SPACE = "rocket orbit planet star comet alien moon galaxy launch astronaut crater probe".split()


def word_hash_encoder(texts):
    """Stand-in embedder: counts of each word's crc32 bucket (24 buckets): texts sharing words are close."""
    out = np.zeros((len(texts), 24), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in text.lower().replace(".", " ").split():
            out[i, zlib.crc32(word.encode()) % 24] += 1.0
    return out


def make_stories(vocabulary, count, *, seed, prefix, source="generated", task="story_completion"):
    """``count`` distinct five-sentence stories from ``vocabulary``, with a provenance to keep."""
    rng = np.random.default_rng(seed)
    records = []
    for i in range(count):
        sentences = [" ".join(rng.choice(vocabulary, 5)).capitalize() + "." for _ in range(5)]
        records.append(Record(
            id=f"{prefix}{i}", task=task, context=" ".join(sentences[:4]), target=sentences[4],
            question="What happened?" if task == "long_context_qa" else None, source=source,
            provenance=Provenance(dataset="gen", strategy="topic", level="D3", extra={"kept": i}),
        ))  # fmt: skip
    return records
