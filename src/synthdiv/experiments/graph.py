"""A spec expands into a graph of stages: real → generate → measure → mix → train → evaluate.

Each :class:`Node` is one stage run. Its key hashes its kind, its settings and the
keys of the stages it reads, so the key changes exactly when its output would:
a rerun finds finished stages by key and skips them, and two experiments (or two
points of one sweep) that need the same stage share one output. ``info`` holds
labels for the results table; it is not part of the key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthdiv.experiments.spec import ExperimentSpec
from synthdiv.training.config import TrainConfig

# Bump a kind's version when its code changes what it writes: old outputs are then not reused.
STAGE_VERSIONS = {"real": 1, "generate": 1, "measure": 1, "mix": 1, "train": 1, "evaluate": 1}
DATA_FILE = {"real": "train.jsonl", "generate": "records.jsonl", "mix": "records.jsonl"}
# Backend options that change how requests are sent, never what comes back: not part of a stage key.
RUN_MECHANICS = ("concurrency", "rpm", "tpm", "timeout", "max_retries")


@dataclass(eq=False)
class Node:
    kind: str
    name: str
    params: dict[str, Any]
    deps: dict[str, Node] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, float] = field(default_factory=lambda: {"cpus": 1, "gpus": 0})

    @property
    def key(self) -> str:
        payload = {
            "kind": self.kind,
            "version": STAGE_VERSIONS[self.kind],
            "params": self.params,
            "deps": {role: dep.key for role, dep in sorted(self.deps.items())},
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "key": self.key, "name": self.name, "params": self.params,
            "deps": {role: dep.key for role, dep in self.deps.items()}, "info": self.info, "resources": self.resources,
        }


@dataclass
class Graph:
    nodes: list[Node]  # in a topological order: every node after the nodes it reads

    def of_kind(self, kind: str) -> list[Node]:
        return [n for n in self.nodes if n.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        return {"nodes": [n.to_dict() for n in self.nodes]}


class _Builder:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}

    def add(self, node: Node) -> Node:
        """The node, or the equal one already in the graph (same key: shared stage)."""
        return self.nodes.setdefault(node.key, node)


def fingerprint(source: str | None) -> dict[str, Any] | None:
    """What identifies a data source's content: a hash of its bytes for files and folders, the name otherwise."""
    if source is None:
        return None
    if source == "corpus":
        from synthdiv.data.corpus import CORPUS_NAME

        return {"corpus": CORPUS_NAME}
    path = Path(source)
    if not path.exists():
        return {"id": source}  # a hub id: its revision is the hub's business
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        digest.update(str(f.relative_to(path) if f != path else f.name).encode())
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return {"path": str(path.resolve()), "sha256": digest.hexdigest()}


def level_label(level: str) -> str:
    return f"Gen-{level}"


def mix_label(mode: str, ratio: float, level: str | None, size: int | None) -> str:
    if ratio == 0:
        base = "real"
    elif ratio == 1 and mode == "fixed":
        base = level_label(level or "")
    else:
        base = f"{level_label(level or '')} {round(ratio * 100, 1):g}%"
    return base if size is None else f"{base} (n={size})"


def build_graph(spec: ExperimentSpec) -> Graph:
    b = _Builder()
    rs = spec.real
    real = b.add(Node("real", "real data", {
        "task": spec.task, "source": fingerprint(rs.source), "source_name": rs.source, "format": rs.format,
        "columns": rs.columns, "test_source": fingerprint(rs.test_source), "test_fraction": rs.test_fraction,
        "per_group": rs.per_group, "n_train": rs.n_train, "n_test": rs.n_test, "seed": rs.seed,
    }, info={"dataset": "real", "role": "real", "level": ""}))
    measure_cfg = spec.metrics.model_dump()
    b.add(Node("measure", "measure real", {**measure_cfg, "shift": False, "seed": rs.seed}, {"data": real},
               info={"dataset": "real", "role": "real", "level": "", "seed": rs.seed}))
    for seed in spec.seeds:
        gens = {}
        if spec.generation is not None:
            for level in spec.generation.levels:
                mechanics = {k: v for k, v in spec.generation.backend_options.items() if k in RUN_MECHANICS}
                gen = b.add(Node("generate", f"generate {level_label(level)} (seed {seed})",
                                 _generation_params(spec, level, seed), {"real": real},
                                 info={"dataset": level_label(level), "role": "generated", "level": level, "seed": seed,
                                       "backend_mechanics": mechanics}))
                gens[level] = gen
                b.add(Node("measure", f"measure {level_label(level)} (seed {seed})", {**measure_cfg, "seed": seed},
                           {"data": gen, "reference": real}, info=dict(gen.info)))
        for model in spec.training.models:
            if spec.training.evaluate_base:
                b.add(Node("evaluate", f"evaluate {model} without fine-tuning", _eval_params(spec, model), {"test": real},
                           info={"dataset": "base", "role": "base", "level": "", "model": model, "seed": seed}))
        for size in spec.mixing.sizes:
            for ratio in spec.mixing.ratios:
                for level in (spec.source_levels() if ratio > 0 else [None]):
                    _add_training_set(b, spec, real, gens, level, ratio, size, seed)
    return Graph(list(b.nodes.values()))


def _add_training_set(b: _Builder, spec, real: Node, gens: dict, level, ratio, size, seed) -> None:
    mode = spec.mixing.mode
    label = mix_label(mode, ratio, level, size if len(spec.mixing.sizes) > 1 else None)
    role = "real" if ratio == 0 else ("generated" if ratio == 1 else "mix")
    info = {"dataset": label, "role": role, "level": level or "", "mode": mode, "ratio_asked": ratio,
            "size_asked": size, "seed": seed}
    deps = {"real": real} if level is None else {"real": real, "generated": gens[level]}
    mix = b.add(Node("mix", f"mix {label} (seed {seed})", {"mode": mode, "ratio": ratio, "size": size, "seed": seed}, deps, info=info))
    b.add(Node("measure", f"measure {label} (seed {seed})", {**spec.metrics.model_dump(), "seed": seed},
               {"data": mix, "reference": real}, info=dict(info)))
    for model in spec.training.models:
        tc = spec.training.train_config(model, seed).to_dict()
        for k in TrainConfig.MECHANICS:
            tc.pop(k, None)  # run mechanics: they do not change what is computed
        train = b.add(Node("train", f"train {model} on {label} (seed {seed})", tc, {"data": mix},
                           info={**info, "model": model}, resources={"cpus": 1, "gpus": 1 if _wants_gpu(spec) else 0}))
        b.add(Node("evaluate", f"evaluate {model} on {label} (seed {seed})", _eval_params(spec, model), {"model": train, "test": real},
                   info={**info, "model": model}, resources=dict(train.resources)))


def _wants_gpu(spec: ExperimentSpec) -> bool:
    return spec.training.precision == "bf16"


def _eval_params(spec: ExperimentSpec, model: str) -> dict[str, Any]:
    return {"model": model, "batch_size": spec.evaluation.batch_size,
            "max_length": spec.evaluation.max_length or spec.training.max_length}


def _generation_params(spec: ExperimentSpec, level: str, seed: int) -> dict[str, Any]:
    g = spec.generation
    assert g is not None
    topics = g.topics
    return {
        "task": spec.task, "strategy": g.strategy, "level": level, "n": g.n, "seed": seed,
        "backend": g.backend, "model": g.model, "base_url": g.base_url,
        "topics": topics, "topics_content": fingerprint(topics) if topics not in (None, "builtin") else None,
        "pool_size": g.pool_size, "level_overrides": g.level_overrides, "temperature": g.temperature, "top_p": g.top_p,
        "max_tokens": g.max_tokens or (160 if g.strategy == "topic" else 96), "max_attempts": g.max_attempts,
        # Options that change the text (an adapter, a device's numerics) are in here; names of
        # environment variables may be, their values (keys) never are.
        "backend_options": {k: v for k, v in g.backend_options.items() if k not in RUN_MECHANICS},
    }
