"""A generated topic pool is a stage of its own: shared by levels and sweeps, grown as ``synthdiv topics`` grows it."""

from __future__ import annotations

from synthdiv.cli.main import main
from synthdiv.experiments.graph import build_graph
from synthdiv.experiments.runner import run_experiment
from synthdiv.experiments.spec import load_spec
from synthdiv.experiments.store import Store
from synthdiv.generation.topics import read_topics

GROWN = {"backend": "dummy", "model": "dummy", "levels": ["D0", "D3"], "topics": None, "pool_size": 120, "n": 6}


def _spec(tiny_spec, filename="grown.yaml", **generation):
    return load_spec(tiny_spec(filename, training={"models": []}, mixing={"ratios": [0.0]}, generation={**GROWN, **generation}))


def test_one_pool_stage_serves_every_level_and_every_sweep_that_asks_for_it(tiny_spec):
    graph = build_graph(_spec(tiny_spec))
    [pool] = graph.of_kind("topics")
    gens = graph.of_kind("generate")
    assert [g.params["level"] for g in gens] == ["D0", "D3"] and all(g.deps["topics"] is pool for g in gens)
    assert pool.params["size"] == 120 and pool.params["growth"] == "tree" and pool.params["embedder"] == "minilm-l6"
    assert all(g.params["pool_size"] is None and "pool_growth" not in g.params for g in gens)  # they are the pool's
    other = build_graph(_spec(tiny_spec, "other.yaml", n=9))  # another sweep: other stories, the same pool
    assert other.of_kind("topics")[0].key == pool.key
    assert {g.key for g in other.of_kind("generate")}.isdisjoint(g.key for g in gens)
    # without a pool size each level grows its own |T|; given topics, there is no pool stage
    sized = build_graph(_spec(tiny_spec, "sized.yaml", pool_size=None))
    assert sorted(n.params["size"] for n in sized.of_kind("topics")) == [1, 100]
    assert build_graph(_spec(tiny_spec, "given.yaml", topics="builtin")).of_kind("topics") == []


def test_the_pool_stage_grows_the_pool_synthdiv_topics_grows(tiny_spec, tmp_path, monkeypatch, capsys):
    """Same recipe, same prompts: the stage's topics.txt is the command's pool line for line, and the
    levels draw from it (the response cache answers the command's requests a second time)."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("SYNTHDIV_CACHE", str(cache))
    spec = _spec(tiny_spec)
    result = run_experiment(spec, tmp_path / "run", store=tmp_path / "store")
    pool_node = result.graph.of_kind("topics")[0]
    folder = Store(tmp_path / "store").dir(pool_node)
    stage_pool = (folder / "topics.txt").read_text().splitlines()
    assert stage_pool[0].startswith("# synthdiv topics: 120 topics, dummy dummy, seed 0")
    assert len(stage_pool) == 121 and any(" > " in line for line in stage_pool)
    capsys.readouterr()
    out = tmp_path / "pool.txt"
    assert main(["topics", "--size", "120", "--out", str(out), "--backend", "dummy", "--model", "dummy", "--seed", "0",
                 "--cache-dir", str(cache / "responses")]) == 0
    assert out.read_text().splitlines()[1:] == stage_pool[1:]
    d3 = next(r for r in result.datasets if r["dataset"] == "Gen-D3" and r["role"] == "generated")
    assert d3["records"] == 6
    pool = set(read_topics(folder / "topics.txt"))
    records = [Store(tmp_path / "store").dir(g) / "records.jsonl" for g in result.graph.of_kind("generate")]
    topics = _topics_of(records)
    assert len(topics) == 12 and all(t in pool for t in topics)


def _topics_of(files) -> list[str]:
    import json

    out = []
    for f in files:
        for line in f.read_text().splitlines():
            rec = json.loads(line)
            topic = (rec.get("provenance") or {}).get("topic")
            if topic:
                out.append(topic)
    return out
