"""The Ray executor on a local Ray instance: same stages, same table as the local executor."""

import math

import pytest

from synthdiv.experiments.runner import run_experiment
from synthdiv.experiments.spec import load_spec

ray = pytest.importorskip("ray", reason="the ray extra is not installed")


def test_ray_executor_runs_the_graph_like_the_local_one(tmp_path, tiny_spec, monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", "")  # a local instance, never a cluster from the environment
    monkeypatch.delenv("RAY_ADDRESS")
    spec = load_spec(tiny_spec(mixing={"ratios": [0.0, 1.0]}, generation={"backend": "dummy", "levels": ["D0", "D3"], "n": 8}))
    local = run_experiment(spec, tmp_path / "local")
    ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True)
    try:
        remote = run_experiment(spec, tmp_path / "ray", store=tmp_path / "ray-stages", executor="ray")
    finally:
        ray.shutdown()
    assert remote.reused == 1  # only the real-data stage, run by the preflight
    assert len(remote.results) == len(local.results) == 4
    by_set = {r["dataset"]: r for r in local.results}
    for r in remote.results:
        assert math.isclose(r["test_loss"], by_set[r["dataset"]]["test_loss"], rel_tol=1e-5)
        assert r.get("div_ngram_diversity_score") == by_set[r["dataset"]].get("div_ngram_diversity_score")
