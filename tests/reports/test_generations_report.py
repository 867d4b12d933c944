"""The report of a recursive-training loop: metrics against generation, a per-generation table, samples."""

import csv
import io

from synthdiv.experiments.runner import run_experiment
from synthdiv.experiments.spec import load_spec
from synthdiv.reports import write_report
from synthdiv.reports.build import build_blocks
from synthdiv.reports.rundir import load_run


def test_loop_report_has_the_figure_the_table_and_side_by_side_samples(tmp_path, loop_spec):
    run_experiment(load_spec(loop_spec()), tmp_path / "run")
    page = write_report(tmp_path / "run")
    html = page.read_text()
    for name in ("fig_generations.png", "table_generations.csv", "samples_generations.csv"):
        assert (page.parent / name).stat().st_size > 0, name
    assert "Fig. G" in html and "Table G" in html and "generation 2" in html

    table = list(csv.reader(io.StringIO((page.parent / "table_generations.csv").read_text())))
    assert len(table) == 1 + 9 and table[0][:2] == ["scenario", "generation"]
    rows = {(r[0], r[1]): r for r in table[1:]}
    assert rows["accumulate", "2"][2] == "real:8 1:6 2:6" and rows["replace", "2"][2] == "2:6"
    assert rows["replace", "0"][4] == rows["replace", "0"][3]  # generation 0's new data is the real set itself

    samples = list(csv.reader(io.StringIO((page.parent / "samples_generations.csv").read_text())))
    assert samples[0][2:] == ["generation 0 (a real story shown in the prompt)", "generation 1", "generation 2"]
    body = samples[1:]
    assert {r[1] for r in body} == {"replace", "accumulate", "accumulate-subsample"}
    for r in body:
        assert all(cell and cell != "—" for cell in r) and r[3] != r[4]  # the students of generations 1 and 2 differ
    real_cells = {r[2] for r in body if r[0] == body[0][0]}
    assert len(real_cells) == 1  # one prompt: the same real story beside every scenario


def test_a_run_without_a_loop_lists_no_loop_figure(tmp_path, tiny_spec):
    run_experiment(load_spec(tiny_spec(training={"models": []})), tmp_path / "run")
    blocks, skipped = build_blocks(load_run(tmp_path / "run"))
    names = [getattr(b, "number", "") for b in blocks] + [s.number for s in skipped]
    assert not any(n in ("Fig. G", "Table G", "Samples") for n in names)
