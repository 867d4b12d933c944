"""The loops of the compiled exact n-gram counter (numba): partition refinement, no sort, no hash.

:func:`synthdiv.metrics.ngrams.compiled_count.count_groups` runs them (through
:mod:`synthdiv.metrics.ngrams.compiled`); they give exactly the numpy path's counts.

The positions are kept grouped by the n-gram starting there: order 1 is a
counting sort by token id, and each group of order n-1 is split by the token at
``p + n - 1`` into the groups of order n (a stamp array indexed by token id tells
whether that token was already seen in the group). Equal positions stay in one
group exactly when their n-grams are equal, so the number of groups is the
number of distinct n-grams, with no hashing and nothing that can collide. Only
groups of two or more positions are refined further: an n-gram whose (n-1)-gram
prefix occurs once is itself unique, and is counted as such from the totals.
Every pass is linear in the positions it refines. Groups never interact, so the groups of
order 1 can be refined in several threads at once, each over its own share; the loops
release the GIL (``nogil``) for that.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def _next_tokens(ids, n, pos, m, seg_of, seg_end, single, nxt):
    """``nxt[i]``: the token at ``pos[i] + n - 1``, or -1 where the n-gram would leave its
    segment. A loop of independent loads only, so the cache misses overlap."""
    T = ids.size
    for i in range(m):
        p = pos[i]
        limit = T if single else seg_end[seg_of[p]]
        nxt[i] = ids[p + n - 1] if p + n <= limit else -1


@njit(cache=True, nogil=True)
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
