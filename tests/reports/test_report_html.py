"""The page: self-contained, captions that say what was run, tables that carry the input's numbers."""

from __future__ import annotations

import base64
import csv
import math
import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from report_run_factory import hashed_encoder

from synthdiv.reports import write_report
from synthdiv.reports.tables import column_format


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.src: list[str] = []
        self.href: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name == "src":
                self.src.append(value)
            elif name == "href":
                self.href.append(value)


@pytest.fixture
def report(run_dir):
    index = write_report(run_dir, encoder=hashed_encoder, map_points=12)
    return index, index.read_text(encoding="utf-8")


def test_page_makes_no_external_request(report):
    index, page = report
    links = Links()
    links.feed(page)
    assert len(links.src) == 5  # figs Δ, 2, 3, 4, 14
    assert all(s.startswith("data:image/png;base64,") for s in links.src)
    for href in links.href:
        assert href.startswith("#") or (index.parent / href).is_file(), href
    without_images = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)  # base64 may contain "//"
    assert not re.search(r"https?:|//|url\(", without_images)
    assert "link" not in links.tags and "script" not in links.tags and "@import" not in page


def test_embedded_images_are_the_png_files(report):
    index, page = report
    for name in ("fig2_test_loss_vs_diversity.png", "fig14_training_loss.png"):
        data = base64.b64encode((index.parent / name).read_bytes()).decode("ascii")
        assert f"data:image/png;base64,{data}" in page


def test_captions_say_what_the_figure_shows_and_leave_the_setup_to_its_table(report):
    _, page = report
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", page, flags=re.S)
    assert len(captions) == 5
    setup = page[page.index('<table class="setup">'):page.index("</table>")]
    for needle in ("smollm2-135m-instruct via transformers", "D0, D3, D6", "gpt2, llama-3.2-1b", "3 epochs"):
        assert needle in setup
        assert not any(needle in caption for caption in captions), needle
    assert "seed-paired over the seeds" in captions[0] and "2 seeds" in captions[0]  # Fig. Δ leads
    assert "mean over 2 seeds; error bars: 95 % two-level bootstrap interval (seeds, then test records)" in captions[1]
    assert "<th>seed ids</th><td>0, 1</td>" in setup  # ids here; a count is always "n seeds"


def test_each_figure_opens_its_own_image_full_size(report):
    index, page = report
    figures = re.findall(r"<figure>(.*?)</figure>", page, flags=re.S)
    assert len(figures) == 5
    for figure in figures:
        link = re.match(r'<a href="([^"]+\.png)" title="open full size"><img src="data:image/png;base64,([^"]+)"', figure)
        assert link, figure[:200]
        assert base64.b64decode(link.group(2)) == (index.parent / link.group(1)).read_bytes()
    assert "figure img { display: block; max-width: 100%; height: auto;" in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page and "@media (max-width: 700px)" in page


def test_shift_table_matches_the_input(report, run_dir):
    index, page = report
    rows = {r["dataset"]: r for r in csv.DictReader(open(index.parent / "table2_shift.csv", newline=""))}
    assert list(rows) == ["Gen-D0", "Gen-D3", "Gen-D6"]
    data = pd.read_csv(run_dir / "datasets.csv")
    raw = data[(data["dataset"] == "Gen-D3") & data["mode"].isna()]
    for col in ("shift_embedding_frechet_distance", "shift_embedding_mauve", "shift_ngram_js_1", "shift_lengths_text_ks"):
        assert float(rows["Gen-D3"][col]) == pytest.approx(raw[col].mean())
    assert rows["Gen-D3"]["n_seeds"] == "2"
    section = page[page.index('id="table2_shift"'):page.index('id="table_diversity"')]
    column = [float(r["shift_embedding_frechet_distance"]) for r in rows.values()]
    assert f"<td>{column_format(column)(raw['shift_embedding_frechet_distance'].mean())}" in section and "Fréchet ↓" in section


def test_diversity_table_has_every_order_and_the_sum(report, run_dir):
    index, page = report
    rows = {r["dataset"]: r for r in csv.DictReader(open(index.parent / "table_diversity.csv", newline=""))}
    assert list(rows) == ["real", "Gen-D0", "Gen-D3", "Gen-D6"]
    data = pd.read_csv(run_dir / "datasets.csv")
    gen = data[(data["dataset"] == "Gen-D6") & data["mode"].isna()]
    for k in range(1, 6):
        assert float(rows["Gen-D6"][f"div_distinct_{k}"]) == pytest.approx(gen[f"div_distinct_{k}"].mean())
    assert float(rows["Gen-D6"]["div_ngram_diversity_score"]) == pytest.approx(gen["div_ngram_diversity_score"].mean())
    assert float(rows["Gen-D6"]["div_ngram_diversity_score_sd"]) == pytest.approx(gen["div_ngram_diversity_score"].std(ddof=1))
    section = page[page.index('id="table_diversity"'):]
    for header in ("distinct-1 ↑", "distinct-5 ↑", "sum d1–5 ↑", "normalised ↑", "compression ↓", "self-BLEU ↓", "Vendi ↑"):
        assert f">{header}</th>" in section


def test_setup_table_and_skipped_list(report):
    _, page = report
    assert "<h1>synthdiv report: synthetic-story_completion</h1>" in page
    assert "smollm2-135m-instruct via transformers (topic-guided generation)" in page
    assert page.count('class="skipped"') == 6  # three in the contents, three in the list


@pytest.mark.parametrize("column, texts", [
    ([3.2, 0.884, 3.779], ["3.200", "0.884", "3.779"]),  # one number of decimals for the whole column
    ([0.5, 0.06768], ["0.5000", "0.0677"]),
    ([19.93, 7.3], ["19.93", "7.30"]),
    ([12345.6, 12.0], ["12,346", "12"]),
    ([0.0004, 0.00002], ["4.00e-04", "2.00e-05"]),
    ([0.0, 0.0], ["0", "0"]),
    ([math.nan, 0.25], ["—", "0.2500"]),
])
def test_one_number_format_per_column(column, texts):
    form = column_format(column)
    assert [form(v) for v in column] == texts
