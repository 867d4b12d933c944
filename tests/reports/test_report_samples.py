"""Sample texts: two of each level beside a real one, drawn from the record files, escaped on the page."""

from __future__ import annotations

import csv
import json
import os

import pytest
from report_run_factory import hashed_encoder

from synthdiv.metrics.texts import load_texts
from synthdiv.reports import write_report
from synthdiv.reports.build import build_blocks
from synthdiv.reports.rundir import load_run
from synthdiv.reports.samples import MAX_CHARS, clip, samples_table


def test_two_texts_per_level_beside_a_real_one(run_dir):
    table = samples_table(load_run(run_dir))
    assert table.headers == ["level", "generated 1", "generated 2", "a real training record"]
    assert [r[0] for r in table.rows] == ["Gen-D0", "Gen-D3", "Gen-D6"]
    real = set(load_texts(run_dir / "data" / "real-train.jsonl").texts)
    for level, first, second, real_text in table.rows:
        generated = set(load_texts(run_dir / "data" / f"gen-{level[4:]}-seed0.jsonl").texts)  # the run's first seed
        assert first in generated and second in generated and first != second
        assert real_text in real
    assert len({r[3] for r in table.rows}) == 3  # a different real record per row
    assert samples_table(load_run(run_dir)).rows == table.rows  # drawn with the run's seed: the same on a rerun


def test_samples_are_escaped_on_the_page(run_dir):
    path = run_dir / "data" / "gen-D0-seed0.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        record = json.loads(line)
        record["target"] = f"<script>alert({i})</script> & done."
        lines[i] = json.dumps(record)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    index = write_report(run_dir, encoder=hashed_encoder, map_points=10)
    page = index.read_text(encoding="utf-8")
    sample = page[page.index('<section id="samples_levels">'):]
    assert "&lt;script&gt;alert(" in sample and "&amp; done." in sample and "<script>" not in page
    rows = list(csv.reader(open(index.parent / "samples_levels.csv", newline="")))
    assert rows[1][0] == "Gen-D0" and "<script>alert(" in rows[1][1]  # the CSV keeps the text as written


def test_long_texts_are_cut():
    assert clip("word " * 500).endswith("…") and len(clip("word " * 500)) == MAX_CHARS
    assert clip("a  short\ntext") == "a short text"


def test_samples_are_skipped_without_record_files(run_dir):
    (run_dir / "datasets.csv").unlink()
    _, skipped = build_blocks(load_run(run_dir), encoder=hashed_encoder)
    assert "Sample texts" in [s.number for s in skipped]


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600)])
def test_report_files_follow_the_umask(run_dir, umask, mode):
    old = os.umask(umask)
    try:
        index = write_report(run_dir, encoder=hashed_encoder, map_points=10)
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in index.parent.iterdir()}
    assert modes and set(modes.values()) == {mode}, modes
