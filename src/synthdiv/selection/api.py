"""Select N records from a pool: records in, annotated records out (``synthdiv select`` calls this).

The measured text of a record (:func:`synthdiv.tasks.measured_text`: story = context +
target, QA = question + answer) is what is deduplicated and embedded, as in the
diversity and shift metrics, so the numbers of ``synthdiv diversity`` and ``synthdiv
shift`` on the output are the ones the selection aimed at. Embeddings come from
:func:`synthdiv.metrics.embed_cache.embed_texts` and its on-disk cache.

Each selected record keeps its provenance and gains ``provenance.extra["selection"]``:
``strategy``, ``score`` (what the strategy maximised, see docs/selection.md; null when
there is none), ``rank`` (0 = picked first; the output is in rank order), ``pool`` (the
pool file), ``n``, ``seed``, ``weight`` (matched-diverse only) and ``log_density_ratio``
(the matched strategies: the classifier's log p_real / p_pool, up to a constant).
A selection made from an earlier selection's output replaces that entry.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

from synthdiv.errors import UserError
from synthdiv.records import Record
from synthdiv.selection.settings import DEFAULTS, SelectionSettings, check_request


@dataclass
class SelectionReport:
    """The selected records (in rank order) and the summary ``synthdiv select`` prints."""

    records: list[Record]
    summary: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, "records": [r.to_dict() for r in self.records]}


def check_tasks(pool: list[Record], real: list[Record] | None) -> str:
    """The pool's one task; a UserError if the pool mixes tasks or the real set is of another."""
    if not pool:
        raise UserError("the pool has no records; give a file with at least one", where="--pool")
    tasks = sorted({r.task for r in pool})
    if len(tasks) != 1:
        raise UserError(f"the pool mixes tasks {', '.join(tasks)}; select from one task at a time", where="--pool")
    if real is not None:
        real_tasks = sorted({r.task for r in real})
        if real_tasks != tasks:
            raise UserError(f"the real records are {', '.join(real_tasks)} but the pool is {tasks[0]}; give real data of the pool's task", where="--real")
    return tasks[0]


def select_records(
    pool: list[Record],
    n: int,
    strategy: str,
    *,
    real: list[Record] | None = None,
    settings: SelectionSettings = DEFAULTS,
    pool_name: str = "pool",
    encoder=None,
    fields: tuple[str, ...] | None = None,
) -> SelectionReport:
    """Choose ``n`` records of ``pool`` with ``strategy``; every refusal happens before any work.
    ``fields``: what the strategies read of a record (:func:`synthdiv.tasks.measured_text`; default the
    task's whole example). ``encoder`` replaces the embedding model (tests pass a fake; see embed_texts)."""
    from synthdiv.selection.objectives import before_and_after
    from synthdiv.selection.strategies import SelectionInput, get_strategy
    from synthdiv.tasks import measured_text

    check_request(strategy, n, real is not None, settings.embedder if encoder is None else "custom")
    chosen = get_strategy(strategy)
    task = check_tasks(pool, real)
    if n > len(pool):
        raise UserError(f"cannot select {n} records from a pool of {len(pool)}; ask for at most {len(pool)}", where="--n")
    texts = [measured_text(r, fields) for r in pool]
    started = time.perf_counter()
    pool_emb = real_emb = None
    if chosen.needs_embeddings:
        from synthdiv.metrics.embed_cache import embed_texts

        pool_emb = embed_texts(texts, settings.embedder, encoder=encoder)
        if chosen.needs_real:
            real_emb = embed_texts([measured_text(r, fields) for r in real], settings.embedder, encoder=encoder)
    embed_s = time.perf_counter() - started
    inp = SelectionInput(texts=texts, n=n, settings=settings, pool_embeddings=pool_emb, real_embeddings=real_emb)
    started = time.perf_counter()
    selection = chosen.select(inp)
    select_s = time.perf_counter() - started
    records = _annotate(pool, selection, chosen.name, pool_name, n, settings)
    summary = {
        "strategy": chosen.name, "task": task, "pool": pool_name, "pool_size": len(pool), "n": n,
        "selected": len(records), "seed": settings.seed, "score": chosen.score, **selection.info,
        "objectives": before_and_after(chosen.name, inp, selection.indices),
        "timings_s": {"embed": round(embed_s, 3), "select": round(select_s, 3)},
    }  # fmt: skip
    if chosen.name == "matched-diverse":
        summary["weight"] = settings.weight
    if chosen.needs_real:
        summary["real_size"] = len(real)
    return SelectionReport(records=records, summary=summary)


def _annotate(pool, selection, strategy: str, pool_name: str, n: int, settings: SelectionSettings) -> list[Record]:
    """Copies of the picked records (the pool is left as it was) with their selection entry."""
    out = []
    for rank, index in enumerate(selection.indices.tolist()):
        rec = pool[index]
        entry: dict[str, Any] = {
            "strategy": strategy, "score": _number(selection.scores[rank]), "rank": rank,
            "pool": pool_name, "n": n, "seed": settings.seed,
        }  # fmt: skip
        if strategy == "matched-diverse":
            entry["weight"] = settings.weight
        for key, values in selection.per_record.items():
            entry[key] = _number(values[rank])
        provenance = replace(rec.provenance, extra={**rec.provenance.extra, "selection": entry})
        out.append(replace(rec, provenance=provenance, meta=dict(rec.meta)))
    return out


def _number(value) -> float | None:
    """A JSON-safe float: NaN (no score) becomes None."""
    value = float(value)
    return None if math.isnan(value) else value
