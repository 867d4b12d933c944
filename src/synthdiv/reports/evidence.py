"""The report's lead: the Findings (the paper's claims with verdicts), the results table with
intervals, what the real data is, and links to the run's tables.

Everything here reads what the runner wrote (findings.json, results.csv); a run folder from
before intervals were kept shows the table without intervals and says so.
"""

from __future__ import annotations

import json
from typing import Any

from synthdiv.experiments import layout
from synthdiv.reports.generations import TextTable
from synthdiv.reports.plotting import SkipFigure
from synthdiv.reports.rundir import RunData, level_key
from synthdiv.stats.findings import stand_in_caveat
from synthdiv.stats.formatting import format_interval, is_number

FINDINGS = ("Findings", "The paper's claims this run can test")
RESULTS = ("Results", "Test loss of every evaluated model, with 95 % intervals")
TRENDS = ("Trends", "Rank-correlation trend tests across levels, ratios and sizes")
# the run's own files, linked from the page (the report lives in RUN_DIR/report/)
RUN_FILES = (*map(layout.csv_name, (layout.RESULTS, layout.AGGREGATE, layout.DATASETS, layout.TRENDS)),
             layout.FINDINGS, layout.PLANE, layout.PREDICTORS, layout.SPEC)
RESULTS_CSV, TRENDS_CSV = layout.csv_name(layout.RESULTS), layout.csv_name(layout.TRENDS)
LOSS = layout.with_interval("test_loss")


def read_findings(run: RunData) -> dict[str, Any] | None:
    path = run.run_dir / layout.FINDINGS
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def findings_table(run: RunData) -> TextTable:
    data = read_findings(run)
    if data is None:
        raise SkipFigure(f"no {layout.FINDINGS} in the run folder (written by synthdiv run since intervals are kept)")
    rows = [[f["claim"], f["verdict"], f["statement"], f["evidence"]] for f in data["findings"]]
    if not rows:
        rows = [["–", "–", "None of the paper's claims can be tested by this run's design.", ""]]
    resolves = data.get("resolves")
    note = ("Each row is one of the paper's claims about generated data, numbered C1, C2, … (all of them are listed in "
            "the report guide, docs/reports.md), that this run's design can test: 'the paper says' states it, 'what this "
            "run measured' gives the numbers it was judged on. "
            "Supported: the 95 % interval excludes no effect in the claimed direction; contradicted: it excludes it "
            "in the other direction; otherwise not resolved at this run's size. Δ = test loss of the first set minus "
            "the reference (paired bootstrap over test records; seeds resampled too when there are several).")
    if caveat := stand_in_caveat(data.get("stand_ins") or []):
        note = f"Note: {caveat}. " + note
    if resolves is not None:
        note += (f" This test set ({data.get('test_records')} records, {data.get('test_tokens')} target tokens) resolves "
                 f"test-loss differences of about ±{resolves:.4f} (median half-width of the paired intervals); "
                 f"smaller effects need a larger test set.")
    return TextTable("findings", *FINDINGS, note, ["claim", "verdict", "the paper says", "what this run measured"], rows)


_num = is_number


def _interval(row, columns: tuple[str, str, str], signed: bool = False) -> str:
    """A value with its interval; ``columns``: the value's, then its interval's (layout.with_interval)."""
    value, low, high = (row.get(c) for c in columns)
    return format_interval(value, low, high, signed=signed, missing="–", without=" (no interval)")


def _delta(row, reference: str) -> str:
    return _interval(row, layout.with_interval(layout.delta(reference)), signed=True)


def _p(v) -> str:
    if not _num(v):
        return "–"
    return f"{v:.3f}" if v >= 0.001 else "< 0.001"  # 2,000 resamples put the floor at 1/2001


def _count(v) -> str:
    return f"{int(v)}" if _num(v) else "–"


def _order(row) -> tuple:
    role = {"base": 0, "real": 1, "generated": 2, "mix": 3}.get(row.get("role"), 4)
    return (str(row.get("model")), role, level_key(row.get("level") or "D0"), row.get("ratio") if _num(row.get("ratio")) else 0,
            row.get("seed") if _num(row.get("seed")) else 0)


def results_table(run: RunData) -> TextTable:
    frame = run.results
    if frame.empty or "test_loss" not in frame.columns:
        raise SkipFigure(f"{RESULTS_CSV} has no evaluated model")
    rows = sorted(frame.to_dict("records"), key=_order)
    body = []
    for r in rows:
        body.append([
            str(r.get("dataset")), str(r.get("model")), _count(r.get("seed")),
            _interval(r, LOSS), _delta(r, "real"), _p(r.get(layout.p_value("real"))), _delta(r, "base"),
            _count(r.get("train_records")), _count(r.get("test_samples")), _count(r.get("test_tokens")),
        ])
    has_ci = LOSS[1] in frame.columns and frame[LOSS[1]].notna().any()
    note = ("Test loss: summed NLL of the target tokens of the real test records / their number (nats per token). "
            "Intervals: 95 % bootstrap over test records; Δ vs real: minus the same student, seed and size trained on "
            "the real set alone (paired by test record), p its two-sided bootstrap p-value; Δ vs base: minus the model "
            "before fine-tuning. Lower is better for every column but p." if has_ci else
            "This run folder has no intervals (written before per-record losses were kept); rerun synthdiv run on it "
            "to add them: every stage is reused.")
    headers = ["training set", "model", "seed", "test loss ↓ [95 % CI]", "Δ vs real ↓ [95 % CI]", "p vs real",
               "Δ vs base ↓ [95 % CI]", "train records", "test records", "test tokens"]
    return TextTable("table_results", *RESULTS, note, headers, body)


def trends_table(run: RunData) -> TextTable:
    path = run.run_dir / TRENDS_CSV
    if not path.is_file():
        raise SkipFigure(f"no {TRENDS_CSV}: the run has fewer than two levels, ratios or sizes to order")
    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    body = []
    low, high = layout.TREND_INTERVAL
    for r in rows:
        rho = (f"{float(r['rho']):+.2f} [{float(r[low]):+.2f}, {float(r[high]):+.2f}]" if r.get("rho") else "–")
        where = " ".join(x for x in (r.get("model", ""), f"level {r['level']}" if r.get("level") else "",
                                     f"n={r['size_asked']}" if r.get("size_asked") else "") if x)
        body.append([r["trend"], where or "–", r["x"], r["y"], rho, r["direction"], r.get("seeds", "")])
    note = ("Spearman's ρ between the ordered setting (x) and the measured value (y), with a 95 % bootstrap interval "
            "(test records resampled, seeds too when there are several; for diversity, the size-matched subsamples). "
            "Increasing or decreasing only when the interval excludes 0; with two points ρ is ±1 and only says whether "
            "their order is stable.")
    return TextTable("table_trends", *TRENDS, note, ["trend", "where", "x", "y", "ρ [95 % CI]", "direction", "n seeds"], body)


def real_data_description(run: RunData) -> str | None:
    """What the real data is and its sizes, for the setup table."""
    real = run.spec.get("real") if isinstance(run.spec.get("real"), dict) else {}
    source = real.get("source")
    if source is None:
        name = "source not recorded in spec.yaml"
    elif source == "corpus":
        name = ("the embedded corpus web-prose-v1: five-sentence windows of the World English Bible's prose books "
                "(four sentences of context, the fifth as target); not Story Cloze")
    elif source == "corpus-dense":
        name = ("the embedded corpus web-prose-v1-dense: every five-sentence window of the World English Bible's prose "
                "books (stride one: contexts overlap, each target is a different sentence), split by chapter; not Story Cloze")
    else:
        name = f"{source} (format {real.get('format', 'auto')})"
    frame = run.results
    first = frame[frame["test_samples"].notna()].iloc[0] if "test_samples" in frame.columns and frame["test_samples"].notna().any() else None
    train = None
    if run.datasets is not None and not run.datasets.empty:
        rows = run.datasets[run.datasets["role"] == "real"]
        train = int(rows["records"].iloc[0]) if not rows.empty and _num(rows["records"].iloc[0]) else None
    parts = [name]
    if source is None and train is None and first is None:
        return None
    if train is not None:
        parts.append(f"{train} train records")
    if first is not None:
        parts.append(f"{int(first['test_samples'])} test records ({int(first['test_tokens'])} target tokens)")
    return "; ".join(parts)


def run_file_links(run: RunData, out) -> list[str]:
    """The run's own files that exist, as paths relative to the report folder ``out``."""
    import os

    return [os.path.relpath(run.run_dir / name, out) for name in RUN_FILES if (run.run_dir / name).is_file()]
