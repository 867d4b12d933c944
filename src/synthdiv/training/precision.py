"""Which arithmetic a training run uses on this machine: bf16 mixed precision or fp32.

bf16 mixed precision keeps every weight, gradient and optimizer state in fp32 and runs the
matrix products in bf16 (``torch.autocast``); the loss and its reduction stay in fp32
(:mod:`synthdiv.training.loss` upcasts the logits). It pays only where the hardware multiplies
bf16 natively: a GPU that supports it, or a CPU with AVX512-BF16 or AMX-BF16. Without them torch
emulates bf16, hundreds of times slower than fp32 (0.2 against 104 GFLOPS for a 2,048² matmul on
the AMD EPYC development machine, AVX2 only), so ``bf16`` is refused there.

``auto`` resolves to bf16 on a capable GPU and to fp32 on every CPU, a bf16 one included: the
stage key of a sweep holds ``auto``, not what it resolved to, so a rule that changed with the CPU
would give two different computations one key (cached fp32 stages beside new bf16 ones).
Ask for ``bf16`` to use a bf16 CPU; the run records what it used (``precision`` in its summary).
"""

from __future__ import annotations

from pathlib import Path

from synthdiv.errors import UserError

# the CPU flags (Linux /proc/cpuinfo names) of native bf16 matrix arithmetic
CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
CPUINFO = Path("/proc/cpuinfo")


def cpu_flags() -> set[str]:
    """The CPU's feature flags as Linux names them; empty where /proc/cpuinfo does not exist (macOS, Windows)."""
    try:
        text = CPUINFO.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):  # x86, arm
            return set(line.partition(":")[2].split())
    return set()


def cpu_has_bf16() -> bool:
    """True when the CPU multiplies bf16 natively (AVX512-BF16 or AMX-BF16)."""
    return any(flag in cpu_flags() for flag in CPU_BF16_FLAGS)


def gpu_has_bf16() -> bool:
    import torch

    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()


def resolve_precision(precision: str) -> str:
    """``bf16`` or ``fp32``: what ``precision`` (auto, bf16, fp32) computes in on this machine."""
    if precision == "fp32":
        return "fp32"
    import torch

    on_gpu = torch.cuda.is_available()
    if precision == "auto":
        return "bf16" if on_gpu and gpu_has_bf16() else "fp32"
    if on_gpu and not gpu_has_bf16():
        raise UserError("bf16 needs a GPU that supports it (Ampere or newer); use fp32 on this GPU", field="precision")
    if not on_gpu and not cpu_has_bf16():
        raise UserError("bf16 needs a GPU or a CPU with native bf16 (AVX512-BF16 or AMX-BF16), which this CPU lacks "
                        "(torch would emulate it, hundreds of times slower); use fp32", field="precision")
    return "bf16"

