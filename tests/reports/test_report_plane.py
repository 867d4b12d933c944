"""The diversity–shift plane in the report: the figure, its points file and the regression table."""

import csv
import io
import json

from report_run_factory import build_run_dir, hashed_encoder

from synthdiv.reports import write_report
from synthdiv.reports.build import build_blocks
from synthdiv.reports.rundir import load_run


def _blocks(run_dir):
    blocks, skipped = build_blocks(load_run(run_dir), encoder=hashed_encoder, map_points=10)
    return {b.number: b for b in blocks}, {s.number: s for s in skipped}


def test_the_plane_figure_and_table(tmp_path):
    run_dir = build_run_dir(tmp_path / "run", plane=True)
    blocks, _ = _blocks(run_dir)
    fig, table = blocks["Fig. P"], blocks["Table P"]
    assert fig.png.startswith(b"\x89PNG") and "size-matched diversity" in fig.caption
    points = list(csv.DictReader(io.StringIO(fig.files["fig_plane_points.csv"].decode())))
    # two students × (real + three levels) × two seeds, the base models left out
    assert len(points) == 16 and {p["model"] for p in points} == {"gpt2", "llama-3.2-1b"}
    real = next(p for p in points if p["dataset"] == "real" and p["model"] == "gpt2" and p["seed"] == "0")
    assert (real["shift"], real["shift_metric"], real["diversity"]) == ("0", "shift_embedding_frechet_distance", "2.5")
    assert (real["test_loss"], real["test_loss_ci_low"]) == ("3.6", "3.57")
    plane = json.loads((run_dir / "plane.json").read_text())
    assert [r[0] for r in table.rows] == ["gpt2", "llama-3.2-1b"]
    for row, group in zip(table.rows, plane["groups"]):
        fit = group["fit"]
        d = fit["coefficients"]["diversity"]
        assert row[1] == "8" and row[3] == f"{d['estimate']:+.4f} [{d['ci_low']:+.4f}, {d['ci_high']:+.4f}]"
        assert row[-1] == fit["verdict"]


def test_the_page_shows_the_plane_and_a_group_without_a_fit_says_why(tmp_path):
    run_dir = build_run_dir(tmp_path / "run", plane=True, levels=("D3",), seeds=(0,), models=("gpt2",))
    index = write_report(run_dir, encoder=hashed_encoder, map_points=10)
    page = index.read_text(encoding="utf-8")
    assert "Fig. P" in page and (index.parent / "fig_plane.png").is_file()
    rows = list(csv.reader(io.StringIO((index.parent / "table_plane.csv").read_text())))
    assert rows[1] == ["gpt2", "2", "shift_embedding_frechet_distance", "–", "–", "–", "–",
                       "no fit: 2 sets; the regression on diversity and shift needs at least 4"]


def test_a_run_without_plane_json_has_no_plane_items(tmp_path):
    run_dir = build_run_dir(tmp_path / "run", plane=True)
    blocks, _ = _blocks(run_dir)
    assert "Fig. P" in blocks
    index = write_report(run_dir, encoder=hashed_encoder, map_points=10)
    (run_dir / "plane.json").unlink()
    blocks, skipped = _blocks(run_dir)
    assert "Fig. P" not in blocks and "Fig. P" not in skipped and "Table P" not in skipped
    write_report(run_dir, encoder=hashed_encoder, map_points=10)
    assert not (index.parent / "fig_plane.png").exists()  # an earlier report's plane is removed
