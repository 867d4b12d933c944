"""Adding a metric is its module and one registry entry: a toy diversity metric and a toy shift metric
(tests/metrics/toy_metric.py), registered here, run in the panels and show up in the command's text,
the report's columns and the dataset card, by the labels and directions they declare."""

from __future__ import annotations

import json

import pytest
from toy_metric import TOY_DIVERSITY, TOY_SHIFT, mean_chars

from synthdiv.cli.main import main
from synthdiv.data.records_io import write_records
from synthdiv.metrics import registry
from synthdiv.metrics.panel import diversity_report
from synthdiv.metrics.shift import shift_report
from synthdiv.metrics.texts import load_texts
from synthdiv.reports.metric_columns import describe, known


@pytest.fixture
def toys():
    for metric in (TOY_DIVERSITY, TOY_SHIFT):
        registry.register(metric)
    yield
    for metric in (TOY_DIVERSITY, TOY_SHIFT):
        registry.unregister(metric.name)


@pytest.fixture
def files(tmp_path, story_records):
    real, gen = tmp_path / "real.jsonl", tmp_path / "gen.jsonl"
    write_records(story_records, real)
    write_records(story_records[:10], gen)
    return real, gen


def test_the_panels_run_a_registered_metric(toys, files):
    real, gen = files
    report = diversity_report(load_texts(str(gen)))  # a default metric: computed unless --metrics leaves it out
    assert report["mean_chars"] > 0 and "mean-chars" in report["timings_s"] and "distinct" in report
    assert list(diversity_report(["a b", "c d e"], metrics=["mean-chars"])) == ["file", "task", "samples", "embedder", "embedding",
                                                                                "mean_chars", "timings_s"]
    assert diversity_report(["ab", "abcd"], metrics=["mean-chars"])["mean_chars"] == mean_chars(["ab", "abcd"]) == 3.0
    shift = shift_report(["ab", "abcd"], ["abcdef", "abcdefgh"])
    assert shift["length_gap"] == 4.0


def test_the_command_shows_a_registered_metric_by_its_label(toys, files, capsys):
    real, gen = files
    assert main(["diversity", str(gen)]) == 0
    assert "  mean characters per record: " in capsys.readouterr().out
    assert main(["diversity", str(gen), str(real), "--metrics", "mean-chars"]) == 0
    assert any(line.startswith("mean characters per record ") for line in capsys.readouterr().out.splitlines())
    assert main(["shift", str(real), str(gen)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "length_gap" in line)
    assert "no interval: not resampled" in row and row.endswith("higher = more shifted")
    assert main(["diversity", str(gen), "--json", "--metrics", "mean-chars"]) == 0
    assert json.loads(capsys.readouterr().out)["mean_chars"] > 0


def test_the_report_and_the_card_show_a_registered_metric(toys, files, tmp_path):
    column = next(m for m in known(registry.DIVERSITY) if m.column == "div_mean_chars")
    assert (column.header, column.better) == ("chars", "↑") and describe("shift_length_gap").label == "len gap ↓"
    real, gen = files
    assert main(["export", str(gen), "--format", "hf", "-o", str(tmp_path / "hf"), "--embedder", "none", "--real", str(real)]) == 0
    card = (tmp_path / "hf" / "README.md").read_text(encoding="utf-8")
    assert "| mean characters per record |" in card and "| gap of the mean lengths (characters) |" in card


def test_a_name_is_registered_once(toys):
    with pytest.raises(ValueError, match="registered already"):
        registry.register(TOY_DIVERSITY)
    assert registry.names() == ("distinct", "compression", "self-bleu", "embedding", "gradient", "fluency", "mean-chars")
