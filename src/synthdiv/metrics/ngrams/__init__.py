"""The n-gram engine under the lexical metrics: tokenising texts into integer ids (``tokenize``),
counting distinct n-grams (``count``), and the choice between compiled loops and numpy
(``engine``; the ``jit_*`` modules hold the numba kernels). Both engines give the same ids and
counts exactly; numba is only faster (docs/benchmarks/metrics.md)."""
