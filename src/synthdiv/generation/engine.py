"""Asking the backend through the cache, and filling "slots" with parsed answers.

:class:`Engine` answers jobs (messages + sample index) from the response cache
when it can and sends the rest to the backend, storing each answer the moment
it arrives. :func:`fill_slots` is the retry loop every step shares: each slot
wants one parsed answer; a reject is retried with the next sample index of the
same prompt (bounded), a slot that runs out of attempts is replaced by a fresh
slot (bounded), and everything happens in waves so a whole wave goes to the
backend as one batch. A retry that returns the very text its slot was just
rejected for stops the slot's retries: the server decodes greedily and every
further retry would be the same wasted request. Given the same answers the
outcome is the same, so a rerun over a warm cache rebuilds exactly the same records.

With a cost cap (``budget``, :class:`synthdiv.generation.cost.Budget`) a request is sent
only while what this output's requests cost so far, plus what is reserved for the requests
before it, plus its bound stays under the cap; at the first that would not fit the engine
sends nothing more (the requests already handed to the backend finish), and :func:`fill_slots`
returns what it has. Cached answers are used whatever the cap (they are not paid again), and
count toward it at what they cost: a rerun with the same cap sends nothing more.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from synthdiv.backends.base import Backend, ChatRequest, SamplingParams
from synthdiv.errors import UserError
from synthdiv.generation.cache import KeyMaker, canonical_json
from synthdiv.generation.parse import Parsed
from synthdiv.generation.config import default

Messages = list[dict[str, str]]


@dataclass
class Answer:
    text: str | None
    error: str | None = None
    cached: bool = False
    unsent: bool = False  # held back by the cost cap: neither a reject nor a failure


@dataclass
class Counters:
    cache_hits: int = 0
    rejects: int = 0
    failed_jobs: int = 0
    skipped_replacements: int = 0
    greedy_stops: int = 0  # slots whose retry repeated the rejected text, so they stopped retrying
    records: int = 0
    cached_prompt_tokens: int = 0
    cached_completion_tokens: int = 0


@dataclass
class Accepted:
    """A slot's accepted answer: what the step needs to build its record."""

    slot: Hashable
    messages: Messages
    prompt_hash: str
    sample: int
    value: Any
    notes: dict[str, Any] = field(default_factory=dict)


class Engine:
    """Cache-first access to one backend with one set of sampling parameters."""

    def __init__(self, backend: Backend, params: SamplingParams, cache, progress=None, budget=None):
        self.backend = backend
        self.budget = budget
        self.params = params
        self.cache = cache
        self.progress = progress
        self.identity = backend.cache_identity()
        self.params_dict = params.to_dict()
        self.counters = Counters()
        self.rejects: list[dict[str, Any]] = []
        self.steps: list[str] = []  # the steps that asked for answers, in order (a topic pool, then stories …)
        self._next_sample: dict[str, int] = defaultdict(int)
        self._keys = KeyMaker(self.identity, self.params_dict)

    def with_constraint(self, name: str | None) -> Engine:
        """The same engine (backend, cache, counters, rejects, budget) asking with an output
        constraint (backends.constraints): its answers are cached apart from unconstrained ones."""
        if name is None or self.params.constraint == name:
            return self
        return self.with_params(constraint=name)

    def with_params(self, **changes: Any) -> Engine:
        """The same engine (backend, cache, counters, rejects, budget) asking with other sampling
        parameters (a topic pool's answer budget, a constraint); keyed in the cache by them."""
        from dataclasses import replace

        params = replace(self.params, **changes)
        if params == self.params:
            return self
        import copy

        other = copy.copy(self)
        other.params = params
        other.params_dict = params.to_dict()
        if params.constraint is not None:
            from synthdiv.backends.constraints import get_constraint

            other.params_dict["constraint_fingerprint"] = get_constraint(params.constraint).fingerprint
        other._keys = KeyMaker(self.identity, other.params_dict)
        return other

    @property
    def stopped(self) -> bool:
        """True once the cost cap held a request back: nothing more is sent this run."""
        return self.budget is not None and self.budget.stopped

    @staticmethod
    def serialise(messages: Messages) -> tuple[str, str]:
        """(canonical JSON, prompt hash) of messages; the hash equals records.prompt_hash."""
        blob = canonical_json(messages)
        return blob, hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def new_sample(self, phash: str) -> int:
        """The next unused sample index of a prompt: two slots that happen to build the same
        prompt get different samples, never the same answer twice."""
        sample = self._next_sample[phash]
        self._next_sample[phash] = sample + 1
        return sample

    def answer(self, jobs: list[tuple[Messages, int]], messages_json: list[str] | None = None) -> list[Answer]:
        """One answer per (messages, sample index), from the cache or the backend.
        ``messages_json``: the canonical JSON of each job's messages, when known."""
        blobs = messages_json or [canonical_json(m) for m, _ in jobs]
        keys = [self._keys.key(b, s) for b, (_, s) in zip(blobs, jobs, strict=True)]
        found = self.cache.get_many(keys)
        answers: dict[str, Answer] = {}
        cached_tokens = [0, 0]
        for key in keys:
            if key in found and key not in answers:
                text, pt, ct = found[key]
                answers[key] = Answer(text, cached=True)
                self.counters.cache_hits += 1
                self.counters.cached_prompt_tokens += pt
                self.counters.cached_completion_tokens += ct
                cached_tokens[0] += pt
                cached_tokens[1] += ct
        requests: dict[str, ChatRequest] = {}
        for key, (messages, sample) in zip(keys, jobs, strict=True):
            requests.setdefault(key, ChatRequest(messages=messages, n=1, first_sample=sample))
        groups = self._groups(list(requests))
        if self.budget is not None:  # the wave's cached answers are reserved at their bound, then counted at their cost
            asked = [([requests[k].messages for k in g], all(k in answers for k in g)) for g in groups]
            groups = groups[: self.budget.admit(asked, self.params.max_tokens)]
            self.budget.count_cached(*cached_tokens)
        for batch in self._batches(groups, answers):
            self._send(batch, requests, answers)
        if self.budget is not None:
            for key in keys:
                answers.setdefault(key, Answer(None, error="not sent: the cost cap", unsent=True))
        return [answers[k] for k in keys]

    def _groups(self, unique_keys: list[str]) -> list[list[str]]:
        """The wave's jobs as they are generated: one by one, or, for a backend whose text depends on its
        batches, in the fixed batches of the whole wave."""
        size = getattr(self.backend, "batch_alignment", None) or 1  # duck-typed backends need not define it
        return [unique_keys[i : i + size] for i in range(0, len(unique_keys), size)]

    def _batches(self, groups: list[list[str]], answers: dict[str, Answer]) -> list[list[str]]:
        """What to send: every unanswered job at once, or, for a backend whose text depends on
        its batches, the fixed batches of the whole wave that hold an unanswered job (cached
        jobs in them are generated again and ignored; after a kill that is at most one batch)."""
        if not getattr(self.backend, "batch_alignment", None):
            missing = [k for g in groups for k in g if k not in answers]
            return [missing] if missing else []
        return [g for g in groups if any(k not in answers for k in g)]

    def _send(self, batch: list[str], requests: dict[str, ChatRequest], answers: dict[str, Answer]) -> None:
        def store(i: int, comp) -> None:
            key = batch[i]
            if key in answers:  # answered from the cache; sent only to keep the batch as it was
                return
            if comp.ok:
                # stored before anyone uses it (committed within cache.COMMIT_SECONDS, and when this call returns)
                self.cache.put(key, self.backend.name, self.backend.model, comp.texts[0], comp.prompt_tokens, comp.completion_tokens)
                answers[key] = Answer(comp.texts[0])
            else:
                answers[key] = Answer(None, error=comp.error)
                self.counters.failed_jobs += 1
            if self.progress is not None:
                self.progress.tick(self)

        try:
            self.backend.generate([requests[k] for k in batch], self.params, on_result=store)
        finally:
            self.cache.flush()

    def greedy_warning(self) -> str | None:
        """The one line saying why some slots stopped retrying early, or None."""
        n = self.counters.greedy_stops
        if not n:
            return None
        if self.params.temperature == 0:
            cause = "at temperature 0 a retried prompt gets the same text again"
        else:
            cause = ("the server returned the same text for a retried prompt: it seems to decode greedily whatever the "
                     f"temperature ({self.params.temperature:g})")
        return f"warning: {cause}; {n} slots stopped retrying and made room for new prompts"

    def reject(self, step: str, slot: Hashable, phash: str, sample: int, reason: str, raw: str | None) -> None:
        self.counters.rejects += 1
        self.rejects.append({"step": step, "slot": str(slot), "prompt_hash": phash, "sample": sample, "reason": reason, "raw": raw})
        if self.progress is not None:
            self.progress.tick(self)


def fill_slots(
    engine: Engine,
    step: str,
    wanted: dict[Hashable, int],
    make_prompt: Callable[[Hashable, int], Messages],
    parse: Callable[[Hashable, int, str], Parsed],
    *,
    max_attempts: int = default("max_attempts"),
    max_slots_factor: float = 3.0,
    overdraw: float = default("overdraw"),
    on_accept: Callable[[Accepted], None] | None = None,
) -> dict[Hashable, list[Accepted]]:
    """For each group ``g``, ``wanted[g]`` accepted answers, each from its own slot.

    ``make_prompt(g, j)`` builds slot ``j`` of group ``g``; ``parse(g, j, text)`` judges
    an answer. A rejected slot is retried up to ``max_attempts`` times; a slot out of
    attempts, or whose request failed, makes room for slot ``j+1``; a group stops after
    ``max_slots_factor × overdraw × wanted`` slots. Accepted answers come back ordered
    by slot. ``overdraw`` > 1 keeps ``overdraw ×`` the missing answers in flight (for a
    model that rejects half its answers, 2 fills most groups in one wave instead of a
    tail of ever smaller retry waves); the answers past ``wanted`` are dropped (the
    highest slots), so the result is as deterministic as with 1."""
    slots = _Slots(engine, step, wanted, make_prompt, parse, max_attempts, max_slots_factor, max(1.0, overdraw), on_accept)
    slots.open_more()
    while slots.active:
        wave = slots.take_wave()
        if wave and step not in engine.steps:
            engine.steps.append(step)
        answers = engine.answer([(ask.messages, ask.sample) for ask in wave], [ask.blob for ask in wave])
        _refuse_a_failed_wave(answers)
        for ask, ans in zip(wave, answers, strict=True):
            slots.judge(ask, ans)
        if engine.progress is not None:
            engine.progress.tick(engine, force=True)
        if engine.stopped:  # the cost cap: keep what was accepted, send nothing more
            break
        slots.open_more()
    return slots.lowest_accepted()


@dataclass(frozen=True)
class _Ask:
    """One job of a wave: slot ``slot`` of ``group`` on its ``tries``-th retry, asking for ``sample``."""

    group: Hashable
    slot: int
    tries: int
    messages: Messages
    blob: str  # the messages' canonical JSON
    phash: str
    sample: int


class _Slots:
    """The slots of one :func:`fill_slots` call: those waiting for the next wave, each one's
    prompt and last rejected text, and the answers accepted so far."""

    def __init__(self, engine: Engine, step: str, wanted: dict[Hashable, int], make_prompt, parse,
                 max_attempts: int, max_slots_factor: float, overdraw: float, on_accept) -> None:
        self.engine, self.step, self.wanted = engine, step, wanted
        self.make_prompt, self.parse, self.on_accept = make_prompt, parse, on_accept
        self.max_attempts, self.overdraw = max_attempts, overdraw
        self.limit = {g: max(n, int(max_slots_factor * overdraw * n)) for g, n in wanted.items()}
        self.accepted: dict[Hashable, list[Accepted]] = {g: [] for g in wanted}
        self.next_slot = {g: 0 for g in wanted}
        self.active: list[tuple[Hashable, int, int]] = []  # (group, slot, attempts so far)
        self.prompts: dict[tuple[Hashable, int], tuple[Messages, str, str]] = {}  # messages, JSON, hash
        self.rejected_text: dict[tuple[Hashable, int], str] = {}  # each slot's last rejected answer

    def open_more(self) -> None:
        """Open new slots until each group has ``overdraw ×`` its missing answers in flight, within its limit."""
        for g in self.wanted:
            pending = sum(1 for a in self.active if a[0] == g)
            in_flight = math.ceil(max(0, self.wanted[g] - len(self.accepted[g])) * self.overdraw)
            while pending < in_flight and self.next_slot[g] < self.limit[g]:
                self.active.append((g, self.next_slot[g], 0))
                self.next_slot[g] += 1
                pending += 1

    def take_wave(self) -> list[_Ask]:
        """The waiting slots as jobs, each with the next unused sample of its prompt (built once per slot)."""
        wave, self.active = self.active, []
        asks = []
        for g, j, tries in wave:
            if (g, j) not in self.prompts:
                messages = self.make_prompt(g, j)
                self.prompts[(g, j)] = (messages, *self.engine.serialise(messages))
            messages, blob, phash = self.prompts[(g, j)]
            asks.append(_Ask(g, j, tries, messages, blob, phash, self.engine.new_sample(phash)))
        return asks

    def judge(self, ask: _Ask, ans: Answer) -> None:
        """Accept an answer, or reject it and put its slot back for a retry while attempts are left."""
        if ans.unsent:
            return
        slot = (ask.group, ask.slot)
        if ans.error:
            self.engine.reject(self.step, slot, ask.phash, ask.sample, f"request failed: {ans.error}", None)
            return
        parsed = self.parse(ask.group, ask.slot, ans.text)
        if parsed.ok:
            acc = Accepted(slot, ask.messages, ask.phash, ask.sample, parsed.value, parsed.notes)
            self.accepted[ask.group].append(acc)
            if self.on_accept:
                self.on_accept(acc)
            return
        self.engine.reject(self.step, slot, ask.phash, ask.sample, parsed.reason, ans.text)
        if self.rejected_text.get(slot) == ans.text:
            self.engine.counters.greedy_stops += 1  # the same text again: retrying cannot help
        elif ask.tries + 1 < self.max_attempts:
            self.rejected_text[slot] = ans.text
            self.active.append((ask.group, ask.slot, ask.tries + 1))

    def lowest_accepted(self) -> dict[Hashable, list[Accepted]]:
        """Each group's accepted answers of its lowest slots, ``wanted`` at most, ordered by slot."""
        return {g: sorted(found, key=lambda a: a.slot[1])[: self.wanted[g]] for g, found in self.accepted.items()}


def _refuse_a_failed_wave(answers: list[Answer]) -> None:
    """Stop when every request that was sent failed: the backend is down, retrying would spin."""
    sent = [a for a in answers if not a.unsent]
    if sent and all(a.error for a in sent):
        raise UserError(f"every request of a wave of {len(sent)} failed (last: {sent[-1].error}); "
                        "check the backend and rerun: answered prompts are cached")


def stable_id(prefix: str, *parts: Any) -> str:
    """A short id from the prompt hash and sample index (same answer, same id)."""
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:16]
    return f"{prefix}-{h}"
