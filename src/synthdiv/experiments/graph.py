"""A spec expands into a graph of stages: real → generate → measure → mix → train → evaluate
(with a ``selection`` section: generate a pool → select → measure → mix …).

Each :class:`Node` is one stage run. Its key hashes its kind, its settings and the
keys of the stages it reads, so the key changes exactly when its output would:
a rerun finds finished stages by key and skips them, and two experiments (or two
points of one sweep) that need the same stage share one output. ``info`` holds
labels for the results table; it is not part of the key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from synthdiv.backends import run_mechanics
from synthdiv.data.inputs import AUTO_FORMAT, KEYED_AUTO_FORMAT
from synthdiv.experiments.layout import SELECTION_LABELS, level_label, mix_label
from synthdiv.experiments.kinds import key_version, stage_kind, stored_kind
from synthdiv.experiments.kinds.evaluate import EvaluateParams
from synthdiv.experiments.kinds.generate import GenerateParams
from synthdiv.experiments.kinds.loop_set import LoopSetParams
from synthdiv.experiments.kinds.measure import MeasureParams
from synthdiv.experiments.kinds.mix import MixParams
from synthdiv.experiments.kinds.real import RealParams
from synthdiv.experiments.kinds.select import SelectParams
from synthdiv.experiments.kinds.topics import TopicsParams
from synthdiv.experiments.kinds.train import TrainParams
from synthdiv.experiments.params import StageParams
from synthdiv.experiments.spec import ExperimentSpec
from synthdiv.generation.strategies import STRATEGIES
from synthdiv.generation.topic_tree import PoolRecipe
from synthdiv.mixing.generations import drawn_generations, subsample_size
from synthdiv.selection.settings import NEEDS_REAL

# The SelectionSettings each strategy reads (besides its seed): only these are in a select stage's
# key, so a random selection is shared by specs that differ in, say, the matched-diverse weight.
_MATCHING = ("embedder", "classifier_c", "classifier_max_rows", "max_abs_logit")
SELECTION_READS = {
    "random": (), "dedup": ("shingle_words", "near_duplicate_jaccard", "minhash_permutations", "lsh_miss_probability"),
    "diverse": ("embedder",), "matched": _MATCHING, "matched-diverse": (*_MATCHING, "weight"),
}


@dataclass(eq=False)
class Node:
    kind: str
    name: str
    params: StageParams  # the kind's typed parameters (experiments.params); the key hashes their key fields
    deps: dict[str, Node] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, float] = field(default_factory=lambda: {"cpus": 1, "gpus": 0})

    @property
    def key(self) -> str:
        payload = {
            "kind": stored_kind(self.kind),
            "version": key_version(self.kind),
            "params": self.params.key_fields(),
            "deps": {role: dep.key for role, dep in sorted(self.deps.items())},
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "key": self.key, "name": self.name, "params": self.params.key_fields(),
            "deps": {role: dep.key for role, dep in self.deps.items()}, "info": self.info, "resources": self.resources,
        }


@dataclass
class LoopStep:
    """One generation of one scenario of a recursive-training loop (nodes may be shared:
    generation 0 by every scenario, generation 1's data by every scenario)."""

    scenario: str
    seed: int
    generation: int
    train_set: Node  # the loop_set node: what generation k trains on
    measure_set: Node
    train: Node
    evaluate: Node
    generate: Node | None = None  # the data new at generation k (None at generation 0: the real set)
    measure_new: Node | None = None
    base: Node | None = None  # the student evaluated without fine-tuning

    def to_dict(self) -> dict[str, Any]:
        nodes = {k: getattr(self, k) for k in ("train_set", "measure_set", "train", "evaluate", "generate", "measure_new", "base")}
        return {"scenario": self.scenario, "seed": self.seed, "generation": self.generation,
                **{k: n.key for k, n in nodes.items() if n is not None}}


@dataclass
class Graph:
    nodes: list[Node]  # in a topological order: every node after the nodes it reads
    loops: list[LoopStep] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Node]:
        return [n for n in self.nodes if n.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"nodes": [n.to_dict() for n in self.nodes]}
        if self.loops:
            out["loops"] = [step.to_dict() for step in self.loops]
        return out


class _Builder:
    def __init__(self, spec: ExperimentSpec) -> None:
        self.spec = spec
        self.nodes: dict[str, Node] = {}

    def add(self, node: Node) -> Node:
        """The node, or the equal one already in the graph (same key: shared stage), asking for what its kind
        declares it needs (experiments.kinds: train and evaluate stages the training's processes and GPUs)."""
        node.resources = stage_kind(node.kind).resources_for(self.spec)
        return self.nodes.setdefault(node.key, node)


def fingerprint(source: str | None) -> dict[str, Any] | None:
    """What identifies a data source's content: a hash of its bytes for files and folders, the name otherwise."""
    if source is None:
        return None
    from synthdiv.data.corpus import SOURCES

    if source in SOURCES:  # its split's test_fraction and seed are keyed beside it
        return {"corpus": SOURCES[source]}
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


def build_graph(spec: ExperimentSpec) -> Graph:
    b = _Builder(spec)
    rs = spec.real
    real = b.add(Node("real", "real data", RealParams(
        task=spec.task, source=fingerprint(rs.source), source_name=rs.source, format=KEYED_AUTO_FORMAT if rs.format == AUTO_FORMAT else rs.format,
        columns=rs.columns, test_source=fingerprint(rs.test_source), test_fraction=rs.test_fraction,
        per_group=rs.per_group, n_train=rs.n_train, n_test=rs.n_test, seed=rs.seed,
    ), info={"dataset": "real", "role": "real", "level": ""}))
    b.add(Node("measure", "measure real", MeasureParams.of(spec.metrics, rs.seed, shift=False), {"data": real},
               info={"dataset": "real", "role": "real", "level": "", "seed": rs.seed}))
    for seed in spec.seeds:
        gens: dict[str, list[Node]] = {}  # level -> the sets mixes draw from: its generated set, or its selections
        if spec.generation is not None:
            for level in spec.generation.levels:
                name = level_label(level) + (" pool" if spec.selection is not None else "")
                params = _generation_params(spec, level, seed)
                if spec.selection is not None:
                    params = replace(params, config=replace(params.config, n=spec.selection.pool))  # the same key as a plain generation of that many records
                gen = b.add(Node("generate", f"generate {name} (seed {seed})", params, {"real": real, **_topic_pool(b, spec, level, seed)},
                                 info={"dataset": name, "role": "generated", "level": level, "seed": seed}))
                b.add(Node("measure", f"measure {name} (seed {seed})", MeasureParams.of(spec.metrics, seed),
                           {"data": gen, "reference": real}, info=dict(gen.info)))
                gens[level] = _add_selections(b, spec, real, gen, level, seed) if spec.selection is not None else [gen]
        for model in spec.training.models:
            if spec.training.evaluate_base:
                b.add(Node("evaluate", f"evaluate {model} without fine-tuning", _eval_params(spec, model), {"test": real},
                           info={"dataset": "base", "role": "base", "level": "", "model": model, "seed": seed}))
        for size in spec.mixing.sizes:
            for ratio in spec.mixing.ratios:
                for level in (spec.source_levels() if ratio > 0 else [None]):
                    for source in (gens[level] if level is not None else [None]):
                        _add_training_set(b, spec, real, source, level, ratio, size, seed)
    loops = [step for seed in spec.seeds for step in _add_loops(b, spec, real, seed)] if spec.loop else []
    return Graph(list(b.nodes.values()), loops)


def _add_loops(b: _Builder, spec: ExperimentSpec, real: Node, seed: int) -> list[LoopStep]:
    """Every scenario's generations 0 … G. Generation 0 is the real set (the
    sweep's own real-only training run when it has one); generation k's data is written
    by generation k-1's student with its adapter, from the same prompts every generation."""
    loop = spec.loop
    assert loop is not None and loop.model is not None
    model, measure_cfg = loop.model, MeasureParams.of(spec.metrics, seed)
    gen_params = _generation_params(spec, loop.level, seed)
    base = None
    if spec.training.evaluate_base:
        base = b.add(Node("evaluate", f"evaluate {model} without fine-tuning", _eval_params(spec, model), {"test": real},
                          info={"dataset": "base", "role": "base", "level": "", "model": model, "seed": seed}))
    real_set = b.add(Node("mix", f"mix real (seed {seed})", MixParams(mode="fixed", ratio=0.0, size=None, seed=seed),
                          {"real": real}, info=_loop_info("real", 0, seed, model)))
    steps = []
    for scenario in loop.scenarios:
        train_set, generated, new = real_set, [], None
        train = None  # generation k's student; set at k = 0, before generation 1 reads it
        for k in range(loop.count + 1):
            info = _loop_info(scenario, k, seed, model)
            if k > 0:
                new_info = _loop_info(scenario if k > 1 else "", k, seed, model, data=True)
                new = b.add(Node("generate", f"generate G{k} data{f' ({scenario})' if k > 1 else ''} (seed {seed})",
                                 gen_params.for_generation(k, model, loop.n),
                                 {"real": real, "generator": train, **_topic_pool(b, spec, loop.level, seed)},
                                 info=new_info))
                generated.append(new)
                drawn = {f"gen{j}": generated[j - 1] for j in drawn_generations(scenario, k)}
                train_set = b.add(Node("loop_set", f"mix {info['dataset']} (seed {seed})",
                                       LoopSetParams(scenario=scenario, generation=k,
                                                     size=subsample_size(scenario, loop.subsample_size), seed=seed),
                                       {"real": real, **drawn}, info=info))
            measure_new = None if new is None else b.add(
                Node("measure", f"measure {new.name.removeprefix('generate ')}", measure_cfg, {"data": new, "reference": real},
                     info=dict(new.info)))
            measure_set = b.add(Node("measure", f"measure {train_set.name.removeprefix('mix ')}", measure_cfg,
                                     {"data": train_set, "reference": real}, info=dict(info)))
            train = b.add(Node("train", f"train {model} on {info['dataset']} (seed {seed})", _train_params(spec, model, seed),
                               {"data": train_set}, info=dict(info)))
            evaluate = b.add(Node("evaluate", f"evaluate {model} on {info['dataset']} (seed {seed})", _eval_params(spec, model),
                                  {"model": train, "test": real}, info=dict(info)))
            steps.append(LoopStep(scenario, seed, k, train_set, measure_set, train, evaluate, new, measure_new, base))
    return steps


def _loop_info(scenario: str, k: int, seed: int, model: str, data: bool = False) -> dict[str, Any]:
    """Labels of loop nodes; role "loop" keeps them out of the sweep's tables (they have their own)."""
    name = f"G{k} data" if data else ("real" if k == 0 else f"{scenario} G{k}")
    if data and scenario:
        name += f" ({scenario})"
    return {"dataset": name, "role": "loop", "level": "", "scenario": scenario, "generation": k, "seed": seed, "model": model}


def generation_mechanics(spec: ExperimentSpec) -> dict[str, Any]:
    """What a run's generate stages read besides their parameters: the backend options that change how
    requests are sent, the prices and the cost cap. They change what a run may spend, never what it
    writes, so they reach the stages through the run's context (experiments.context), outside every key."""
    g = spec.generation
    if g is None:
        return {}
    options = {k: v for k, v in g.backend_options.items() if k in run_mechanics()}
    if isinstance(g.base_url, list):
        options["base_url"] = list(g.base_url)  # replicas of one model: which one answers is how requests are sent
    return {"backend_options": options, "price_in": g.price_in, "price_out": g.price_out, "max_cost": g.max_cost}


def _keyed_options(options: dict[str, Any]) -> dict[str, Any]:
    """The backend options in a stage key: those that change the text (an adapter, a device's numerics), never the
    run mechanics a backend declares (backends.run_mechanics)."""
    return {k: v for k, v in options.items() if k not in run_mechanics()}


def keyed_base_url(base_url: str | list[str] | None) -> str | None:
    """The server URL a generate or topics stage's key holds: one server's, as ever; none for several
    (replicas of one model, sent to by generation_mechanics), so adding or dropping a replica keeps every key."""
    return base_url if isinstance(base_url, str) else None


def _train_params(spec: ExperimentSpec, model: str, seed: int) -> TrainParams:
    return TrainParams(spec.training.train_config(model, seed))


def _add_selections(b: _Builder, spec: ExperimentSpec, real: Node, pool: Node, level: str, seed: int) -> list[Node]:
    """One select stage per selection entry: generation.n records of the level's pool, measured like a generated set."""
    assert spec.selection is not None and spec.generation is not None
    out = []
    for entry in spec.selection.sets:
        settings = entry.settings(seed, spec.metrics.embedder)
        params = SelectParams(strategy=entry.strategy, n=spec.generation.n, seed=seed,
                              reads={k: getattr(settings, k) for k in SELECTION_READS[entry.strategy]})
        name = f"{level_label(level)} {entry.label}"
        info = {"dataset": name, "role": "selected", "level": level, "seed": seed, **selection_info(entry)}
        deps = {"pool": pool, **({"real": real} if entry.strategy in NEEDS_REAL else {})}
        chosen = b.add(Node("select", f"select {name} (seed {seed})", params, deps, info=info))
        b.add(Node("measure", f"measure {name} (seed {seed})", MeasureParams.of(spec.metrics, seed),
                   {"data": chosen, "reference": real}, info=dict(info)))
        out.append(chosen)
    return out


def selection_info(entry) -> dict[str, Any]:
    """The labels a selected set carries into the tables (``selection``, ``selection_weight``)."""
    return dict(zip(SELECTION_LABELS, (entry.label, entry.strategy, entry.weight if entry.strategy == "matched-diverse" else None),
                    strict=True))


def _add_training_set(b: _Builder, spec, real: Node, source: Node | None, level, ratio, size, seed) -> None:
    mode = spec.mixing.mode
    picked = source is not None and source.kind == "select"
    selection = {k: source.info[k] for k in SELECTION_LABELS if k in source.info} if picked else {}
    label = mix_label(mode, ratio, level, size if len(spec.mixing.sizes) > 1 else None, selection.get(SELECTION_LABELS[0]))
    # a selection's sets have their own role: the level figures and trends compare one set per level
    role = "real" if ratio == 0 else ("selected" if picked else "generated" if ratio == 1 else "mix")
    info = {"dataset": label, "role": role, "level": level or "", "mode": mode, "ratio_asked": ratio,
            "size_asked": size, "seed": seed, **selection}
    deps = {"real": real} if source is None else {"real": real, "generated": source}
    mix = b.add(Node("mix", f"mix {label} (seed {seed})", MixParams(mode=mode, ratio=ratio, size=size, seed=seed), deps, info=info))
    b.add(Node("measure", f"measure {label} (seed {seed})", MeasureParams.of(spec.metrics, seed),
               {"data": mix, "reference": real}, info=dict(info)))
    for model in spec.training.models:
        train = b.add(Node("train", f"train {model} on {label} (seed {seed})", _train_params(spec, model, seed), {"data": mix},
                           info={**info, "model": model}))
        b.add(Node("evaluate", f"evaluate {model} on {label} (seed {seed})", _eval_params(spec, model), {"model": train, "test": real},
                   info={**info, "model": model}))


def _eval_params(spec: ExperimentSpec, model: str) -> EvaluateParams:
    return EvaluateParams(model=model, batch_size=spec.evaluation.batch_size,
                          max_length=spec.evaluation.max_length or spec.training.max_length)


def _grows_pool(spec: ExperimentSpec) -> bool:
    """Whether the generator grows its topic pool: a strategy that draws topics, and no topics given."""
    g = spec.generation
    return g is not None and g.topics is None and STRATEGIES[g.strategy].topic_pool


def _topic_pool(b: _Builder, spec: ExperimentSpec, level: str, seed: int) -> dict[str, Node]:
    """``{"topics": node}``: the pool a level's generate stage draws from, when the model grows it
    (one stage per size and seed, shared by every level, loop generation and sweep that asks for it)."""
    if not _grows_pool(spec):
        return {}
    g = spec.generation
    assert g is not None
    size = g.pool_size or STRATEGIES[g.strategy].level(level, g.level_overrides).topic_set_size
    recipe = PoolRecipe(size=size, seed=seed, growth=g.pool_growth)
    params = TopicsParams(
        backend=g.backend, model=g.model, base_url=keyed_base_url(g.base_url),
        backend_options=_keyed_options(g.backend_options),
        temperature=g.temperature, top_p=g.top_p, size=size, seed=seed, growth=recipe.growth, per_request=recipe.per_request,
        depth=recipe.depth, embedder=recipe.embedder, near_duplicate_threshold=recipe.near_duplicate_threshold,
        max_tokens=recipe.max_tokens,
    )
    return {"topics": b.add(Node("topics", f"grow a topic pool of {size} (seed {seed})", params,
                                 info={"dataset": "topics", "role": "topics", "level": "", "seed": seed}))}


def _generation_params(spec: ExperimentSpec, level: str, seed: int) -> GenerateParams:
    g = spec.generation
    assert g is not None
    config = g.config(spec.task, level, seed)
    grown = _grows_pool(spec)  # then the pool's size and growth are its topics stage's
    topics = config.topics
    return GenerateParams(replace(config, pool_size=None) if grown else config, pool_stage=grown,
                          topics_content=fingerprint(topics) if topics not in (None, "builtin") else None)
