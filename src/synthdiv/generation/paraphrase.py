"""Paraphrasing-based augmentation of long-context QA data (paper §3.2.1, Eq. 1–3).

For each long context c:

(a) generate m new QA pairs, each prompted with k real pairs of c;
(b) paraphrase generated questions p times each (Eq. 1; p = 5 in the paper),
    answers kept;
(c) replace r of the m generated pairs, chosen with a seed, by paraphrases of
    other generated pairs of the same context (Eq. 2–3): pair i in the replaced
    index set takes a paraphrase of question j from the kept set, and j's answer.

A larger r means more near-duplicates and lower diversity. Only the pairs that
serve as replacement sources are paraphrased: the paraphrases of the other
pairs would never reach the output, so asking for them only costs requests.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass

from synthdiv.errors import UserError
from synthdiv.generation.engine import Engine, fill_slots, stable_id
from synthdiv.generation.levels import ParaphraseLevel
from synthdiv.generation.parse import Parsed, parse_paraphrase, parse_qa_pair
from synthdiv.generation.prompts import paraphrase_messages, qa_pair_messages
from synthdiv.records import Provenance, Record
from synthdiv.generation.config import default


@dataclass(frozen=True)
class QAOptions:
    max_attempts: int = default("max_attempts")
    max_answer_words: int = 60
    prompts_dir: str | None = None
    overdraw: float = default("overdraw")  # requests in flight per missing answer (engine.fill_slots)


def group_contexts(real: list[Record]) -> dict[str, list[Record]]:
    """Real QA records by long context (``group``, else the context text itself)."""
    groups: dict[str, list[Record]] = defaultdict(list)
    for rec in real:
        if rec.task == "long_context_qa":
            groups[rec.group or stable_id("ctx", rec.context)].append(rec)
    if not groups:
        raise UserError("no long_context_qa records in the real data", where="--real")
    return dict(groups)


def run_paraphrase(engine: Engine, cfg, level: ParaphraseLevel, real: list[Record], write_pool: bool = True) -> list[Record]:
    """The strategy's run (generation.strategies): ``cfg.n`` QA records at ``level``."""
    return generate_qa(engine, real, cfg.n, level, cfg.seed, QAOptions(cfg.max_attempts, prompts_dir=cfg.prompts_dir, overdraw=cfg.overdraw))


def generate_qa(engine: Engine, real: list[Record], n: int, level: ParaphraseLevel, seed: int, opts: QAOptions = QAOptions()) -> list[Record]:
    """``n`` generated QA records from ceil(n / m) contexts (m each; the last context may be cut)."""
    groups = group_contexts(real)
    order = sorted(groups)
    random.Random(f"{seed}:contexts").shuffle(order)
    needed = math.ceil(n / level.m)
    if needed > len(order):
        raise UserError(
            f"{n} records need {needed} contexts at m={level.m} pairs each, but the real data has {len(order)}; "
            "lower --n or raise --m",
            where="--n",
        )
    chosen = order[:needed]
    pairs = _generate_pairs(engine, groups, chosen, level, seed, opts)
    records: list[Record] = []
    for gid in chosen:
        records.extend(_replace(engine, groups[gid], gid, pairs[gid], level, seed, opts))
    return records[:n]


def _generate_pairs(engine, groups, chosen, level, seed, opts) -> dict[str, list[Record]]:
    """Step (a): m generated pairs per context, as records."""
    examples: dict[tuple[str, int], list[Record]] = {}

    def make_prompt(gid: str, j: int):
        rng = random.Random(f"{seed}:qa:{gid}:{j}")
        shots = rng.sample(groups[gid], min(level.k, len(groups[gid])))
        examples[(gid, j)] = shots
        return qa_pair_messages(groups[gid][0].context, shots, opts.prompts_dir)

    def parse(_gid, _j, text: str) -> Parsed:
        return parse_qa_pair(text, max_answer_words=opts.max_answer_words)

    accepted = fill_slots(engine, "qa_pair", {g: level.m for g in chosen}, make_prompt, parse, max_attempts=opts.max_attempts,
                          overdraw=opts.overdraw)
    out: dict[str, list[Record]] = {}
    for gid in chosen:
        if len(accepted[gid]) < level.m:
            raise UserError(f"context {gid}: only {len(accepted[gid])} of m={level.m} QA pairs parsed; see the rejects file")
        out[gid] = [
            _record(engine, level, gid, groups[gid][0], q, a, acc, seed_ids=[r.id for r in examples[acc.slot]])
            for acc in accepted[gid]
            for q, a in [acc.value]
        ]
    return out


def replacement_plan(m: int, r: int, rng: random.Random) -> dict[int, int]:
    """Eq. 2–3: {replaced index i: source index j}, i in the replaced set, j in the kept set."""
    replaced = sorted(rng.sample(range(m), r))
    kept = [i for i in range(m) if i not in set(replaced)]
    return {i: rng.choice(kept) for i in replaced}


def _replace(engine, real_pairs, gid, generated: list[Record], level, seed, opts) -> list[Record]:
    """Steps (b) and (c) for one context: paraphrase the source questions p times, then replace."""
    rng = random.Random(f"{seed}:replace:{gid}")
    plan = replacement_plan(len(generated), level.r, rng)
    if not plan:
        return generated
    sources = sorted(set(plan.values()))

    def make_prompt(j: int, t: int):
        example = random.Random(f"{seed}:para:{gid}:{j}:{t}").choice(real_pairs)
        return paraphrase_messages(generated[j].question, generated[j].target, example, opts.prompts_dir)

    def parse(j: int, _t, text: str) -> Parsed:
        return parse_paraphrase(text, generated[j].question)

    paras = fill_slots(engine, "qa_paraphrase", {j: level.p for j in sources}, make_prompt, parse, max_attempts=opts.max_attempts,
                          overdraw=opts.overdraw)
    # each source hands out its paraphrases in a seeded order, so two replaced pairs with the
    # same source get different paraphrases while any are left
    order = {j: rng.sample(range(len(paras[j])), len(paras[j])) for j in sources}
    used: dict[int, int] = defaultdict(int)
    out = list(generated)
    for i, j in plan.items():
        if not paras[j]:  # no paraphrase of j parsed: pair i stays as generated (its rejects are on file)
            engine.counters.skipped_replacements += 1
            continue
        acc = paras[j][order[j][used[j] % len(order[j])]]
        used[j] += 1
        source = generated[j]
        rec = _record(engine, level, gid, source, acc.value, source.target, acc, seed_ids=source.provenance.seed_ids or [])
        rec.id = stable_id("gen", acc.prompt_hash, acc.sample, i)
        rec.provenance.parent_id = source.id
        rec.provenance.extra["replaced_index"] = i
        out[i] = rec
    return out


def _record(engine, level, gid: str, base: Record, question: str, answer: str, acc, seed_ids: list[str]) -> Record:
    return Record(
        id=stable_id("gen", acc.prompt_hash, acc.sample),
        task="long_context_qa",
        context=base.context,
        question=question,
        target=answer,
        source="generated",
        group=gid,
        provenance=Provenance(
            dataset="generated",
            strategy="paraphrase",
            level=level.name,
            seed_ids=list(seed_ids),
            backend=engine.backend.name,
            model=engine.backend.model,
            prompt_hash=acc.prompt_hash,
            sampling={**engine.params_dict, "sample_index": acc.sample},
            extra={"level_params": level.to_dict()},
        ),
    )
