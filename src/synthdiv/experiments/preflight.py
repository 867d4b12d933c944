"""Checks the whole graph before any expensive stage starts.

Files exist, models resolve (offline: a registry name, a local folder or the
Hugging Face cache), API backends answer, and every mix can be drawn from the
records there will be. The real-data stage is cheap, so it runs here: its counts
decide whether each ratio can be satisfied. Each problem is a one-line UserError.
"""

from __future__ import annotations

from pathlib import Path

from synthdiv.data.corpus import SOURCES as CORPUS_SOURCES
from synthdiv.errors import UserError
from synthdiv.experiments.graph import Graph
from synthdiv.experiments.spec import ExperimentSpec
from synthdiv.experiments.stages import execute
from synthdiv.experiments.store import Store
from synthdiv.mixing.mix import planned_counts
from synthdiv.models.checks import check_model


def check_backend(spec: ExperimentSpec) -> None:
    """The generator's own preflight (its backend class declares it: the model resolves, the servers answer,
    the package is installed), and the topics file."""
    g = spec.generation  # its backend name is the spec's own check (validate makes it too)
    if g is None:
        return
    from synthdiv.backends import backend_class

    backend_class(g.backend, where="generation.backend").preflight(
        g.model, {"base_url": g.base_url, "api_key_env": g.api_key_env, **g.backend_options})
    if g.topics not in (None, "builtin") and not Path(g.topics).is_file():
        raise UserError(f"topics file {g.topics!r} does not exist; give a file with one topic per line, or 'builtin'",
                        where="generation.topics")


def check_counts(spec: ExperimentSpec, graph: Graph, n_train: int) -> None:
    """Every mix can be drawn: enough real training records and enough generated ones."""
    n_gen = spec.generation.n if spec.generation else 0
    for node in graph.of_kind("mix"):
        p = node.params  # a loop's training sets (kind loop_set) take whatever the generations wrote
        size = p.size if p.size is not None else n_train
        real, gen = planned_counts(p.mode, p.ratio, size)
        where = f"mixing (ratio {p.ratio:g}, size {size}, {p.mode})"
        if real > n_train:
            raise UserError(f"needs {real} real training records but the real data has {n_train}; lower mixing.sizes "
                            "or raise real.n_train", where=where)
        if gen > n_gen:
            raise UserError(f"needs {gen} generated records but generation.n is {n_gen} per level; raise generation.n "
                            "or lower mixing.sizes/ratios", where=where)


def preflight(spec: ExperimentSpec, graph: Graph, store: Store) -> dict:
    """Run the cheap real-data stage and every check; returns the real stage's counts."""
    check_backend(spec)
    for i, model in enumerate(spec.training.models):
        check_model(model, embedder=False, field=f"training.models[{i}]")
    if spec.loop is not None and spec.loop.model not in spec.training.models:
        check_model(str(spec.loop.model), embedder=False, field="loop.model")
    for field, name in (("metrics.embedder", spec.metrics.embedder), ("report.embedder", spec.report.embedder)):
        if name:
            check_model(name, embedder=True, field=field)
    for field, source in (("real.source", spec.real.source), ("real.test_source", spec.real.test_source)):
        if source and source not in CORPUS_SOURCES and not Path(source).exists() and not _looks_like_hub_id(source):
            raise UserError(f"data file {source!r} does not exist", where=field)
    (real,) = graph.of_kind("real")
    from synthdiv.experiments.cluster import ran_on

    counts = execute(real, store, ran_on=ran_on())
    if counts["train"] == 0 or counts["test"] == 0:
        raise UserError(f"the real data gives {counts['train']} training and {counts['test']} test records; both must be "
                        "non-empty", where="real")
    check_counts(spec, graph, counts["train"])
    return counts


def _looks_like_hub_id(source: str) -> bool:
    s = source.removeprefix("hf:")
    return s.count("/") == 1 and not s.startswith((".", "/")) and not Path(s).suffix
