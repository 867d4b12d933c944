"""The compiled loops of :mod:`synthdiv.metrics.ngrams.compiled_tokenize`: find the tokens in the
UTF-8 bytes and give each distinct token an id (first seen, first numbered).

Tokens are interned in an open-addressing hash table (linear probing) over a byte
arena holding each distinct token once; a lookup compares the bytes of every
candidate with the same 64-bit hash, so two different tokens never share an id.
The scan runs in :func:`_scan`, whose arrays never change size; when one is full
it stops before the token at hand, :func:`tokenize_kernel` grows that array and
the scan resumes there. (Growing arrays inside the hot loop made it about three
times slower.)
"""

from __future__ import annotations

import numpy as np
from numba import njit

from synthdiv.metrics.ngrams.compiled_tokenize import MULTI, SPACE, WORD

_FNV_OFFSET = np.uint64(14695981039346656037)
_FNV_PRIME = np.uint64(1099511628211)
# Why _scan stopped.
_DONE, _MORE_IDS, _MORE_WORDS, _MORE_ARENA, _MORE_SLOTS = 0, 1, 2, 3, 4


@njit(cache=True)
def utf8_length(lead):
    """Bytes of the character whose (non-ASCII) lead byte is ``lead``."""
    if lead < 0xE0:
        return 2
    if lead < 0xF0:
        return 3
    return 4


@njit(cache=True)
def _unicode_space(buf, i, space_table):
    """(is whitespace, byte length) of the multi-byte character at ``buf[i]``."""
    lead = np.int64(buf[i])
    n = utf8_length(lead)
    cp = lead & (0x1F if n == 2 else (0x0F if n == 3 else 0x07))
    for k in range(1, n):
        cp = (cp << 6) | (np.int64(buf[i + k]) & 0x3F)
    return cp < space_table.size and space_table[cp], n


@njit(cache=True)
def _slot(h, mask):
    """Spread every bit of the FNV hash into the low bits that pick the slot (murmur3's finaliser)."""
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    return h & mask


@njit(cache=True)
def _find(table, mask, word_hash, word_start, arena, h, src, start, length, fold):
    """(id, slot) of the word ``fold[src[start:start + length]]`` of hash ``h`` in the table, or (-1, the
    free slot where it goes): on equal hashes and lengths the bytes are compared, so no collision merges two words."""
    slot = _slot(h, mask)
    while True:
        w = table[slot]
        if w < 0:
            return w, slot
        if word_hash[w] == h and word_start[w + 1] - word_start[w] == length:
            a = word_start[w]
            same = True
            for k in range(length):
                if arena[a + k] != fold[src[start + k]]:
                    same = False
                    break
            if same:
                return w, slot
        slot = (slot + np.uint64(1)) & mask


@njit(cache=True)
def _add(table, slot, word_hash, word_start, arena, n_words, h, src, start, length, fold):
    """Word ``n_words`` := ``fold[src[start:start + length]]`` of hash ``h``, at the free ``slot`` (the
    arrays have room); returns its id."""
    a = word_start[n_words]
    for k in range(length):
        arena[a + k] = fold[src[start + k]]
    word_start[n_words + 1] = a + length
    word_hash[n_words] = h
    table[slot] = n_words
    return n_words


@njit(cache=True)
def _grow(a, size):
    out = np.empty(max(size, 2 * a.size), dtype=a.dtype)
    out[: a.size] = a
    return out


@njit(cache=True)
def _rehash(word_hash, n_words, capacity):
    table = np.full(capacity, -1, dtype=np.int64)
    mask = np.uint64(capacity - 1)
    for w in range(n_words):
        slot = _slot(word_hash[w], mask)
        while table[slot] >= 0:
            slot = (slot + np.uint64(1)) & mask
        table[slot] = w
    return table


@njit(cache=True, nogil=True)
def tokenize_kernel(buf, starts, ends, kinds, ws_cls, re_cls, lower, identity, space_table):
    """(id buffer, tokens in it, tokens per text, distinct words, word bytes, word offsets, word hashes)
    of the texts ``buf[starts[t]:ends[t]]``; ``kinds[t]`` is 1 for the regex tokeniser (ASCII text), 0 for
    whitespace. Word ``w``'s (folded) bytes are ``word bytes[offsets[w]:offsets[w + 1]]``."""
    ids = np.empty(max(16, (ends[-1] - starts[0]) // 5 if starts.size else 0), dtype=np.int64)  # grown when short
    counts = np.zeros(starts.size, dtype=np.int64)
    table = np.full(1 << 12, -1, dtype=np.int64)
    word_hash = np.empty(1 << 10, dtype=np.uint64)
    word_start = np.zeros((1 << 10) + 1, dtype=np.int64)
    arena = np.empty(1 << 16, dtype=np.uint8)
    # text, byte position, tokens before this text, tokens, words, bytes the arena lacks
    state = np.zeros(6, dtype=np.int64)
    state[1] = starts[0] if starts.size else 0
    while True:
        why = _scan(buf, starts, ends, kinds, ws_cls, re_cls, lower, identity, space_table,
                    ids, counts, table, word_hash, word_start, arena, state)
        if why == _DONE:
            break
        if why == _MORE_IDS:
            ids = _grow(ids, ids.size + 1)
        elif why == _MORE_WORDS:
            word_hash = _grow(word_hash, word_hash.size + 1)
            word_start = _grow(word_start, word_hash.size + 1)
        elif why == _MORE_ARENA:
            arena = _grow(arena, arena.size + state[5])
        else:
            table = _rehash(word_hash, state[4], 2 * table.size)
    return ids, state[3], counts, state[4], arena, word_start, word_hash


@njit(cache=True, nogil=True)
def _scan(buf, starts, ends, kinds, ws_cls, re_cls, lower, identity, space_table,
          ids, counts, table, word_hash, word_start, arena, state):
    mask = np.uint64(table.size - 1)
    t, i, before, n_tokens, n_words = state[0], state[1], state[2], state[3], state[4]
    why = _DONE
    while t < starts.size:
        end = ends[t]
        regex = kinds[t] == 1
        fold = lower if regex else identity
        while i < end:
            if n_tokens == ids.size:
                why = _MORE_IDS
                break
            b = buf[i]
            h = _FNV_OFFSET
            if regex:
                c = re_cls[b]
                if c == SPACE:
                    i += 1
                    continue
                h = (h ^ np.uint64(lower[b])) * _FNV_PRIME
                j = i + 1
                if c == WORD:
                    while j < end and re_cls[buf[j]] == WORD:
                        h = (h ^ np.uint64(lower[buf[j]])) * _FNV_PRIME
                        j += 1
            else:
                c = ws_cls[b]
                if c == SPACE:
                    i += 1
                    continue
                if c == MULTI:
                    is_space, n = _unicode_space(buf, i, space_table)
                    if is_space:
                        i += n
                        continue
                j = i
                while j < end:
                    b = buf[j]
                    c = ws_cls[b]
                    if c == SPACE:
                        break
                    if c == MULTI:
                        is_space, n = _unicode_space(buf, j, space_table)
                        if is_space:
                            break
                        for k in range(n):
                            h = (h ^ np.uint64(buf[j + k])) * _FNV_PRIME
                        j += n
                    else:
                        h = (h ^ np.uint64(b)) * _FNV_PRIME
                        j += 1
            # buf[i:j], folded, is the token: look it up, comparing bytes on equal hashes.
            length = j - i
            w, slot = _find(table, mask, word_hash, word_start, arena, h, buf, i, length, fold)
            if w < 0:  # a new token: stop before it if some array is full
                s = word_start[n_words]
                if n_words + 1 > word_hash.size or n_words + 2 > word_start.size:
                    why = _MORE_WORDS
                elif s + length > arena.size:
                    why = _MORE_ARENA
                    state[5] = length
                elif 2 * (n_words + 1) > table.size:
                    why = _MORE_SLOTS
                if why != _DONE:
                    break
                w = _add(table, slot, word_hash, word_start, arena, n_words, h, buf, i, length, fold)
                n_words += 1
            ids[n_tokens] = w
            n_tokens += 1
            i = j
        if why != _DONE:
            break
        counts[t] = n_tokens - before
        before = n_tokens
        t += 1
        if t < starts.size:
            i = starts[t]
    state[0], state[1], state[2], state[3], state[4] = t, i, before, n_tokens, n_words
    return why


@njit(cache=True, nogil=True)
def merge_words(arena, word_start, word_hash, n_words, more_arena, more_start, more_hash, n_more):
    """Add the words of a later share of the texts to the words so far: (the id each of its words
    has among all, word bytes, word offsets, word hashes, words) of the union. Its new words are
    numbered after the words so far, in its own (first-seen) order, so ids stay first-seen ids."""
    capacity = 1 << 12
    while capacity < 2 * (n_words + n_more):
        capacity *= 2
    table = _rehash(word_hash, n_words, capacity)
    mask = np.uint64(capacity - 1)
    total_bytes = word_start[n_words] + more_start[n_more]
    if arena.size < total_bytes:
        arena = _grow(arena, total_bytes)
    if word_hash.size < n_words + n_more:
        word_hash = _grow(word_hash, n_words + n_more)
    if word_start.size < n_words + n_more + 1:
        word_start = _grow(word_start, n_words + n_more + 1)
    ids = np.empty(n_more, dtype=np.int64)
    identity = np.arange(256).astype(np.uint8)
    for v in range(n_more):
        h = more_hash[v]
        s = more_start[v]
        length = more_start[v + 1] - s
        w, slot = _find(table, mask, word_hash, word_start, arena, h, more_arena, s, length, identity)
        if w < 0:
            w = _add(table, slot, word_hash, word_start, arena, n_words, h, more_arena, s, length, identity)
            n_words += 1
        ids[v] = w
    return ids, arena, word_start, word_hash, n_words


@njit(cache=True)
def char_to_byte(buf, char_positions):
    """Byte offsets of the character offsets in ``char_positions`` (two ascending runs)."""
    out = np.empty(char_positions.size, dtype=np.int64)
    half = char_positions.size // 2
    for run in range(2):
        ci = 0
        bi = 0
        for k in range(run * half, (run + 1) * half):
            target = char_positions[k]
            while ci < target:
                lead = buf[bi]
                bi += 1 if lead < 0x80 else utf8_length(lead)
                ci += 1
            out[k] = bi
    return out
