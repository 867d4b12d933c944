"""Topics for topic-guided generation (paper §3.2.1).

A topic pool is asked from the LLM in batches until K unique normalised topics
exist (the paper asked GPT-4o for 10,000). The 97 unique topics listed in the
paper's Appendix A.4 ship as ``topics_a4.txt`` (``--topics builtin``); a file
with one topic per line skips pool generation. A level draws a seeded subset of
|T| topics from the pool.
"""

from __future__ import annotations

import math
import random
import re
from importlib import resources
from pathlib import Path

from synthdiv.errors import UserError
from synthdiv.fileio import read_lines
from synthdiv.generation.parse import Parsed, parse_topic_lines
from synthdiv.generation.prompts import topics_messages


def normalise_topic(topic: str) -> str:
    """Lower case, punctuation to spaces, single spaces: 'Time-travel!' == 'time travel'."""
    return " ".join(re.sub(r"[^\w\s']", " ", topic.lower()).split())


def builtin_topics() -> list[str]:
    """The paper's Appendix A.4 topics, in the paper's order, repeats removed."""
    text = resources.files("synthdiv.generation").joinpath("topics_a4.txt").read_text(encoding="utf-8")
    return _unique(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def read_topics(path: str | Path) -> list[str]:
    """Unique topics of a file, one per line (``#`` lines and blanks skipped); ``builtin`` = Appendix A.4."""
    if str(path) == "builtin":
        return builtin_topics()
    # a line of a `synthdiv topics` pool is 'Theme > Subtopic > Topic': the topic is its last part
    topics = _unique(line.rsplit(">", 1)[-1].strip() for _, line in read_lines(path) if line.strip() and not line.lstrip().startswith("#"))
    if not topics:
        raise UserError("topics file has no topics; put one topic per line", where=str(path))
    return topics


def _unique(topics) -> list[str]:
    seen, out = set(), []
    for t in topics:
        key = normalise_topic(t)
        if key and key not in seen:
            seen.add(key)
            out.append(t)
    return out


def generate_topic_pool(engine, size: int, seed: int, *, per_request: int = 25, prompts_dir: str | None = None, warn=print) -> list[str]:
    """Ask the LLM for topics, ``per_request`` at a time, until ``size`` unique normalised
    topics exist. Request ``i`` shows five Appendix A.4 topics drawn with seed (seed, i)
    as style examples, so requests differ without depending on earlier answers (a rerun
    rebuilds the same prompts and finds them cached). Stops after a bounded number of
    requests and warns when the pool stays smaller."""
    return flat_topic_pool(engine, size, seed, per_request=per_request, prompts_dir=prompts_dir, warn=warn)[0]


def flat_topic_pool(engine, size: int, seed: int, *, per_request: int = 25, prompts_dir: str | None = None,
                    warn=print) -> tuple[list[str], int]:
    """:func:`generate_topic_pool`'s pool and the requests it took."""
    examples_from = builtin_topics()
    pool: list[str] = []
    seen: set[str] = set()
    max_requests = 10 + 4 * math.ceil(size / per_request)
    sent = 0

    def make_prompt(_g, i: int):
        rng = random.Random(f"{seed}:topics:{i}")
        return topics_messages(per_request, rng.sample(examples_from, 5), prompts_dir)

    def parse(_g, _j, text: str) -> Parsed:
        topics = parse_topic_lines(text)
        return Parsed(value=topics) if topics else Parsed(reason="no topic lines found")

    from synthdiv.generation.engine import fill_slots

    while len(pool) < size and sent < max_requests:
        batch = min(max_requests - sent, max(1, math.ceil(1.5 * (size - len(pool)) / per_request)))
        offset = sent
        results = fill_slots(engine, "topics", {"pool": batch}, lambda g, j: make_prompt(g, offset + j), parse,
                             max_attempts=1, max_slots_factor=1.0)
        sent += batch
        for acc in results["pool"]:
            for t in acc.value:
                key = normalise_topic(t)
                if key and key not in seen and len(pool) < size:
                    seen.add(key)
                    pool.append(t)
    if len(pool) < size:
        warn(f"warning: the topic pool reached {len(pool)} of {size} unique topics after {sent} requests; continuing with {len(pool)}")
    if not pool:
        raise UserError("the model produced no usable topics; give --topics FILE (or --topics builtin)")
    return pool, sent


def draw_topic_set(pool: list[str], size: int, seed: int) -> list[str]:
    """A seeded subset of |T| = ``size`` topics (all of the pool if it is smaller)."""
    if size >= len(pool):
        return list(pool)
    return random.Random(f"{seed}:topic-set").sample(pool, size)
