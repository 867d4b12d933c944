"""A card whose MAUVE and PRDC ran on a subsample (their caps set low here) says so, with the points per side
and the seed, on the card and in the command's output; every record is still exported."""

from __future__ import annotations

import dataclasses

import pyarrow.parquet as pq

from synthdiv.cli.main import main
from synthdiv.export import export
from synthdiv.export.panels import fmt
from synthdiv.export.settings import ExportSettings
from synthdiv.metrics import registry
from synthdiv.metrics.shift import shift_report
from synthdiv.metrics.texts import load_texts
from tests.metrics.test_shift_warnings import letter_counts  # a stand-in embedder: letter counts, no model


def given_embeddings(monkeypatch):
    monkeypatch.setattr("synthdiv.metrics.embed_cache._default_encoder", lambda model, batch_size: letter_counts)


def cap(monkeypatch, **caps: int) -> None:
    """The registry's own caps lowered (the default every command reads)."""
    for name, points in caps.items():
        monkeypatch.setitem(registry.METRICS, name, dataclasses.replace(registry.METRICS[name], max_samples=points))


def test_the_card_and_the_command_state_the_subsample(gen_file, real_file, tmp_path, monkeypatch, capsys):
    given_embeddings(monkeypatch)
    cap(monkeypatch, mauve=6, prdc=8)
    out = tmp_path / "hf"
    assert main(["export", str(gen_file), "--format", "hf", "--out", str(out), "--real", str(real_file)]) == 0
    sentence = ("PRDC on 8 and MAUVE on 6 of the 12 records per side: seeded subsamples (numpy seed 7), since their "
                "cost grows with the square of the points")
    assert f"card: default: {sentence}" in capsys.readouterr().out
    card = (out / "README.md").read_text(encoding="utf-8")
    assert f"\ndefault: {sentence}.\n" in card
    assert pq.read_table(out / "data" / "default" / "train-00000-of-00001.parquet").num_rows == 12  # all exported
    # the card's numbers are the metrics stage's on the same subsample (20 real vs 12 generated: compared at 12)
    shift = shift_report(load_texts(real_file), load_texts(gen_file), embedder="minilm-l6")
    assert shift["embedding"]["mauve_samples"] == 6 and shift["embedding"]["subsample_seed"] == 7
    assert f"| MAUVE | {fmt(shift['embedding']['mauve'])} |" in card
    assert f"| coverage (PRDC) | {fmt(shift['embedding']['coverage'])} |" in card


def test_settings_override_the_caps_and_the_summary_says_so(gen_file, real_file, tmp_path, monkeypatch):
    given_embeddings(monkeypatch)
    summary = export(gen_file, "hf", tmp_path / "hf", real=real_file, settings=ExportSettings(shift_caps={"mmd": 5}))
    assert summary["records"] == 12
    assert summary["subsamples"] == {"default": "MMD on 5 of the 12 records per side: seeded subsamples (numpy seed 7), "
                                                "since their cost grows with the square of the points"}


def test_no_sentence_when_every_metric_saw_every_point(gen_file, real_file, tmp_path, monkeypatch, capsys):
    given_embeddings(monkeypatch)
    out = tmp_path / "hf"
    assert main(["export", str(gen_file), "--format", "hf", "--out", str(out), "--real", str(real_file)]) == 0
    assert "card:" not in capsys.readouterr().out
    assert "seeded subsamples" not in (out / "README.md").read_text(encoding="utf-8")
