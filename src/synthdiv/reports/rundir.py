"""Read a run directory written by the experiment runner: spec.yaml, datasets.csv, results.csv.

Both tables are normalised on the way in, so the figure code can rely on them:
text columns (role, level, mode, ...) are strings with "" for missing, number
columns (and metric columns whose every value is a number) are floats with NaN for
missing, and a column the runner did not write
(no embedder: no embedding metrics) is simply absent from the metric columns.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthdiv.errors import UserError
from synthdiv.experiments import layout

RESULTS_REQUIRED = ("model", "role", "test_loss")
RESULTS_CSV, DATASETS_CSV = layout.csv_name(layout.RESULTS), layout.csv_name(layout.DATASETS)
RATIO_DECIMALS = 2  # achieved ratios differ in the 3rd decimal across seeds; group them at 0.01


@dataclass
class RunData:
    """Everything the report reads from one run directory."""

    run_dir: Path
    spec: dict[str, Any]
    results: Any  # pandas.DataFrame, one row per evaluated model
    datasets: Any | None  # pandas.DataFrame, one row per measured dataset; None when the run has no datasets.csv
    generations: Any | None = None  # pandas.DataFrame, one row per loop step; None without a `loop` section
    notes: list[str] = field(default_factory=list)

    @property
    def task(self) -> str:
        return str(self.spec.get("task") or "unknown task")


def require_pandas():
    try:
        import pandas
    except ImportError:
        raise UserError("reports need pandas and matplotlib: pip install 'synthdiv[data,report]'") from None
    return pandas


def load_run(run_dir: str | Path) -> RunData:
    """The spec and tables of ``run_dir``; a UserError when it is not a run directory."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError("run directory not found; give the folder an experiment run wrote", where=str(run_dir))
    results = read_table(run_dir, layout.RESULTS)
    if results is None:
        raise UserError(f"no {RESULTS_CSV} in the run directory; run the experiment first, or give the run's folder", where=str(run_dir))
    missing = [c for c in RESULTS_REQUIRED if c not in results.columns]
    if missing:
        raise UserError(f"{RESULTS_CSV} lacks the column(s) {', '.join(missing)}; it was not written by the experiment runner",
                        where=str(run_dir / RESULTS_CSV))
    datasets = read_table(run_dir, layout.DATASETS)
    if results.empty and (datasets is None or datasets.empty):
        raise UserError(f"{RESULTS_CSV} has no rows and there is no {DATASETS_CSV}; the run has not measured or evaluated "
                        "anything yet", where=str(run_dir / RESULTS_CSV))
    spec = load_spec(run_dir)
    results = add_size_group(normalise(results), spec)
    datasets = None if datasets is None else add_size_group(normalise(datasets), spec)
    generations = read_table(run_dir, layout.GENERATIONS)
    return RunData(run_dir=run_dir, spec=spec, results=results, datasets=datasets, generations=generations)


def load_spec(run_dir: Path) -> dict[str, Any]:
    path = run_dir / layout.SPEC
    if not path.exists():
        return {}
    import yaml

    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise UserError(f"spec.yaml is not valid YAML ({str(exc).splitlines()[0]})", where=str(path)) from None
    return spec if isinstance(spec, dict) else {}


def read_table(run_dir: Path, name: str):
    """A run table (CSV, else Parquet) as a DataFrame; None when the run has neither."""
    pd = require_pandas()
    csv_path, parquet_path = run_dir / layout.csv_name(name), run_dir / layout.parquet_name(name)
    if csv_path.exists():
        try:
            frame = pd.read_csv(csv_path)
        except pd.errors.EmptyDataError:  # a run that trained nothing (measurement only) writes no columns
            return pd.DataFrame(columns=list(RESULTS_REQUIRED))
        except pd.errors.ParserError as exc:
            raise UserError(f"cannot read the table ({str(exc).splitlines()[0]})", where=str(csv_path)) from None
    elif parquet_path.exists():
        frame = pd.read_parquet(parquet_path)
    else:
        return None
    return frame


def normalise(frame):
    """Text columns as str with "" for missing; known number columns as float."""
    pd = require_pandas()
    frame = frame.copy()
    for col in layout.TEXT_COLUMNS:
        if col in frame.columns:
            frame[col] = frame[col].map(lambda v: "" if _missing(v) else str(v))
        else:
            frame[col] = ""
    for col in layout.NUMBER_COLUMNS:
        frame[col] = pd.to_numeric(frame[col], errors="coerce") if col in frame.columns else math.nan
    for col in metric_columns(frame):
        frame[col] = _numbers_or_text(pd, frame[col])
    # "level" may have been read as a number-like string ("3.0") when all rows were numeric
    frame["level"] = frame["level"].map(_level_name)
    return frame.copy()  # one block per dtype again: the column-by-column writes above fragment the frame


def _numbers_or_text(pd, column):
    """A metric column as numbers when every value is one; a setting written as text (a tokenizer's
    name, a p-value bound "≤ 1/201") stays text instead of turning into NaN."""
    numbers = pd.to_numeric(column, errors="coerce")
    return numbers if numbers.notna().sum() == column.notna().sum() else column


def add_size_group(frame, spec: dict[str, Any]):
    """Column ``size_group``: the training-set size that was asked for (mixing.sizes), NaN for one group.

    The ``size`` column holds the achieved size, which falls short when generation
    produced fewer records than asked; grouping on it would make a size sweep out of
    one size. The asked size is the total in fixed mode and the real part in variable
    mode, so each row is matched on ``size`` or ``n_real`` to the nearest asked size."""
    mixing = spec.get("mixing") if isinstance(spec.get("mixing"), dict) else {}
    asked = mixing.get("sizes")
    achieved = [n_real if mode == "variable" else size for mode, size, n_real in zip(frame["mode"], frame["size"], frame["n_real"])]
    if layout.SIZE_ASKED in frame.columns:
        groups = list(frame[layout.SIZE_ASKED].astype(float))
    elif isinstance(asked, list) and len(asked) <= 1:
        groups = [math.nan] * len(frame)
    elif isinstance(asked, list):
        numeric = sorted(float(s) for s in asked if s is not None)
        groups = [_nearest(v, numeric, all_real=None in asked) for v in achieved]
    else:  # no spec: the achieved sizes are all there is
        groups = achieved
    return frame.assign(size_group=groups)


def _nearest(value: float, asked: list[float], all_real: bool) -> float:
    if math.isnan(value) or not asked:
        return math.nan
    if all_real and value > asked[-1]:
        return math.nan  # the "all real records" size (null in mixing.sizes)
    return min(asked, key=lambda a: abs(a - value))


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _level_name(value: str) -> str:
    if re.fullmatch(r"\d+(\.0)?", value):
        return f"D{int(float(value))}"
    return value


def metric_columns(frame, prefix: str = "") -> list[str]:
    return [c for c in frame.columns if c.startswith(layout.GROUP_PREFIXES) and c.startswith(prefix)]


def has_values(frame, column: str) -> bool:
    return column in frame.columns and frame[column].notna().any()


# ----- ordering and labels ----------------------------------------------------
def level_key(level: str) -> tuple[int, str]:
    """D0 < D1 < ... < D6, then anything else by name."""
    m = re.search(r"(\d+)", level or "")
    return (int(m.group(1)) if m else 10_000, level or "")


def sorted_levels(levels) -> list[str]:
    return sorted({lv for lv in levels if lv}, key=level_key)


def round_ratio(value: float) -> float:
    return round(float(value), RATIO_DECIMALS)


def short_model(name: str) -> str:
    """A model id as it fits in a legend: the last path part of a folder or hub id."""
    return name.rstrip("/").rsplit("/", 1)[-1] if name else "model"


def mean_sd(values) -> tuple[float, float, int]:
    """Mean, sample sd (NaN for a single value) and count of the finite values."""
    vals = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    if not vals:
        return math.nan, math.nan, 0
    mean = sum(vals) / len(vals)
    if len(vals) < 2:
        return mean, math.nan, len(vals)
    var = sum((v - mean) ** 2 for v in vals) / (len(vals) - 1)
    return mean, math.sqrt(var), len(vals)
