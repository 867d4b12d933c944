"""Token ids: one pass over joined texts must equal tokenising text by text."""

from __future__ import annotations

import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from synthdiv.metrics.tokenize import split_words, tokenize

pieces = st.sampled_from(["a", "B", "c,", "\t", "\n", " ", "é", "Σ", "ΣΑ", "x\x00y", "", "  ", ".", "İ", "don't"])
text_sets = st.lists(st.lists(pieces, max_size=6).map("".join), max_size=6)


@settings(max_examples=300, deadline=None)
@given(text_sets, st.sampled_from(["regex", "whitespace"]))
def test_ids_match_the_per_text_tokens(texts, tokenizer):
    tok = tokenize(texts, tokenizer)
    assert len(tok) == len(texts)
    word_of: dict[int, str] = {}
    for i, text in enumerate(texts):
        words = split_words(text, tokenizer)
        ids = tok.sample(i).tolist()
        assert len(ids) == len(words)
        for w, i_ in zip(words, ids):
            assert word_of.setdefault(i_, w) == w  # one id, one word
    assert len(set(word_of.values())) == len(word_of)  # one word, one id
    assert all(0 <= i < tok.vocab_size for i in tok.ids.tolist())


def test_importing_the_metrics_package_loads_nothing_heavy():
    code = (
        "import sys, synthdiv.metrics, synthdiv.cli.metrics; "
        "heavy = [m for m in ('sklearn', 'scipy', 'torch', 'transformers', 'sentence_transformers') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
