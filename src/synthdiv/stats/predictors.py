"""Which measured property of the training sets predicts the test loss?

A sweep trains one student on each of k sets and measures each set many ways: every diversity
and shift number the metric registry declares (gradient diversity and fluency included when they
were measured), the size-matched diversity and the set's size. For each property, over the sets of
one student and asked size (the plane's groups: students' losses are on different scales):

* **Spearman's ρ** between the property and the test loss across the sets, with a percentile
  interval over bootstrap draws that resample the test records (the same records for every set,
  as the students share one test set) and, for a set trained with several seeds, its seeds (the
  set's loss and property are then the mean over the drawn seeds);
* a **permutation p-value** of ρ across the sets (exact for up to 8 sets, else 10,000 seeded
  permutations), Holm-adjusted over the properties of the group, since a table of many
  properties finds some by chance;
* the **leave-one-set-out error**: each set's loss predicted by a straight line fitted on the other
  sets, as a root mean square error beside that of predicting the others' mean; ``gain`` is
  1 − RMSE / RMSE(mean), above 0 when the property helps.

A property is **resolved** when its ρ interval excludes 0 *and* its adjusted p-value is below
1 − level. The interval alone cannot be enough: it says how ρ moves with the choice of test
records, not with the choice of sets, and with few sets a perfect order is common by chance.
The permutation test is that second check, and it needs sets: with k sets the smallest
two-sided p-value of ρ is 2/k!, so 4 sets can never reach 0.05 and 5 only with a perfect order;
at 8 sets |ρ| ≥ 0.74 does. Hence SETS_FOR_A_RESULT = 8: with fewer, a group's rows are leads.

The diversity–shift plane (plane.py) fits its regression on the same groups and loss draws
(:func:`set_groups`, :func:`group_draws`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from synthdiv.stats.trends import average_ranks, loss_draws
from synthdiv.stats.uncertainty import LEVEL, RESAMPLES, SEED, percentile_interval

MIN_SETS = 4  # below this no ρ is computed: 3 points have 6 orders
SETS_FOR_A_RESULT = 8  # see the module's docstring
EXACT_PERMUTATIONS_UP_TO = 8  # 8! = 40,320 orders
PERMUTATIONS = 10_000
SIZE = "records"  # the training set's size, a property like the others
LEFT_OUT_ROLES = ("base", "loop")  # no training set of the sweep's design


def number(v) -> float | None:
    """A finite float, or None (missing, NaN, text, bool)."""
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def set_groups(results: list[dict[str, Any]]) -> list[list[tuple[int, dict[str, Any]]]]:
    """The trained rows of ``results`` (with their index) grouped by student and asked size, in order."""
    groups: dict[tuple, list[tuple[int, dict[str, Any]]]] = {}
    for i, row in enumerate(results):
        if row.get("role") in LEFT_OUT_ROLES:
            continue
        groups.setdefault((str(row.get("model")), number(row.get("size_asked"))), []).append((i, row))
    return list(groups.values())


def group_draws(per: list, *, resamples: int, seed: int) -> np.ndarray | None:
    """(resamples, k) bootstrap draws of k rows' test losses on resampled test records, or None when a
    row has no per-record losses or the rows were scored on different records."""
    if not per or any(p is None for p in per) or any(p.ids != per[0].ids for p in per):
        return None
    return loss_draws([p.nll for p in per], [p.tokens for p in per], resamples=resamples, seed=seed)


def property_columns(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(column, label) of every measured property the rows all have a number for, registry order:
    the diversity numbers, the size-matched score, the shift numbers, then the size."""
    from synthdiv.metrics import registry

    out = []
    for panel in (registry.DIVERSITY, registry.SHIFT):
        for stat, column, values in registry.columns(panel):
            if not stat.row or column in registry.ALIASES or (stat.derived and not stat.key.startswith("matched.")):
                continue
            out.append((column, stat.text("label", **values)))
    out.append((SIZE, "training set size (records)"))
    return [(c, label) for c, label in out if rows and all(number(r.get(c)) is not None for r in rows)]


def spearman_pairs(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's ρ of each row of ``x`` with the same row of ``y`` (rows, k); 0 where a row is constant."""
    rx, ry = average_ranks(np.atleast_2d(x)), average_ranks(np.atleast_2d(y))
    rx = rx - rx.mean(axis=1, keepdims=True)
    ry = ry - ry.mean(axis=1, keepdims=True)
    denom = np.sqrt((rx * rx).sum(axis=1) * (ry * ry).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, (rx * ry).sum(axis=1) / np.where(denom > 0, denom, 1.0), 0.0)


def permutation_p(x: np.ndarray, y: np.ndarray, *, seed: int = SEED) -> float:
    """Two-sided p-value of Spearman's ρ(x, y) under random assignment of the y's to the x's: exact over
    every order up to EXACT_PERMUTATIONS_UP_TO points, else PERMUTATIONS seeded orders (+1 for the observed)."""
    observed = abs(float(spearman_pairs(x[None], y[None])[0]))
    k = y.size
    if k <= EXACT_PERMUTATIONS_UP_TO:
        orders = np.array(list(itertools.permutations(range(k))))
        rhos = np.abs(spearman_pairs(np.broadcast_to(x, orders.shape), y[orders]))
        return float(np.mean(rhos >= observed - 1e-12))
    rng = np.random.Generator(np.random.PCG64(seed))
    orders = np.argsort(rng.random((PERMUTATIONS, k)), axis=1)
    rhos = np.abs(spearman_pairs(np.broadcast_to(x, orders.shape), y[orders]))
    return float((1 + np.sum(rhos >= observed - 1e-12)) / (PERMUTATIONS + 1))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment (family-wise error), in the input's order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def loo_rmse(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-set-out RMSE of predicting y from x with a straight line fitted on the other sets, and that
    of predicting the others' mean; rows of x and y (rows, k) are separate problems."""
    x, y = np.atleast_2d(x).astype(np.float64), np.atleast_2d(y).astype(np.float64)
    k = x.shape[1]
    sx, sy = x.sum(axis=1, keepdims=True), y.sum(axis=1, keepdims=True)
    sxx, sxy = (x * x).sum(axis=1, keepdims=True), (x * y).sum(axis=1, keepdims=True)
    n = k - 1  # each fit leaves one set out: the sums without it
    mx, my = (sx - x) / n, (sy - y) / n
    vxx = (sxx - x * x) / n - mx * mx
    vxy = (sxy - x * y) / n - mx * my
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(vxx > 1e-300, vxy / np.where(vxx > 1e-300, vxx, 1.0), 0.0)
    line = my + slope * (x - mx)
    return np.sqrt(np.mean((line - y) ** 2, axis=1)), np.sqrt(np.mean((my - y) ** 2, axis=1))


def _by_set(rows: list[tuple[int, dict[str, Any]]]) -> dict[str, list[int]]:
    """Each training set's positions among ``rows`` (a set trained with several seeds has several)."""
    sets: dict[str, list[int]] = {}
    for j, (_, row) in enumerate(rows):
        sets.setdefault(str(row.get("dataset")), []).append(j)
    return sets


def _seed_picks(sets: dict[str, list[int]], resamples: int, seed: int) -> list[np.ndarray]:
    """Per set, (resamples, seeds) positions of its rows drawn with replacement (all of them once, the
    point estimate, when a set has one seed)."""
    rng = np.random.Generator(np.random.PCG64(seed + 1))
    return [np.tile(pos, (resamples, 1)) if len(pos) == 1 else np.asarray(pos)[rng.integers(0, len(pos), (resamples, len(pos)))]
            for pos in sets.values()]


def _per_set(values: np.ndarray, sets: dict[str, list[int]], picks: list[np.ndarray] | None) -> np.ndarray:
    """The mean over each set's seeds: of ``values`` (k_rows,) at the estimate, or of ``values`` (B, k_rows)
    at the drawn seeds ``picks``."""
    if picks is None:
        return np.array([values[pos].mean() for pos in sets.values()])
    rows = np.arange(values.shape[0])[:, None]
    return np.column_stack([values[rows, pick].mean(axis=1) for pick in picks])


def rank_properties(rows: list[tuple[int, dict[str, Any]]], draws: np.ndarray, *, level: float = LEVEL,
                    seed: int = SEED) -> dict[str, Any]:
    """Every property of ``rows`` against their test loss; ``draws`` (B, k_rows): bootstrap draws of their losses."""
    sets = _by_set(rows)
    k = len(sets)
    loss_rows = np.array([number(r["test_loss"]) for _, r in rows])
    picks = _seed_picks(sets, draws.shape[0], seed)
    loss = _per_set(loss_rows, sets, None)
    loss_drawn = _per_set(draws, sets, picks)
    seeds = max(len(pos) for pos in sets.values())
    out: list[dict[str, Any]] = []
    for column, label in property_columns([r for _, r in rows]):
        prop_rows = np.array([number(r[column]) for _, r in rows])
        prop = _per_set(prop_rows, sets, None)
        if np.unique(prop).size < 2:
            continue  # the same for every set: nothing to rank by
        prop_drawn = _per_set(np.broadcast_to(prop_rows, draws.shape), sets, picks)
        rho = float(spearman_pairs(prop[None], loss[None])[0])
        lo, hi = percentile_interval(spearman_pairs(prop_drawn, loss_drawn), level)
        rmse, rmse_mean = (float(v[0]) for v in loo_rmse(prop[None], loss[None]))
        gains = 1.0 - np.divide(*loo_rmse(prop_drawn, loss_drawn))
        g_lo, g_hi = percentile_interval(gains, level)
        out.append({"property": column, "label": label, "rho": rho, "rho_ci_low": lo, "rho_ci_high": hi,
                    "p_permutation": permutation_p(prop, loss, seed=seed), "loo_rmse": rmse, "loo_rmse_mean_only": rmse_mean,
                    "loo_gain": 1.0 - rmse / rmse_mean if rmse_mean > 0 else None, "loo_gain_ci_low": g_lo, "loo_gain_ci_high": g_hi})
    for row, adjusted in zip(out, holm([r["p_permutation"] for r in out])):
        row["p_holm"] = adjusted
        row["resolved"] = bool(not row["rho_ci_low"] <= 0 <= row["rho_ci_high"] and adjusted < 1 - level)
    out.sort(key=lambda r: (not r["resolved"], -abs(r["rho"]), r["loo_rmse"]))
    return {"sets": k, "seeds": seeds, "properties": out, "lead_only": k < SETS_FOR_A_RESULT}


def _group(rows: list[tuple[int, dict[str, Any]]], losses, *, resamples: int, seed: int, level: float) -> dict[str, Any]:
    usable = [(i, r) for i, r in rows if number(r.get("test_loss")) is not None]
    first = rows[0][1]
    out: dict[str, Any] = {"model": first.get("model"), "size_asked": number(first.get("size_asked")),
                           "sets": [str(r.get("dataset")) for _, r in usable], "ranking": None, "skipped": None}
    k = len({str(r.get("dataset")) for _, r in usable})
    if k < MIN_SETS:
        out["skipped"] = f"{k} training sets; ranking properties by their rank correlation with the test loss needs at least {MIN_SETS}"
        return out
    draws = group_draws([losses[i] for i, _ in usable], resamples=resamples, seed=seed)
    if draws is None:
        out["skipped"] = "the sets' per-record test losses are missing or on different test records; no interval"
        return out
    out["ranking"] = rank_properties(usable, draws, level=level, seed=seed)
    return out


def predictors(results: list[dict[str, Any]], losses, *, resamples: int = RESAMPLES, seed: int = SEED,
               level: float = LEVEL) -> dict[str, Any]:
    """predictors.json: per student and asked size, every measured property ranked by how well it predicts
    the test loss across the trained sets, or why there is no ranking. ``losses[i]``: results[i]'s
    per-record losses (evidence.PerRecord, or None)."""
    return {"level": level, "resamples": resamples, "min_sets": MIN_SETS, "sets_for_a_result": SETS_FOR_A_RESULT,
            "groups": [_group(rows, losses, resamples=resamples, seed=seed, level=level) for rows in set_groups(results)]}


def format_predictors(group: dict[str, Any], top: int = 3) -> str:
    """One line for ``synthdiv run``: the best-ranked properties, or why there is no ranking."""
    where = f"predictors of test loss, {group['model']}" + (f" n={group['size_asked']:g}" if group.get("size_asked") else "")
    ranking = group.get("ranking")
    if ranking is None:
        return f"{where}: none ({group.get('skipped')})"
    rows = ranking["properties"]
    resolved = [r for r in rows if r["resolved"]]
    shown = ", ".join(f"{r['property']} ρ {r['rho']:+.2f} [{r['rho_ci_low']:+.2f}, {r['rho_ci_high']:+.2f}]" for r in rows[:top])
    head = (f"{len(resolved)} of {len(rows)} properties resolved" if resolved else f"none of {len(rows)} properties resolved")
    lead = f"; a lead, not a result: {ranking['sets']} sets, fewer than the {SETS_FOR_A_RESULT} a result needs" if ranking["lead_only"] else ""
    seeds = f"{ranking['seeds']} seed" + ("s" if ranking["seeds"] > 1 else "")
    return f"{where}: {head} ({ranking['sets']} sets, {seeds}{lead}); first: {shown}"
