"""A worked example of adding a stage kind: this module and one line in ``experiments.kinds.KINDS``
(tests/experiments/test_new_stage_kind.py adds the line). Its parameters, its data file, its key
version, what it runs and what it asks the Ray executor for are all declared here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthdiv.experiments.kinds import StageKind, data_file, write_json
from synthdiv.experiments.params import StageParams


@dataclass(frozen=True, eq=False)
class CountParams(StageParams):
    min_words: int  # count the records of the set it reads that have at least this many words


def run_count(node, folder: Path, deps: dict[str, Path], ctx) -> dict[str, Any]:
    source = node.deps["data"]
    lines = data_file(source, deps["data"]).read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line).get("target") or "" for line in lines if line.strip()]
    kept = [t for t in texts if len(t.split()) >= node.params.min_words]
    (folder / "kept.txt").write_text("\n".join(kept) + "\n", encoding="utf-8")
    summary = {"records": len(texts), "kept": len(kept)}
    write_json(folder / "count.json", summary)
    return summary


KIND = StageKind("count", CountParams, run_count, data_file="kept.txt", resources=lambda spec: {"cpus": 2, "gpus": 0}, history=(
    (1, "the first keyed version"),
))
