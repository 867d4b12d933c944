"""Stage keys: equal settings share a stage, a changed setting changes its stage and everything after."""

from synthdiv.experiments.graph import build_graph, fingerprint, generation_mechanics
from synthdiv.experiments.spec import ExperimentSpec


def spec(**over):
    data = {"name": "g", "task": "story_completion", "real": {"n_train": 8, "n_test": 8},
            "generation": {"backend": "dummy", "levels": ["D0", "D3"], "n": 8},
            "mixing": {"ratios": [0.0, 0.5, 1.0]}, "training": {"models": ["m1", "m2"]}}
    for key, value in over.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return ExperimentSpec.model_validate(data)


def keys(graph, kind):
    return {n.name: n.key for n in graph.nodes if n.kind == kind}


def test_sweep_expands_into_shared_stages():
    g = build_graph(spec())
    mixes = [n for n in g.nodes if n.kind == "mix"]
    # ratio 0 is the real set, once (not once per source level); 0.5 and 1 once per level
    assert sorted(n.info["dataset"] for n in mixes) == ["Gen-D0", "Gen-D0 50%", "Gen-D3", "Gen-D3 50%", "real"]
    assert len([n for n in g.nodes if n.kind == "train"]) == 5 * 2
    assert len([n for n in g.nodes if n.kind == "evaluate"]) == 5 * 2 + 2  # + the base models
    assert len([n for n in g.nodes if n.kind == "generate"]) == 2
    position = {n.key: i for i, n in enumerate(g.nodes)}
    assert all(position[d.key] < position[n.key] for n in g.nodes for d in n.deps.values())  # topological


def test_keys_change_exactly_downstream_of_a_changed_setting():
    a, b = build_graph(spec()), build_graph(spec(training={"models": ["m1", "m2"], "epochs": 1}))
    assert keys(a, "generate") == keys(b, "generate") and keys(a, "mix") == keys(b, "mix")
    assert keys(a, "measure") == keys(b, "measure")
    assert not set(keys(a, "train").values()) & set(keys(b, "train").values())
    c = build_graph(spec(generation={"backend": "dummy", "levels": ["D0", "D3"], "n": 9}))
    assert keys(a, "real") == keys(c, "real")
    assert not set(keys(a, "generate").values()) & set(keys(c, "generate").values())
    real_only = [n.key for n in a.nodes if n.kind == "mix" and n.params["ratio"] == 0]
    assert real_only == [n.key for n in c.nodes if n.kind == "mix" and n.params["ratio"] == 0]  # no generated input
    assert build_graph(spec()).to_dict() == a.to_dict()  # deterministic


def test_seeds_repeat_the_sweep_but_share_the_real_data():
    g = build_graph(spec(seeds=[0, 1]))
    assert len(keys(g, "real")) == 1
    assert len([n for n in g.nodes if n.kind == "generate"]) == 4


def test_fingerprint_follows_file_content(tmp_path):
    f = tmp_path / "data.jsonl"
    f.write_text("a\n")
    first = fingerprint(str(f))
    f.write_text("b\n")
    assert fingerprint(str(f)) != first and fingerprint("corpus") == fingerprint("corpus")
    assert fingerprint("owner/name") == {"id": "owner/name"}


def test_the_paper_story_configs_share_their_generated_sets():
    from synthdiv.experiments.spec import load_spec

    def gen_keys(name):
        return {n.params["level"]: n.key for n in build_graph(load_spec(name)).nodes if n.kind == "generate"}

    levels = gen_keys("story-levels")
    for name in ("story-mixing-fixed", "story-mixing-variable", "story-sizes", "architectures", "model-sizes"):
        other = gen_keys(name)
        assert other and all(levels[lv] == key for lv, key in other.items()), name


def test_request_mechanics_are_not_part_of_the_generation_key():
    a = build_graph(spec(generation={"backend": "dummy", "levels": ["D0"], "n": 8, "backend_options": {"concurrency": 4}}))
    b = build_graph(spec(generation={"backend": "dummy", "levels": ["D0"], "n": 8, "backend_options": {"concurrency": 64, "rpm": 10}}))
    c = build_graph(spec(generation={"backend": "dummy", "levels": ["D0"], "n": 8, "backend_options": {"batch_size": 4}}))
    assert keys(a, "generate") == keys(b, "generate") != keys(c, "generate")
    assert generation_mechanics(spec(generation={"backend": "dummy", "levels": ["D0"], "n": 8, "backend_options": {"concurrency": 4}}))[
        "backend_options"] == {"concurrency": 4}  # they reach the stages through the run's context


def test_options_added_later_keep_the_keys_of_their_defaults():
    base = build_graph(spec())
    same = build_graph(spec(training={"models": ["m1", "m2"], "loss_on": "target"}, generation={"overdraw": 1.0}))
    assert keys(base, "train") == keys(same, "train") and keys(base, "generate") == keys(same, "generate")
    assert all("loss_on" not in n.params for n in base.of_kind("train"))
    text = build_graph(spec(training={"models": ["m1", "m2"], "loss_on": "text"}))
    assert keys(text, "generate") == keys(base, "generate")
    assert not set(keys(text, "train").values()) & set(keys(base, "train").values())
    over = build_graph(spec(generation={"overdraw": 2.0}))
    assert not set(keys(over, "generate").values()) & set(keys(base, "generate").values())
