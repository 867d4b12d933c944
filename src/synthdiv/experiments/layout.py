"""The run folder's file names: one place for the runner that writes them and the report and
tests that read them.

RUN_DIR/
  spec.yaml          the resolved spec
  graph.json         every stage, its key and folder
  datasets.csv/.parquet   one row per measured set (diversity, shift, size-matched diversity)
  results.csv/.parquet    one row per evaluated model, with its intervals (evidence.py)
  aggregate.csv/.parquet  one row per model × training set × size: the mean over seeds with its interval
  trends.csv/.parquet     rank-correlation trend tests across levels, ratios and sizes
  findings.json      the paper's claims this run can test, each with a verdict
  plane.json         test loss regressed on size-matched diversity and shift across the trained sets
  generations.csv/.parquet  the recursive-training loop, when the spec has one
  ladder.csv/.parquet     one row per generated level: topics, adherence, seed copying, rejects, diversity with intervals
  report/            ``synthdiv report``
"""

from __future__ import annotations

SPEC = "spec.yaml"
GRAPH = "graph.json"
DATASETS = "datasets"  # table stems: .csv always, .parquet with pyarrow
RESULTS = "results"
AGGREGATE = "aggregate"
TRENDS = "trends"
GENERATIONS = "generations"
LADDER = "ladder"
FINDINGS = "findings.json"
PLANE = "plane.json"
REPORT = "report"
