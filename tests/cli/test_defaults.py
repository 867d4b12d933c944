"""A setting's default is written once: every `generate` and `train` option that is also a spec
key has the spec's default, except the differences listed here on purpose."""

from __future__ import annotations

import typer.main

from synthdiv.cli.main import app
from synthdiv.experiments.spec import GenerationSpec, TrainingSpec
from synthdiv.training.config import TrainConfig

# option -> why the command and the spec differ
INTENDED = {
    ("generate", "n"): "the command asks for --n; a sweep generates 100 per level",
    ("generate", "topics"): "the command generates a pool when none is given; a spec uses the paper's A.4 list",
}


def _differences(command: str, spec) -> dict:
    cmd = typer.main.get_command(app).commands[command]
    fields = spec.model_fields
    return {(command, p.name): (p.default, fields[p.name].get_default(call_default_factory=True))
            for p in cmd.params if p.name in fields and p.default != fields[p.name].get_default(call_default_factory=True)}


def test_generate_and_train_options_share_the_spec_defaults():
    found = {**_differences("generate", GenerationSpec), **_differences("train", TrainingSpec)}
    assert set(found) == set(INTENDED), {k: v for k, v in found.items() if k not in INTENDED}


def test_the_train_options_share_the_recipe_defaults():
    cmd = typer.main.get_command(app).commands["train"]
    recipe = {f: getattr(TrainConfig, f) for f in TrainConfig.__dataclass_fields__ if hasattr(TrainConfig, f)}
    wrong = {p.name: (p.default, recipe[p.name]) for p in cmd.params if p.name in recipe and p.default not in (None, recipe[p.name])}
    assert wrong == {}
