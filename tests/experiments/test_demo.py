"""The demo's wiring end to end, with the dummy backend and a tiny saved model, and its
resumability: a second run reuses every stage and computes nothing again."""

import json

from synthdiv.experiments.demo import DemoConfig, format_table, run_demo


def test_demo_runs_end_to_end_and_reuses_everything(tmp_path, tiny_model_dir, monkeypatch):
    cfg = DemoConfig(out=tmp_path / "run", model=str(tiny_model_dir), backend="dummy", levels=("D0", "D3"),
                     n_generated=8, n_train_real=8, n_test=8, epochs=1, batch_size=4, max_length=256, embedder=None)
    result = run_demo(cfg)
    rows = {r["train_set"]: r for r in result["rows"]}
    assert set(rows) == {"real", "D0", "D3"}
    assert all(r["records"] == 8 for r in rows.values())
    assert all(r["test_loss"] > 0 and r["distinct_5"] is not None for r in rows.values())
    assert rows["real"]["normalised_diversity"] <= 1.0 and max(r["normalised_diversity"] for r in rows.values()) == 1.0
    gen = [json.loads(line) for line in (tmp_path / "run" / "data" / "gen-D0.jsonl").read_text().splitlines()]
    assert all(g["source"] == "generated" and g["provenance"]["level"] == "D0" for g in gen)
    assert "base model (no fine-tuning) test loss" in format_table(result["rows"])
    assert (tmp_path / "run" / "results.csv").exists()

    # a second run computes nothing: every stage's output is already there
    import synthdiv.training.recipe as recipe
    import synthdiv.generation.runner as runner

    def boom(*args, **kwargs):
        raise AssertionError("a finished stage ran again")

    monkeypatch.setattr(recipe, "train", boom)
    monkeypatch.setattr(runner, "run_generation", boom)
    again = run_demo(cfg)
    assert again["rows"] == result["rows"]
