"""Mixing real and generated records at a given ratio (paper §4.3, Eq. 7)."""

from synthdiv.mixing.mix import MixResult, mix, mix_fixed, mix_variable, mixing_ratio

__all__ = ["MixResult", "mix", "mix_fixed", "mix_variable", "mixing_ratio"]
