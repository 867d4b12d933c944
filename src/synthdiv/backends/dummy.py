"""A deterministic backend for tests and dry runs: no model, no network.

The answer depends only on the messages and the sample index, so reruns and
cache checks are exact. It recognises the step from words our prompt templates
use (topic list, five-sentence story, instruction pair, question-answer pair, paraphrase) and
answers in the format that step expects; ``reject_every`` makes every k-th
answer malformed so parse-retry paths get exercised.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence

from synthdiv.errors import UserError
from synthdiv.backends.base import Backend, ChatRequest, Completion, Messages, OnResult, SamplingParams

WORDS = (
    "river market garden lantern teacher letter storm kitten bicycle mountain village engine harbor "
    "painter violin window forest bakery ladder castle mirror station blanket candle doctor island "
    "pocket meadow rocket school shadow sister brother neighbor puzzle ticket wallet wagon orchard "
    "compass festival library museum cottage tractor balloon camera diary kettle helmet scarf"
).split()
VERBS = "found carried painted opened followed repaired watched lost borrowed cleaned visited chased".split()
ADJS = "old quiet bright tiny heavy strange warm broken golden muddy gentle noisy".split()


class DummyBackend(Backend):
    """Deterministic fake answers; ``model`` is only a label."""

    name = "dummy"
    loads_adapters = True  # the adapter's path is mixed into its answers: a loop runs offline in tests

    def __init__(self, model: str = "dummy", reject_every: int = 0, adapter: str | None = None, topic_words: int = 1,
                 **_: object):
        super().__init__(model)
        self.reject_every = int(reject_every)
        self.adapter = adapter  # a "fine-tuned" dummy: the adapter path changes every answer
        # nouns after a topic's adjective: 1 knows 732 topics (a pool that runs dry, as a real model's can), 2 knows
        # 44,652 (a 10,000-topic pool, the paper's size, grows without stalling)
        self.topic_words = int(topic_words)
        if self.topic_words < 1:
            raise UserError(f"topic_words must be 1 or more (got {topic_words})", where="backend_options.topic_words")

    def cache_identity(self) -> dict:
        extra = {"topic_words": self.topic_words} if self.topic_words != 1 else {}  # 1 keeps the keys it always had
        return {**super().cache_identity(), "reject_every": self.reject_every, **extra}

    def generate(
        self, requests: Sequence[ChatRequest], params: SamplingParams, on_result: OnResult | None = None
    ) -> list[Completion]:
        out = []
        for i, req in enumerate(requests):
            texts = [self.respond(req.messages, req.first_sample + j, params) for j in range(req.n)]
            prompt_tokens = sum(len(m["content"].split()) for m in req.messages)
            comp = Completion(texts=texts, prompt_tokens=prompt_tokens, completion_tokens=sum(len(t.split()) for t in texts))
            self.stats.requests += 1
            self.stats.add_usage(comp)
            if on_result:
                on_result(i, comp)
            out.append(comp)
        return out

    def respond(self, messages: Messages, sample: int, params: SamplingParams) -> str:
        blob = "\x1e".join(m["role"] + "\x1f" + m["content"] for m in messages)
        adapter = f"\x1d{self.adapter}" if self.adapter else ""
        digest = hashlib.sha256(f"{blob}\x1d{sample}\x1d{params.seed}{adapter}".encode()).digest()
        rng = random.Random(digest)
        if self.reject_every and int.from_bytes(digest[:4], "big") % self.reject_every == 0:
            return "Sorry, I cannot help with that"
        # the step is named in our templates' system turn; fall back to the whole prompt (lower-cased only
        # where it is read: a story prompt's few-shot turns are long)
        step = messages[0]["content"].lower() if messages and messages[0]["role"] == "system" else self._whole(messages)
        if "paraphrase" in step:
            return f"What {rng.choice(VERBS)} the {rng.choice(ADJS)} {rng.choice(WORDS)} near the {rng.choice(WORDS)}?"
        if "question-answer pair" in step:
            q = f"Who {rng.choice(VERBS)} the {rng.choice(ADJS)} {rng.choice(WORDS)}?"
            return f"Question: {q}\nAnswer: The {rng.choice(WORDS)} by the {rng.choice(WORDS)}."
        if "topics" in step:
            count = int(m.group(1)) if (m := re.search(r"(\d+) (?:new |short )?topics", self._whole(messages))) else 10
            return "\n".join(f"{i + 1}. {rng.choice(ADJS).title()} {' '.join(rng.choice(WORDS) for _ in range(self.topic_words))}"
                             for i in range(count))
        if "instruction" in step:
            topic = m.group(1) if (m := re.search(r'about "([^"]+)"', messages[-1]["content"])) else rng.choice(WORDS)
            words = int(m.group(1)) if (m := re.search(r"about (\d+) words", step)) else 20
            request = f"How do I {rng.choice(VERBS).removesuffix('ed')} the {rng.choice(ADJS)} {topic.lower()} {rng.choice(WORDS)}?"
            return f"Instruction: {request}\nResponse: " + " ".join(self._sentence(rng, topic, max(4, words // 3)) for _ in range(3))
        topic = m.group(1) if (m := re.search(r'topic "([^"]+)"', messages[-1]["content"])) else rng.choice(WORDS)
        words = int(m.group(1)) if (m := re.search(r"about (\d+) words", messages[-1]["content"])) else 45
        return " ".join(self._sentence(rng, topic, max(4, words // 5)) for _ in range(5))

    @staticmethod
    def _whole(messages: Messages) -> str:
        return " ".join(m["content"] for m in messages).lower()

    @staticmethod
    def _sentence(rng: random.Random, topic: str, length: int) -> str:
        words = [rng.choice(WORDS) for _ in range(max(1, length - 4))]
        return f"The {rng.choice(ADJS)} {topic} {rng.choice(VERBS)} {' '.join(words)}."
