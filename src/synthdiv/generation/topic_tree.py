"""Topic pools of any size, grown as a tree: root themes, their subtopics, their topics.

One flat "list 25 topics" prompt saturates: a small model repeats itself long before
10,000 distinct topics (the paper's D6 pool; SmolLM2-135M reached 377 of 500). Asking
for the children of a node instead ("narrower parts of 'Harbour life' (in Places >
Harbour life)") keeps each answer local, so the tree keeps finding new topics.

Growth is breadth first: the root is asked a few times for themes, then every node of
the shallowest unexpanded depth is asked once, until the pool has ``size`` distinct
topics, the growth stalls (:data:`STALL_NEW_SHARE`), the request cap derived from the size
is reached (:func:`request_budget`) or a cost cap stops the engine. A topic is new when its normalised text is new
and, when an embedder is given, its cosine similarity to every kept topic is below
``near_duplicate_threshold`` (docs/generation.md gives the value's reasoning). Every
kept topic remembers its path. Prompts depend only on the node's path and the seed, so
a rerun sends the same prompts and is answered from the response cache.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from synthdiv.errors import UserError
from synthdiv.generation.parse import Parsed, parse_topic_lines
from synthdiv.generation.prompts import topic_tree_messages
from synthdiv.generation.topics import builtin_topics, normalise_topic

if TYPE_CHECKING:  # numpy is imported where embeddings are compared: `synthdiv --help` reads this module's defaults
    import numpy as np

PATH_SEPARATOR = " > "
# MiniLM cosine at or above which two topics are the same topic said twice. Measured:
# "Fishing trip" / "A fishing trip" 0.98 and "Storm at sea" / "Storms at sea" 0.94 (removed);
# "time travel" / "time-travel adventures" 0.85, "Rose" / "Roses" 0.82, "Lost dog" / "Missing dog"
# 0.75, "harbour" / "lighthouse" 0.50 (kept: a lower limit would start merging different topics).
NEAR_DUPLICATE_THRESHOLD = 0.9
CANDIDATE_BATCH = 1024  # new topics embedded and tested at once: a 4 MB similarity block among them
MAX_DEPTH = 3  # theme > subtopic > topic: the depth the tree fills first
# Once every node above the depth has been asked, the growth asks nodes again (a new sample of the same
# prompt). When such a round finds fewer new topics than this share of the topics it asked for, the tree
# grows one level deeper instead: the same prompt asked again mostly repeats itself. Measured, SmolLM2-135M
# towards 10,000 topics: asking again gave 4.6 and 3.7 new topics a request of 10, then 1.9 (86 % duplicates)
# at 5,802 topics; the depth-3 nodes asked after that gave 2.0-2.5 a request up to 10,000 (3,569 requests).
DEEPER_BELOW_NEW_SHARE = 0.25
# The growth stalls, and stops short, when the requests of its latest rounds (STALL_WINDOW of them at least) found
# fewer new topics than this share of the topics they asked for, and the tree did not just grow deeper. Measured,
# the dummy backend (600 possible topics) towards 10,000: 612 topics by request 852, then 3 new in a round of 421
# requests (0.07 %) and none in the 3,168 requests the old growth went on to send; SmolLM2-135M's depth-3 nodes gave
# 20-25 % up to 10,000 topics, so 5 % stops a growth that has run dry, not a slow one.
STALL_NEW_SHARE = 0.05
STALL_WINDOW = 100  # requests: a decision on fewer would be noise (a round of 10 requests that found 4 topics)
PER_REQUEST = 10  # topics asked for in one request: a small model repeats itself in longer lists
POOL_MAX_TOKENS = 200  # answer budget of a pool request: ten short lines with room to spare
POOL_EMBEDDER = "minilm-l6"  # metrics.embedding name, for the near-duplicate test

Embed = Callable[[list[str]], "np.ndarray"]


@dataclass(frozen=True)
class Topic:
    text: str
    path: tuple[str, ...] = ()  # its ancestors, root theme first

    @property
    def line(self) -> str:
        """The topic as a pool-file line: 'Theme > Subtopic > Topic'."""
        return PATH_SEPARATOR.join((*self.path, self.text))


@dataclass
class TreeGrowth:
    """A grown pool and how it went."""

    topics: list[Topic]
    requests: int = 0
    candidates: int = 0  # topics parsed from the answers, repeats included
    exact_duplicates: int = 0
    near_duplicates: int = 0
    by_depth: dict[int, int] = field(default_factory=dict)
    stopped: str = ""  # why it stopped short of the size, in words ("" when full, or nothing said)

    @property
    def duplicate_rate(self) -> float:
        return (self.exact_duplicates + self.near_duplicates) / self.candidates if self.candidates else 0.0

    def summary(self) -> dict:
        return {"topics": len(self.topics), "requests": self.requests, "candidates": self.candidates,
                "exact_duplicates": self.exact_duplicates, "near_duplicates": self.near_duplicates,
                "duplicate_rate": round(self.duplicate_rate, 4), "by_depth": dict(sorted(self.by_depth.items()))}


class TopicSet:
    """The kept topics, with the exact and near-duplicate tests."""

    def __init__(self, embed: Embed | None, threshold: float):
        self.embed, self.threshold = embed, threshold
        self.keys: set[str] = set()
        self.topics: list[Topic] = []
        self._bank: np.ndarray | None = None  # unit vectors of the kept topics, first _rows rows
        self._rows = 0

    def add_all(self, candidates: list[Topic], growth: TreeGrowth, limit: int) -> list[Topic]:
        fresh: list[Topic] = []
        for topic in candidates:
            key = normalise_topic(topic.text)
            if not key or key in self.keys or any(key == normalise_topic(p) for p in topic.path):
                growth.exact_duplicates += 1
                continue
            self.keys.add(key)
            fresh.append(topic)
        kept = self._drop_near_duplicates(fresh, growth)[: max(0, limit - len(self.topics))]
        self.topics.extend(kept)
        return kept

    def _drop_near_duplicates(self, fresh: list[Topic], growth: TreeGrowth) -> list[Topic]:
        if self.embed is None or not fresh:
            return fresh
        import numpy as np

        from synthdiv.metrics.embedding import unit_rows

        vectors = unit_rows(self.embed([t.text for t in fresh])).astype(np.float32)
        if self._bank is None:
            self._bank = np.zeros((max(1024, 2 * len(fresh)), vectors.shape[1]), dtype=np.float32)
        # against the kept pool in one product per batch (a product per topic read the whole bank 40,000 times
        # at the paper's 10,000 topics), then against this batch's earlier keepers in order
        near_bank = (vectors @ self._bank[: self._rows].T).max(axis=1) >= self.threshold if self._rows else \
            np.zeros(len(fresh), dtype=bool)
        among = vectors @ vectors.T
        kept, rows = [], []
        for i, topic in enumerate(fresh):
            if near_bank[i] or (rows and float(among[i, rows].max()) >= self.threshold):
                growth.near_duplicates += 1
                continue
            rows.append(i)
            kept.append(topic)
        while self._rows + len(rows) > self._bank.shape[0]:  # grow by doubling: O(n) copies in all
            self._bank = np.vstack([self._bank, np.zeros_like(self._bank)])
        self._bank[self._rows : self._rows + len(rows)] = vectors[rows]
        self._rows += len(rows)
        return kept


@dataclass(frozen=True)
class PoolRecipe:
    """How a topic pool is grown, defined once: ``synthdiv topics``, a sweep's topics stage and
    ``synthdiv generate`` without ``--topics`` read it, so the same recipe sends the same
    prompts with the same parameters, and a pool grown by one is answered from the response
    cache for the others. ``embedder`` None keeps exact (normalised) matches only."""

    size: int
    seed: int = 0
    growth: str = "tree"  # or "flat": one list prompt (topics.generate_topic_pool)
    per_request: int = PER_REQUEST
    depth: int = MAX_DEPTH
    embedder: str | None = POOL_EMBEDDER
    near_duplicate_threshold: float = NEAR_DUPLICATE_THRESHOLD
    max_tokens: int = POOL_MAX_TOKENS

    def __post_init__(self) -> None:
        # refused where the recipe is defined: `synthdiv topics`, a sweep's topics stage and generate get the same checks
        for name in ("size", "per_request", "depth", "max_tokens"):
            value = getattr(self, name)
            if value < 1:
                raise UserError(f"must be at least 1 (got {value})", field=name)
        threshold = self.near_duplicate_threshold
        if not (math.isfinite(threshold) and 0 < threshold <= 1):  # a cosine: above 1 turns the check off, 0 or less keeps one topic
            raise UserError(f"must be a cosine similarity in (0, 1] (got {threshold}; {NEAR_DUPLICATE_THRESHOLD} is the measured "
                            "default)", field="near_duplicate_threshold")

    @property
    def request_cap(self) -> int:
        return request_budget(self.size, self.per_request)


def grow_pool(engine, recipe: PoolRecipe, *, prompts_dir: str | None = None,
              progress: Callable[[TreeGrowth], None] | None = None, warn: Callable[[str], None] = print) -> TreeGrowth:
    """The pool of ``recipe``, asked through ``engine`` with the recipe's answer budget."""
    engine = engine.with_params(max_tokens=recipe.max_tokens)
    if recipe.growth == "flat":
        from synthdiv.generation.topics import flat_topic_pool

        texts, requests = flat_topic_pool(engine, recipe.size, recipe.seed, prompts_dir=prompts_dir, warn=warn)
        return TreeGrowth(topics=[Topic(t) for t in texts], requests=requests, by_depth={1: len(texts)})
    embed = None
    if recipe.embedder is not None:
        from synthdiv.metrics.embed_cache import embed_texts

        def embed(texts: list[str]):
            return embed_texts(texts, recipe.embedder)

    return grow_topic_tree(engine, recipe.size, recipe.seed, per_request=recipe.per_request, max_depth=recipe.depth,
                           embed=embed, near_duplicate_threshold=recipe.near_duplicate_threshold, prompts_dir=prompts_dir,
                           progress=progress)


def grow_topic_tree(
    engine,
    size: int,
    seed: int,
    *,
    per_request: int = PER_REQUEST,
    max_depth: int = MAX_DEPTH,
    embed: Embed | None = None,
    near_duplicate_threshold: float = NEAR_DUPLICATE_THRESHOLD,
    prompts_dir: str | None = None,
    max_requests: int | None = None,
    progress: Callable[[TreeGrowth], None] | None = None,
) -> TreeGrowth:
    """Grow a pool of ``size`` distinct topics (fewer when it stalls or a cap stops it: ``stopped`` says why)."""
    if size < 1 or per_request < 1 or max_depth < 1:
        raise UserError("the pool size, topics per request and tree depth must be at least 1", where="--size/--per-request/--depth")
    kept = TopicSet(embed, near_duplicate_threshold)
    growth = TreeGrowth(topics=kept.topics)  # the same list: progress sees it grow
    budget = max_requests if max_requests is not None else request_budget(size, per_request)
    examples = builtin_topics()
    expanded: dict[tuple[str, ...], int] = {}

    def make_prompt(node: tuple[str, ...], _j: int):
        rng = random.Random(f"{seed}:topic-tree:{PATH_SEPARATOR.join(node)}")
        return topic_tree_messages(per_request, node, rng.sample(examples, 5), prompts_dir)

    def parse(_node, _j, text: str) -> Parsed:
        topics = parse_topic_lines(text)
        return Parsed(value=topics) if topics else Parsed(reason="no topic lines found")

    from synthdiv.generation.engine import fill_slots

    depth = max_depth
    rounds: list[tuple[int, int]] = []  # (requests, new topics) of each round
    while len(kept.topics) < size and growth.requests < budget:
        wanted, again = _next_requests(kept.topics, expanded, size, per_request, depth, budget - growth.requests)
        if not wanted:
            break
        results = fill_slots(engine, "topic_tree", wanted, make_prompt, parse, max_attempts=1, max_slots_factor=1.0)
        if engine.stopped:  # the cost cap held requests back: count what was answered, keep what came
            wanted = {node: n for node, n in wanted.items() if results[node]}
        growth.requests += sum(wanted.values())
        before = len(kept.topics)
        for node, n in wanted.items():
            expanded[node] = expanded.get(node, 0) + n
        # in the order chosen, so the pool does not depend on answer timing; a round's answers are tested in batches
        # (one embedding call and one product with the pool per batch, not per request)
        candidates = [Topic(text, node) for node in wanted for acc in results[node] for text in acc.value]
        growth.candidates += len(candidates)
        for start in range(0, len(candidates), CANDIDATE_BATCH):
            for topic in kept.add_all(candidates[start : start + CANDIDATE_BATCH], growth, size):
                growth.by_depth[len(topic.path) + 1] = growth.by_depth.get(len(topic.path) + 1, 0) + 1
        rounds.append((sum(wanted.values()), len(kept.topics) - before))
        if again and len(kept.topics) - before < DEEPER_BELOW_NEW_SHARE * per_request * sum(wanted.values()):
            depth += 1  # asking again has stopped paying: new nodes one level down
        elif len(kept.topics) < size:
            growth.stopped = _stalled(rounds, per_request)
        if progress is not None:
            progress(growth)
        if growth.stopped or engine.stopped:
            break
    if len(kept.topics) < size and not growth.stopped and growth.requests >= budget:
        growth.stopped = f"the request cap for {size} topics ({budget} requests) was reached"
    return growth


def _stalled(rounds: list[tuple[int, int]], per_request: int) -> str:
    """Why the growth has stalled (the latest rounds' requests found too few new topics), or ""."""
    asked = new = 0
    for requests, found in reversed(rounds):
        asked, new = asked + requests, new + found
        if asked >= STALL_WINDOW:
            break
    if asked < STALL_WINDOW or new >= STALL_NEW_SHARE * per_request * asked:
        return ""
    return (f"the growth stalled: its last {asked} requests found {new} new topics, under {STALL_NEW_SHARE:.0%} of the "
            f"{per_request * asked} they asked for")


def request_budget(size: int, per_request: int = PER_REQUEST) -> int:
    """The most requests a tree growth sends for ``size`` topics (it stops sooner when the pool is full)."""
    return 20 + 4 * math.ceil(size / per_request)


def _next_requests(topics: Sequence[Topic], expanded: dict, size: int, per_request: int, max_depth: int,
                   left: int) -> tuple[dict, bool]:
    """The nodes to ask next and how many requests each, and whether they are asked again: the root a
    few times at first (about sqrt(size) themes), then every node of the shallowest depth not yet asked,
    about 1.5 requests per missing ``per_request`` topics; once every node is asked, the least-asked
    nodes again (a new sample of the same prompt)."""
    missing = size - len(topics)
    need = min(left, max(1, math.ceil(1.5 * missing / per_request)))
    if not expanded:
        return {(): min(need, max(1, math.ceil(math.sqrt(size) / per_request)))}, False
    nodes = [(*t.path, t.text) for t in topics if len(t.path) + 1 < max_depth]
    fresh = [n for n in sorted(nodes, key=len) if n not in expanded]
    if fresh:
        depth = len(fresh[0])
        return {n: 1 for n in [n for n in fresh if len(n) == depth][:need]}, False
    pool = [(), *nodes]
    fewest = min(expanded.get(n, 0) for n in pool)
    again = [n for n in pool if expanded.get(n, 0) == fewest][:need]
    return {n: 1 for n in again}, True


def write_pool_file(path, topics: Sequence[Topic], note: str) -> None:
    """A pool file (atomically): a '#' header saying what it is, then one 'Theme > Subtopic > Topic' per line."""
    from synthdiv.fileio import atomic_write

    with atomic_write(path) as fh:
        fh.write(f"# synthdiv topics: {note}; one 'Theme > Subtopic > Topic' per line\n")
        fh.write("\n".join(t.line for t in topics) + ("\n" if topics else ""))


def parse_pool_line(line: str) -> Topic:
    """'Theme > Subtopic > Topic' (or a bare topic) as a :class:`Topic`."""
    parts = tuple(p.strip() for p in line.split(PATH_SEPARATOR.strip()) if p.strip())
    return Topic(parts[-1], parts[:-1]) if parts else Topic("")
