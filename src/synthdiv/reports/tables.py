"""Table 2 (distribution distance between real and each generated level) and the diversity table.

Both come from datasets.csv (results.csv when the run has none: its rows carry the
same metrics of their training sets), one row per set, averaged over seeds, and hold
metrics only (metric_columns.py): the settings they ran with are listed under the table.
Columns the run did not compute (no embedder: no embedding metrics) are left out. Each
column has one number format, chosen from its values, for its means, spreads and intervals.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from synthdiv.experiments import layout
from synthdiv.metrics import registry
from synthdiv.reports.metric_columns import SETTINGS, Metric, describe, is_metric_column, known
from synthdiv.reports.rundir import RunData, level_key, mean_sd, round_ratio

ROLE_ORDER = {"real": 0, "generated": 1, "mix": 2}
SHIFT_TABLE = ("Table 2", "Distribution distance between real and generated data")
DIVERSITY_TABLE = ("Diversity", "distinct-n, compression, self-BLEU and embedding diversity of each set")
HEAD = ("dataset", "set", "role", "level", "mode", "ratio", "size", "n_seeds")  # the CSV's leading columns


@dataclass
class Table:
    key: str  # file stem of the CSV
    number: str  # "Table 2"
    title: str
    note: str
    metrics: list[Metric]
    rows: list[dict]  # HEAD, and per metric its mean and the columns of spreads(metric) and layout.bound(metric)
    settings: list[tuple[str, str]] = field(default_factory=list)  # (setting, value) shown under the table

    @property
    def filename(self) -> str:
        return f"{self.key}.csv"

    def csv_columns(self) -> list[str]:
        """HEAD, then each metric with the spreads and intervals some row has: no name twice."""
        names = list(HEAD)
        for m in self.metrics:
            names.append(m.column)
            names += [c for c in spreads(m.column) if self._has(c)]
        return names

    def _has(self, name: str) -> bool:
        return any(not _is_nan(r.get(name)) for r in self.rows)

    def to_csv(self) -> bytes:
        names = self.csv_columns()
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(names)
        for r in self.rows:
            writer.writerow(["" if _is_nan(r.get(n)) else r.get(n) for n in names])
        return buf.getvalue().encode("utf-8")

    def formats(self) -> dict[str, Callable[[float], str]]:
        return {m.column: column_format([r.get(m.column) for r in self.rows]) for m in self.metrics}

    def cell(self, row: dict, metric: Metric, form: Callable[[float], str]) -> tuple[str, str, str]:
        """(value, spread or interval text, what the spread is) of one cell, all in the column's format."""
        c = metric.column
        value = form(row.get(c))
        if row.get(layout.bound(c)) and value != "—":
            value = f"≤ {value}"
        low, high = layout.interval(c)
        if not _is_nan(row.get(low)) and not _is_nan(row.get(high)):
            return value, f"[{form(row[low])}, {form(row[high])}]", "95 % interval"
        for name, what in ((layout.seed_sd(c), f"sd over {row['n_seeds']} seeds"),
                           (layout.within_sd(c), "sd of the metric itself (see its definition)")):
            sd = row.get(name)
            if not _is_nan(sd) and sd > 1e-9 * max(1.0, abs(row.get(c) or 0)):  # not float noise of equal values
                return value, f"± {form(sd)}", what
        return value, "", ""


def spreads(column: str) -> tuple[str, ...]:
    """The columns of a metric's spread and interval in the report's tables: sd over seeds, its own sd, its interval."""
    return (layout.seed_sd(column), layout.within_sd(column), *layout.interval(column))


def _is_nan(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def column_format(values) -> Callable[[float], str]:
    """One format for a whole column: as many decimals as give its largest value 4 significant
    digits (at most 4), thousands without decimals, a column of tiny values in scientific notation."""
    finite = [abs(float(v)) for v in values if not _is_nan(v) and math.isfinite(float(v))]
    top = max(finite, default=0.0)
    if 0 < top < 0.001:
        spec = ".2e"
    elif top >= 1000:
        spec = ",.0f"
    else:
        spec = f".{0 if top == 0 else min(4, max(0, 3 - math.floor(math.log10(top))))}f"

    def form(v) -> str:
        return "—" if _is_nan(v) else format(float(v), spec)

    return form


def _columns(frame, panel: str, extra_prefix: str) -> list[Metric]:
    """The registry's metrics of ``panel`` the frame has values for, then other number columns under
    ``extra_prefix`` (a family member beyond the usual ones, or a column no metric declares, marked "?";
    settings, counts and details are never columns)."""
    listed = known(panel)
    present = [m for m in listed if m.column in frame.columns and frame[m.column].notna().any()]
    names = {m.column for m in listed} | {m.spread for m in listed}
    extra = [c for c in frame.columns if c.startswith(extra_prefix) and c not in names and is_metric_column(c)
             and frame[c].dtype.kind in "fi" and frame[c].notna().any()]
    return present + [describe(c) for c in extra]


def measured_rows(run: RunData):
    """One row per (set, seed) with metrics: datasets.csv, else the training sets of results.csv.

    The runner measures a level both as generated and as the training set made of all of it (a
    ratio-0 or ratio-1 mix under the same name, the same records in another order, so a slightly
    different distinct-n). Each set is shown once, as the training set: the number Fig. 2,
    results.csv and the terminal show. A mix that is a subsample of its set keeps the set's row."""
    if run.datasets is not None and not run.datasets.empty:
        frame = run.datasets
    else:
        frame = run.results[run.results["role"] != "base"].drop_duplicates(["dataset", "seed", "size"])
    unmixed, mixed = frame[frame["mode"] == ""], frame[frame["mode"] != ""]
    whole = set(zip(mixed["dataset"], mixed["seed"], mixed["records"]))
    trained_whole = {d for d, s, n in zip(unmixed["dataset"], unmixed["seed"], unmixed["records"]) if (d, s, n) in whole}
    keep_unmixed = set(unmixed["dataset"]) - trained_whole
    return frame[((frame["mode"] == "") & ~frame["dataset"].isin(trained_whole))
                 | ((frame["mode"] != "") & ~frame["dataset"].isin(keep_unmixed))]


def set_label(row) -> str:
    """What a row measured, in words: the set as made, or the training set built from it."""
    n = row["records"] if not _is_nan(row.get("records")) else row.get("size")
    count = f" ({int(n)} records)" if not _is_nan(n) else ""
    if row["mode"] == "":
        return ("real training set" if row["role"] == "real" else "generated set") + count
    ratio = row["ratio"]
    if _is_nan(ratio) or row["mode"] == "variable":
        return f"training set ({row['mode']} mix){count}"
    ratio = round_ratio(ratio)
    return f"training set{count}" if ratio in (0, 1) else f"training set: {ratio:.0%} generated{count}"


def _aggregate(frame, metrics: list[Metric]) -> list[dict]:
    rows = []
    for name, group in frame.groupby("dataset", sort=False):
        first = group.iloc[0]
        row = {"dataset": name, "set": set_label(first), "role": first["role"], "level": first["level"], "mode": first["mode"],
               "ratio": mean_sd(group["ratio"])[0], "size": first["size"], "n_seeds": int(group["seed"].nunique())}
        for m in metrics:
            row[m.column], row[layout.seed_sd(m.column)], _ = mean_sd(group[m.column])
            if m.spread and m.spread in group.columns:
                row[layout.within_sd(m.column)] = mean_sd(group[m.spread])[0]
            if m.interval and all(c in group.columns for c in m.interval) and len(group) == 1:
                row.update(zip(layout.interval(m.column), (float(group[c].iloc[0]) for c in m.interval)))
        if _at_p_floor(group):  # every seed's p-value at the permutation floor: a bound, not a number
            row[layout.bound("shift_embedding_mmd2_p_value")] = True
        rows.append(row)
    rows.sort(key=lambda r: (r["level"] != "", ROLE_ORDER.get(r["role"], 3), level_key(r["level"]), r["mode"],
                             0 if _is_nan(r["ratio"]) else r["ratio"], 0 if _is_nan(r["size"]) else r["size"], r["dataset"]))
    return rows


def _at_p_floor(group) -> bool:
    flag = "shift_embedding_mmd_p_at_floor"
    return flag in group.columns and bool(group[flag].map(lambda v: str(v).strip().lower() in ("true", "1", "1.0")).all())


def settings_of(frame, prefix: str) -> list[tuple[str, str]]:
    """(setting, value) of each setting column under ``prefix``: one value, or the value of each set."""
    out = []
    for column, label in SETTINGS.items():
        if not column.startswith(prefix) or column not in frame.columns or not frame[column].notna().any():
            continue
        per_set = {name: sorted({_setting_text(v) for v in group[column] if not _is_nan(v)})
                   for name, group in frame.groupby("dataset", sort=False)}
        values = {v for vs in per_set.values() for v in vs}
        text = values.pop() if len(values) == 1 else "; ".join(f"{name} {' / '.join(vs)}" for name, vs in per_set.items() if vs)
        out.append((label, text))
    return out


def _setting_text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def diversity_table(run: RunData) -> Table | None:
    frame = measured_rows(run)
    metrics = _columns(frame, registry.DIVERSITY, "div_embedding_")  # other div_ columns are n-gram counts
    if frame.empty or not metrics:
        return None
    note = ("Diversity of every measured set (mean over seeds; ± sd where there are several, none with one seed). "
            "↑ = more diverse. Distinct-n is over the whole set concatenated (stories) or summed over long contexts "
            "(QA, Eq. 5); 'sum d1–5' is the value the paper reports as Distinct-5.")
    return Table("table_diversity", *DIVERSITY_TABLE, note, metrics, _aggregate(frame, metrics), settings_of(frame, "div_"))


def shift_table(run: RunData) -> Table | None:
    frame = measured_rows(run)
    alone = (frame["role"].isin(["mix", "generated"]) & (frame["mode"] == "fixed")
             & frame["ratio"].map(lambda r: not _is_nan(r) and round_ratio(r) == 1.0))
    gen = frame[((frame["role"] == "generated") & (frame["mode"] == "")) | alone]
    metrics = _columns(gen, registry.SHIFT, "shift_")
    if gen.empty or not metrics:
        return None
    note = ("Distance between the real training set and each generated level, compared at equal size (the paper's "
            "'distribution distance' is not specified, so the whole panel is shown). ↑ / ↓ = higher / lower is closer to "
            "real; →1 = closer to 1 is. Mean over seeds, ± sd where there are several; with one seed, MAUVE and the "
            "classifier AUC carry their own sd and the other columns have none. Embedding columns need an embedder.")
    return Table("table2_shift", *SHIFT_TABLE, note, metrics, _aggregate(gen, metrics), settings_of(gen, "shift_"))
