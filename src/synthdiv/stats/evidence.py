"""Intervals for every loss a sweep reports: per model, against its real-only twin, against the
untuned model, and over seeds.

Every evaluate stage keeps the loss of each test record (``eval.json``: ``per_sample``). The
test set is shared by every model of a run, so two models' losses pair record by record, and a
difference between them is resampled on the same records (a paired bootstrap,
:mod:`synthdiv.stats.uncertainty`). Columns added to each row of ``results``:

``test_loss_ci_low`` / ``test_loss_ci_high``
    the bootstrap interval of the row's own test loss (test records resampled).
``delta_vs_real`` (+ ``_ci_low``, ``_ci_high``) and ``p_vs_real``
    test loss minus that of the same student, seed and asked size trained on the real set alone.
``delta_vs_base`` (+ ``_ci_low``, ``_ci_high``) and ``p_vs_base``
    test loss minus that of the same model without fine-tuning.

``aggregate`` rows (one per model × training set × size) give the mean over seeds with an
interval from a two-level bootstrap (seeds, then test records), and the seed count.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthdiv.evaluation.per_record import PER_SAMPLE_KEY, read_loss_rows
from synthdiv.experiments import layout
from synthdiv.stats import uncertainty as unc

LOSS_CI = layout.interval("test_loss")


@dataclass(frozen=True)
class PerRecord:
    """One evaluation's per-record losses, in the order of ``ids``."""

    ids: tuple[str, ...]
    nll: np.ndarray  # summed NLL of each record's target tokens
    tokens: np.ndarray  # target tokens of each record

    @classmethod
    def read(cls, eval_json: Path) -> PerRecord | None:
        """From an evaluate stage's ``eval.json``, in its record order (the test file's: the same
        for every evaluation of a run, and the order ``synthdiv compare`` resamples in, so both
        give the same interval); None for a stage written before per-record losses were kept."""
        if not json.loads(Path(eval_json).read_text(encoding="utf-8")).get(PER_SAMPLE_KEY):
            return None
        rows = read_loss_rows(eval_json)
        return cls(tuple(r["id"] for r in rows), np.array([r["nll"] for r in rows], dtype=np.float64),
                   np.array([r["tokens"] for r in rows], dtype=np.float64))


def _twin_key(row: dict[str, Any]) -> tuple:
    """What a row shares with the real-only model it is compared with."""
    return row.get("model"), row.get("seed"), _size(row)


def _size(row: dict[str, Any]):
    size = row.get("size_asked")
    return None if size is None or (isinstance(size, float) and math.isnan(size)) else size


def _put_delta(row: dict[str, Any], name: str, d) -> None:
    row.update(zip(layout.comparison(name), (d.delta, d.ci_low, d.ci_high, d.p_value)))


def _empty_delta(row: dict[str, Any], name: str) -> None:
    row.update(dict.fromkeys(layout.comparison(name)))


def _same_records(a: PerRecord, b: PerRecord) -> bool:
    return a.ids == b.ids


def annotate(results: list[dict[str, Any]], losses: list[PerRecord | None], *, resamples: int = unc.RESAMPLES,
             seed: int = unc.SEED, level: float = unc.LEVEL) -> None:
    """Add the interval columns (module docstring) to every row of ``results`` in place.
    ``losses[i]`` are the per-record losses of ``results[i]`` (None: not kept, so no interval)."""
    real = {_twin_key(r): i for i, r in enumerate(results) if r.get("role") == "real"}
    base = {(r.get("model"), r.get("seed")): i for i, r in enumerate(results) if r.get("role") == "base"}
    for i, row in enumerate(results):
        own = losses[i]
        row.update(dict.fromkeys(LOSS_CI))
        if own is not None:
            ci = unc.loss_interval(own.nll, own.tokens, resamples=resamples, seed=seed, level=level)
            row.update(zip(LOSS_CI, (ci.ci_low, ci.ci_high)))
        for name, index in (("real", real.get(_twin_key(row))), ("base", base.get((row.get("model"), row.get("seed"))))):
            other = losses[index] if index is not None else None
            untrained = row.get("role") == "base" and name == "real"  # the base model has no training set to compare
            if untrained or index is None or index == i or own is None or other is None or not _same_records(own, other):
                _empty_delta(row, name)
                continue
            _put_delta(row, name, unc.paired_difference(other.nll, other.tokens, own.nll, own.tokens,
                                                        resamples=resamples, seed=seed, level=level))


# ----- over seeds ---------------------------------------------------------------------------
def _group_key(row: dict[str, Any]) -> tuple:
    return tuple(_size(row) if k == "size_asked" else row.get(k) for k in layout.AGGREGATE_KEYS)


def aggregate(results: list[dict[str, Any]], losses: list[PerRecord | None], *, resamples: int = unc.RESAMPLES,
              seed: int = unc.SEED, level: float = unc.LEVEL) -> list[dict[str, Any]]:
    """One row per model × training set × size: the mean test loss over seeds, its interval
    (seeds, then test records), and the seed-paired differences against real alone and the base model."""
    groups: dict[tuple, list[int]] = {}
    for i, row in enumerate(results):
        groups.setdefault(_group_key(row), []).append(i)
    out = []
    for key, members in groups.items():
        first = results[members[0]]
        row: dict[str, Any] = dict(zip(layout.AGGREGATE_KEYS, key))
        row.update({"ratio": first.get("ratio"), "n_real": first.get("n_real"), "n_generated": first.get("n_generated"),
                    "seeds": len(members), "seed_ids": " ".join(str(results[i].get("seed")) for i in members),
                    "test_records": first.get("test_samples"), "test_tokens": first.get("test_tokens")})
        per_seed = [losses[i] for i in members]
        row["test_loss"] = float(np.mean([results[i]["test_loss"] for i in members]))
        row[layout.seed_sd("test_loss")] = float(np.std([results[i]["test_loss"] for i in members], ddof=1)) if len(members) > 1 else None
        row.update(dict.fromkeys(LOSS_CI))
        if all(p is not None for p in per_seed) and _one_test_set(per_seed):
            ci = unc.seed_mean_interval([p.nll for p in per_seed], per_seed[0].tokens,
                                        resamples=resamples, seed=seed, level=level)
            row.update(zip(LOSS_CI, (ci.ci_low, ci.ci_high)))
        for i in members:  # each seed's row carries its group's interval, for figures that draw the mean
            results[i].update(zip(layout.mean_interval("test_loss"), (row[c] for c in LOSS_CI)))
        for name, role, match in (("real", "real", _twin_key), ("base", "base", lambda r: (r.get("model"), r.get("seed")))):
            _aggregate_delta(row, name, members, results, losses, role, match, resamples, seed, level)
        for col in layout.AGGREGATED_METRICS:
            values = [results[i].get(col) for i in members if isinstance(results[i].get(col), (int, float))]
            row[col] = float(np.mean(values)) if values else None
        out.append(row)
    return out


def _one_test_set(per_seed: list[PerRecord]) -> bool:
    return all(p.ids == per_seed[0].ids for p in per_seed)


def _aggregate_delta(row, name, members, results, losses, role, match, resamples, seed, level) -> None:
    """Seed i of this set against seed i of the reference (the same student trained with the same seed)."""
    by_key = {match(r): j for j, r in enumerate(results) if r.get("role") == role}
    pairs = [(by_key.get(match(results[i])), i) for i in members]
    own_role = results[members[0]].get("role")
    if own_role == role or own_role == "base" or any(j is None for j, _ in pairs):
        _empty_delta(row, name)
        return
    a = [losses[j] for j, _ in pairs]
    b = [losses[i] for _, i in pairs]
    if any(p is None for p in a + b) or not _one_test_set(a + b):
        _empty_delta(row, name)
        return
    d = unc.seed_paired_difference([p.nll for p in a], [p.nll for p in b], a[0].tokens,
                                   resamples=resamples, seed=seed, level=level)
    _put_delta(row, name, d)


def load_losses(eval_dirs: list[Path | None]) -> list[PerRecord | None]:
    """The per-record losses of each evaluate stage folder (None where a folder is None or has none)."""
    return [PerRecord.read(d / "eval.json") if d is not None and (d / "eval.json").is_file() else None for d in eval_dirs]
