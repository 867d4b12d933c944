"""``synthdiv diversity --metrics fluency --reference MODEL [--real FILE]`` and the same in a sweep: datasets.csv,
the ladder, the report and the card, on a tiny saved Llama."""

from __future__ import annotations

import json

from synthdiv.cli.main import main
from synthdiv.data.records_io import write_records


def test_the_command_compares_each_file_with_the_real_set(tmp_path, records_of, tiny_model_dir, capsys):
    real, gen = tmp_path / "real.jsonl", tmp_path / "gen.jsonl"
    write_records(records_of(8), real)
    write_records(records_of(12)[4:], gen)
    assert main(["diversity", str(gen), "--reference", str(tiny_model_dir), "--real", str(real), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    f = rep["fluency"]
    assert f["records"] == 8 and f["loss_ci_low"] <= f["loss"] <= f["loss_ci_high"] and f["words_ci_low"] <= f["words"]
    assert f["real"]["loss"] > 0 and f["vs_real"]["verdict"] in ("differs from real on fluency", "no fluency difference from real found")
    assert 0 < f["vs_real"]["loss_p_value"] <= 1 and "distinct" in rep  # the defaults run beside it
    assert main(["diversity", str(gen), str(real), "--metrics", "fluency", "--reference", str(tiny_model_dir), "--real", str(real)]) == 0
    out = capsys.readouterr().out
    assert "fluency vs real: p (permutation)" in out and "no difference found" in out  # the real file against itself
    assert main(["diversity", str(gen), "--real", str(real)]) == 2
    assert "--real is what fluency is compared with" in capsys.readouterr().err


def test_a_sweep_reports_fluency_beside_the_real_set(tmp_path, tiny_spec, tiny_model_dir):
    import pandas as pd

    from synthdiv.experiments.runner import run_experiment
    from synthdiv.experiments.spec import load_spec
    from synthdiv.reports import write_report

    spec = tiny_spec(training={"models": []}, mixing={"ratios": [0.0]}, metrics={"reference": str(tiny_model_dir)})
    result = run_experiment(load_spec(spec), tmp_path / "run")
    table = pd.read_csv(tmp_path / "run" / "datasets.csv").set_index("dataset")
    assert (table["div_fluency_loss"] > 0).all() and "real" in table.index  # the real set has its own row beside them
    assert set(table.loc[["Gen-D0", "Gen-D3"], "div_fluency_vs_real_verdict"]) <= {"differs from real on fluency",
                                                                                 "no fluency difference from real found"}
    ladder = pd.read_csv(tmp_path / "run" / "ladder.csv")
    assert ladder["fluency"].notna().all() and ladder["fluency_p_vs_real"].between(0, 1).all()
    assert any(v["metric"] == "fluency" for v in result.evidence.ladder)
    page = write_report(tmp_path / "run", map_points=20).read_text()
    assert "fluency loss" in page and "fluency p vs real" in page and "ladder, fluency:" in page
    assert main(["export", str(tmp_path / "run"), "--format", "hf", "--out", str(tmp_path / "hf"), "--embedder", "none"]) == 0
    card = (tmp_path / "hf" / "README.md").read_text(encoding="utf-8")
    assert any(line.startswith("| fluency: mean target-token loss") for line in card.splitlines())
