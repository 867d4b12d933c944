"""Which figures a run gets, from which rows, and what is skipped when the data is not there."""

from __future__ import annotations

import csv
import math
import struct
from collections import Counter

import pandas as pd
import pytest
from report_run_factory import hashed_encoder

from synthdiv.reports import write_report
from synthdiv.reports.rundir import load_run
from synthdiv.reports.selection import aggregate, at_one_size, measured_sets, pure_sets, ratio_points

FIG = {
    "2": "fig2_test_loss_vs_diversity.png",
    "3": "fig3_lengths.png",
    "4": "fig4_embedding_map.png",
    "5": "fig5_mixing_ratio.png",
    "6": "fig6_7_variable_size.png",
    "8": "fig8_9_dataset_sizes.png",
    "14": "fig14_training_loss.png",
}


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", data[16:24])


def drawn(out) -> set[str]:
    return {k for k, name in FIG.items() if (out / name).exists()}


def test_pure_sets_run_draws_fig2_3_4_14_and_tables(run_dir):
    index = write_report(run_dir, encoder=hashed_encoder, map_points=15)
    out = run_dir / "report"
    assert index == out / "index.html" and index.exists()
    assert drawn(out) == {"2", "3", "4", "14"}
    for key in ("2", "3", "4", "14"):
        width, height = png_size(out / FIG[key])
        assert width > 600 and height > 250
    assert (out / "table2_shift.csv").exists() and (out / "table_diversity.csv").exists()
    page = index.read_text()
    section = page[page.index('id="skipped"'):]
    for number, why in (("Fig. 5", "no fixed-size mixes"), ("Figs. 6–7", "no variable-size mixes"), ("Figs. 8–9", "single size")):
        assert number in section and why in section


def test_fig2_uses_pure_sets_and_means_over_seeds(run_dir):
    run = load_run(run_dir)
    pure = pure_sets(run.results)
    assert sorted(set(pure["x"])) == ["Gen-D0", "Gen-D3", "Gen-D6", "real"]
    stats = aggregate(pure[pure["model"] == "gpt2"], ["x"], "test_loss").set_index("x")
    raw = pd.read_csv(run_dir / "results.csv")
    rows = raw[(raw["model"] == "gpt2") & (raw["dataset"] == "Gen-D3")]["test_loss"]
    assert stats.loc["Gen-D3", "mean"] == pytest.approx(rows.mean())
    assert stats.loc["Gen-D3", "sd"] == pytest.approx(rows.std(ddof=1))
    assert stats.loc["Gen-D3", "n"] == 2


def test_embedding_map_has_map_points_per_set(run_dir):
    write_report(run_dir, encoder=hashed_encoder, map_points=15)
    with open(run_dir / "report" / "fig4_embedding_map.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert Counter(r["dataset"] for r in rows) == {"real": 15, "Gen-D0": 15, "Gen-D3": 15, "Gen-D6": 15}
    assert all(math.isfinite(float(r["x"])) and math.isfinite(float(r["y"])) for r in rows)


def test_embedding_map_keeps_small_sets_whole_and_samples_with_a_seed(run_dir):
    seen: list[list[str]] = []

    def encoder(texts):
        seen.append(list(texts))
        return hashed_encoder(texts)

    from synthdiv.reports.embedding_map import embedding_map

    run = load_run(run_dir)
    run.spec["metrics"]["embedder"] = None  # call the encoder directly, no cache between the two calls
    embedding_map(run, "", encoder=encoder, map_points=1000)
    assert len(seen[-1]) == 4 * 40  # fewer records than map_points: every record is drawn
    embedding_map(run, "", encoder=encoder, map_points=12)
    embedding_map(run, "", encoder=encoder, map_points=12)
    assert len(seen[-1]) == 4 * 12 and seen[-1] == seen[-2]


def test_qa_map_leaves_the_long_context_out(build_run):
    run_dir = build_run("qa", task="long_context_qa", seeds=(0,), models=("gpt2",), embedding=False)
    texts: list[str] = []
    write_report(run_dir, encoder=lambda t: texts.extend(t) or hashed_encoder(t), map_points=10)
    assert texts and not any("Long document" in t for t in texts)
    assert all(t.startswith("What did") for t in texts)  # question + answer


def test_map_without_embedder_is_lexical_and_says_so(build_run):
    run_dir = build_run("lex", embedding=False, seeds=(0,), models=("gpt2",))
    index = write_report(run_dir, map_points=20)
    page = index.read_text()
    caption = page[page.index('id="fig4_embedding_map"'):].split("</figcaption>")[0]
    assert "TF-IDF" in caption and "no embedder is configured" in caption


def test_fixed_size_mixes_draw_fig5(build_run):
    run_dir = build_run("fixed", levels=("D6",), ratios=(0.0, 0.25, 0.5, 0.75, 1.0), seeds=(0, 1))
    write_report(run_dir, encoder=hashed_encoder, map_points=10)
    assert "5" in drawn(run_dir / "report")
    points = ratio_points(load_run(run_dir).results, "fixed")
    llama = points[points["model"] == "llama-3.2-1b"]
    assert sorted(set(llama["x_ratio"])) == [0.0, 0.25, 0.5, 0.75, 1.0]
    raw = pd.read_csv(run_dir / "results.csv")
    expect = raw[(raw["model"] == "llama-3.2-1b") & (raw["dataset"] == "Gen-D6 50%")]["test_loss"].mean()
    got = aggregate(llama, ["x_ratio"], "test_loss").set_index("x_ratio").loc[0.5, "mean"]
    assert got == pytest.approx(expect)


def test_two_ratios_are_not_a_curve(build_run):
    run_dir = build_run("two", levels=("D6",), ratios=(0.0, 0.5), seeds=(0,))
    index = write_report(run_dir, encoder=hashed_encoder, map_points=10)
    assert "5" not in drawn(run_dir / "report")
    assert "two ratios or fewer" in index.read_text()


def test_variable_size_mixes_draw_fig6_7_from_one_real_start(build_run):
    run_dir = build_run("var", levels=("D1", "D3", "D5"), mode="variable", ratios=(0.0, 0.2, 0.5, 0.8), seeds=(0,))
    write_report(run_dir, encoder=hashed_encoder, map_points=10)
    out = run_dir / "report"
    assert {"6", "14"} <= drawn(out) and "2" not in drawn(out) and "5" not in drawn(out)
    points = ratio_points(load_run(run_dir).results, "variable")
    gpt2 = points[points["model"] == "gpt2"]
    for level in ("D1", "D3", "D5"):
        line = gpt2[gpt2["level"] == level]
        assert sorted(line["x_ratio"]) == [0.0, 0.2, 0.5, 0.8]
        assert line.loc[line["x_ratio"] == 0.0, "dataset"].tolist() == ["real"]


def test_size_sweep_draws_fig8_9_and_fig2_uses_the_largest_size(build_run):
    run_dir = build_run("sizes", levels=("D0", "D6"), sizes=(20, 40), seeds=(0,), models=("gpt2",))
    index = write_report(run_dir, encoder=hashed_encoder, map_points=10)
    assert "8" in drawn(run_dir / "report")
    pure, size = at_one_size(pure_sets(load_run(run_dir).results))
    assert size == 40 and set(pure["size"]) == {40}
    assert "Training sets of 40 records" in index.read_text()
    # the map and length figures show the unmixed sets, not one per size
    assert [s["dataset"] for s in measured_sets(load_run(run_dir).datasets)] == ["real", "Gen-D0", "Gen-D6"]


def test_sizes_are_grouped_by_the_asked_size(build_run):
    run_dir = build_run("asked", levels=("D0", "D6"), sizes=(20, 40), short={"D6": 37}, seeds=(0,), models=("gpt2",))
    results = load_run(run_dir).results
    d6 = results[(results["level"] == "D6") & (results["role"] == "generated")]
    assert sorted(d6["size"]) == [20, 37] and sorted(d6["size_group"]) == [20, 40]
    pure, size = at_one_size(pure_sets(results))
    assert size == 40 and sorted(set(pure["x"])) == ["Gen-D0", "Gen-D6", "real"]


def test_a_level_that_fell_short_is_not_a_size_sweep(build_run):
    # generation made 33 of 40 D0 stories, so the D0 set is smaller: one asked size all the same
    run_dir = build_run("short", short={"D0": 33}, seeds=(0,))
    index = write_report(run_dir, encoder=hashed_encoder, map_points=10)
    assert "8" not in drawn(run_dir / "report")
    pure, size = at_one_size(pure_sets(load_run(run_dir).results))
    assert sorted(set(pure["x"])) == ["Gen-D0", "Gen-D3", "Gen-D6", "real"]
    assert set(pure.loc[pure["x"] == "Gen-D0", "size"]) == {33}
    assert "Training sets of" not in index.read_text()


def test_missing_train_logs_and_embedding_columns_are_skipped(build_run):
    run_dir = build_run("bare", embedding=False, train_logs=False, seeds=(0,), models=("gpt2",))
    index = write_report(run_dir, encoder=hashed_encoder, map_points=10)
    assert "14" not in drawn(run_dir / "report")
    assert "no train_log.csv found" in index.read_text()
    header = (run_dir / "report" / "table2_shift.csv").read_text().splitlines()[0].split(",")
    assert "shift_ngram_js_1" in header and not any(h.startswith("shift_embedding") for h in header)
    assert "shift_lengths_text_ks_ci95" not in header  # details are not distances


def test_without_datasets_csv_tables_come_from_results(run_dir):
    (run_dir / "datasets.csv").unlink()
    index = write_report(run_dir, encoder=hashed_encoder)
    assert drawn(run_dir / "report") == {"2", "14"}
    page = index.read_text()
    assert "the run has no datasets.csv" in page
    rows = list(csv.DictReader(open(run_dir / "report" / "table_diversity.csv", newline="")))
    assert [r["dataset"] for r in rows] == ["real", "Gen-D0", "Gen-D3", "Gen-D6"]


def test_rerun_removes_figures_the_run_no_longer_has(run_dir):
    write_report(run_dir, encoder=hashed_encoder, map_points=10)
    assert (run_dir / "report" / FIG["14"]).exists()
    results = pd.read_csv(run_dir / "results.csv")
    results["train_dir"] = ""
    results.to_csv(run_dir / "results.csv", index=False)
    write_report(run_dir, encoder=hashed_encoder, map_points=10)
    assert not (run_dir / "report" / FIG["14"]).exists()


def test_a_failing_report_leaves_the_previous_page_and_no_temporary_files(run_dir, monkeypatch):
    index = write_report(run_dir, encoder=hashed_encoder, map_points=10)
    before = index.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("killed while rendering")

    monkeypatch.setattr("synthdiv.reports.html.render_page", boom)
    with pytest.raises(RuntimeError):
        write_report(run_dir, encoder=hashed_encoder, map_points=10)
    assert index.read_bytes() == before
    assert not [p.name for p in (run_dir / "report").iterdir() if p.name.startswith(".")]


def test_the_paired_differences_lead_with_their_intervals(tmp_path):
    from report_run_factory import build_run_dir

    from synthdiv.reports.paired_figure import paired_differences
    from synthdiv.reports.rundir import load_run

    run = load_run(build_run_dir(tmp_path / "run", levels=("D0", "D3", "D6"), ratios=(0.0, 0.5, 1.0)))
    fig = paired_differences(run)
    assert fig.key == "fig_paired_differences" and fig.png.startswith(b"\x89PNG")
    # the factory's differences all have ±0.03 intervals around level effects larger than that: every set resolved
    assert "2 seeds" in fig.caption and "Filled: the interval excludes 0" in fig.caption


def test_without_a_real_twin_there_is_no_paired_figure(tmp_path):
    from report_run_factory import build_run_dir

    from synthdiv.reports.paired_figure import paired_differences
    from synthdiv.reports.plotting import SkipFigure
    from synthdiv.reports.rundir import load_run

    run_dir = build_run_dir(tmp_path / "run")
    (run_dir / "aggregate.csv").unlink()
    with pytest.raises(SkipFigure, match="no training set has a paired difference"):
        paired_differences(load_run(run_dir))
