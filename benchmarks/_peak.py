"""This machine's matmul peak, measured: the "limit" the model benchmarks (bench_training.py,
bench_generation.py) report their model-FLOP utilisation against."""

from __future__ import annotations

import time


def matmul_gflops(dtype_name: str, size: int = 2048, reps: int = 5) -> float:
    """The best of ``reps`` timings of one size² @ size² product, in GFLOP/s."""
    import torch

    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype_name]
    a, b = torch.randn(size, size).to(dtype), torch.randn(size, size).to(dtype)
    a @ b  # first call: allocation, kernel choice
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * size**3 / best / 1e9


def peaks(size: int) -> dict[str, float]:
    """The matmul peak of each precision; bf16 without native support (torch emulates it, ~0.2 GFLOP/s on an
    AVX2 CPU) is timed once at 512² so the measurement takes a second, not minutes."""
    from synthdiv.training.precision import cpu_has_bf16

    bf16 = matmul_gflops("bf16", size) if cpu_has_bf16() else matmul_gflops("bf16", size=min(size, 512), reps=1)
    return {"fp32": matmul_gflops("fp32", size), "bf16": bf16}
