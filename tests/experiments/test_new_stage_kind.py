"""Adding a stage kind is its module and one registry line: the count kind (tests/experiments/count_stage.py)
is keyed with its version, stored under its name, run by the executor, read through its data file, given
the resources it declares, and reused on a warm rerun, with no other edit."""

from __future__ import annotations

from dataclasses import replace

import pytest
from count_stage import CountParams

from synthdiv.experiments import kinds, stages
from synthdiv.experiments.executors import run_local
from synthdiv.experiments.graph import Graph, Node, build_graph
from synthdiv.experiments.spec import load_spec
from synthdiv.experiments.store import Store


@pytest.fixture
def count_kind(monkeypatch):
    monkeypatch.setitem(kinds.KINDS, "count", "count_stage")


def _graph(spec, min_words: int) -> Graph:
    graph = build_graph(spec)
    (real,) = graph.of_kind("real")
    generated = graph.of_kind("generate")[0]
    count = Node("count", "count long stories", CountParams(min_words=min_words), {"data": generated})
    count.resources = kinds.stage_kind("count").resources_for(spec)
    wanted = {real.key, generated.key, *(d.key for d in generated.deps.values())}
    return Graph([n for n in graph.nodes if n.key in wanted] + [count])


def test_a_registered_kind_runs_keyed_stored_and_reused(count_kind, tiny_spec, tmp_path, monkeypatch):
    spec = load_spec(tiny_spec(mixing={"ratios": [0.0]}))
    graph = _graph(spec, min_words=3)
    count = graph.nodes[-1]
    assert kinds.key_version("count") == 1 and kinds.stored_kind("count") == "count" and count.resources == {"cpus": 2, "gpus": 0}
    assert _graph(spec, min_words=3).nodes[-1].key == count.key != _graph(spec, min_words=4).nodes[-1].key
    store = Store(tmp_path / "store")
    summaries = run_local(graph, store, log=lambda msg: None)
    assert summaries[count.key]["records"] == 8 and (tmp_path / "store" / "count" / count.key / "kept.txt").exists()
    assert kinds.data_file(count, store.dir(count)).name == "kept.txt"

    def boom(*args, **kwargs):
        raise AssertionError("a finished stage ran again")

    monkeypatch.setattr(stages, "RUNNERS", {k: boom for k in stages.RUNNERS})
    monkeypatch.setattr("count_stage.KIND", replace(kinds.stage_kind("count"), run=boom))
    assert run_local(graph, store, log=lambda msg: None) == summaries
