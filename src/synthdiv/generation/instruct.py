"""Topic-guided generation of instruction data (task ``sft``): the paper's knob (§3.2.1) on prompt/response pairs.

Each generated pair gets one random topic from the level's topic set and k random real example pairs in its
prompt, shown as earlier turns of the conversation; the answer is parsed as ``Instruction: … / Response: …``
(:func:`synthdiv.generation.parse.parse_instruction`). Diversity is controlled by |T| (and, as for stories,
by the examples a level shows and its temperature: ``seed_pool``, ``temperature``). A pair that copies one of
its examples, repeats an earlier pair, or (with a minimum) strays from its topic is rejected with its reason.

The example pairs are the user's (``--real``: prompt/completion, chat messages, Alpaca …; a chat example shows its
conversation's text as the instruction) or, offline, the small set synthdiv ships (:func:`shipped_examples`).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from importlib import resources

from synthdiv.console import say
from synthdiv.errors import UserError
from synthdiv.generation.engine import Engine, fill_slots
from synthdiv.generation.levels import TopicLevel
from synthdiv.generation.parse import Parsed, parse_instruction, word_count
from synthdiv.generation.prompts import instruction_messages
from synthdiv.generation.config import default
from synthdiv.generation.topic_guided import (adherence_check, counting, draw_example_pool, prepared_examples, reject_reason, topic_pool,
                                              topic_record)
from synthdiv.generation.topics import draw_topic_set
from synthdiv.metrics.seed_copy import COPY_ROUGE_L, COPY_RUN_WORDS
from synthdiv.records import Record

SEED_FILE = "seeds/instructions.jsonl"  # in synthdiv.data: 62 hand-written pairs in eleven kinds of request


@dataclass(frozen=True)
class InstructionOptions:
    max_attempts: int = default("max_attempts")
    min_ratio: float = 0.25  # a response's words against its examples' mean: answers to different requests differ more than stories
    max_ratio: float = 4.0
    prompts_dir: str | None = None
    overdraw: float = default("overdraw")
    copy_run_words: int = COPY_RUN_WORDS
    copy_rouge_l: float = COPY_ROUGE_L
    min_topic_adherence: float | None = None


def shipped_examples() -> list[Record]:
    """The example pairs synthdiv ships: chat records written for it (Apache-2.0), eleven kinds of everyday request."""
    from synthdiv.data.shapes import SHAPES, shape_records

    text = resources.files("synthdiv.data").joinpath(SEED_FILE).read_text(encoding="utf-8")
    rows = [(f"{SEED_FILE}:{i}", json.loads(line)) for i, line in enumerate(text.splitlines(), 1) if line.strip()]
    return shape_records(rows, SHAPES["messages"], dataset="synthdiv-instructions-v1", origin=SEED_FILE)


def run_instruct(engine: Engine, cfg, level: TopicLevel, real: list[Record], write_pool: bool = True) -> list[Record]:
    """The strategy's run (generation.strategies): the level's topic set from the pool, then ``cfg.n`` pairs."""
    if cfg.constrain:
        say("warning: instruction pairs have no decoding constraint; the constrain setting is ignored and the parser checks every pair")
    pool = topic_pool(engine, cfg, level, write_pool)
    opts = InstructionOptions(max_attempts=cfg.max_attempts, prompts_dir=cfg.prompts_dir, overdraw=cfg.overdraw,
                              min_topic_adherence=cfg.min_topic_adherence)
    records = generate_instructions(engine, real, cfg.n, level, pool, cfg.seed, opts)
    if len(records) < cfg.n and not engine.stopped:
        say(f"warning: only {len(records)} of {cfg.n} pairs parsed after all retries; see the rejects file")
    return records


def generate_instructions(engine: Engine, real: list[Record], n: int, level: TopicLevel, pool: list[str], seed: int,
                          opts: InstructionOptions = InstructionOptions()) -> list[Record]:
    """``n`` generated instruction/response records (fewer only if the model keeps failing)."""
    real = [r for r in real if r.task == "sft" and r.context.strip()]  # a pair with an empty prompt shows no instruction
    if len(real) < level.k:
        raise UserError(f"need at least k={level.k} real instruction pairs with a prompt to show as examples, got {len(real)}", where="--real")
    engine = engine.with_params(temperature=level.sampling_temperature(engine.params.temperature))
    topic_set = draw_topic_set(pool, level.topic_set_size, seed)
    example_pool = draw_example_pool(real, level.seed_pool_size, seed)
    response_words = {id(r): word_count(r.target) for r in real}
    seen: set[str] = set()
    shown = prepared_examples(lambda s: f"{s.context.strip()} {s.target.strip()}")
    slots: dict[int, tuple[str, list[Record], int]] = {}
    adherence = adherence_check(pool, seed, opts.min_topic_adherence)

    def plan(j: int) -> tuple[str, list[Record], int]:
        if j not in slots:
            rng = random.Random(f"{seed}:instruction:{j}")
            topic = rng.choice(topic_set)
            examples = rng.sample(example_pool, level.k)
            slots[j] = (topic, examples, round(sum(response_words[id(s)] for s in examples) / len(examples)))
        return slots[j]

    def make_prompt(_g, j: int):
        topic, examples, words = plan(j)
        return instruction_messages(topic, examples, words, opts.prompts_dir)

    def parse(_g, j: int, text: str) -> Parsed:
        topic, examples, words = plan(j)
        parsed = parse_instruction(text, words, min_ratio=opts.min_ratio, max_ratio=opts.max_ratio)
        if not parsed.ok:
            return parsed
        reason = reject_reason(" ".join(parsed.value), parsed.value[0], topic, shown(examples), seen, opts, adherence, "instruction")
        return parsed if reason is None else Parsed(reason=reason)

    accepted = fill_slots(engine, "instruction", {"pairs": n}, make_prompt, parse, max_attempts=opts.max_attempts,
                          overdraw=opts.overdraw, on_accept=counting(engine))
    chat = any(s.messages is not None for s in example_pool)  # pairs take the examples' form, so a mix trains on one format
    records = []
    for acc in accepted["pairs"]:
        topic, examples, words = plan(acc.slot[1])
        instruction, response = acc.value
        records.append(topic_record(acc, "sft", "instruct", instruction, response, topic, examples, words, level, engine,
                                    len(topic_set), len(example_pool),
                                    messages=[{"role": "user", "content": instruction}] if chat else None))
    return records
