"""Gather a finished graph into two tables, each written as CSV and Parquet.

``datasets``: one row per measured set (the real training set, each generated
level, each training mix) with every diversity and shift metric.
``results``: one row per evaluated model (each training set × model × seed, and
each base model) with its parameters, training numbers, test loss and the metrics
of the set it was trained on. Metric columns are the metric JSON flattened with
``_`` (``div_distinct_3``, ``shift_embedding_mauve`` …).
``generations`` (a spec with a ``loop`` section): one row per scenario ×
seed × generation with the training set's make-up and metrics, the new data's
metrics (``new_div_…``, ``new_shift_…``), length statistics and test loss. Loop
stages stay out of the first two tables (their figures would mix them with the sweep's).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from synthdiv.experiments import layout
from synthdiv.experiments.graph import Graph, Node
from synthdiv.experiments.kinds import data_file
from synthdiv.experiments.store import Store
from synthdiv.fileio import atomic_path, atomic_write

_SKIP = {"timings_s", "file", "warnings", "compression", "self_bleu_detail", "real", "generated", "quantiles"}


def flatten(value: Any, prefix: str) -> dict[str, Any]:
    """Scalars of a nested metrics dict as ``prefix_a_b`` columns (lists, timings and file names left out)."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            if str(k) in _SKIP:
                continue
            out.update(flatten(v, f"{prefix}_{k}"))
    elif value is None or isinstance(value, (int, float, str, bool)):
        out[prefix.replace(".", "_")] = value
    return out


def _metrics(store: Store, node: Node) -> dict[str, Any]:
    data = json.loads((store.dir(node) / "metrics.json").read_text(encoding="utf-8"))
    row: dict[str, Any] = {}
    for section, group in layout.METRIC_GROUPS.items():
        row.update(flatten(data.get(section, {}), group))
    div = data.get("diversity", {})
    if div.get("samples"):
        row[layout.TOKENS_PER_RECORD] = div["tokens"] / div["samples"]
    for field, stats in ((data.get("shift") or {}).get("lengths") or {}).items():
        side = stats.get("generated") or {}  # the measured set's side (the reference is the real set)
        mean, sd = layout.lengths(field)
        row[mean], row[sd] = side.get("mean"), side.get("sd")
    return row


def _selection(node: Node) -> dict[str, Any]:
    """A selected set's labels (layout.SELECTION_LABELS); none for other sets, so the tables of a spec
    without a selection section keep their columns."""
    return {k: v for k, v in node.info.items() if k in layout.SELECTION_LABELS}


def _in_loop(node: Node) -> bool:
    return node.info.get("role") == "loop"


def _normalise(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> None:
    """``div_norm``: the n-gram diversity score over the maximum of its comparison group (the paper's normalisation)."""
    groups: dict[tuple, float] = {}
    for r in rows:
        v = r.get(layout.DIVERSITY_SCORE)
        if isinstance(v, (int, float)) and not math.isnan(v):
            g = tuple(r.get(k) for k in keys)
            groups[g] = max(groups.get(g, float("-inf")), v)
    for r in rows:
        v = r.get(layout.DIVERSITY_SCORE)
        top = groups.get(tuple(r.get(k) for k in keys))
        r[layout.NORM] = v / top if isinstance(v, (int, float)) and top else None


def gather(spec_name: str, graph: Graph, store: Store) -> tuple[list[dict], list[dict], list[Path]]:
    """(datasets rows, results rows, the evaluate stage folder of each results row)."""
    measured = {n.deps["data"].key: n for n in graph.of_kind("measure")}
    datasets = []
    for m in graph.of_kind("measure"):
        if _in_loop(m):
            continue
        data = m.deps["data"]
        row = {"dataset": m.info["dataset"],
               "role": {"real": "real", "generate": "generated", "select": "selected"}.get(data.kind, "mix"),
               "level": m.info.get("level", ""), "seed": m.info.get("seed"), "mode": m.info.get("mode", ""),
               "ratio": math.nan, "size": None, "n_real": None, "n_generated": None, **_selection(m)}
        if data.kind in ("mix", "loop_set"):
            row.update(_mix_numbers(store, data))
        row["records"] = store.summary(m)["summary"].get("samples")
        row["path"] = str(data_file(data, store.dir(data)).resolve())
        row["stage_key"] = data.key
        row.update(_metrics(store, m))
        datasets.append(row)
    _normalise(datasets, ("seed", "size_asked"))

    results, eval_dirs = [], []
    for ev in graph.of_kind("evaluate"):
        if _in_loop(ev):
            continue
        summary = store.summary(ev)["summary"]
        eval_dirs.append(store.dir(ev))
        row = {"experiment": spec_name, "seed": ev.info.get("seed"), "model": ev.info["model"], "dataset": ev.info["dataset"],
               "role": ev.info["role"], "level": ev.info.get("level", ""), "mode": ev.info.get("mode", ""),
               "ratio": math.nan, "size": None, "n_real": None, "n_generated": None, **_selection(ev)}
        train = ev.deps.get("model")
        if train is not None:
            mix = train.deps["data"]
            row.update(_mix_numbers(store, mix))
            row["train_set_key"] = mix.key  # datasets.csv's stage_key of the set it was trained on
            row.update(_settings(train, mix))
            tr = store.summary(train)["summary"]
            row.update({"train_first_loss": tr.get("first_loss"), "train_final_loss": tr.get("final_loss"),
                        "steps": tr.get("steps"), "epochs": tr.get("epochs"), "train_records": tr.get("records"),
                        "train_dir": str(store.dir(train).resolve())})
            if mix.key in measured:
                row.update(_metrics(store, measured[mix.key]))
        row.update({"test_loss": summary["test_loss"], "test_tokens": summary["tokens"], "test_samples": summary["samples"],
                    "test_loss_per_char": summary["loss_per_char"],
                    "eval_dir": str(store.dir(ev).resolve())})  # its eval.json keeps the per-record losses (synthdiv compare)
        results.append(row)
    base = {(r["model"], r["seed"]): r["test_loss"] for r in results if r["role"] == "base"}
    for r in results:
        r["base_test_loss"] = base.get((r["model"], r["seed"]))
    _normalise(results, ("model", "seed", "size_asked"))
    return datasets, results, eval_dirs


def gather_generations(spec_name: str, graph: Graph, store: Store) -> list[dict[str, Any]]:
    """One row per loop step (scenario × seed × generation), in loop order."""
    rows = []
    for step in graph.loops:
        ev = store.summary(step.evaluate)["summary"]
        made = store.summary(step.train_set)["summary"]
        tr = store.summary(step.train)["summary"]
        row: dict[str, Any] = {
            "experiment": spec_name, "scenario": step.scenario, "seed": step.seed, "generation": step.generation,
            "model": step.train.params.config.model, "test_loss": ev["test_loss"], "test_tokens": ev["tokens"],
            "base_test_loss": store.summary(step.base)["summary"]["test_loss"] if step.base is not None else None,
            "train_records": made["size"], "n_real": made["real"], "n_generated": made["generated"],
            "generated_share": made["ratio"], "pool": made.get("pool", made["size"]),
            "by_generation": " ".join(f"{k}:{v}" for k, v in made.get("by_generation", {"real": made["real"]}).items()),
            "train_final_loss": tr.get("final_loss"), "steps": tr.get("steps"),
        }
        row.update(_metrics(store, step.measure_set))
        if step.generate is not None and step.measure_new is not None:
            gen = store.summary(step.generate)["summary"]
            row.update({"new_records": gen.get("records"), "new_rejects": gen.get("rejects"),
                        "new_requests": gen.get("requests"), "new_seconds": gen.get("seconds"),
                        "new_path": str(data_file(step.generate, store.dir(step.generate)).resolve())})
            row.update({layout.new(k): v for k, v in _metrics(store, step.measure_new).items()})
        row["train_set_path"] = str(data_file(step.train_set, store.dir(step.train_set)).resolve())
        row["train_dir"] = str(store.dir(step.train).resolve())
        rows.append(row)
    return rows


def _settings(train: Node, mix: Node) -> dict[str, Any]:
    """Every scalar setting of the training run (``train_lr`` …) and of the generation behind the set (``gen_model`` …)."""
    row = {layout.setting("train", k): v for k, v in train.params.items() if k != "model" and _scalar(v)}
    gen = mix.deps.get("generated")
    if gen is not None and gen.kind == "select":  # a selection: its settings, then the generation of its pool
        row.update({layout.setting("selection", k): v for k, v in gen.params.items() if k != "seed" and _scalar(v)})
        gen = gen.deps["pool"]
    if gen is not None:
        row.update({layout.setting("gen", k): v for k, v in gen.params.items() if k not in ("task", "seed", "level") and _scalar(v)})
    return row


def _scalar(v: Any) -> bool:
    return v is None or isinstance(v, (int, float, str, bool))


def _mix_numbers(store: Store, mix: Node) -> dict[str, Any]:
    s = store.summary(mix)["summary"]
    return {"ratio": s["ratio"], "size": s["size"], "n_real": s["real"], "n_generated": s["generated"],
            # sets of one asked size are normalised together (the paper's comparison group)
            "size_asked": mix.params.size}


def _columns(rows: list[dict]) -> list[str]:
    cols: list[str] = []
    for r in rows:
        cols.extend(k for k in r if k not in cols)
    return cols


def write_table(rows: list[dict], path_stem: Path) -> list[Path]:
    """``STEM.csv`` always, ``STEM.parquet`` when pyarrow is installed; both atomically."""
    cols = _columns(rows)
    csv_path = path_stem.with_suffix(".csv")
    with atomic_write(csv_path, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in cols})
    written = [csv_path]
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is in the data extra
        return written
    table = pa.Table.from_pylist([{k: r.get(k) for k in cols} for r in rows])
    parquet_path = path_stem.with_suffix(".parquet")
    with atomic_path(parquet_path) as tmp:
        pq.write_table(table, tmp)
    return written + [parquet_path]
