"""A run folder as the experiment runner writes it (dummy backend, no training: seconds), where
every training set is called ``mix`` whatever its ratio and the metrics carry their sample sizes."""

from __future__ import annotations

import csv

import yaml

from synthdiv.cli.main import main
from synthdiv.export.panels import fmt

SPEC = {
    "name": "tiny-export", "task": "story_completion",
    "real": {"source": "corpus", "n_train": 12, "n_test": 4},
    "generation": {"backend": "dummy", "model": "dummy", "levels": ["D0", "D3"], "n": 12},
    "metrics": {"embedder": None},
    "mixing": {"ratios": [0.0, 0.5, 1.0]},
    "training": {"models": []},
}


def test_export_of_a_runner_written_folder(tmp_path):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    run = tmp_path / "run"
    assert main(["run", str(spec), "--out", str(run)]) == 0
    out = tmp_path / "hf"
    assert main(["export", str(run), "--format", "hf", "--out", str(out), "--embedder", "none"]) == 0

    # the real-only set (ratio 0) and the level-alone sets (ratio 1) are not configs of their own
    assert sorted(p.name for p in (out / "data").iterdir()) == ["D0", "D0-50pct", "D3", "D3-50pct"]
    card = (out / "README.md").read_text(encoding="utf-8")
    meta = yaml.safe_load(card.split("---\n", 2)[1])
    assert meta["language_creators"] == ["machine-generated", "found"]  # the 50 % mixes hold real records
    assert "| metric | D0 (n=12 records) | D3 (n=12 records) | D0-50pct (n=12 records) | D3-50pct (n=12 records) |" in card
    assert "| metric | D0 (n=12 per side) |" in card  # shift_samples_compared, as the run recorded it
    with open(run / "datasets.csv", encoding="utf-8", newline="") as fh:
        d3 = next(r for r in csv.DictReader(fh) if r["dataset"] == "Gen-D3" and not r["mode"])
    line = next(x for x in card.splitlines() if x.startswith("| self-BLEU-4"))
    assert line.split(" | ")[2] == fmt(float(d3["div_self_bleu"]))
