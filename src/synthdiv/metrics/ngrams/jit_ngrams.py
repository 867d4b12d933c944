"""Compiled exact n-gram counter (numba): partition refinement, no sort, no hash.

Imported only by :func:`synthdiv.metrics.ngrams.count.count_ngrams` when the numba
backend is chosen; gives exactly its numpy path's counts.

The positions are kept grouped by the n-gram starting there: order 1 is a
counting sort by token id, and each group of order n-1 is split by the token at
``p + n - 1`` into the groups of order n (a stamp array indexed by token id tells
whether that token was already seen in the group). Equal positions stay in one
group exactly when their n-grams are equal, so the number of groups is the
number of distinct n-grams, with no hashing and nothing that can collide. Only
groups of two or more positions are refined further: an n-gram whose (n-1)-gram
prefix occurs once is itself unique, and is counted as such from the totals.
Every pass is linear in the positions it refines.
"""

from __future__ import annotations

import numpy as np
from numba import njit


def count_groups(
    ids: np.ndarray, vocab_size: int, max_n: int, seg_offsets: np.ndarray, per_segment: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(in_set, among), shape (max_n, S) with ``per_segment`` else (max_n, 1): for order n,
    ``in_set`` counts the n-grams whose (n-1)-gram repeats (all n-grams for n = 1) and
    ``among`` the distinct ones among them. The distinct n-grams are
    ``total - in_set + among``. ``ids`` int64 in [0, vocab_size)."""
    T = ids.size
    S = seg_offsets.size - 1
    n_out = S if per_segment else 1
    if T == 0:
        return np.zeros((max_n, n_out), np.int64), np.zeros((max_n, n_out), np.int64)
    # The compiled loops do not check bounds: refuse what would make them read out of range.
    if int(ids.min()) < 0:
        raise ValueError("token ids must be non-negative")
    if seg_offsets[0] != 0 or seg_offsets[-1] != T or (np.diff(seg_offsets) < 0).any():
        raise ValueError("seg_offsets must rise from 0 to len(ids)")
    V = vocab_size
    if V > 4 * T + (1 << 16):  # sparse ids: renumber densely first, so the per-token arrays stay small
        uniq, ids = np.unique(ids, return_inverse=True)
        V = uniq.size
    ids = ids.astype(np.int32 if V < 1 << 31 else np.int64)
    pos_dtype = np.int32 if T < 1 << 31 else np.int64
    single = S == 1
    if single:
        seg_of = np.zeros(1, dtype=np.int32)
    else:
        seg_of = np.repeat(np.arange(S, dtype=np.int32), np.diff(seg_offsets))
    seg_end = np.ascontiguousarray(seg_offsets[1:], dtype=np.int64)
    pos = np.empty(T, pos_dtype)
    out = np.empty(T, pos_dtype)
    gstart = np.empty(T // 2 + 2, np.int64)
    gnew = np.empty(T // 2 + 2, np.int64)
    per_segment = per_segment and not single
    in_set = np.zeros((max_n, n_out), np.int64)
    among = np.zeros((max_n, n_out), np.int64)
    G = _order1(ids, V, seg_of, per_segment, pos, out, gstart, in_set, among)
    pos, out = out, pos
    # Per token id: last group that saw it, its subgroup there; per subgroup: size, write cursor.
    stamp = np.full(V, -1, np.int64)
    work = np.empty((3, V), np.int64)
    nxt = np.empty(T, ids.dtype)
    tmp = np.empty(T, ids.dtype)
    for n in range(2, max_n + 1):
        _next_tokens(ids, n, pos, gstart[G], seg_of, seg_end, single, nxt)
        G = _split(n, pos, gstart, G, seg_of, per_segment, n == max_n, nxt,
                   stamp, work, tmp, out, gnew, in_set, among)
        pos, out = out, pos
        gstart, gnew = gnew, gstart
    return in_set, among


@njit(cache=True)
def _order1(ids, V, seg_of, per_segment, pos, out, gstart, in_set, among):
    """Order 1: counting sort of the positions by token (ascending within a token) into
    ``pos``, then the groups of two or more copied to ``out`` (split by segment with
    ``per_segment``), their starts in ``gstart``. Returns the number of groups."""
    T = ids.size
    start = np.zeros(V + 1, np.int64)
    for p in range(T):
        start[ids[p] + 1] += 1
    for t in range(V):
        start[t + 1] += start[t]
    cursor = start[:-1].copy()
    for p in range(T):
        t = ids[p]
        pos[cursor[t]] = p
        cursor[t] += 1
    m = 0
    G = 0
    for t in range(V):
        i = start[t]
        e = start[t + 1]
        while i < e:
            k = e
            seg = 0
            if per_segment:
                seg = seg_of[pos[i]]
                k = i + 1
                while k < e and seg_of[pos[k]] == seg:
                    k += 1
            among[0, seg] += 1
            in_set[0, seg] += k - i
            if k - i >= 2:
                gstart[G] = m
                G += 1
                for q in range(i, k):
                    out[m] = pos[q]
                    m += 1
            i = k
    gstart[G] = m
    return G


@njit(cache=True)
def _next_tokens(ids, n, pos, m, seg_of, seg_end, single, nxt):
    """``nxt[i]``: the token at ``pos[i] + n - 1``, or -1 where the n-gram would leave its
    segment. A loop of independent loads only, so the cache misses overlap."""
    T = ids.size
    for i in range(m):
        p = pos[i]
        limit = T if single else seg_end[seg_of[p]]
        nxt[i] = ids[p + n - 1] if p + n <= limit else -1


@njit(cache=True)
def _split(n, pos, gstart, G, seg_of, per_segment, last, nxt,
           stamp, work, tmp, out, gnew, in_set, among):
    """Order n: split each group of (n-1)-grams by its next token ``nxt``; count the
    subgroups (distinct n-grams) and write those of two or more to ``out``/``gnew``."""
    sub_of = work[0]
    sub_size = work[1]
    sub_off = work[2]
    group_id = stamp.max() + 1  # stamps of earlier orders are all below it
    m = 0
    G_new = 0
    for g in range(G):
        s = gstart[g]
        e = gstart[g + 1]
        seg = seg_of[pos[s]] if per_segment else 0
        if e - s == 2:  # the commonest group, settled without the stamp arrays
            a = nxt[s]
            b = nxt[s + 1]
            kept = (a >= 0) + (b >= 0)
            in_set[n - 1, seg] += kept
            among[n - 1, seg] += 1 if (kept == 2 and a == b) else kept
            if a == b and a >= 0 and not last:
                gnew[G_new] = m
                G_new += 1
                out[m] = pos[s]
                out[m + 1] = pos[s + 1]
                m += 2
            continue
        nsub = 0
        kept = 0
        for i in range(s, e):
            t = nxt[i]
            if t < 0:
                tmp[i - s] = -1
                continue
            if stamp[t] != group_id:
                stamp[t] = group_id
                sub_of[t] = nsub
                sub_size[nsub] = 0
                nsub += 1
            j = sub_of[t]
            sub_size[j] += 1
            tmp[i - s] = j
            kept += 1
        group_id += 1
        in_set[n - 1, seg] += kept
        among[n - 1, seg] += nsub
        if last:
            continue
        for j in range(nsub):
            if sub_size[j] >= 2:
                sub_off[j] = m
                gnew[G_new] = m
                G_new += 1
                m += sub_size[j]
        for i in range(s, e):
            j = tmp[i - s]
            if j >= 0 and sub_size[j] >= 2:
                out[sub_off[j]] = pos[i]
                sub_off[j] += 1
    gnew[G_new] = m
    return G_new
