"""The generation strategies, each defined once: its task, level presets, the level fields a user
may override, its default answer budget, its prompt templates and the function that runs it.

The runner, the spec, the graph and the ``generate`` command read a strategy from here, so
adding one means: its module (prompts, parsing, ``run``), an entry below, and its prompt
templates under ``generation/prompts/`` (docs/architecture.md walks through it).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

from synthdiv.errors import UserError, check_choice


@dataclass(frozen=True)
class Strategy:
    name: str
    task: str
    title: str  # what the report and docs call it
    max_tokens: int  # the default answer budget per request, in tokens
    level_options: tuple[str, ...]  # level fields a user may override (flags, generation.level_overrides)
    templates: tuple[str, ...]  # the built-in prompt templates it fills (generation/prompts/<name>.txt)
    preset: str  # "module:function" (name, **overrides) -> the level's preset
    run: str  # "module:function" (engine, cfg, level, real, write_pool) -> records
    # draws each level's topics from a pool (``cfg.topics``): a pool the model grows is then a stage of
    # its own in a sweep (experiments.graph), of the level's ``topic_set_size`` unless a pool size is set
    topic_pool: bool = False

    def level(self, name: str, overrides: dict[str, Any] | None = None, where: str = "generation.level_overrides"):
        """The level ``name``'s preset with the overrides this strategy takes (others are refused)."""
        overrides = overrides or {}
        unknown = sorted(k for k, v in overrides.items() if v is not None and k not in self.level_options)
        if unknown:
            raise UserError(f"{self.name} levels have no {', '.join(unknown)}; set {', '.join(self.level_options)}", where=where)
        try:
            return _resolve(self.preset)(name, **{k: v for k, v in overrides.items() if k in self.level_options})
        except UserError as exc:  # a level field's own check: name it where it was set
            if exc.field is None:
                raise
            raise UserError(exc.message, where=f"{where} {exc.field}" if where.startswith("--") else f"{where}.{exc.field}") from None

    def generate(self, engine, cfg, level, real, write_pool: bool = True):
        return _resolve(self.run)(engine, cfg, level, real, write_pool)


STRATEGIES: dict[str, Strategy] = {
    "topic": Strategy(
        name="topic", task="story_completion", title="topic-guided generation", max_tokens=160,
        level_options=("topic_set_size", "k", "seed_pool", "temperature"), templates=("topic_tree", "topics", "story"),
        preset="synthdiv.generation.levels:topic_level", run="synthdiv.generation.topic_guided:run_topic_guided",
        topic_pool=True,
    ),
    "instruct": Strategy(
        name="instruct", task="sft", title="topic-guided instruction data", max_tokens=200,
        level_options=("topic_set_size", "k", "seed_pool", "temperature"), templates=("topic_tree", "topics", "instruction"),
        preset="synthdiv.generation.levels:topic_level", run="synthdiv.generation.instruct:run_instruct",
        topic_pool=True,
    ),
    "paraphrase": Strategy(
        name="paraphrase", task="long_context_qa", title="paraphrasing-based augmentation", max_tokens=96,
        level_options=("m", "k", "p", "replace_count", "replace_share"), templates=("qa_pair", "qa_paraphrase"),
        preset="synthdiv.generation.levels:paraphrase_level", run="synthdiv.generation.paraphrase:run_paraphrase",
    ),
}


def get_strategy(name: str, task: str | None = None, where: str = "--strategy") -> Strategy:
    """The strategy ``name``; with ``task``, one that generates that task's data (else a UserError)."""
    strategy = STRATEGIES[check_choice(name, STRATEGIES, what="strategy", where=where)]
    if task is not None and strategy.task != task:
        raise UserError(f"strategy {name!r} generates {strategy.task} data, not {task}", where=where)
    return strategy


def resolve_strategy(name: str | None, task: str | None, where: str = "--strategy") -> Strategy:
    """The strategy a request names, the task's first when only a task is named, else ``topic``."""
    if name is None:
        if task is None:
            return STRATEGIES["topic"]
        from synthdiv.tasks import get_task

        get_task(task)
        found = next((s for s in STRATEGIES.values() if s.task == task), None)
        if found is None:
            raise UserError(f"no strategy generates {task} data; generate sft data (--strategy instruct) or give your own file",
                            where="--task")
        return found
    return get_strategy(name, task, where)


def strategy_for(task: str) -> Strategy:
    """The default strategy of a task (the first registered that generates it)."""
    return resolve_strategy(None, task)


def _resolve(path: str) -> Callable:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)
