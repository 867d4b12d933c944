"""What is being exported: one record file, or the sets of a run folder.

A record file becomes one set (config ``default``), measured here. A run folder
(written by ``synthdiv run``; its ``datasets.csv`` lists each measured set and the
record file in the stage store behind it) becomes one set per generated level and
per mix of the chosen seed, with the metrics the run measured: nothing is
recomputed where the run has the numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthdiv.errors import UserError
from synthdiv.export.settings import DEFAULT_CONFIG, config_name
from synthdiv.fileio import require_file
from synthdiv.records import Record

MEASURED_HERE = "computed by synthdiv export"
MEASURED_BY_RUN = "measured by the run (datasets.csv)"


@dataclass
class ExportSet:
    """One config of the export: its records and their metrics (datasets.csv column names)."""

    config: str
    label: str
    records: list[Record]
    metrics: dict[str, Any]
    measured_by: str
    notes: list[str] = field(default_factory=list)
    level: str | None = None
    kind: str = "generated"  # generated | mix | records (a file of any make-up)


@dataclass
class ExportInput:
    kind: str  # "file" or "run"
    path: Path
    sets: list[ExportSet]
    real_records: list[Record] | None = None
    real_label: str | None = None
    spec: dict[str, Any] = field(default_factory=dict)

    @property
    def records(self) -> int:
        return sum(len(s.records) for s in self.sets)


def is_run_folder(path: Path) -> bool:
    """A folder that is not a saved Hugging Face dataset is taken for a run folder."""
    saved = ("dataset_info.json", "state.json", "dataset_dict.json")
    return path.is_dir() and not any((path / name).exists() for name in saved)


def check_input(path: Path) -> None:
    """A UserError unless ``path`` is a non-empty record file, a saved dataset or a run folder with datasets.csv."""
    from synthdiv.experiments import layout

    if is_run_folder(path):
        if not (path / f"{layout.DATASETS}.csv").is_file():
            raise UserError(f"folder has no {layout.DATASETS}.csv; give a run folder written by `synthdiv run` "
                            "(after it measured its sets) or a record file", where=str(path))
    elif not path.is_dir():
        require_file(path)


def load_file(path: Path, real: Path | None, embedder: str | None, *, measure: bool = True,
              shift_caps: Mapping[str, int] | None = None) -> ExportInput:
    """The file as one set; measured only when ``measure`` (TRL files carry no card), the shift's capped
    metrics on at most ``shift_caps`` points per side (None: the registry's caps)."""
    from synthdiv.data import read_input
    from synthdiv.export.measure import measure_file

    records = read_input(path)

    real_records = read_input(real) if real is not None else None
    tasks = sorted({r.task for r in records})
    if len(tasks) > 1:
        raise UserError(f"file mixes tasks {', '.join(tasks)}; export one task per file", where=str(path))
    real_tasks = sorted({r.task for r in real_records or []})
    if real_records and real_tasks != tasks:  # in every format: the card measures against it, a TRL file would ignore it
        raise UserError(f"the real data is {', '.join(real_tasks)} but the exported set is {tasks[0]}; give real data of the "
                        "same task", where="--real")
    metrics, notes = measure_file(str(path), None if real is None else str(real), embedder, shift_caps) if measure else ({}, [])
    levels = sorted({r.provenance.level for r in records if r.provenance.level})
    one = ExportSet(DEFAULT_CONFIG, path.name, records, metrics, MEASURED_HERE, notes,
                    level=levels[0] if len(levels) == 1 else None, kind="records")
    label = None if real is None else f"{real.name} ({len(real_records or [])} records)"
    return ExportInput("file", path, [one], real_records=real_records, real_label=label)


# ----- run folders --------------------------------------------------------------
def load_run(run_dir: Path, embedder: str | None, seed: int | None, *, measure: bool = True,
             shift_caps: Mapping[str, int] | None = None) -> ExportInput:
    """One set per generated level and per mix of ``seed`` (default: the run's lowest). With
    ``measure``, a set the run has no metrics for is measured here."""
    from synthdiv.experiments import layout

    from synthdiv.reports.rundir import load_spec

    rows = _read_datasets(run_dir / f"{layout.DATASETS}.csv")
    spec = load_spec(run_dir)
    real_row = next((r for r in rows if r["role"] == "real" and not r["mode"]), None) or next(
        (r for r in rows if r["role"] == "real"), None)
    chosen = _rows_of_seed(rows, seed, run_dir)
    real_records = _records_of(real_row, run_dir) if real_row and real_row.get("path") else None
    real_label = None if real_row is None else f"the run's real training set ({_count(real_row)} records)"
    real_path = real_row.get("path") if real_row else None
    sets, seen = [], set()
    for row in chosen:
        name = config_name(row["dataset"])
        if name in seen:  # one config per name: the first row (the generate stage's) wins
            continue
        seen.add(name)
        records = _records_of(row, run_dir)
        metrics = {k: v for k, v in row.items() if k.startswith(("div_", "shift_")) and v is not None}
        notes, measured_by = [], MEASURED_BY_RUN
        if measure and not any(k.startswith("div_distinct") for k in metrics):
            from synthdiv.export.measure import measure_file

            metrics, notes = measure_file(row["path"], real_path, embedder, shift_caps)
            measured_by = f"{MEASURED_HERE} (datasets.csv has no metrics for it)"
        elif "div_samples" not in metrics and row.get("records") is not None:
            metrics["div_samples"] = row["records"]  # the measure stage's sample count
        if not any(k.startswith("shift_") for k in metrics):
            notes.append("shift from real data not computed: the run did not measure it for this set")
        if measured_by == MEASURED_BY_RUN and not any(k.startswith("div_embedding_") for k in metrics):
            notes.append("embedding metrics not computed: the run measured none (its spec's metrics.embedder was not set)")
        sets.append(ExportSet(name, row["dataset"], records, metrics, measured_by, notes,
                              level=row["level"] or None, kind=row["role"]))
    return ExportInput("run", run_dir, sets, real_records=real_records, real_label=real_label, spec=spec)


def _rows_of_seed(rows: list[dict[str, Any]], seed: int | None, run_dir: Path) -> list[dict[str, Any]]:
    """The generated levels (their generate stages; a level-alone training set only for a level without
    one) and the mixes. The runner's datasets.csv calls every training set ``mix``, whatever its ratio."""
    from synthdiv.reports.rundir import level_key

    exported = [r for r in rows if r["role"] in ("generated", "mix") and r.get("path")]
    seeds = sorted({r["seed"] for r in exported if r["seed"] is not None})
    if not exported:
        raise UserError("datasets.csv lists no generated set or mix with a record file; nothing to export", where=str(run_dir))
    if seed is None:
        seed = seeds[0] if seeds else None
    elif seed not in seeds:
        raise UserError(f"the run has no seed {seed}; it has {', '.join(map(str, seeds))}", where="--seed")
    ours = [r for r in exported if (r["seed"] == seed or r["seed"] is None) and not _real_only(r)]
    # a training set of one level alone (ratio 1) is a copy of the level's generated set, or a
    # subsample of it in a size sweep: the generated set itself is what gets exported
    stages = [r for r in ours if r["role"] == "generated" and not r["mode"]]
    stage_levels = {r["level"] for r in stages}
    alone = [r for r in ours if r not in stages and _level_alone(r) and r["level"] not in stage_levels]
    mixes = [r for r in ours if r not in stages and not _level_alone(r)]
    return sorted(stages + alone, key=lambda r: (level_key(r["level"]), r["mode"] != "")) + mixes


def _real_only(row: dict[str, Any]) -> bool:
    """A training set of real records only (ratio 0): the real data, not something generated."""
    return row.get("n_generated") == 0 or row.get("ratio") == 0


def _level_alone(row: dict[str, Any]) -> bool:
    return row["role"] == "generated" or row.get("n_real") == 0 or row.get("ratio") == 1


def _read_datasets(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = [{k: _value(v) for k, v in row.items()} for row in csv.DictReader(fh)]
    for needed in ("dataset", "role"):
        if rows and needed not in rows[0]:
            raise UserError(f"datasets.csv has no column {needed!r}; it was not written by the experiment runner", where=str(path))
    for r in rows:
        r["role"], r["mode"] = str(r.get("role") or ""), str(r.get("mode") or "")
        r["level"] = _level(r.get("level"))
        r["seed"] = int(r["seed"]) if isinstance(r.get("seed"), float) else None
    return rows


def _value(text: str | None) -> Any:
    """A CSV cell as None (empty), a float, or the string."""
    if text is None or text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _level(value: Any) -> str:
    if value is None:
        return ""
    return f"D{int(value)}" if isinstance(value, float) else str(value)  # a column of digits reads as numbers


def _count(row: dict[str, Any]) -> str:
    return "?" if row.get("records") is None else str(int(row["records"]))


def _records_of(row: dict[str, Any], run_dir: Path) -> list[Record]:
    from synthdiv.data.records_io import read_records

    path = Path(str(row["path"]))
    if not path.is_absolute():
        path = run_dir / path
    require_file(path, what=f"record file of {row['dataset']!r} (datasets.csv path)")
    return read_records(path)

