"""Experiments: declarative, resumable sweeps (spec → stage graph → store → tables → evidence)."""
