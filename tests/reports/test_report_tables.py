"""Table 2 and the diversity table: metrics only, each once, a direction in every header, one
number format per column, one number per set (the training set's, as Fig. 2 shows it)."""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest
from report_run_factory import hashed_encoder

from synthdiv.reports import write_report
from synthdiv.reports.metric_columns import MARKS, SETTINGS
from synthdiv.reports.rundir import load_run
from synthdiv.reports.tables import column_format, diversity_table, shift_table

# what the runner writes beside its metrics: settings, a spread under the metric's own name, a duplicate
RUNNER_EXTRAS = {
    "shift_embedding_mmd_bandwidth": 1.21, "shift_embedding_mmd_permutations": 200, "shift_embedding_prdc_k": 5,
    "shift_embedding_mauve_buckets": 3, "shift_embedding_classifier_folds": 5, "shift_embedding_classifier_auc_sd": 0.02,
    "shift_n_real": 40, "shift_n_generated": 40, "shift_embedding_mmd_p_at_floor": True,
    "shift_embedding_mmd2_p_value_text": "≤ 1/201", "shift_tokenizer": "regex",
}
DIV_EXTRAS = {"div_embedding_kmeans_k": 10, "div_embedding_vendi_score_q_2": 7.5, "div_tokenizer": "regex"}


@pytest.fixture
def runner_like(run_dir):
    """The factory's run with the columns the real runner adds to datasets.csv."""
    data = pd.read_csv(run_dir / "datasets.csv")
    for column, value in RUNNER_EXTRAS.items():
        data[column] = [value if isinstance(lv, str) else None for lv in data["level"]]  # generated rows only
    for column, value in DIV_EXTRAS.items():
        data[column] = value
    data["div_embedding_vendi_score_q_1"] = data["div_embedding_vendi_score"]
    data.to_csv(run_dir / "datasets.csv", index=False)
    return run_dir


def section(page: str, key: str) -> str:
    start = page.index(f'<section id="{key}">')
    return page[start:page.index("</section>", start)]


def headers(html: str) -> list[str]:
    head = html[html.index("<thead>"):html.index("</thead>")]
    return [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th[^>]*>(.*?)</th>", head)]


def body_rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", body)]


@pytest.fixture
def page(runner_like):
    index = write_report(runner_like, encoder=hashed_encoder, map_points=10)
    return index.parent, index.read_text(encoding="utf-8")


def test_metric_tables_hold_no_settings_and_no_column_twice(page):
    out, html = page
    for key in ("table2_shift", "table_diversity"):
        shown = headers(section(html, key))
        assert len(shown) == len(set(shown)), shown
        assert not any(word in h for h in shown for word in ("bandwidth", "permutations", "prdc", "buckets", "folds", "kmeans k", "q 1"))
        assert sum(h.startswith("Vendi") for h in shown) == (2 if key == "table_diversity" else 0)  # q=1 once, q=2
        assert not any(h.endswith(" sd") for h in shown)  # a spread sits beside its metric
        header = next(csv.reader(open(out / f"{key}.csv", newline="")))
        assert len(header) == len(set(header)), header
        assert not set(header) & set(SETTINGS) and "div_embedding_vendi_score_q_1" not in header
    details = section(html, "table2_shift").split("Settings these metrics were computed with", 1)[1]
    for label, value in (("MMD RBF bandwidth", "1.21"), ("MMD permutations", "200"), ("PRDC nearest neighbours k", "5"),
                         ("classifier cross-validation folds", "5"), ("tokenizer", "regex")):
        assert f"<th>{label}</th><td>{value}</td>" in details
    assert "<th>k-means k</th><td>10</td>" in section(html, "table_diversity")


def test_every_metric_header_carries_its_direction(page):
    _, html = page
    for key in ("table2_shift", "table_diversity"):
        shown = headers(section(html, key))
        assert shown[:3] == ["dataset", "set measured", "n seeds"]
        for h in shown[3:]:
            assert h.rsplit(" ", 1)[-1] in MARKS, h
    shift = headers(section(html, "table2_shift"))
    assert {"Fréchet ↓", "MAUVE ↑", "clf. AUC ↓", "density →1", "JS 1-gram ↓"} <= set(shift)
    assert "What each column is" in section(html, "table2_shift")


def test_each_column_has_one_number_format(page):
    _, html = page
    for key in ("table2_shift", "table_diversity"):
        for column in zip(*(r[3:] for r in body_rows(section(html, key)))):
            values = [re.sub(r"<span.*", "", c).replace("≤ ", "").strip() for c in column]
            decimals = {len(v.split(".")[1]) if "." in v else 0 for v in values if v not in ("—", "")}
            assert len(decimals) <= 1, (key, values)


def test_a_p_value_at_the_permutation_floor_is_a_bound_in_the_columns_format(page):
    _, html = page
    p_index = headers(section(html, "table2_shift")).index("MMD p ↑")
    cells = [r[p_index] for r in body_rows(section(html, "table2_shift"))]
    assert cells and all(c == "≤ 0.0050" for c in cells), cells


def test_own_spread_shows_beside_its_metric_and_in_the_csv_once(page):
    out, html = page
    rows = list(csv.DictReader(open(out / "table2_shift.csv", newline="")))
    assert float(rows[0]["shift_embedding_classifier_auc_within_sd"]) == pytest.approx(0.02)
    assert float(rows[0]["shift_embedding_classifier_auc_sd"]) == 0  # over the two seeds: a different number
    assert "<td>0.9000 <span class=\"sd\" title=\"sd of the metric itself (see its definition)\">± 0.0200</span>" in html
    assert 'title="sd over 2 seeds"' in section(html, "table_diversity")  # the factory's diversity differs by seed


def test_one_diversity_number_per_set_the_training_sets(build_run):
    # the runner's shape: a level measured as made and again as the ratio-1 training set made of all of it;
    # the same records in another order give a slightly different distinct-n
    run_dir = build_run("runner", seeds=(0,), models=("gpt2",))
    data = pd.read_csv(run_dir / "datasets.csv")
    data.loc[data["mode"].isna(), "div_ngram_diversity_score"] += 0.002
    data.to_csv(run_dir / "datasets.csv", index=False)
    table = diversity_table(load_run(run_dir))
    assert [r["dataset"] for r in table.rows] == ["real", "Gen-D0", "Gen-D3", "Gen-D6"]
    results = pd.read_csv(run_dir / "results.csv")
    for row in table.rows:
        trained = results[(results["dataset"] == row["dataset"]) & (results["model"] == "gpt2")]
        assert row["div_ngram_diversity_score"] == pytest.approx(trained["div_ngram_diversity_score"].iloc[0])  # Fig. 2's number
        assert row["set"] == "training set (40 records)"


def test_a_set_only_measured_as_made_is_labelled_so(build_run):
    run_dir = build_run("short", short={"D0": 33}, seeds=(0,), models=("gpt2",))
    table = shift_table(load_run(run_dir))
    labels = {r["dataset"]: r["set"] for r in table.rows}
    assert labels["Gen-D0"] == "generated set (40 records)"  # its training set is a different (smaller) set
    assert labels["Gen-D3"] == "training set (40 records)"


def test_column_format_is_shared_by_means_spreads_and_intervals():
    form = column_format([3.78, 0.5])
    assert (form(3.78), form(0.01234), form(0.5)) == ("3.780", "0.012", "0.500")
