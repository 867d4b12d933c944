"""Turn texts into one flat array of integer token ids, in one pass.

Every lexical metric (distinct-n, self-BLEU, n-gram Jensen-Shannon) counts
token ids, never strings: the ids are built once, then counted with numpy.

Tokenisers
----------
``regex`` (the default)
    Lower-cased words and single punctuation marks: ``\\w+|[^\\w\\s]``. "The cat,
    the CAT." gives ``the cat , the cat .``. Case folding and splitting punctuation
    off words is what most Distinct-n implementations do (Li et al., 2016 count
    tokenised, lower-cased text), so "cat." and "cat" are one word.
``whitespace``
    Exactly Python's ``str.split()`` on the raw text (no lower-casing), for
    comparison with tools that split on spaces.
any other name
    A Hugging Face tokenizer (``AutoTokenizer.from_pretrained``); registry short
    names such as ``smollm2-135m-instruct`` are resolved through
    :func:`synthdiv.models.registry.resolve_causal_lm`. Special tokens are not added.

The two built-in tokenisers run compiled (:mod:`synthdiv.metrics.ngrams.compiled_tokenize`)
when numba is installed, else in Python; both give identical ids (``backend``,
see :mod:`synthdiv.metrics.ngrams.engine`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from synthdiv.errors import UserError
from synthdiv.metrics.ngrams.engine import resolve_backend

REGEX_PATTERN = r"\w+|[^\w\s]"
_REGEX = re.compile(REGEX_PATTERN)
BUILTIN_TOKENIZERS = ("regex", "whitespace")


@dataclass
class TokenIds:
    """Token ids of many texts, flat: text ``i`` is ``ids[offsets[i]:offsets[i+1]]``.

    ``vocab_size`` bounds the ids (every id is in ``[0, vocab_size)``); ``tokenizer``
    is the name that produced them, recorded in every result."""

    ids: np.ndarray  # int64
    offsets: np.ndarray  # int64, len(texts) + 1
    vocab_size: int
    tokenizer: str

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def sample(self, i: int) -> np.ndarray:
        return self.ids[self.offsets[i] : self.offsets[i + 1]]


def split_words(text: str, tokenizer: str = "regex") -> list[str]:
    """The string tokens of one text for the built-in tokenisers (used by tests and the reference)."""
    if tokenizer == "regex":
        return _REGEX.findall(text.lower())
    if tokenizer == "whitespace":
        return text.split()
    raise ValueError(f"split_words only knows {BUILTIN_TOKENIZERS}, not {tokenizer!r}")


def tokenize(texts: Sequence[str], tokenizer: str = "regex", *, backend: str = "auto") -> TokenIds:
    """Token ids of ``texts`` with the named tokeniser (see the module docstring).

    ``backend`` ("auto", "numba", "numpy") picks the engine of the built-in tokenisers;
    the ids are the same with every backend."""
    if tokenizer in BUILTIN_TOKENIZERS:
        texts = list(texts)
        if texts and resolve_backend(backend) == "numba":
            from synthdiv.metrics.ngrams.compiled_tokenize import tokenize_words

            ids, offsets, vocab_size = tokenize_words(texts, tokenizer)
            return TokenIds(ids=ids, offsets=offsets, vocab_size=vocab_size, tokenizer=tokenizer)
        return _tokenize_words(texts, tokenizer)
    return _tokenize_hf(texts, tokenizer)


_SEPARATOR = "\x00"  # never a word character, never whitespace: a one-character token of its own


def _tokenize_words(texts: Sequence[str], tokenizer: str) -> TokenIds:
    texts = list(texts)
    if not texts:
        return TokenIds(np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64), 1, tokenizer)
    joined = f" {_SEPARATOR} ".join(texts)
    if joined.count(_SEPARATOR) != max(len(texts) - 1, 0):
        # Some text holds the separator itself: tokenise text by text instead.
        token_lists = [_words(t, tokenizer) for t in texts]
        lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
        flat = list(chain.from_iterable(token_lists))
        del token_lists
        ids, vocab_size = _dense_ids(flat)
        return TokenIds(ids=ids, offsets=_offsets(lengths), vocab_size=vocab_size, tokenizer=tokenizer)
    # One pass over all texts joined by a separator token (far fewer Python objects than
    # a list per text); the separator's positions then give each text's length.
    flat = _words(joined, tokenizer)
    del joined
    ids, vocab_size = _dense_ids(flat, first=_SEPARATOR if len(texts) > 1 else None)
    del flat
    if len(texts) > 1:
        is_sep = ids == 0  # the separator was given id 0
        boundaries = np.flatnonzero(is_sep)
        ids = ids[~is_sep] - 1
        vocab_size -= 1
        offsets = np.zeros(len(texts) + 1, dtype=np.int64)
        offsets[1:-1] = boundaries - np.arange(boundaries.size)
        offsets[-1] = ids.size
    else:
        offsets = np.array([0, ids.size], dtype=np.int64)
    return TokenIds(ids=ids, offsets=offsets, vocab_size=max(vocab_size, 1), tokenizer=tokenizer)


def _words(text: str, tokenizer: str) -> list[str]:
    return _REGEX.findall(text.lower()) if tokenizer == "regex" else text.split()


def _dense_ids(flat: list[str], first: str | None = None) -> tuple[np.ndarray, int]:
    """Ids in first-seen order (``first`` gets id 0); dict.fromkeys and map run in C."""
    vocab = dict.fromkeys([first]) if first is not None else {}
    vocab.update(dict.fromkeys(flat))
    for i, key in enumerate(vocab):
        vocab[key] = i
    ids = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int64, count=len(flat))
    return ids, len(vocab)


def _offsets(lengths: np.ndarray) -> np.ndarray:
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


def load_hf_tokenizer(name: str):
    """A Hugging Face tokenizer by hub id, local folder or registry short name; UserError if it cannot load."""
    from synthdiv.models.registry import resolve_causal_lm

    path = resolve_causal_lm(name)
    try:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(path)
    except Exception as exc:  # transformers raises OSError/ValueError/HF errors for unknown names
        raise UserError(
            f"cannot load tokenizer {name!r} ({type(exc).__name__}); use regex, whitespace, "
            "a registry model name or a local tokenizer folder",
            where="--tokenizer",
        ) from None


def _tokenize_hf(texts: Sequence[str], name: str) -> TokenIds:
    tok = load_hf_tokenizer(name)
    encoded = tok(list(texts), add_special_tokens=False)["input_ids"] if len(texts) else []
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    ids = np.fromiter(chain.from_iterable(encoded), dtype=np.int64, count=int(lengths.sum()))
    vocab_size = max(len(tok), int(ids.max()) + 1 if ids.size else 1)
    return TokenIds(ids=ids, offsets=_offsets(lengths), vocab_size=vocab_size, tokenizer=name)
