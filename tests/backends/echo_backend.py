"""A worked example of adding a backend: this module and one line in ``synthdiv.backends.BACKENDS``
(tests/backends/test_new_backend.py adds the line). The class declares what the backend can do; the
spec, the sweep's preflight and graph, the strategies and the cost planner read it from here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from synthdiv.backends.base import Backend, ChatRequest, Completion, OnResult, SamplingParams
from synthdiv.backends.dummy import DummyBackend


class EchoBackend(Backend):
    """Answers as the dummy backend does (a story in each step's format), through its own generate()."""

    name = "echo"
    loads_adapters = True  # a loop's student may write with it
    constraint = "regex"  # it decodes with an output constraint
    run_mechanics = ("pace",)  # only paces its requests: never in a stage key
    checked: list[tuple[str, dict[str, Any]]] = []  # what its preflight was asked

    def __init__(self, model: str = "echo", adapter: str | None = None, style: str = "plain", pace: float = 0.0, **_: object):
        super().__init__(model)
        self.adapter, self.style, self.pace = adapter, style, pace
        self._answers = DummyBackend(model=model, adapter=adapter)

    @classmethod
    def preflight(cls, model: str, options: dict[str, Any]) -> None:
        cls.checked.append((model, dict(options)))

    def generate(self, requests: Sequence[ChatRequest], params: SamplingParams, on_result: OnResult | None = None) -> list[Completion]:
        out = []
        for i, req in enumerate(requests):
            texts = [self._answers.respond(req.messages, req.first_sample + j, params) for j in range(req.n)]
            completion = Completion(texts=texts, prompt_tokens=10, completion_tokens=sum(len(t.split()) for t in texts))
            self.stats.requests += 1
            self.stats.add_usage(completion)
            if on_result:
                on_result(i, completion)
            out.append(completion)
        return out
