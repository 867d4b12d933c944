"""The recursive-training loop in the report: metrics against generation, and sample texts.

Reads ``generations.csv`` (one row per scenario × seed × generation, written by
the runner for a spec with a ``generations`` section) and, for the samples, the
records files it names. Generation 0 trains on the real set, so its "new data" is
the real training set: every line starts at the real-data value.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

from synthdiv.experiments import layout
from synthdiv.reports.plotting import (
    BASE_COLOR, REAL_COLOR, FigureResult, SkipFigure, figure_legend, finite, new_figure, pad_ylim, png_bytes, seed_note,
    series_color, style,
)
from synthdiv.reports.rundir import RunData, has_values, mean_sd

FIG_LOOP = ("Fig. G", "Test loss, diversity and shift across generations")
TABLE_LOOP = ("Table G", "Each generation of each scenario")
SAMPLES = ("Samples", "Texts written at generations 0, G/2 and G, side by side")
GENERATIONS_CSV = layout.csv_name(layout.GENERATIONS)
NEW_PATH = layout.new("path")  # the records file of the data a step generated
# The shift panel shows the first of these the run has (embedding metrics need an embedder).
# Fréchet first: it does not depend on the order of the texts, while MAUVE's k-means does,
# which at a loop's small sizes moves it more than the data do.
SHIFT_CHOICES = (
    ("shift_embedding_frechet_distance", "Fréchet distance to real"),
    ("shift_embedding_mauve", "MAUVE vs real"),
    ("shift_ngram_js_3", "3-gram JS divergence vs real, bits"),
)


@dataclass
class TextTable:
    """A table of preformatted text cells (samples, a per-generation summary), with a CSV beside it."""

    key: str
    number: str
    title: str
    note: str
    headers: list[str]
    rows: list[list[str]]

    @property
    def filename(self) -> str:
        return f"{self.key}.csv"

    def to_csv(self) -> bytes:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(self.headers)
        writer.writerows(self.rows)
        return buf.getvalue().encode("utf-8")


def _loop(run: RunData):
    frame = run.generations
    if frame is None or frame.empty:
        raise SkipFigure(f"no {GENERATIONS_CSV}: the spec has no `generations` loop")
    return frame


def _scenarios(frame) -> list[str]:
    present = list(dict.fromkeys(frame["scenario"]))
    return sorted(present, key=lambda s: (layout.SCENARIOS.index(s) if s in layout.SCENARIOS else 9, s))


def _per_generation(frame, column: str) -> tuple[list[int], list[float], list[float]]:
    """Generations, mean and sd over seeds of ``column``; generation 0's new data is the real set."""
    xs, means, sds = [], [], []
    for k, group in frame.groupby("generation", sort=True):
        values = group[column] if column in group else []
        if column.startswith(layout.NEW_PREFIX) and int(k) == 0:
            values = group[column.removeprefix(layout.NEW_PREFIX)] if column.removeprefix(layout.NEW_PREFIX) in group else []
        mean, sd, n = mean_sd(values)
        if n:
            xs.append(int(k))
            means.append(mean)
            sds.append(sd)
    return xs, means, sds


def shift_column(frame) -> tuple[str, str] | None:
    for column, label in SHIFT_CHOICES:
        if has_values(frame, layout.new(column)):
            return column, label
    return None


def fig_generations(run: RunData) -> FigureResult:
    frame = _loop(run)
    shift = shift_column(frame)
    panels = [("test_loss", "test loss on real test data (nats/token)", "test loss"),
              (layout.DIVERSITY_SCORE, "distinct 1–5 sum of the training set", "training set"),
              (layout.new(layout.DIVERSITY_SCORE), "distinct 1–5 sum of the new data", "new data")]
    if shift is not None:
        closer = "higher" if "mauve" in shift[0] else "lower"
        panels.append((layout.new(shift[0]), shift[1], f"shift of the new data ({closer} = closer to real)"))
    scenarios = _scenarios(frame)
    seeds = sorted({int(s) for s in frame["seed"] if not math.isnan(s)})
    real = frame[frame["generation"] == 0]
    with style():
        fig, axes = new_figure(len(panels), ncols=2)
        handles, labels = [], []
        for ax, (column, ylabel, title) in zip(axes, panels):
            values = []
            for i, scenario in enumerate(scenarios):
                xs, means, sds = _per_generation(frame[frame["scenario"] == scenario], column)
                if not xs:
                    continue
                line = ax.errorbar(xs, means, yerr=[0 if math.isnan(s) else s for s in sds], marker="o", ms=4, capsize=3,
                                   color=series_color(i, len(scenarios), "tab10" if len(scenarios) > 1 else "viridis"),
                                   label=scenario)
                values += means
                if ax is axes[0]:
                    handles.append(line)
                    labels.append(scenario)
            base_col = column.removeprefix(layout.NEW_PREFIX)
            baseline = mean_sd(real[base_col])[0] if base_col in real else math.nan
            if not math.isnan(baseline):
                ref = ax.axhline(baseline, color=REAL_COLOR, ls="--", lw=1)
                values.append(baseline)
                if ax is axes[0]:
                    handles.append(ref)
                    labels.append("generation 0 (trained on real data)" if column == "test_loss" else "real data")
            if column == "test_loss" and has_values(frame, "base_test_loss"):
                base = mean_sd(frame["base_test_loss"])[0]
                handles.append(ax.axhline(base, color=BASE_COLOR, ls=":", lw=1))
                labels.append("student without fine-tuning")
                values.append(base)
            ax.set_title(title)
            ax.set_xlabel("generation")
            ax.set_ylabel(ylabel)
            ax.set_xticks(sorted({int(g) for g in frame["generation"]}))
            pad_ylim(ax, finite(values))
        figure_legend(fig, handles, labels)
        png = png_bytes(fig)
    caption = (f"One line per scenario, {seed_note(seeds)}. Generation 0 trains on the real set; generation k "
               "trains on data written by generation k-1's fine-tuned student (replace: that data alone; accumulate: the "
               "real set and every generation's data; accumulate-subsample: a fixed-size sample of that pool). The dashed "
               "line is the real data (for test loss: the student trained on it). 'New data' is what generation k adds "
               "(at generation 0 the real set).")
    return FigureResult("fig_generations", *FIG_LOOP, caption, png)


def table_generations(run: RunData) -> TextTable:
    frame = _loop(run)
    shift = shift_column(frame)
    headers = ["scenario", "generation", "training set (records by generation)", "distinct 1–5 (set)",
               "distinct 1–5 (new)", "tokens per new record", "test loss"]
    if shift is not None:
        headers.insert(5, shift[1])
    rows = []
    for scenario in _scenarios(frame):
        part = frame[frame["scenario"] == scenario]
        for k, group in part.groupby("generation", sort=True):
            first = group.iloc[0]

            def cell(column: str, digits: int = 3) -> str:
                xs, means, sds = _per_generation(group, column)
                if not xs:
                    return "—"
                text = f"{means[0]:.{digits}f}"
                return text + (f" ± {sds[0]:.{digits}f}" if not math.isnan(sds[0]) else "")

            row = [scenario, str(int(k)), str(first.get("by_generation", "")), cell(layout.DIVERSITY_SCORE),
                   cell(layout.new(layout.DIVERSITY_SCORE)), cell(layout.new(layout.TOKENS_PER_RECORD), 1), cell("test_loss", 4)]
            if shift is not None:
                row.insert(5, cell(layout.new(shift[0])))
            rows.append(row)
    note = ("Mean over seeds (± sd where there are several). The training set's make-up is given as source:records "
            "(real, or the generation whose student wrote them) for the first seed. Full numbers: generations.csv in "
            "the run folder.")
    return TextTable("table_generations", *TABLE_LOOP, note, headers, rows)


def samples_table(run: RunData, per_scenario: int = 2) -> TextTable:
    """Stories written from the same prompt at generations G/2 and G of each scenario, beside a real story of that prompt."""
    from synthdiv.data.records_io import read_records

    frame = _loop(run)
    if NEW_PATH not in frame.columns or not frame[NEW_PATH].notna().any():
        raise SkipFigure(f"the loop has no generated data yet ({GENERATIONS_CSV} has no {NEW_PATH})")
    top = int(frame["generation"].max())
    mid = max(1, top // 2)
    seed = sorted(frame["seed"].dropna())[0]
    rows_of = frame[frame["seed"] == seed]
    real_path = str(rows_of[rows_of["generation"] == 0]["train_set_path"].iloc[0])
    real = {r.id: r for r in read_records(real_path)}
    texts: dict[tuple[str, int], dict[str, object]] = {}
    for _, row in rows_of[rows_of["generation"].isin([mid, top])].iterrows():
        if isinstance(row.get(NEW_PATH), str):
            texts[row["scenario"], int(row["generation"])] = {r.provenance.prompt_hash: r for r in read_records(row[NEW_PATH])}
    scenarios = [s for s in _scenarios(rows_of) if (s, mid) in texts and (s, top) in texts]
    if not scenarios:
        raise SkipFigure("no scenario has data at both generation G/2 and G")
    common = set.intersection(*(set(texts[s, g]) for s in scenarios for g in (mid, top)))
    prompts = sorted(common, key=lambda h: min(r.id for s in scenarios for g in (mid, top) for r in [texts[s, g][h]]))
    prompts = prompts[:per_scenario]
    if not prompts:
        raise SkipFigure("no prompt has a parsed story at generations G/2 and G in every scenario")
    headers = ["prompt topic", "scenario", "generation 0 (a real story shown in the prompt)", f"generation {mid}", f"generation {top}"]
    rows = []
    for h in prompts:
        some = texts[scenarios[0], mid][h]
        seed_ids = some.provenance.seed_ids or []
        real_text = next((_story(real[i]) for i in seed_ids if i in real), "—")
        for s in scenarios:
            rows.append([some.provenance.topic or "—", s, real_text, _story(texts[s, mid][h]), _story(texts[s, top][h])])
    note = (f"Seed {int(seed)}. Every generation sends the same prompts, so each row compares what the students of "
            f"generations {mid} and {top} wrote for one prompt; only the model differs.")
    return TextTable("samples_generations", *SAMPLES, note, headers, rows)


def _story(record) -> str:
    from synthdiv.tasks import measured_text

    return measured_text(record)
