"""Experiments: one YAML spec runs as a declarative, resumable sweep (``synthdiv run``).

spec → graph of stages keyed by their parameters → executors run the stages into the
store (a finished stage is skipped on a rerun) → results gathers the run's tables, which
synthdiv.stats turns into evidence, trends, findings and the diversity–shift plane. The runner
ties the steps together after preflight has checked them; layout names the run folder's files.
"""
