"""Experiments: the offline demo now; declarative, resumable sweeps later."""
