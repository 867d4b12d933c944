"""The run's diversity ladder: one row per generated set (metrics.ladder), written as ladder.csv
(its verdicts: :mod:`synthdiv.stats.ladder`).

Only runs whose spec generates several levels of the same task, model and seed have a ladder;
a loop's generations and selections are left out (their sets are not levels of one generator).
"""

from __future__ import annotations

from typing import Any

from synthdiv.experiments import layout
from synthdiv.experiments.graph import Graph
from synthdiv.experiments.store import Store


def _generate_nodes(graph: Graph) -> list:
    return [n for n in graph.nodes if n.kind == "generate" and n.params.config.generation is None]


def ladder_rows(graph: Graph, store: Store, embedder: str | None, seed: int = 0) -> list[dict[str, Any]]:
    """Rows for every seed of the sweep that generated two or more levels (empty otherwise)."""
    import json

    from synthdiv.data.records_io import read_records
    from synthdiv.generation.strategies import get_strategy
    from synthdiv.metrics.ladder import LevelSet, measure_ladder

    by_seed: dict[Any, list] = {}
    for node in _generate_nodes(graph):
        by_seed.setdefault((node.params.config.seed, node.params.config.model), []).append(node)
    rows: list[dict[str, Any]] = []
    embed = None
    if embedder:
        from synthdiv.metrics.embed_cache import embed_texts

        def embed(texts):
            return embed_texts(texts, embedder)

    for (gen_seed, model), nodes in by_seed.items():
        if len({n.params.config.level for n in nodes}) < 2:
            continue
        sets, real = [], {}
        for node in nodes:
            folder = store.dir(node)
            rejects_file = folder / "rejects.jsonl"
            rejects = [json.loads(x).get("reason", "") for x in rejects_file.read_text(encoding="utf-8").splitlines() if x.strip()] \
                if rejects_file.is_file() else None
            p = node.params.config
            asked = getattr(get_strategy(p.strategy).level(p.level, p.level_overrides), "topic_set_size", None)
            sets.append(LevelSet(layout.level_label(p.level), p.level, read_records(folder / "records.jsonl"), rejects, asked))
            real_node = node.deps.get("real")
            if real_node is not None:
                real.update({r.id: r for r in read_records(store.dir(real_node) / "train.jsonl")})
        for row in measure_ladder(sets, real, embed, seed=seed):
            rows.append({"seed": gen_seed, "model": model, **row})
    return rows


def add_fluency(rows: list[dict[str, Any]], datasets: list[dict[str, Any]]) -> None:
    """Each level's row gets its set's fluency and its comparison with the real set, as the measure stage
    wrote them in datasets (nothing for a run without ``metrics.reference``)."""
    by_set = {(d.get("dataset"), d.get("seed")): d for d in datasets if d.get("role") == "generated"}
    for row in rows:
        measured = by_set.get((row["set"], row["seed"]))
        if measured is not None and measured.get(layout.LADDER_FLUENCY["fluency"]) is not None:
            row.update({col: measured.get(source) for col, source in layout.LADDER_FLUENCY.items()})


def copy_to_datasets(rows: list[dict[str, Any]], datasets: list[dict[str, Any]]) -> None:
    """Each generated set's row in datasets gets its level's adherence, copy and reject rates."""
    by_set = {(r["set"], r["seed"]): r for r in rows}
    for d in datasets:
        row = by_set.get((d.get("dataset"), d.get("seed"))) if d.get("role") == "generated" else None
        if row is not None:
            for col in layout.LADDER_COPIED:
                d[layout.ladder_copy(col)] = row.get(col)
