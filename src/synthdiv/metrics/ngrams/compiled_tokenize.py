"""Compiled tokeniser: UTF-8 bytes of the joined texts -> token ids, in one pass.

Gives exactly the ids of :func:`synthdiv.metrics.ngrams.tokenize.tokenize`'s Python path
(same tokens, ids in first-seen order, same vocabulary size). Imported only by
``tokenize`` when the numba backend is chosen; the loops (:mod:`synthdiv.metrics.ngrams.jit_intern`)
come from :mod:`synthdiv.metrics.ngrams.compiled`, so importing this module imports no numba.

Exactness
---------
``whitespace`` splits on exactly the characters ``str.split()`` splits on: the
table of them is built from ``str.isspace`` over every code point (once per
process, only for non-ASCII text); multi-byte characters are decoded to test it.
``regex`` (lower-cased ``\\w+|[^\\w\\s]``) runs compiled only on ASCII texts, where
``\\w`` is ``[A-Za-z0-9_]``, ``\\s`` the ten ASCII characters ``str.isspace`` accepts
and lower-casing maps A-Z alone. A non-ASCII text is tokenised by Python's ``re``
and its tokens, which never contain whitespace, are re-joined with spaces and
read back as whitespace tokens, so every text gets its exact Python tokens.
Words are interned in an open-addressing hash table that compares the bytes of
every candidate, so a hash collision can never merge two words. Surrogates are
encoded with ``surrogatepass``, one code point to one byte sequence, so equal
byte strings are equal strings.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from synthdiv.metrics.ngrams.compiled import in_threads, kernels, threads_for

WORD, SPACE, PUNCT, MULTI = 0, 1, 2, 3  # byte classes (MULTI: lead byte of a multi-byte character)

_REGEX = re.compile(r"\w+|[^\w\s]")


def _byte_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(whitespace classes, regex classes, lower-case map) for the 256 byte values."""
    ascii_space = [c for c in range(128) if chr(c).isspace()]
    ws_cls = np.full(256, WORD, dtype=np.uint8)
    ws_cls[ascii_space] = SPACE
    ws_cls[0x80:] = MULTI  # a lead byte: decode the character (continuation bytes are skipped with it)
    re_cls = np.full(256, PUNCT, dtype=np.uint8)
    re_cls[ascii_space] = SPACE
    re_cls[[c for c in range(128) if re.fullmatch(r"\w", chr(c))]] = WORD
    lower = np.arange(256, dtype=np.uint8)
    lower[ord("A") : ord("Z") + 1] += 32
    return ws_cls, re_cls, lower


_WS_CLS, _RE_CLS, _LOWER = _byte_tables()
_IDENTITY = np.arange(256, dtype=np.uint8)
_NO_UNICODE_SPACE = np.zeros(1, dtype=np.bool_)


@lru_cache(maxsize=1)
def unicode_space_table() -> np.ndarray:
    """``table[cp]`` is True when ``chr(cp).isspace()``; sized to the largest such code point."""
    spaces = [cp for cp in range(0x110000) if chr(cp).isspace()]
    table = np.zeros(max(spaces) + 1, dtype=np.bool_)
    table[spaces] = True
    return table


def tokenize_words(texts: list[str], tokenizer: str, workers: int | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """(ids int64, offsets int64, vocab size) of non-empty ``texts`` for ``regex`` or ``whitespace``;
    large inputs in ``workers`` threads, each over a run of whole texts (None: as many as
    :func:`~synthdiv.metrics.ngrams.compiled.threads_for` gives). The ids are the same with any number."""
    regex = tokenizer == "regex"
    kinds = np.full(len(texts), 1 if regex else 0, dtype=np.uint8)
    joined = " ".join(texts)
    if regex and not joined.isascii():
        # Non-ASCII texts go through Python's re; their tokens come back as whitespace-split words.
        is_ascii = np.fromiter(map(str.isascii, texts), dtype=np.bool_, count=len(texts))
        kinds = is_ascii.astype(np.uint8)
        texts = [t if a else " ".join(_REGEX.findall(t.lower())) for t, a in zip(texts, is_ascii.tolist())]
        joined = " ".join(texts)
    loops = kernels()
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=starts[1:])
    if joined.isascii():
        buf = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
        ends = starts + lengths
        space_table = _NO_UNICODE_SPACE
    else:
        buf = np.frombuffer(joined.encode("utf-8", "surrogatepass"), dtype=np.uint8)
        bounds = loops.char_to_byte(buf, np.concatenate([starts, starts + lengths]))
        starts, ends = bounds[: len(texts)], bounds[len(texts) :]
        space_table = unicode_space_table()
    del joined
    tables = (_WS_CLS, _RE_CLS, _LOWER, _IDENTITY, space_table)
    ranges = _text_ranges(starts, ends, workers or threads_for(buf.size, MIN_PARALLEL_BYTES))
    if len(ranges) == 1:
        ids, n_tokens, counts, n_words, *_ = loops.tokenize_kernel(buf, starts, ends, kinds, *tables)
        # A view when the buffer is nearly full (no 8-bytes-per-token copy), else a trimmed copy.
        ids = ids[:n_tokens] if ids.size <= n_tokens + n_tokens // 4 else ids[:n_tokens].copy()
    else:
        shares = in_threads(loops.tokenize_kernel, [(buf, starts[r], ends[r], kinds[r], *tables) for r in ranges])
        ids, counts, n_words = _joined_shares(loops, shares)
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return ids, offsets, max(int(n_words), 1)  # a vocabulary of at least one id, even with no word


# Below this many bytes, one thread: starting others and joining their words costs more than it saves.
MIN_PARALLEL_BYTES = 1 << 22


def _text_ranges(starts: np.ndarray, ends: np.ndarray, shares: int) -> list[slice]:
    """Up to ``shares`` runs of whole texts holding about equal numbers of bytes."""
    if shares <= 1 or starts.size < 2:
        return [slice(0, starts.size)]
    first, last = int(starts[0]), int(ends[-1])
    cuts = np.searchsorted(starts, [first + (last - first) * k // shares for k in range(1, shares)])
    bounds = sorted({0, starts.size, *(int(c) for c in cuts if 0 < c < starts.size)})
    return [slice(a, b) for a, b in zip(bounds, bounds[1:])]


def _joined_shares(loops, shares: list[tuple]) -> tuple[np.ndarray, np.ndarray, int]:
    """(ids, tokens per text, distinct words) of the texts of all ``shares`` in order, each share's
    word ids mapped to the ids of the whole (first seen, first numbered, as one pass gives them)."""
    ids = np.empty(sum(int(share[1]) for share in shares), dtype=np.int64)
    first, n, _, n_words, arena, word_start, word_hash = shares[0]
    ids[:n] = first[:n]
    at = n
    for local, n, _, n_local, more_arena, more_start, more_hash in shares[1:]:
        mapping, arena, word_start, word_hash, n_words = loops.merge_words(
            arena, word_start, word_hash, n_words, more_arena, more_start, more_hash, n_local)
        np.take(mapping, local[:n], out=ids[at : at + n])
        at += n
    return ids, np.concatenate([share[2] for share in shares]), int(n_words)
