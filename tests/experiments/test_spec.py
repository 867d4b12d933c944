"""The experiment spec: shipped configs, schema errors with "did you mean", --set overrides."""

from pathlib import Path

import pytest

from synthdiv.errors import UserError
from synthdiv.experiments.graph import build_graph, generation_mechanics
from synthdiv.experiments.spec import apply_overrides, find_config, load_spec, shipped_configs

REPO_CONFIGS = Path(__file__).resolve().parents[2] / "configs"
PAPER_CONFIGS = {"story-levels", "qa-levels", "story-mixing-fixed", "qa-mixing-fixed", "story-mixing-variable",
                 "qa-mixing-variable", "story-sizes", "qa-sizes", "architectures", "model-sizes", "demo"}


def test_every_paper_experiment_has_a_shipped_config():
    assert PAPER_CONFIGS <= set(shipped_configs())


@pytest.mark.parametrize("name", sorted(shipped_configs()))
def test_every_shipped_config_loads_and_expands(name):
    spec = load_spec(name)
    graph = build_graph(spec)
    kinds = {n.kind for n in graph.nodes}
    assert {"real", "measure", "mix"} <= kinds
    assert ({"train", "evaluate"} <= kinds) == bool(spec.training.models or spec.loop)
    assert bool(graph.loops) == bool(spec.loop)
    assert len({n.key for n in graph.nodes}) == len(graph.nodes)  # each stage once


def test_repository_configs_folder_is_the_shipped_one():
    if not REPO_CONFIGS.exists():
        pytest.skip("not a repository checkout")
    assert sorted(p.name for p in REPO_CONFIGS.glob("*.yaml")) == sorted(p.name for p in shipped_configs().values())


def test_paper_settings_in_shipped_configs():
    levels = load_spec("story-levels")
    assert levels.generation.model == "gpt-4o" and levels.generation.backend == "openai"
    assert levels.generation.temperature == 0.7 and levels.generation.levels == [f"D{i}" for i in range(7)]
    t = levels.training
    assert (t.epochs, t.lr, t.weight_decay, t.lora_r, t.lora_alpha) == (3, 1e-4, 1e-4, 8, 16)
    assert load_spec("qa-levels").real.per_group == 30
    variable = load_spec("story-mixing-variable")
    assert variable.mixing.mode == "variable" and variable.mixing.sources == ["D1", "D3", "D5"]
    assert set(load_spec("architectures").training.models) == {"facebook/opt-1.3b", "meta-llama/Llama-3.2-1B",
                                                                "openai-community/gpt2-xl"}


@pytest.mark.parametrize(
    "yaml_text, expected",
    [
        ("name: x\ntask: story_completion\ntrainng: {}\n", "trainng: unknown key; did you mean 'training'?"),
        ("name: x\ntask: story_completion\ntraining: {epoch: 2}\n", "training.epoch: unknown key; did you mean 'training.epochs'?"),
        ("name: x\ntask: story_completion\ngeneration: {levles: [D1]}\n", "did you mean 'generation.levels'?"),
        ("name: x\ntask: story_completion\ntraining: {epochs: many}\n", "training.epochs: Input should be a valid integer"),
        ("name: x\ntask: story\n", "task: Input should be 'story_completion', 'long_context_qa', 'sft' or 'lm'"),
        ("task: story_completion\n", "name: required, but missing"),
        ("name: x\ntask: story_completion\ntraining: {epochs: 0}\n", "epochs: must be at least 1"),
        ("name: x\ntask: story_completion\nmixing: {ratios: [1.5]}\n", "mixing ratio 1.5 is outside [0, 1]"),
        ("name: x\ntask: story_completion\nmixing: {ratios: [0.5]}\n", "need generated data"),
        ("name: x\ntask: story_completion\ngeneration: {levels: [D1]}\nmixing: {sources: [D3]}\n", "are not among generation.levels"),
        ("name: x\ntask: story_completion\ngeneration: {levels: [D1]}\nmixing: {mode: variable, ratios: [0, 1]}\n",
         "ratio of 1 cannot be reached"),
        ("name: x\ntask: long_context_qa\n", "the embedded corpus holds stories"),
        ("name: x\ntask: story_completion\ngeneration: {levels: [D9]}\n", "generation.levels: unknown level 'D9'"),
        ("name: [unclosed\n", "not valid YAML"),
        ("- a list\n", "a config is a YAML mapping"),
    ],
)
def test_bad_configs_are_one_line_errors_naming_the_file(tmp_path, yaml_text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml_text)
    with pytest.raises(UserError) as err:
        load_spec(path)
    message = str(err.value)
    assert expected in message and str(path) in message and "\n" not in message


def test_set_overrides_any_value_with_yaml_values(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("name: x\ntask: story_completion\ngeneration: {levels: [D0]}\n")
    spec = load_spec(path, ["generation.n=7", "training.models=[a, b]", "mixing.ratios=[0, 0.25, 1]",
                            "metrics.embedder=null", "report.map_points=20", "seeds=[1,2]"])
    assert spec.generation.n == 7 and spec.training.models == ["a", "b"] and spec.mixing.ratios == [0, 0.25, 1]
    assert spec.metrics.embedder is None and spec.report.map_points == 20 and spec.seeds == [1, 2]
    with pytest.raises(UserError, match="did you mean 'generation.n'"):
        load_spec(path, ["generation.nn=7"])
    with pytest.raises(UserError, match="write KEY.PATH=VALUE"):
        load_spec(path, ["generation.n"])
    with pytest.raises(UserError, match="is a value, not a section"):
        apply_overrides({"name": "x"}, ["name.first=1"])


def test_find_config_names_shipped_ones_and_suggests(tmp_path):
    assert find_config("demo").name == "demo.yaml"
    with pytest.raises(UserError, match="did you mean the shipped config 'story-levels'"):
        find_config("story-level")


def test_generation_max_cost_needs_prices_and_stays_out_of_the_stage_keys():
    demo = build_graph(load_spec("demo"))
    capped = build_graph(load_spec("demo", ["generation.max_cost=5", "generation.price_in=1", "generation.price_out=2"]))
    assert [n.key for n in capped.nodes] == [n.key for n in demo.nodes]  # a budget does not change the data
    gen = capped.of_kind("generate")[0]
    mechanics = generation_mechanics(load_spec("demo", ["generation.max_cost=5", "generation.price_in=1", "generation.price_out=2"]))
    assert {k: mechanics[k] for k in ("price_in", "price_out", "max_cost")} == {"price_in": 1.0, "price_out": 2.0, "max_cost": 5.0} \
        and "max_cost" not in str(gen.params)
    with pytest.raises(UserError, match=r"demo.yaml: generation: max_cost: a cap needs prices .*generation.price_in"):
        load_spec("demo", ["generation.max_cost=5"])  # smollm2 on transformers has no built-in price
    load_spec("demo", ["generation.backend=openai", "generation.model=gpt-4o-mini", "generation.max_cost=5"])  # a built-in price
