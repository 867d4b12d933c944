"""Adding a strategy takes its module and its registry entry: the command, the spec, the graph and
the runner take it from the registry with no edit of their own (docs/architecture.md)."""

from __future__ import annotations

import pytest

from synthdiv.cli.main import main
from synthdiv.data.records_io import read_records
from synthdiv.experiments.graph import build_graph
from synthdiv.experiments.spec import load_spec
from synthdiv.generation import strategies
from synthdiv.generation.strategies import Strategy


@pytest.fixture
def retell(monkeypatch):
    entry = Strategy(name="retell", task="story_completion", title="retelling", max_tokens=120, level_options=("k",),
                     templates=(), preset="tests.generation.retell_strategy:retell_level",
                     run="tests.generation.retell_strategy:run_retell")
    monkeypatch.setitem(strategies.STRATEGIES, "retell", entry)
    return entry


def test_the_command_runs_a_registered_strategy(retell, tmp_path):
    out = tmp_path / "retold.jsonl"
    code = main(["generate", "--strategy", "retell", "--level", "D1", "--level-option", "k=3", "--n", "4",
                 "--backend", "dummy", "--model", "dummy", "--no-progress", "--out", str(out)])
    assert code == 0
    records = read_records(out)
    assert len(records) == 4 and {r.provenance.strategy for r in records} == {"retell"}
    assert all(len(r.provenance.seed_ids) == 3 and r.provenance.sampling["max_tokens"] == 120 for r in records)


def test_a_spec_and_its_graph_take_a_registered_strategy(retell):
    spec = load_spec("demo", ["generation.strategy=retell", "generation.level_overrides={k: 2}"])
    generate = build_graph(spec).of_kind("generate")
    assert {n.params["strategy"] for n in generate} == {"retell"} and {n.params["max_tokens"] for n in generate} == {120}
