"""The spec's `selection` section: a pool per level, a select stage per entry, trained on like any generated set."""

import hashlib
import json

import pytest

from synthdiv.data.records_io import read_records
from synthdiv.errors import UserError
from synthdiv.experiments import layout, stages
from synthdiv.experiments.graph import build_graph
from synthdiv.experiments.runner import run_experiment
from synthdiv.experiments.spec import load_spec
from synthdiv.experiments.store import Store

SELECTION = {"pool": 12, "sets": [{"strategy": "random"}, {"strategy": "dedup"}]}


def hashed_encoder(texts):
    """A model-free sentence encoder: a bag of words hashed into 32 dimensions."""
    import numpy as np

    out = np.zeros((len(texts), 32), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in text.lower().split():
            out[i, sum(map(ord, word)) % 32] += 1.0
    return out + 1e-3


def selection_spec(tiny_spec, **selection):
    return load_spec(tiny_spec(generation={"levels": ["D0", "D3"]}, mixing={"ratios": [0.0, 1.0]},
                               selection={**SELECTION, **selection}))


def test_select_stages_pick_n_of_the_pool_and_are_trained_on(tmp_path, tiny_spec):
    spec = selection_spec(tiny_spec)
    result = run_experiment(spec, tmp_path / "run", store=tmp_path / "store")
    store = Store(tmp_path / "store")
    selects = result.graph.of_kind("select")
    assert [n.name for n in selects] == [f"select Gen-{lv} {s} (seed 0)" for lv in ("D0", "D3") for s in ("random", "dedup")]
    for node in selects:
        pool_node = node.deps["pool"]
        pool = {r.id for r in read_records(store.dir(pool_node) / "records.jsonl")}
        picked = read_records(store.dir(node) / "records.jsonl")
        assert len(pool) == 12 and len(picked) == 8 and {r.id for r in picked} <= pool
        entry = picked[0].provenance.extra["selection"]
        assert (entry["strategy"], entry["rank"], entry["n"], entry["seed"]) == (node.params["strategy"], 0, 8, 0)
        assert entry["pool"] == f"generate/{pool_node.key}"
        assert [r.provenance.extra["selection"]["rank"] for r in picked] == list(range(8))
        assert json.loads((store.dir(node) / "selection.json").read_text())["pool_size"] == 12
    rows = {r["dataset"]: r for r in result.results}
    assert set(rows) == {"base", "real", "Gen-D0 random", "Gen-D0 dedup", "Gen-D3 random", "Gen-D3 dedup"}
    chosen = rows["Gen-D3 dedup"]
    assert (chosen["role"], chosen["level"], chosen["selection"], chosen["selection_strategy"]) == ("selected", "D3", "dedup", "dedup")
    assert chosen["selection_weight"] is None and chosen["gen_n"] == 12 and chosen["n_generated"] == 8
    assert "selection" not in rows["real"]
    measured = sorted((d["dataset"], d["role"]) for d in result.datasets if d["level"] == "D3")
    # the pool, each selection as selected, and each as the training set drawn from it (a mix, as for any level)
    assert measured == [("Gen-D3 dedup", "mix"), ("Gen-D3 dedup", "selected"), ("Gen-D3 pool", "generated"),
                        ("Gen-D3 random", "mix"), ("Gen-D3 random", "selected")]
    plane = json.loads((tmp_path / "run" / layout.PLANE).read_text())
    (group,) = plane["groups"]
    assert {p["dataset"] for p in group["points"]} == set(rows) - {"base"}
    assert group["shift_metric"] == "shift_ngram_js_2"  # no embedder in the tiny spec: the lexical shift


def test_a_rerun_reuses_every_stage(tmp_path, tiny_spec, monkeypatch):
    spec = selection_spec(tiny_spec)
    first = run_experiment(spec, tmp_path / "run")

    def boom(*args, **kwargs):
        raise AssertionError("a finished stage ran again")

    monkeypatch.setattr(stages, "RUNNERS", {k: boom for k in stages.RUNNERS})
    again = run_experiment(spec, tmp_path / "run")
    assert again.reused == len(again.graph.nodes) and again.results == first.results


def _upstream_of_generation(graph):
    """Nodes that read no generated data: real, the base models, the real-only set and its student."""
    def reads_generated(node):
        return node.kind in ("generate", "select") or any(reads_generated(d) for d in node.deps.values())

    return {n.key: n.name for n in graph.nodes if not reads_generated(n)}


def test_keys_without_selection_are_unchanged(tiny_spec):
    plain = build_graph(load_spec(tiny_spec(mixing={"ratios": [0.0, 1.0]})))
    same_pool = build_graph(load_spec(tiny_spec(mixing={"ratios": [0.0, 1.0]}, selection={"sets": [{"strategy": "random"}]})))
    bigger = build_graph(load_spec(tiny_spec(mixing={"ratios": [0.0, 1.0]}, selection=SELECTION)))
    kept = _upstream_of_generation(plain)
    assert len(kept) == 7  # real, measure real, base, real mix, its measure, train, evaluate
    assert set(kept) <= {n.key for n in same_pool.nodes} and set(kept) <= {n.key for n in bigger.nodes}
    # a pool of generation.n records is the plain generation stage, shared
    gen = {n.key for n in plain.of_kind("generate")}
    assert gen == {n.key for n in same_pool.of_kind("generate")} and not gen & {n.key for n in bigger.of_kind("generate")}


def test_the_demo_keys_are_unchanged():
    keys = sorted(f"{n.kind}:{n.key}" for n in build_graph(load_spec("demo")).nodes)
    # the demo's 25 stages as keyed before selection stages existed: its stored outputs stay reusable
    assert len(keys) == 25 and hashlib.sha256(" ".join(keys).encode()).hexdigest()[:16] == "51f4641c3f18aa7b"


def test_only_the_settings_a_strategy_reads_are_in_its_key(tiny_spec):
    def select_keys(weight):
        sets = [{"strategy": "random", "weight": weight}, {"strategy": "matched-diverse", "weight": weight}]
        spec = load_spec(tiny_spec(metrics={"embedder": "minilm-l6"}, selection={"sets": sets}))
        return {n.params["strategy"]: n.key for n in build_graph(spec).of_kind("select") if n.info["level"] == "D0"}

    a, b = select_keys(0.5), select_keys(0.25)
    assert a["random"] == b["random"] and a["matched-diverse"] != b["matched-diverse"]


def test_matched_selection_runs_against_the_real_set(tmp_path, tiny_spec, monkeypatch):
    """matched-diverse on a dummy pool, with a model-free encoder in place of MiniLM."""
    monkeypatch.setattr("synthdiv.metrics.embed_cache._default_encoder", lambda model, batch_size: hashed_encoder)
    spec = load_spec(tiny_spec(generation={"levels": ["D3"]}, metrics={"embedder": "minilm-l6"},
                               selection={"pool": 12, "sets": [{"strategy": "matched-diverse", "weight": 0.5}]}))
    graph, store = build_graph(spec), Store(tmp_path / "store")
    (node,) = graph.of_kind("select")
    assert set(node.deps) == {"pool", "real"} and node.params["weight"] == 0.5
    for dep in (node.deps["real"], node.deps["pool"]):
        stages.execute(dep, store)
    summary = stages.execute(node, store)
    picked = read_records(store.dir(node) / "records.jsonl")
    assert summary["selected"] == 8 and summary["eligible"] == 8 + 2  # N + round(0.5 * (12 - 8))
    entry = picked[0].provenance.extra["selection"]
    assert entry["weight"] == 0.5 and isinstance(entry["log_density_ratio"], float) and entry["score"] is None


@pytest.mark.parametrize("selection, message", [
    ({"pool": 4, "sets": [{"strategy": "random"}]}, "selection.pool (4) is smaller than generation.n (8)"),
    ({"sets": [{"strategy": "matched"}]}, "selection: matched needs the embeddings of metrics.embedder, which is null"),
    ({"sets": [{"strategy": "random"}, {"strategy": "random", "seed": 1}]}, "selection.sets.1.seed: unknown key"),
    ({"sets": [{"strategy": "random"}, {"strategy": "random"}]}, "random is listed twice"),
    ({"sets": []}, "selection.sets: List should have at least 1 item"),
    ({"sets": [{"strategy": "matched-diverse", "weight": 2}]}, "the weight must be in [0, 1]"),
])
def test_selection_mistakes_are_one_line(tiny_spec, selection, message):
    with pytest.raises(UserError) as info:
        load_spec(tiny_spec(selection=selection))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_the_spec_entries_take_their_defaults_from_selection_settings():
    import dataclasses

    from synthdiv.experiments.spec import SelectionSetSpec
    from synthdiv.selection.settings import DEFAULTS

    entry = SelectionSetSpec(strategy="random")
    shared = {f.name for f in dataclasses.fields(DEFAULTS)} - {"seed", "embedder"}
    assert set(entry.model_dump()) == shared | {"strategy"}
    assert entry.settings(3, "mpnet-base") == dataclasses.replace(DEFAULTS, seed=3, embedder="mpnet-base")
    assert entry.settings(0, None).embedder == DEFAULTS.embedder
