"""The Hugging Face folder loads with datasets.load_dataset (offline), one config per level or
mix of a run, and its shards read back as the very records exported."""

from __future__ import annotations

import csv

import pytest
import yaml

from synthdiv.cli.main import main
from synthdiv.data.records_io import read_records
from synthdiv.export.panels import fmt
from synthdiv.tasks import prompt_text, target_text

COLUMNS = ["id", "task", "source", "level", "prompt", "completion", "group", "split", "context", "question", "target",
           "provenance", "meta"]
RUN_CONFIGS = ["D0", "D3", "D6", "D0-50pct", "D3-50pct", "D6-50pct"]


def export_hf(src, out, *extra) -> None:
    assert main(["export", str(src), "--format", "hf", "--out", str(out), "--embedder", "none", *extra]) == 0


def test_load_dataset_round_trip_of_a_file(gen_file, tmp_path, hf_cache):
    datasets = pytest.importorskip("datasets")
    out = tmp_path / "hf"
    export_hf(gen_file, out)
    ds = datasets.load_dataset(str(out), cache_dir=hf_cache)
    assert list(ds) == ["train"]
    train = ds["train"]
    assert train.num_rows == 12 and train.column_names == COLUMNS
    records = read_records(gen_file)
    assert train["prompt"] == [prompt_text(r) for r in records]
    assert train["completion"] == [target_text(r) for r in records]
    assert datasets.load_dataset(str(out), "default", split="train", cache_dir=hf_cache).num_rows == 12


def test_shards_read_back_as_the_exported_records(gen_file, tmp_path):
    out = tmp_path / "hf"
    export_hf(gen_file, out, "--shard-rows", "5")
    shards = sorted((out / "data" / "default").iterdir())
    assert [p.name for p in shards] == [f"train-0000{i}-of-00003.parquet" for i in range(3)]
    back = [r for p in shards for r in read_records(p)]
    assert [r.to_dict() for r in back] == [r.to_dict() for r in read_records(gen_file)]


def test_run_folder_gives_one_config_per_level_and_mix(run_folder, tmp_path, hf_cache, monkeypatch):
    datasets = pytest.importorskip("datasets")

    def no_recompute(*args, **kwargs):
        raise AssertionError("the run measured these sets; export must not recompute them")

    monkeypatch.setattr("synthdiv.export.measure.measure_file", no_recompute)
    out = tmp_path / "hf"
    export_hf(run_folder, out)
    card = (out / "README.md").read_text(encoding="utf-8")
    meta = yaml.safe_load(card.split("---\n", 2)[1])
    assert [c["config_name"] for c in meta["configs"]] == RUN_CONFIGS
    assert meta["configs"][0]["default"] is True and all("default" not in c for c in meta["configs"][1:])
    assert meta["pretty_name"] == "synthetic-story_completion"
    d3 = datasets.load_dataset(str(out), "D3", split="train", cache_dir=hf_cache)
    assert d3.num_rows == 40 and set(d3["level"]) == {"D3"} and d3["id"][0] == "generated-D3-0-0"
    assert datasets.load_dataset(str(out), split="train", cache_dir=hf_cache)["level"][0] == "D0"  # the default config

    # the run's own numbers (seed 0's rows of datasets.csv), unchanged
    with open(run_folder / "datasets.csv", encoding="utf-8", newline="") as fh:
        rows = {(r["dataset"], r["seed"], r["mode"]): r for r in csv.DictReader(fh)}
    gen_d6, mix_d3 = rows["Gen-D6", "0", ""], rows["Gen-D3 50%", "0", "fixed"]
    header = "| metric | " + " | ".join(f"{c} (n=40 records)" for c in RUN_CONFIGS) + " |"
    assert header in card
    line = next(x for x in card.splitlines() if x.startswith("| distinct-1 |"))
    assert line.split(" | ")[3] == fmt(float(gen_d6["div_distinct_1"]))
    assert line.split(" | ")[5] == fmt(float(mix_d3["div_distinct_1"]))
    assert f"| MAUVE | {fmt(float(rows['Gen-D0', '0', '']['shift_embedding_mauve']))} |" in card
    assert "the run's real training set (40 records)" in card
    assert card.count("measured by the run (datasets.csv)") == 6


def test_run_folder_seed_choice(run_folder, tmp_path, capsys):
    out = tmp_path / "hf"
    export_hf(run_folder, out, "--seed", "1")
    assert read_records(out / "data" / "D3" / "train-00000-of-00001.parquet")[0].id == "generated-D3-1-0"
    assert main(["export", str(run_folder), "--format", "hf", "--out", str(tmp_path / "x"), "--seed", "7"]) == 2
    assert capsys.readouterr().err.strip() == "error: --seed: the run has no seed 7; it has 0, 1"
    assert not (tmp_path / "x").exists()


def test_run_set_without_metrics_is_measured_here(run_folder, tmp_path):
    table = run_folder / "datasets.csv"
    with open(table, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    keep = [c for c in rows[0] if not c.startswith(("div_", "shift_"))]
    with open(table, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=keep, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "hf"
    export_hf(run_folder, out)
    card = (out / "README.md").read_text(encoding="utf-8")
    assert card.count("computed by synthdiv export (datasets.csv has no metrics for it)") == 6
    assert "| metric | D0 (n=40 records) |" in card


def test_size_sweep_exports_each_level_once(tmp_path):
    from report_run_factory import build_run_dir

    run = build_run_dir(tmp_path / "sweep", ratios=(0.0, 0.5, 1.0), sizes=(20, 40), models=("gpt2",), train_logs=False, seeds=(0,))
    out = tmp_path / "hf"
    export_hf(run, out)
    assert sorted(p.name for p in (out / "data").iterdir()) == sorted(
        ["D0", "D3", "D6", "D0-50pct-n20", "D3-50pct-n20", "D6-50pct-n20", "D0-50pct-n40", "D3-50pct-n40", "D6-50pct-n40"])
