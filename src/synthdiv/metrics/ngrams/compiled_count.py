"""Exact n-gram counts with the compiled loops of :mod:`synthdiv.metrics.ngrams.jit_ngrams`
(partition refinement: no sort, no hash; the algorithm is described there).

Imported only by :func:`synthdiv.metrics.ngrams.count.count_ngrams` when the numba backend
is chosen; the loops come from :mod:`synthdiv.metrics.ngrams.compiled`, so importing this
module imports no numba.
"""

from __future__ import annotations

import numpy as np

from synthdiv.metrics.ngrams.compiled import in_threads, kernels, threads_for


def count_groups(
    ids: np.ndarray, vocab_size: int, max_n: int, seg_offsets: np.ndarray, per_segment: bool, workers: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(in_set, among), shape (max_n, S) with ``per_segment`` else (max_n, 1): for order n,
    ``in_set`` counts the n-grams whose (n-1)-gram repeats (all n-grams for n = 1) and
    ``among`` the distinct ones among them. The distinct n-grams are
    ``total - in_set + among``. ``ids`` int64 in [0, vocab_size). The groups of order 1 are refined
    in ``workers`` threads (None: as many as :func:`~synthdiv.metrics.ngrams.compiled.threads_for` gives); the counts are the same with any number."""
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
    per_segment = per_segment and not single
    in_set = np.zeros((max_n, n_out), np.int64)
    among = np.zeros((max_n, n_out), np.int64)
    G = loops.order1(ids, V, seg_of, per_segment, out, pos, gstart, in_set, among)
    if max_n == 1:
        return in_set, among
    positions = int(gstart[G])
    # each share has arrays as long as the vocabulary: more shares than positions per token id would cost more
    shares = _shares(gstart, G, workers or min(threads_for(positions, MIN_PARALLEL_POSITIONS), max(1, positions // V)))
    refine = _Refinement(loops, ids, V, max_n, seg_of, seg_end, single, per_segment, n_out)
    if len(shares) == 1:
        return _add(in_set, among, refine(pos, out, gstart, G))
    for part in in_threads(refine, [(pos[a:b], out[a:b], gstart[g0 : g1 + 1] - a, g1 - g0) for g0, g1, a, b in shares]):
        _add(in_set, among, part)
    return in_set, among


# Below this many positions in repeated groups, one thread: starting others costs more than it saves.
MIN_PARALLEL_POSITIONS = 1 << 18


def _shares(gstart: np.ndarray, G: int, workers: int) -> list[tuple[int, int, int, int]]:
    """(first group, end group, first position, end position) of up to ``workers`` runs of whole
    groups holding about equal numbers of positions."""
    total = int(gstart[G])
    cuts = [0]
    for k in range(1, workers):
        g = int(np.searchsorted(gstart[: G + 1], total * k // workers))
        if cuts[-1] < g < G:
            cuts.append(g)
    cuts.append(G)
    return [(g0, g1, int(gstart[g0]), int(gstart[g1])) for g0, g1 in zip(cuts, cuts[1:]) if g1 > g0] or [(0, G, 0, total)]


class _Refinement:
    """Orders 2..max_n over one share of the order-1 groups, in its own arrays."""

    def __init__(self, loops, ids, V, max_n, seg_of, seg_end, single, per_segment, n_out):
        self.loops, self.ids, self.V, self.max_n = loops, ids, V, max_n
        self.seg_of, self.seg_end, self.single, self.per_segment, self.n_out = seg_of, seg_end, single, per_segment, n_out

    def __call__(self, pos, out, gstart, G):
        """(in_set, among) of orders 2..max_n for the groups ``gstart[:G+1]`` of ``pos``; ``out`` is
        scratch of the same size. Both may be views: only their own range is written."""
        m = pos.size
        in_set = np.zeros((self.max_n, self.n_out), np.int64)
        among = np.zeros((self.max_n, self.n_out), np.int64)
        starts = np.empty(m // 2 + 2, np.int64)
        starts[: G + 1] = gstart[: G + 1]
        gnew = np.empty(m // 2 + 2, np.int64)
        # Per token id: last group that saw it, its subgroup there; per subgroup: size, write cursor.
        stamp = np.full(self.V, -1, np.int64)
        work = np.empty((3, self.V), np.int64)
        nxt = np.empty(m, self.ids.dtype)
        tmp = np.empty(m, self.ids.dtype)
        for n in range(2, self.max_n + 1):
            self.loops.next_tokens(self.ids, n, pos, starts[G], self.seg_of, self.seg_end, self.single, nxt)
            G = self.loops.split(n, pos, starts, G, self.seg_of, self.per_segment, n == self.max_n, nxt,
                                 stamp, work, tmp, out, gnew, in_set, among)
            pos, out = out, pos
            starts, gnew = gnew, starts
        return in_set, among


def _add(in_set: np.ndarray, among: np.ndarray, part: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    in_set += part[0]
    among += part[1]
    return in_set, among
