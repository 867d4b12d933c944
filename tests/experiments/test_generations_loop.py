"""The recursive-training loop (model collapse) in the runner: graph, bookkeeping, resume."""

import csv
import json
import os

import pytest

from synthdiv.data.records_io import read_records
from synthdiv.errors import UserError
from synthdiv.experiments import stages
from synthdiv.experiments.graph import build_graph
from synthdiv.experiments.runner import format_generations, run_experiment
from synthdiv.experiments.spec import load_spec

LOOP = {"count": 2, "n": 6, "level": "D3"}


def test_spec_defaults_and_checks(loop_spec, tiny_spec, tmp_path):
    path = tmp_path / "minimal.yaml"
    path.write_text("name: m\ntask: story_completion\nreal: {n_train: 8}\nloop: {count: 2}\n")
    spec = load_spec(path)
    assert spec.generation.levels == [] and spec.mixing.ratios == [0.0]  # a loop sweeps no levels unless asked
    assert spec.loop.scenarios == ["replace", "accumulate", "accumulate-subsample"]
    assert spec.loop.n == 8 and spec.loop.model == "smollm2-135m-instruct"  # real.n_train, generation.model
    assert spec.loop.level == "D3"
    with pytest.raises(UserError, match="loop.scenarios: a scenario is listed twice"):
        load_spec(loop_spec(scenarios=["replace", "replace"]))
    with pytest.raises(UserError, match="loop.scenarios.0: Input should be 'replace'"):
        load_spec(loop_spec(scenarios=["recycle"]))
    with pytest.raises(UserError, match="loop.cont: unknown key; did you mean 'loop.count'"):
        load_spec(tiny_spec(loop={"cont": 3}))
    with pytest.raises(UserError, match="only the dummy, transformers, vllm backends load"):
        load_spec(tiny_spec(generation={"backend": "openai", "model": "gpt-4o"}, loop=LOOP))
    with pytest.raises(UserError, match="loop.n: give the records generated per generation"):
        load_spec(tiny_spec(real={"n_train": None}, loop={"count": 2}))


def test_the_old_section_name_still_reads_for_one_release(tiny_spec, capsys):
    """`generations:` (the loop's name before 0.2) is read as `loop:`, says so once, and errors name it as written."""
    old = load_spec(tiny_spec(generation={"backend": "dummy", "model": "dummy"}, generations=LOOP))
    assert "warning: the spec section 'generations' is deprecated and goes in synthdiv 0.2; use 'loop'" in capsys.readouterr().err
    new = load_spec(tiny_spec(generation={"backend": "dummy", "model": "dummy"}, loop=LOOP))
    assert old.loop == new.loop and [n.key for n in build_graph(old).nodes] == [n.key for n in build_graph(new).nodes]
    with pytest.raises(UserError, match="generations.cont: unknown key; did you mean 'generations.count'"):
        load_spec(tiny_spec(generations={"cont": 3}))
    with pytest.raises(UserError, match="generations is the old name of loop; give one of them"):
        load_spec(tiny_spec(generations=LOOP, loop=LOOP))


def test_graph_shares_generation_zero_and_the_first_data_across_scenarios(loop_spec):
    graph = build_graph(load_spec(loop_spec(count=3)))
    steps = {(s.scenario, s.generation): s for s in graph.loops}
    assert len(steps) == 3 * 4
    scen = ("replace", "accumulate", "accumulate-subsample")
    assert len({steps[s, 0].train.key for s in scen}) == 1  # generation 0: one run on the real set
    assert len({steps[s, 1].generate.key for s in scen}) == 1  # its model writes generation 1's data once
    assert len({steps[s, 2].generate.key for s in scen}) == 3  # then the students differ
    for s in scen:
        for k in (1, 2, 3):
            assert steps[s, k].generate.deps["generator"] is steps[s, k - 1].train
            assert steps[s, k].generate.params["generation"] == k
    assert set(steps["replace", 3].train_set.deps) == {"real", "gen3"}
    assert set(steps["accumulate", 3].train_set.deps) == {"real", "gen1", "gen2", "gen3"}
    assert steps["accumulate", 3].train_set.deps["gen2"] is steps["accumulate", 2].generate
    # the same prompts every generation: the generation parameters differ only by the generation index
    p1, p3 = (dict(steps["replace", k].generate.params) for k in (1, 3))
    assert p1.pop("generation") == 1 and p3.pop("generation") == 3 and p1 == p3


def test_loop_bookkeeping_end_to_end(tmp_path, loop_spec):
    result = run_experiment(load_spec(loop_spec()), tmp_path / "run")
    rows = {(r["scenario"], r["generation"]): r for r in result.generations}
    assert len(rows) == 9 and [r["role"] for r in result.results] == ["base"]  # loop stages stay out of the sweep's tables
    sizes = {s: [rows[s, k]["train_records"] for k in range(3)] for s in ("replace", "accumulate", "accumulate-subsample")}
    assert sizes == {"replace": [8, 6, 6], "accumulate": [8, 14, 20], "accumulate-subsample": [8, 8, 8]}
    assert rows["replace", 2]["by_generation"] == "2:6" and rows["accumulate", 2]["by_generation"] == "real:8 1:6 2:6"
    assert rows["accumulate", 0].get("new_records") is None and rows["accumulate", 1]["new_records"] == 6
    for r in result.generations:
        assert r["test_loss"] > 0 and r["div_ngram_diversity_score"] > 0 and r["base_test_loss"] > 0
        if r["generation"]:
            assert r["new_div_distinct_1"] > 0 and r["new_shift_ngram_js_1"] > 0 and r["new_len_target_mean"] > 0

    graph = json.loads((tmp_path / "run" / "graph.json").read_text())
    dirs = {n["key"]: n["dir"] for n in graph["nodes"]}
    real_dir = next(n["dir"] for n in graph["nodes"] if n["kind"] == "real")
    real_ids = {r.id for r in read_records(os.path.join(real_dir, "train.jsonl"))}
    test = read_records(os.path.join(real_dir, "test.jsonl"))
    test_ids, test_texts = {r.id for r in test}, {r.target for r in test} | {r.context for r in test}
    new = {}
    for step in graph["loops"]:
        trained = read_records(os.path.join(dirs[step["train_set"]], "records.jsonl"))
        assert not {r.id for r in trained} & test_ids and not {r.target for r in trained} & test_texts
        if "generate" in step:
            gen_dir = dirs[step["generate"]]
            made = read_records(os.path.join(gen_dir, "records.jsonl"))
            assert {r.provenance.generation for r in made} == {step["generation"]}
            assert all(r.id.endswith(f"-g{step['generation']}") for r in made)
            summary = json.loads(open(os.path.join(gen_dir, "summary.json")).read())
            prev = next(s for s in graph["loops"] if s["scenario"] == step["scenario"] and s["generation"] == step["generation"] - 1)
            assert summary["adapter"] == dirs[prev["train"]]  # written by the previous generation's student
            new[step["scenario"], step["generation"]] = {r.id for r in made}
        ids = {r.id for r in trained}
        k, scenario = step["generation"], step["scenario"]
        if k == 0:
            assert ids == real_ids
        elif scenario == "replace":
            assert ids == new[scenario, k]
        elif scenario == "accumulate":
            assert ids == real_ids.union(*(new[scenario, j] for j in range(1, k + 1)))
        else:
            assert ids <= real_ids.union(*(new[scenario, j] for j in range(1, k + 1))) and len(ids) == 8
    # each scenario's students differ from generation 2 on, so their data do
    texts = {s: {r.target for r in read_records(rows[s, 2]["new_path"])} for s in ("replace", "accumulate")}
    assert texts["replace"] != texts["accumulate"]

    table = list(csv.DictReader(open(tmp_path / "run" / "generations.csv")))
    assert len(table) == 9 and {"scenario", "generation", "test_loss", "new_div_distinct_3", "by_generation"} <= set(table[0])
    assert "accumulate-subsample" in format_generations(result.generations)


def test_loop_reruns_nothing_and_shares_with_a_sweep(tmp_path, loop_spec, tiny_model_dir, monkeypatch):
    first = run_experiment(load_spec(loop_spec(scenarios=["replace", "accumulate"])), tmp_path / "run")

    def boom(*args):
        raise AssertionError("a finished stage ran again")

    monkeypatch.setattr(stages, "RUNNERS", {k: boom for k in stages.RUNNERS})
    again = run_experiment(load_spec(loop_spec(scenarios=["replace", "accumulate"])), tmp_path / "run")
    assert again.reused == len(again.graph.nodes)
    assert [r["test_loss"] for r in again.generations] == [r["test_loss"] for r in first.generations]
