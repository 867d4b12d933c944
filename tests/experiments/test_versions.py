"""Stage keys of the shipped configs: a key changes only by a deliberate entry in a stage kind's history (experiments/kinds).

A stored stage is reused when its key is unchanged, so these digests say that every shipped config's
warm rerun finds every stage it computed before. A change that alters one on purpose bumps the kind's
version in ``STAGE_HISTORY`` (with why) and updates its digest here.
"""

import hashlib
from importlib.resources import files

import pytest

import synthdiv.configs
from synthdiv.experiments import stages
from synthdiv.experiments.graph import build_graph
from synthdiv.experiments.runner import run_experiment
from synthdiv.experiments.spec import load_spec
from synthdiv.experiments.kinds import STAGE_HISTORY, STAGE_VERSIONS, stored_kind

# config: (stages, digest of their sorted STORED_KIND:KEY)
SHIPPED_KEYS = {
    "architectures": (84, "8486c083be398974"),  # its grown topic pool is a stage (topics v1)
    "collapse-demo": (75, "4e31579738347834"),
    "demo": (25, "51f4641c3f18aa7b"),
    "disentangle": (33, "b6caf1238e6a056e"),
    "generation-ladder": (19, "14f870d61f31ab17"),  # its grown topic pool is a stage (topics v1): and seed_pool, temperature: level, llama.cpp grammar, overdraw 1
    "generation-levels": (11, "7c076b4532f7dde1"),  # its grown topic pool is a stage (topics v1)
    "model-sizes": (116, "f54e37b69499eb03"),  # its grown topic pool is a stage (topics v1)
    "qa-levels": (83, "ab26f594331a0c09"),
    "qa-mixing-fixed": (63, "443fd617daf974a8"),
    "qa-mixing-variable": (115, "c45e818420b1b46f"),
    "qa-sizes": (258, "f1b292ec3f1687c6"),
    "story-levels": (84, "2223ff3da30c005f"),
    "story-levels-rehearsal": (50, "b38008b9ce50a08e"),  # new: §4.2 at full data size with stand-ins (the dummy's topic_words: 2)  # its grown topic pool is a stage (topics v1)
    "story-mixing-fixed": (64, "0bd725d18a981d16"),  # its grown topic pool is a stage (topics v1)
    "story-mixing-variable": (116, "305be2a1d16e1631"),  # its grown topic pool is a stage (topics v1)
    "story-sizes": (259, "545ed90eaa8464a8"),  # its grown topic pool is a stage (topics v1)
    "what-matters": (49, "22484e43e3fc3d2c"),  # new: its own D0/D3/D6 stories through llama.cpp, 128 test records
}


def _digest(spec) -> tuple[int, str]:
    keys = sorted(f"{stored_kind(n.kind)}:{n.key}" for n in build_graph(spec).nodes)
    return len(keys), hashlib.sha256(" ".join(keys).encode()).hexdigest()[:16]


def test_every_shipped_config_is_pinned():
    shipped = sorted(p.name.removesuffix(".yaml") for p in files(synthdiv.configs).iterdir() if p.name.endswith(".yaml"))
    assert shipped == sorted(SHIPPED_KEYS)


@pytest.mark.parametrize("name", sorted(SHIPPED_KEYS))
def test_shipped_config_keys_are_unchanged(name):
    assert _digest(load_spec(name)) == SHIPPED_KEYS[name]


def test_every_stage_kind_has_a_version_and_a_runner():
    assert set(stages.RUNNERS) == set(STAGE_HISTORY)
    assert all(stored_kind(kind) in STAGE_VERSIONS for kind in stages.RUNNERS)
    assert all(history and [v for v, _ in history] == sorted({v for v, _ in history}) for history in STAGE_HISTORY.values())


def test_a_warm_rerun_of_the_demo_graph_computes_nothing(tmp_path, tiny_model_dir, monkeypatch):
    """The demo's own graph (levels, mixes, models), with the dummy backend and a tiny model."""
    spec = load_spec("demo", ["generation.backend=dummy", "generation.model=dummy", f"training.models=[{tiny_model_dir}]",
                              "training.epochs=1", "metrics.embedder=null", "metrics.shift=false"])
    first = run_experiment(spec, tmp_path / "run", store=tmp_path / "store")
    assert first.reused == 1 and {n.kind for n in first.graph.nodes} >= {"real", "generate", "mix", "train", "evaluate"}  # 1: the real stage, which the preflight runs

    def boom(*args, **kwargs):
        raise AssertionError("a finished stage ran again")

    monkeypatch.setattr(stages, "RUNNERS", {k: boom for k in stages.RUNNERS})
    again = run_experiment(spec, tmp_path / "run", store=tmp_path / "store")
    assert again.reused == len(again.graph.nodes) and again.results == first.results


def test_a_generation_setting_checked_in_a_stage_is_named_as_the_spec_key(tmp_path):
    from synthdiv.errors import UserError
    from synthdiv.experiments.context import RunContext
    from synthdiv.experiments.kinds.generate import generation_config

    with pytest.raises(UserError, match=r"generation: backend_options.concurrency: must be at least 1 \(got 0\)$"):
        load_spec("demo", ["generation.backend_options={concurrency: 0}"])  # refused with the spec, before any stage runs
    spec = load_spec("demo", ["generation.backend_options={concurrency: 2}"])
    node = build_graph(spec).of_kind("generate")[0]
    ctx = RunContext(request_mechanics={"backend_options": {"concurrency": 0}})  # a stage's own check names the spec key
    with pytest.raises(UserError, match=r"^generation.backend_options.concurrency: must be at least 1 \(got 0\)$"):
        generation_config(node, tmp_path, {"real": tmp_path}, ctx)
