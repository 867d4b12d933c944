"""The strategy registry: one definition per strategy, read by the runner, the spec, the graph and the CLI."""

from __future__ import annotations

import pytest
import typer.main

from synthdiv.cli.main import app, main
from synthdiv.data.records_io import read_records
from synthdiv.errors import UserError
from synthdiv.experiments.graph import build_graph
from synthdiv.experiments.spec import load_spec
from synthdiv.generation.levels import ParaphraseLevel, TopicLevel
from synthdiv.generation.strategies import STRATEGIES, get_strategy, strategy_for


def test_each_task_has_its_strategy_and_each_strategy_its_level_preset():
    assert strategy_for("story_completion").name == "topic" and strategy_for("long_context_qa").name == "paraphrase"
    assert get_strategy("topic").level("D3") == TopicLevel("D3", 100)
    assert get_strategy("paraphrase").level("D0", {"m": 4}) == ParaphraseLevel("D0", 0.9, m=4)


def test_a_field_the_strategy_does_not_have_is_refused_where_it_was_set():
    with pytest.raises(UserError, match=r"^--level-option: topic levels have no m; set topic_set_size, k, seed_pool, temperature$"):
        get_strategy("topic").level("D3", {"m": 4}, where="--level-option")
    with pytest.raises(UserError, match="strategy 'paraphrase' generates long_context_qa data, not story_completion"):
        get_strategy("paraphrase", "story_completion")
    with pytest.raises(UserError, match="did you mean 'topic'"):
        get_strategy("topics")


def test_the_default_answer_budget_is_the_strategys_everywhere():
    graph = build_graph(load_spec("demo"))
    assert {n.params["max_tokens"] for n in graph.of_kind("generate")} == {STRATEGIES["topic"].max_tokens}
    with pytest.raises(UserError, match="unknown strategy 'topics'; did you mean 'topic'"):
        load_spec("demo", ["generation.strategy=topics"])
    generate = typer.main.get_command(app).commands["generate"]
    help_text = next(p.help for p in generate.params if p.name == "max_tokens")
    assert all(f"{s.max_tokens} {s.name}" in help_text for s in STRATEGIES.values())


def test_the_spec_refuses_a_level_override_the_strategy_does_not_have():
    with pytest.raises(UserError, match="generation.level_overrides: topic levels have no replace_share"):
        load_spec("demo", ["generation.level_overrides={replace_share: 0.5}"])


def test_level_option_sets_any_level_field(tmp_path, capsys):
    out = tmp_path / "gen.jsonl"
    args = ["generate", "--backend", "dummy", "--model", "dummy", "--topics", "builtin", "--no-progress", "--n", "3",
            "--level", "D1", "--level-option", "k=2", "--level-option", "topic_set_size=2"]
    assert main([*args, "--out", str(out)]) == 0
    params = {tuple(sorted(r.provenance.extra["level_params"].items())) for r in read_records(out)}
    assert params == {(("k", 2), ("name", "D1"), ("topic_set_size", 2))}
    capsys.readouterr()
    assert main([*args, "--level-option", "m=3", "--out", str(tmp_path / "bad.jsonl")]) == 2
    assert "--level-option: topic levels have no m" in capsys.readouterr().err
    assert not (tmp_path / "bad.jsonl").exists()
