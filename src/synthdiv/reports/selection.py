"""Which rows of results.csv make each figure, and their means over seeds.

The runner names a training set by its role: ``real`` (mixing ratio 0),
``generated`` (ratio 1 in fixed mode: one level alone) and ``mix`` (anything in
between, or variable mode). A *pure set* is real alone or one level alone; a
*ratio curve* is the test loss of one source level against the mixing ratio,
with the real-only set as its ratio-0 point.
"""

from __future__ import annotations

import math

from synthdiv.experiments import layout
from synthdiv.reports.rundir import level_key, mean_sd, round_ratio, short_model

# The size group of a row with no asked size: "all real records" (null in mixing.sizes) or a run
# with one size. Infinite so that it sorts as the largest and, unlike NaN, equals itself.
ALL = math.inf


def trained_rows(results):
    """Rows of fine-tuned models (the base model is not trained on anything)."""
    return results[results["role"] != "base"]


def size_key(frame):
    """The asked training-set size of each row (rundir.add_size_group), ALL where none was asked."""
    return frame["size_group"].fillna(ALL)


def size_label(size: float) -> str:
    return "all" if size == ALL else f"{size:g}"


def pure_sets(results):
    """Real alone and each level alone, outside variable mode; columns x (label) and x_order added."""
    rows = trained_rows(results)
    rows = rows[rows["mode"] != "variable"]
    real = rows[rows["role"] == "real"]
    gen = rows[rows["role"] == "generated"]
    # a fixed-mode mix at ratio 1 is a level alone too; used for levels that have no "generated" row
    full = rows[(rows["role"] == "mix") & (rows["mode"] == "fixed") & rows["ratio"].map(lambda r: _ratio(r) == 1.0)]
    full = full[~full["level"].isin(set(gen["level"]))]
    gen = _concat([gen, full])
    if real.empty:  # a fixed-mode mix at ratio 0 is real alone
        real = rows[(rows["role"] == "mix") & rows["ratio"].map(lambda r: _ratio(r) == 0.0)]
    out = _concat([real.assign(level=""), gen[gen["level"] != ""]])
    out = out.assign(x=out["level"].map(layout.level_label), x_order=out["level"].map(lambda lv: (-1, "") if not lv else level_key(lv)))
    return out


def pure_sizes(pure) -> list[float]:
    """The distinct asked sizes of the generated pure sets, ascending (ALL last)."""
    return sorted(set(size_key(pure[pure["level"] != ""])))


def at_one_size(pure) -> tuple[object, float | None]:
    """Pure sets of one training-set size: the largest size of the generated sets, and real at that
    size (or at its own largest size when it was not run at that one). Returns (rows, size or None)."""
    sizes = pure_sizes(pure)
    if len(sizes) < 2:
        return pure, (sizes[0] if sizes else None)
    size = sizes[-1]
    gen = pure[(pure["level"] != "") & (size_key(pure) == size)]
    real = pure[pure["level"] == ""]
    if (size_key(real) == size).any():
        real = real[size_key(real) == size]
    elif not real.empty:
        real = real[size_key(real) == size_key(real).max()]
    return _concat([real, gen]), size


def ratio_points(results, mode: str):
    """Rows for test loss against mixing ratio in ``mode`` (fixed | variable), with ``x_ratio`` and
    ``line_size``: what stays fixed along one line (the total size in fixed mode, the real part in
    variable mode). Real-only rows are copied into every source level's line of the same line_size
    as its ratio-0 point."""
    rows = trained_rows(results)
    in_mode = rows[rows["mode"] == mode] if mode == "variable" else rows[rows["mode"].isin(["fixed", ""])]
    mixes = in_mode[(in_mode["role"].isin(["mix", "generated"])) & (in_mode["level"] != "")]
    if mixes.empty:
        return mixes.assign(x_ratio=[], line_size=[])
    mixes = mixes.assign(x_ratio=[1.0 if role == "generated" else _ratio(r) for role, r in zip(mixes["role"], mixes["ratio"])])
    mixes = mixes[mixes["x_ratio"].map(lambda r: not math.isnan(r))]
    mixes = mixes.assign(line_size=size_key(mixes))
    real = in_mode[in_mode["role"] == "real"]
    real = real.assign(line_size=size_key(real))
    parts = [mixes]
    for level, line_size in mixes[["level", "line_size"]].drop_duplicates().itertuples(index=False):
        same = real[real["line_size"] == line_size]
        if not same.empty:
            parts.append(same.assign(level=level, x_ratio=0.0, line_size=line_size))
    return _concat(parts)


def _ratio(value: float) -> float:
    return math.nan if value is None or math.isnan(value) else round_ratio(value)


def aggregate(rows, keys: list[str], value: str):
    """Mean, sd and count of ``value`` over seeds for each combination of ``keys`` (sorted by keys),
    and for the test loss its 95 % interval (``lo``, ``hi``): the row's own bootstrap interval with
    one seed, the runner's two-level interval of the seed mean with several; NaN where the run has none."""
    import pandas as pd

    cols = [*keys, "mean", "sd", "n", "lo", "hi"]
    if rows.empty or value not in rows.columns:
        return pd.DataFrame(columns=cols)
    out = []
    for key, group in rows.groupby(keys, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        mean, sd, n = mean_sd(group[value])
        lo, hi = _interval_of(group, value, n)
        out.append({**dict(zip(keys, key)), "mean": mean, "sd": sd, "n": n, "lo": lo, "hi": hi})
    return pd.DataFrame(out, columns=cols)


def _interval_of(group, value: str, n: int) -> tuple[float, float]:
    low, high = layout.interval(value) if n == 1 else layout.mean_interval(value)
    if low not in group.columns or high not in group.columns:
        return math.nan, math.nan
    lows, highs = group[low].dropna(), group[high].dropna()
    if lows.empty or highs.empty or lows.nunique() > 1 or highs.nunique() > 1:
        return math.nan, math.nan  # several groups of the runner in one point: no single interval
    return float(lows.iloc[0]), float(highs.iloc[0])


def error_bars(stats) -> tuple[list[list[float]] | None, str]:
    """yerr for errorbar() from ``lo``/``hi`` (95 % intervals) when every point has one, else None;
    and what the bars are, for the caption."""
    if stats.empty or stats["lo"].isna().any() or stats["hi"].isna().any():
        return None, "no interval: the run kept no per-record losses"
    below = (stats["mean"] - stats["lo"]).clip(lower=0).tolist()
    above = (stats["hi"] - stats["mean"]).clip(lower=0).tolist()
    what = ("error bars: 95 % bootstrap interval over test records" if int(stats["n"].max()) == 1
            else "error bars: 95 % two-level bootstrap interval (seeds, then test records)")
    return [below, above], what


def base_losses(results) -> dict[str, float]:
    """Test loss of each model without fine-tuning: the base rows, else the base_test_loss column."""
    out: dict[str, float] = {}
    base = results[results["role"] == "base"]
    for model in results["model"].unique():
        values = base.loc[base["model"] == model, "test_loss"]
        if values.notna().sum() == 0:
            values = results.loc[results["model"] == model, "base_test_loss"]
        mean, _, n = mean_sd(values)
        if n:
            out[model] = mean
    return out


def base_note(results) -> str:
    """The base models' test losses in words, for figures that leave the base line out to keep their scale."""
    base = base_losses(results)
    if not base:
        return ""
    values = ", ".join(f"{short_model(m)} {v:.3f}" for m, v in base.items())
    return f"Test loss before fine-tuning (not drawn, it would flatten the curves): {values}."


def models_of(results) -> list[str]:
    """Trained models in the order they first appear."""
    return list(dict.fromkeys(trained_rows(results)["model"]))


def seeds_of(frame) -> list[int]:
    return sorted({int(s) for s in frame["seed"] if not math.isnan(s)})


def _concat(frames):
    import pandas as pd

    filled = [f for f in frames if not f.empty]
    if not filled:
        return frames[0].iloc[0:0].copy()  # no rows, but the columns the caller selects on
    return pd.concat(filled, ignore_index=True)


def measured_sets(datasets) -> list[dict]:
    """The real training set and each generated level as measured (datasets.csv, roles real and
    generated), one row per dataset name at its lowest seed. The unmixed sets when the runner
    measured them; else the training sets of one size (the largest). Real first, then by level."""
    if datasets is None or datasets.empty:
        return []
    rows = datasets[datasets["role"].isin(["real", "generated"]) & (datasets["path"] != "")]
    raw = rows[rows["mode"] == ""]
    if (raw["role"] == "real").any() and (raw["role"] == "generated").any():
        rows = raw
    else:
        gen_sizes = size_key(rows[rows["role"] == "generated"])
        if gen_sizes.nunique() > 1:
            top = gen_sizes.max()
            real = rows[rows["role"] == "real"]
            real = real[size_key(real) == top] if (size_key(real) == top).any() else real
            rows = _concat([real, rows[(rows["role"] == "generated") & (size_key(rows) == top)]])
    chosen = rows.assign(_seed=rows["seed"].fillna(math.inf)).sort_values("_seed").drop_duplicates("dataset")
    out = [dict(r) for _, r in chosen.drop(columns=["_seed"]).iterrows()]
    out.sort(key=lambda r: (r["role"] != "real", level_key(r["level"]), r["dataset"]))
    return out
