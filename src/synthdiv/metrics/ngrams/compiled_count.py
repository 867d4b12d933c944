"""Exact n-gram counts with the compiled loops of :mod:`synthdiv.metrics.ngrams.jit_ngrams`
(partition refinement: no sort, no hash; the algorithm is described there).

Imported only by :func:`synthdiv.metrics.ngrams.count.count_ngrams` when the numba backend
is chosen; the loops come from :mod:`synthdiv.metrics.ngrams.compiled`, so importing this
module imports no numba.
"""

from __future__ import annotations

import numpy as np

from synthdiv.metrics.ngrams.compiled import kernels


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
    loops = kernels(wide=ids.dtype != np.int32 or pos_dtype != np.int32)
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
    G = loops.order1(ids, V, seg_of, per_segment, pos, out, gstart, in_set, among)
    pos, out = out, pos
    # Per token id: last group that saw it, its subgroup there; per subgroup: size, write cursor.
    stamp = np.full(V, -1, np.int64)
    work = np.empty((3, V), np.int64)
    nxt = np.empty(T, ids.dtype)
    tmp = np.empty(T, ids.dtype)
    for n in range(2, max_n + 1):
        loops.next_tokens(ids, n, pos, gstart[G], seg_of, seg_end, single, nxt)
        G = loops.split(n, pos, gstart, G, seg_of, per_segment, n == max_n, nxt,
                        stamp, work, tmp, out, gnew, in_set, among)
        pos, out = out, pos
        gstart, gnew = gnew, gstart
    return in_set, among
