"""The run folder's layout: the tables the runner writes, and those the report tests' factory fakes,
have exactly the columns experiments/layout.py defines; the set and scenario names come from it too."""

import csv
from pathlib import Path

import pytest

from synthdiv.experiments import layout
from synthdiv.experiments.runner import run_experiment
from synthdiv.experiments.spec import LoopSpec, load_spec

REPORT_TESTS = Path(__file__).resolve().parents[1] / "reports"  # the report tests' run-folder factory


def header(run_dir: Path, table: str) -> list[str]:
    with open(run_dir / layout.csv_name(table), newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh))


def assert_layout(run_dir: Path, table: str) -> None:
    columns, written = layout.TABLES[table], header(run_dir, table)
    assert columns.undefined(written) == [], f"{table}: columns the layout does not define"
    assert columns.missing(written) == [], f"{table}: named columns the table lacks"


def test_the_sweep_tables_have_the_layouts_columns(tmp_path, tiny_spec):
    run_experiment(load_spec(tiny_spec()), tmp_path / "run")
    for table in (layout.DATASETS, layout.RESULTS, layout.AGGREGATE, layout.TRENDS, layout.LADDER):
        assert_layout(tmp_path / "run", table)
    assert "Gen-D3 50%" in {r["dataset"] for r in csv.DictReader(open(tmp_path / "run" / layout.csv_name(layout.RESULTS)))}


def test_a_selection_adds_only_the_layouts_optional_columns(tmp_path, tiny_spec):
    spec = tiny_spec(mixing={"ratios": [0.0, 1.0]}, selection={"pool": 12, "sets": [{"strategy": "random"}]})
    run_experiment(load_spec(spec), tmp_path / "run")
    for table in (layout.DATASETS, layout.RESULTS):
        assert_layout(tmp_path / "run", table)
        assert set(layout.SELECTION_LABELS) <= set(header(tmp_path / "run", table))


def test_the_loop_table_has_the_layouts_columns(tmp_path, loop_spec):
    run_experiment(load_spec(loop_spec(scenarios=[layout.ACCUMULATE])), tmp_path / "run")
    assert_layout(tmp_path / "run", layout.GENERATIONS)


def test_the_report_factory_writes_the_runners_columns(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(REPORT_TESTS))
    from report_run_factory import build_run_dir, table_header

    run_dir = build_run_dir(tmp_path / "run", plane=True)
    for table in (layout.DATASETS, layout.RESULTS, layout.TRENDS):
        assert_layout(run_dir, table)
    with pytest.raises(ValueError, match="test_los"):
        table_header(layout.RESULTS, [{"model": "gpt2", "test_los": 3.0}])


def test_set_names():
    assert layout.level_label("D3") == "Gen-D3" and layout.level_label("") == "real" and layout.level_label(None) == "real"
    assert layout.mix_label("fixed", 0.0, None, None) == "real"
    assert layout.mix_label("fixed", 1.0, "D3", None) == "Gen-D3"
    assert layout.mix_label("fixed", 0.25, "D3", 200) == "Gen-D3 25% (n=200)"
    assert layout.mix_label("variable", 1.0, "D0", None, "random") == "Gen-D0 random 100%"


def test_the_spec_offers_the_layouts_scenarios():
    assert LoopSpec().scenarios == list(layout.SCENARIOS) == ["replace", "accumulate", "accumulate-subsample"]


def test_derived_column_names():
    assert layout.comparison("real") == ("delta_vs_real", "delta_vs_real_ci_low", "delta_vs_real_ci_high", "p_vs_real")
    assert layout.mean_interval("test_loss") == ("test_loss_mean_ci_low", "test_loss_mean_ci_high")
    assert layout.new(layout.DIVERSITY_SCORE) == "new_div_ngram_diversity_score"
    assert layout.within_sd("shift_embedding_mauve") == "shift_embedding_mauve_within_sd"
    assert layout.ladder_copy("adherence") == "gen_adherence" and layout.matched("ci_low") == "div_matched_ci_low"
