"""Topic-guided generation of story-completion data (paper §3.2.1, Figure 1b).

Each generated record gets one random topic from the level's topic set and k
random real example stories in its prompt; the prompt asks for a five-sentence
story about as long as the examples (the paper matches token counts through the
prompt; we state the examples' mean length in words, the unit a chat model can
count, and check the answer's length on parse). The answer is split into four
context sentences and a fifth target sentence. Diversity is controlled by |T|.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from synthdiv.errors import UserError
from synthdiv.generation.engine import Engine, fill_slots, stable_id
from synthdiv.generation.levels import TopicLevel
from synthdiv.generation.parse import Parsed, parse_story, word_count
from synthdiv.generation.prompts import story_messages, story_text
from synthdiv.generation.topics import draw_topic_set, normalise_topic
from synthdiv.metrics.seed_copy import COPY_ROUGE_L, COPY_RUN_WORDS, Seed, prepared, seed_copy
from synthdiv.records import Provenance, Record
from synthdiv.console import say
from synthdiv.generation.config import default


@dataclass(frozen=True)
class StoryOptions:
    max_attempts: int = default("max_attempts")
    min_ratio: float = 0.5
    max_ratio: float = 2.0
    truncate: bool = True
    prompts_dir: str | None = None
    overdraw: float = default("overdraw")  # requests in flight per missing story (engine.fill_slots)
    # a story that copies one of its examples (metrics.seed_copy: a run of this many words, or this ROUGE-L) is rejected
    copy_run_words: int = COPY_RUN_WORDS
    copy_rouge_l: float = COPY_ROUGE_L
    min_topic_adherence: float | None = None  # reject stories whose own topic ranks lower (metrics.adherence); None: keep all
    constrain: bool = False  # decode with the five-sentence constraint where the backend can (backends.constraints)


def run_topic_guided(engine: Engine, cfg, level: TopicLevel, real: list[Record], write_pool: bool = True) -> list[Record]:
    """The strategy's run (generation.strategies): the level's topic set drawn from the pool of
    ``cfg.topics`` (or one grown with the model, written beside the output), then ``cfg.n`` stories."""
    pool = topic_pool(engine, cfg, level, write_pool)
    opts = StoryOptions(max_attempts=cfg.max_attempts, prompts_dir=cfg.prompts_dir, overdraw=cfg.overdraw,
                        min_topic_adherence=cfg.min_topic_adherence, constrain=cfg.constrain)
    records = generate_stories(engine, real, cfg.n, level, pool, cfg.seed, opts)
    if len(records) < cfg.n and not engine.stopped:  # the cost cap says so itself
        say(f"warning: only {len(records)} of {cfg.n} stories parsed after all retries; see the rejects file")
    return records


def topic_pool(engine: Engine, cfg, level: TopicLevel, write_pool: bool) -> list[str]:
    """The topics a level draws its set from: ``cfg.topics`` (a file or ``builtin``), or a pool grown with the model."""
    from synthdiv.generation.topics import read_topics

    if cfg.topics:
        pool = read_topics(cfg.topics)
    else:
        pool = _grow_pool(engine, cfg, cfg.pool_size or level.topic_set_size, write_pool)
    if level.topic_set_size > len(pool):
        say(f"warning: level {level.name} wants |T|={level.topic_set_size} topics but the pool has {len(pool)}; using all {len(pool)}")
    return pool


def _grow_pool(engine: Engine, cfg, size: int, write_pool: bool) -> list[str]:
    """A topic pool of ``size`` topics asked from the model (topic_tree.PoolRecipe, as ``synthdiv
    topics`` grows it), written beside the output with paths."""
    from synthdiv.generation.topic_tree import PoolRecipe, grow_pool

    growth = grow_pool(engine, PoolRecipe(size=size, seed=cfg.seed, growth=cfg.pool_growth), prompts_dir=cfg.prompts_dir, warn=say)
    if not growth.topics:
        raise UserError("the model produced no usable topics; give --topics FILE (or --topics builtin)")
    if len(growth.topics) < size and cfg.pool_growth != "flat":  # the flat growth warns itself
        why = f" ({growth.stopped})" if growth.stopped else ""
        say(f"warning: the topic tree reached {len(growth.topics)} of {size} unique topics after {growth.requests} requests{why}; "
            f"continuing with {len(growth.topics)} (grow a bigger pool with `synthdiv topics` and pass --topics)")
    if write_pool:
        from synthdiv.generation.runner import topics_path
        from synthdiv.generation.topic_tree import write_pool_file

        write_pool_file(topics_path(cfg), growth.topics, f"{len(growth.topics)} topics, {cfg.backend} {cfg.model}, seed {cfg.seed}")
    return [t.text for t in growth.topics]


def generate_stories(
    engine: Engine, real: list[Record], n: int, level: TopicLevel, pool: list[str], seed: int, opts: StoryOptions = StoryOptions()
) -> list[Record]:
    """``n`` generated story-completion records (fewer only if the model keeps failing)."""
    real = [r for r in real if r.task == "story_completion"]
    if opts.constrain:
        engine = engine.with_constraint(constrained_for(engine.backend))
    engine = engine.with_params(temperature=level.sampling_temperature(engine.params.temperature))
    if len(real) < level.k:
        raise UserError(f"need at least k={level.k} real stories to show as examples, got {len(real)}", where="--real")
    topic_set = draw_topic_set(pool, level.topic_set_size, seed)
    example_pool = draw_example_pool(real, level.seed_pool_size, seed)
    seen_texts: set[str] = set()
    example_words = {id(r): word_count(story_text(r)) for r in real}  # counted once, used by every prompt
    shown = prepared_examples(story_text)
    slots: dict[int, tuple[str, list[Record], int]] = {}

    def plan(j: int) -> tuple[str, list[Record], int]:
        if j not in slots:
            rng = random.Random(f"{seed}:story:{j}")
            topic = rng.choice(topic_set)
            examples = rng.sample(example_pool, level.k)
            words = round(sum(example_words[id(s)] for s in examples) / len(examples))
            slots[j] = (topic, examples, words)
        return slots[j]

    def make_prompt(_g, j: int):
        topic, examples, words = plan(j)
        return story_messages(topic, examples, words, opts.prompts_dir)

    adherence = adherence_check(pool, seed, opts.min_topic_adherence)

    def parse(_g, j: int, text: str) -> Parsed:
        topic, examples, words = plan(j)
        parsed = parse_story(text, words, min_ratio=opts.min_ratio, max_ratio=opts.max_ratio, truncate=opts.truncate)
        if not parsed.ok:
            return parsed
        story = " ".join(parsed.value)
        reason = reject_reason(story, story, topic, shown(examples), seen_texts, opts, adherence, "story")
        return parsed if reason is None else Parsed(reason=reason)

    accepted = fill_slots(engine, "story", {"stories": n}, make_prompt, parse, max_attempts=opts.max_attempts,
                          overdraw=opts.overdraw, on_accept=counting(engine))
    records = []
    for acc in accepted["stories"]:
        topic, examples, words = plan(acc.slot[1])
        context, target = acc.value
        records.append(topic_record(acc, "story_completion", "topic", context, target, topic, examples, words, level, engine,
                                    len(topic_set), len(example_pool)))
    return records


def topic_record(acc, task: str, strategy: str, context: str, target: str, topic: str, examples: list[Record], words: int,
                 level: TopicLevel, engine: Engine, topics: int, example_pool: int, messages: list[dict] | None = None) -> Record:
    """A generated record of a topic-guided strategy, with its provenance: the topic and real examples its prompt
    showed (``seed_ids``), the level's settings (and how many topics and examples it could draw from), the backend,
    model and sampling."""
    return Record(
        id=stable_id("gen", acc.prompt_hash, acc.sample),
        task=task,
        context=context,
        target=target,
        source="generated",
        messages=messages,
        provenance=Provenance(
            dataset="generated", strategy=strategy, level=level.name, topic=topic, seed_ids=[s.id for s in examples],
            backend=engine.backend.name, model=engine.backend.model, prompt_hash=acc.prompt_hash,
            sampling={**engine.params_dict, "sample_index": acc.sample},
            extra={"level_params": dict(_level_params(level)), "topic_set_size_effective": topics,
                   **({"seed_pool_effective": example_pool} if level.seed_pool_size is not None else {})},
        ),
        meta={"slot": acc.slot[1], "target_words": words, **acc.notes},
    )


@lru_cache(maxsize=64)
def _level_params(level: TopicLevel) -> dict:
    """``level.to_dict()`` made once per level (dataclasses.asdict deep-copies: a tenth of a record's making);
    each record gets its own shallow copy of it (the values are plain numbers and strings)."""
    return level.to_dict()


def reject_reason(text: str, key: str, topic: str, examples: list[Seed], seen: set[str], opts, adherence, what: str) -> str | None:
    """Why a parsed answer is rejected, or None: it copies one of its examples (``examples``: :func:`prepared_examples`; metrics.seed_copy),
    strays from its topic (``adherence``), or its ``key`` repeats an earlier accepted one's (then ``seen`` keeps it)."""
    copied = seed_copy(text, examples)
    if copied.is_copy(opts.copy_run_words, opts.copy_rouge_l):
        return copied.reason()
    if adherence is not None and (reason := adherence(text, topic)):
        return reason
    normal = normalise_topic(key)
    if normal in seen:
        return f"duplicate of an earlier generated {what}"
    seen.add(normal)
    return None


def prepared_examples(text_of: Callable[[Record], str]) -> Callable[[list[Record]], list[Seed]]:
    """``shown(examples)``: real examples as metrics.seed_copy's prepared seeds (their words and position masks),
    each prepared once: a level shows the same real records in thousands of prompts."""
    done: dict[int, Seed] = {}

    def shown(examples: list[Record]) -> list[Seed]:
        out = []
        for record in examples:
            seed = done.get(id(record))
            if seed is None:
                seed = done[id(record)] = prepared(record.id, text_of(record))
            out.append(seed)
        return out

    return shown


def counting(engine: Engine):
    """``on_accept`` of fill_slots: count the record and move the progress bar."""

    def on_accept(_acc) -> None:
        engine.counters.records += 1
        if engine.progress is not None:
            engine.progress.tick(engine)

    return on_accept


def draw_example_pool(real: list[Record], size: int | None, seed: int) -> list[Record]:
    """The real stories a level's prompts draw their examples from (the level field ``seed_pool``): all (None),
    or the first ``size`` of one seeded order, so a level's pool holds every smaller level's (the ladder differs only in how many)."""
    if size is None or size >= len(real):
        return real
    order = sorted(real, key=lambda r: r.id)
    random.Random(f"{seed}:seed-pool").shuffle(order)  # the string seeds the order: kept, so pools stay the same
    return order[:size]


def adherence_check(pool: list[str], seed: int, minimum: float | None):
    """``check(story, topic)``: the reject reason of an off-topic story, or None (None when no minimum)."""
    if minimum is None:
        return None
    from synthdiv.metrics.adherence import AdherenceScorer

    scorer = AdherenceScorer(pool, seed=seed)

    def check(story: str, topic: str) -> str | None:
        score = scorer.score(story, topic)
        return None if score >= minimum else f"off topic: its topic {topic!r} ranks {score:.2f} among the distractor topics (minimum {minimum})"

    return check


def constrained_for(backend) -> str | None:
    """The story constraint's name, or None (with a warning once) for a backend that cannot decode with one
    (its class declares how it can: ``Backend.constraint``)."""
    if backend.constraint is not None:
        return "five_sentences"

    say(f"warning: the {backend.name} backend cannot constrain its output; the parser checks every story instead")
    return None
