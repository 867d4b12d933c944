"""``synthdiv diversity --metrics gradient --proxy MODEL``: the command, its size-matched interval, its
mistakes, and the same metric in a sweep (measure stage, datasets.csv, the report) on a tiny saved Llama."""

from __future__ import annotations

import json

import pytest

from synthdiv.cli.main import main
from synthdiv.data.records_io import write_records


@pytest.fixture
def two_files(tmp_path, records_of):
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    write_records(records_of(6), small)
    write_records(records_of(10), large)
    return small, large


def test_the_command_reports_g_vendi_with_a_matched_interval(two_files, tiny_model_dir, capsys):
    small, large = two_files
    args = ["diversity", str(small), str(large), "--proxy", str(tiny_model_dir), "--gradient-dim", "32", "--match-size",
            "--match-draws", "20", "--json"]
    assert main(args) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    for rep in files:
        g = rep["gradient"]
        assert 1.0 <= g["vendi_score"] <= rep["samples"] and g["dim"] == 32 and g["params"] == "lora"
        m = g["matched"]
        assert m["size"] == 3 and m["draws"] == 20 and m["ci_low"] <= m["vendi_score"] <= m["ci_high"] <= 3.0
        assert "distinct" in rep  # the defaults run beside it
    assert main(args[:-1]) == 0  # the text view: the cache answers, each number by its label
    out = capsys.readouterr().out
    assert "gradient diversity: G-Vendi" in out and "size-matched G-Vendi" in out and "  95% interval  " in out


def test_gradient_alone_and_its_mistakes(two_files, tiny_model_dir, capsys):
    small, _ = two_files
    assert main(["diversity", str(small), "--metrics", "gradient", "--proxy", str(tiny_model_dir), "--gradient-dim", "8",
                 "--gradient-params", "full", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["gradient"]["params"] == "full" and "distinct" not in rep
    assert main(["diversity", str(small), "--metrics", "distinct", "--proxy", str(tiny_model_dir)]) == 2
    assert "--proxy is given but gradient is not among the metrics" in capsys.readouterr().err
    assert main(["diversity", str(small), "--metrics", "gradient", "--gradient-params", "some"]) == 2
    assert "use lora or full" in capsys.readouterr().err


def test_a_sweep_measures_gradient_diversity(tmp_path, tiny_spec, tiny_model_dir):
    import pandas as pd

    from synthdiv.experiments.runner import run_experiment
    from synthdiv.experiments.spec import load_spec
    from synthdiv.reports import write_report

    spec = tiny_spec(training={"models": []}, mixing={"ratios": [0.0]},
                     metrics={"proxy": str(tiny_model_dir), "gradient_dim": 16})
    run_experiment(load_spec(spec), tmp_path / "run")
    table = pd.read_csv(tmp_path / "run" / "datasets.csv")
    assert (table["div_gradient_vendi_score"] >= 1).all()
    assert (table["div_gradient_matched_ci_low"] <= table["div_gradient_matched_vendi_score"]).all()
    assert set(table["div_gradient_proxy"]) == {str(tiny_model_dir)}
    page = write_report(tmp_path / "run", map_points=20).read_text()
    assert "G-Vendi" in page
    assert main(["export", str(tmp_path / "run"), "--format", "hf", "--out", str(tmp_path / "hf"), "--embedder", "none"]) == 0
    card = (tmp_path / "hf" / "README.md").read_text(encoding="utf-8")
    assert any(line.startswith("| gradient diversity: G-Vendi") for line in card.splitlines())


def test_a_spec_without_a_proxy_keeps_its_measure_keys(tiny_spec):
    """The gradient settings are keyed only when set: the stages measured before them keep their keys."""
    from synthdiv.experiments.graph import build_graph
    from synthdiv.experiments.spec import load_spec

    plain = build_graph(load_spec(tiny_spec())).of_kind("measure")
    with_proxy = build_graph(load_spec(tiny_spec("b.yaml", metrics={"proxy": "m"}))).of_kind("measure")
    assert plain and all(not {"proxy", "gradient_params", "gradient_dim"} & set(n.params.key_fields()) for n in plain)
    assert not {n.key for n in plain} & {n.key for n in with_proxy}
