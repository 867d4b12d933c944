"""Token ids: one pass over joined texts must equal tokenising text by text."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthdiv.metrics.ngrams.tokenize import split_words, tokenize

pieces = st.sampled_from(
    ["a", "B", "c,", "\t", "\n", " ", "é", "Σ", "ΣΑ", "x\x00y", "", "  ", ".", "İ", "don't"]
    + ["\u00a0", "\u2009", "\x1c", "\x1f", "\x85", "\u3000", "\u212a", "ß", "\ud83d", "\U0001f600", "_9"]
)
text_sets = st.lists(st.lists(pieces, max_size=6).map("".join), max_size=6)


@settings(max_examples=300, deadline=None)
@given(text_sets, st.sampled_from(["regex", "whitespace"]))
def test_ids_match_the_per_text_tokens(backend, texts, tokenizer):
    tok = tokenize(texts, tokenizer, backend=backend)
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


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(pieces, max_size=6).map("".join), min_size=1, max_size=12),
       st.sampled_from(["regex", "whitespace"]), st.integers(2, 6))
def test_texts_tokenised_in_several_threads_get_the_ids_of_one_pass(backend, texts, tokenizer, workers):
    if backend == "numpy":
        pytest.skip("threads are the compiled tokeniser's")
    from synthdiv.metrics.ngrams.compiled_tokenize import tokenize_words

    one = tokenize_words(texts, tokenizer, workers=1)
    many = tokenize_words(texts, tokenizer, workers=workers)
    assert many[0].tolist() == one[0].tolist() and many[1].tolist() == one[1].tolist() and many[2] == one[2]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=6), st.sampled_from(["regex", "whitespace"]))
def test_numba_ids_are_the_numpy_ids_on_any_unicode_text(texts, tokenizer):
    """Same ids, offsets and vocabulary size, whatever the text (any code point, lone surrogates included)."""
    pytest.importorskip("numba")
    a = tokenize(texts, tokenizer, backend="numpy")
    b = tokenize(texts, tokenizer, backend="numba")
    assert b.ids.tolist() == a.ids.tolist()
    assert b.offsets.tolist() == a.offsets.tolist()
    assert b.vocab_size == a.vocab_size


def test_unicode_space_table_is_str_isspace():
    pytest.importorskip("numba")
    from synthdiv.metrics.ngrams.compiled_tokenize import unicode_space_table

    table = unicode_space_table()
    assert [cp for cp in range(table.size) if table[cp]] == [cp for cp in range(0x110000) if chr(cp).isspace()]


def test_importing_the_metrics_package_loads_nothing_heavy():
    code = (
        "import sys, synthdiv.metrics, synthdiv.cli.metrics; "
        "heavy = [m for m in ('sklearn', 'scipy', 'torch', 'transformers', 'sentence_transformers', 'numba') "
        "if m in sys.modules]; "
        "print(heavy)"
    )
    assert _python(code) == "[]"


NO_NUMBA = (
    "import sys; sys.modules['numba'] = None\n"  # any import of numba now raises ImportError
    "from synthdiv.metrics.ngrams.engine import resolve_backend\n"
    "from synthdiv.metrics.distinct import distinct_n\n"
    "r = distinct_n(['a b a b', 'b a'], n=2, mode='group', groups=[0, 1], tokenizer='whitespace')\n"
    "print(resolve_backend(), r.unique_ngrams, 'numba' in sys.modules and sys.modules['numba'] is not None)"
)


def test_a_process_where_numba_cannot_import_uses_numpy(tmp_path):
    # an empty cache: no ahead-of-time build of the loops to load either
    assert _python(NO_NUMBA, NUMBA_CACHE_DIR=str(tmp_path)) == "numpy {'1': 4, '2': 3} False"


def test_the_ahead_of_time_loops_run_without_importing_numba():
    pytest.importorskip("numba")
    from synthdiv.metrics.ngrams import compiled

    compiled.kernels()  # builds them if this source has no build yet (once, like numba's first compile)
    if compiled.prebuilt() is None:
        pytest.skip(f"the loops could not be built here: {compiled._failed_path().read_text()}")
    assert _python(NO_NUMBA) == "numba {'1': 4, '2': 3} False"


def _python(code: str, **env: str) -> str:
    """What a fresh interpreter running ``code`` prints."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, **env}).stdout.strip()


def test_synthdiv_prebuilt_0_runs_the_loops_through_numbas_jit():
    pytest.importorskip("numba")
    code = (
        "import sys; from synthdiv.metrics.ngrams import compiled\n"
        "from synthdiv.metrics.distinct import distinct_n\n"
        "r = distinct_n(['a b a b', 'b a'], n=2, tokenizer='whitespace', backend='numba')\n"
        "print(compiled.prebuilt(), r.unique_ngrams, 'numba' in sys.modules)"
    )
    assert _python(code, SYNTHDIV_PREBUILT="0") == "None {'1': 2, '2': 3} True"
