"""The one generation config: the command line, the spec and a sweep's stage are derived from it, its key is what
changes the text, and each setting's check is made once, with one wording, wherever the setting is given."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from synthdiv.errors import UserError
from synthdiv.experiments.context import RunContext
from synthdiv.experiments.graph import build_graph, generation_mechanics
from synthdiv.experiments.kinds.generate import generation_config as stage_config
from synthdiv.experiments.spec import GenerationSpec, load_spec
from synthdiv.generation.config import SETTINGS, GenerationConfig, generation_config
from synthdiv.generation.strategies import STRATEGIES

STORY = {"task": "story_completion", "strategy": "topic", "level": "D3", "n": 4}


def test_every_setting_is_a_field_of_the_config_and_the_spec_takes_its_default():
    fields = {f.name: f for f in dataclasses.fields(GenerationConfig)}
    assert set(SETTINGS) <= set(fields)
    spec = GenerationSpec()
    in_spec = [name for name in SETTINGS if fields[name].metadata.get("in_spec", True)]
    assert {"temperature", "top_p", "max_tokens", "overdraw", "backend", "max_cost"} <= set(in_spec)
    for name in in_spec:
        assert getattr(spec, name) == fields[name].default == SETTINGS[name].default, name
    assert not {"cache", "cache_dir", "rejects", "prompts_dir"} & set(GenerationSpec.model_fields)  # one run's paths


def test_a_sweeps_stage_holds_its_levels_config_and_is_keyed_by_its_computation():
    spec = load_spec("demo")
    node = build_graph(spec).of_kind("generate")[0]
    config = spec.generation.config(spec.task, node.info["level"], 0)
    assert node.params.config == config
    assert node.params.key_fields() == {**config.computation(), "topics_content": None}
    assert node.params["temperature"] == 0.7 and node.params["max_tokens"] == STRATEGIES["topic"].max_tokens  # resolved


def test_the_run_mechanics_marked_at_their_fields_change_no_key():
    base = GenerationConfig(**STORY, backend="openai", model="gpt-4o-mini")
    mechanics = dataclasses.replace(base, api_key_env="OTHER_KEY", price_in=1.0, price_out=2.0, max_cost=5.0, cache=False,
                                    cache_dir=Path("c"), out=Path("o.jsonl"), progress=False,
                                    backend_options={"concurrency": 3, "timeout": 9.0}, base_url=["http://a/v1", "http://b/v1"])
    assert mechanics.computation() == base.computation()
    for changed in ({"temperature": 0.9}, {"backend_options": {"adapter": "lora"}}, {"base_url": "http://a/v1"}, {"n": 5}):
        assert dataclasses.replace(base, **changed).computation() != base.computation(), changed
    assert "overdraw" not in base.computation() and dataclasses.replace(base, overdraw=2.0).computation()["overdraw"] == 2.0


def test_the_spec_key_for_the_api_key_variable_reaches_the_stages_backend(tmp_path):
    spec = load_spec("demo", ["generation.backend=openai", "generation.model=m", "generation.base_url=http://localhost:1/v1",
                              "generation.api_key_env=MY_SERVER_KEY"])
    node = build_graph(spec).of_kind("generate")[0]
    ctx = RunContext(request_mechanics=generation_mechanics(spec))
    cfg = stage_config(node, tmp_path, {"real": tmp_path}, ctx)
    assert cfg.backend_kwargs()["api_key_env"] == "MY_SERVER_KEY" and cfg.out == tmp_path / "records.jsonl"
    plain = build_graph(load_spec("demo", ["generation.backend=openai", "generation.model=m",
                                           "generation.base_url=http://localhost:1/v1"])).of_kind("generate")[0]
    assert plain.key == node.key  # the variable's name is how the key is read, not what is written


@pytest.mark.parametrize(("name", "value", "says"), [
    ("temperature", -1.0, "temperature: must be a finite number, 0 or more (got -1.0)"),
    ("top_p", 1.5, "top_p: must be in (0, 1] (got 1.5)"),
    ("max_attempts", 0, "max_attempts: must be at least 1 (got 0)"),
    ("overdraw", 11.0, "overdraw: must be between 1 and 10 (got 11.0)"),
])
def test_one_check_one_wording_for_the_config_the_api_and_the_spec(name, value, says):
    with pytest.raises(UserError) as config_error:
        GenerationConfig(**STORY, **{name: value})
    with pytest.raises(UserError) as built_error:
        generation_config(n=4, **{name: value})
    with pytest.raises(UserError) as spec_error:
        load_spec("demo", [f"generation.{name}={value}"])
    assert config_error.value.for_key() == built_error.value.for_key() == says
    assert str(spec_error.value).endswith(f"generation: {says}")


@pytest.mark.parametrize(("name", "value", "says"), [
    ("dtype", "bf16", "dtype: unknown dtype 'bf16'; did you mean 'bfloat16'? use one of float32, bfloat16, float16"),
    ("constraint_mode", "gramar", "constraint_mode: unknown constraint mode 'gramar'; did you mean 'grammar'? use one of "
                                  "json_schema, grammar"),
    ("gpu_memory_utilization", 1.5, "gpu_memory_utilization: must lie in (0, 1] (got 1.5)"),
    ("n_ctx", 0, "n_ctx: must be at least 1 (got 0)"),
    ("max_model_len", 0, "max_model_len: must be at least 1 (got 0)"),
])
def test_a_backends_own_option_is_checked_once_for_the_api_and_the_spec(name, value, says):
    with pytest.raises(UserError) as built_error:
        generation_config(n=4, **{name: value})
    with pytest.raises(UserError) as spec_error:
        load_spec("demo", [f"generation.backend_options.{name}={value}"])
    assert built_error.value.for_key() == says
    assert str(spec_error.value).endswith(f"generation: backend_options.{says}")


def test_every_backend_option_the_command_line_takes_reaches_its_backend():
    """``--set NAME=VALUE`` (and the API's keyword) for each backend's own options: the backend is built with it."""
    from synthdiv.backends import get_backend

    given = {"transformers": {"dtype": "bfloat16", "batch_size": 4, "device": "cpu"},
             "openai": {"constraint_mode": "grammar", "concurrency": 2},
             "dummy": {}}
    for backend, options in given.items():
        cfg = generation_config(n=4, backend=backend, model="m", base_url="http://localhost:1/v1", **options)
        built = get_backend(cfg.backend, model=cfg.model, **cfg.backend_kwargs())
        for name, value in options.items():
            assert getattr(built, name) == value, (backend, name)
    cfg = generation_config(n=4, backend="vllm", gpu_memory_utilization=0.5, max_model_len=2048)
    assert cfg.backend_options == {"gpu_memory_utilization": 0.5, "max_model_len": 2048}
    cfg = generation_config(n=4, backend="llamacpp", n_ctx=2048, n_threads=2)
    assert cfg.backend_options == {"n_ctx": 2048, "n_threads": 2}
