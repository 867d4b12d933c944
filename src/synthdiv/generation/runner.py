"""One generation run: load the real data, build the backend and the cache, run a
strategy, write the records and the rejects atomically, report a summary.

Resumable by construction: every answer is in the response cache before it is
used, and the strategies rebuild the same prompts from the seed, so a rerun after
a crash or kill -9 sends no request for an answered prompt and ends with exactly
the requested number of records (ids are unique: they hash the prompt and the
sample index). Outputs are written only at the end, atomically, so a killed run
leaves no half-written file.

Before any work :func:`check_paths` refuses outputs that are inputs or cannot be
written. A run that makes fewer records than asked (a model whose answers keep
failing to parse) still writes what it made; the CLI then ends with
:class:`PartialGeneration` (exit code 3, docs/errors.md) unless ``--allow-partial``.
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from synthdiv.backends.base import SamplingParams
from synthdiv.backends.servers import describe_counts
from synthdiv.errors import UserError
from synthdiv.fileio import atomic_write
from synthdiv.generation.engine import Engine
from synthdiv.generation.config import GenerationConfig
from synthdiv.generation.strategies import get_strategy
from synthdiv.records import Record
from synthdiv.console import say



@dataclass
class Summary:
    records: int
    requests: int
    cache_hits: int
    retries: int
    failures: int
    rejects: int
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    seconds: float
    cost: float | None = None
    price_factor: float = 1.0  # the backend's price / the configured prices (0.5 for the Batch API)
    skipped_replacements: int = 0
    out: str = ""
    rejects_file: str = ""
    requested: int = 0  # the n asked for; records may fall short (PartialGeneration)
    price_source: str = ""  # "given" or "built-in for MODEL (…)": generation.cost.resolve_prices
    servers: dict[str, dict[str, int]] = field(default_factory=dict)  # several servers: answered and failed per URL

    def lines(self) -> list[str]:
        short = f" of {self.requested} asked" if self.records < self.requested else ""
        out = [
            f"records: {self.records}{short} -> {self.out}",
            f"requests: {self.requests} (retries {self.retries}, failures {self.failures}), cache hits: {self.cache_hits}",
            *([f"servers: {describe_counts(self.servers)}"] if self.servers else []),
            f"rejects: {self.rejects} -> {self.rejects_file}",
            f"tokens sent this run: {self.prompt_tokens} prompt + {self.completion_tokens} completion; from cache: {self.cached_tokens}",
            f"time: {self.seconds:.1f} s",
        ]
        if self.cost is not None:
            factor = f" x {self.price_factor:g} (batch prices)" if self.price_factor != 1 else ""
            source = "configured" if self.price_source in ("", "given") else self.price_source
            out.append(f"cost: {self.cost:.4f} (at the {source} prices per 1M tokens{factor})")
        if self.skipped_replacements:
            out.append(f"replacements skipped (no paraphrase parsed): {self.skipped_replacements}")
        return out


class Progress:
    """A tqdm bar over records with tokens, rejects and cache hits in the postfix."""

    def __init__(self, total: int, enabled: bool):
        self.bar = None
        self._last = 0.0
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="rec", file=sys.stderr, dynamic_ncols=True, smoothing=0.1)

    def tick(self, engine: Engine, force: bool = False) -> None:
        if self.bar is None:
            return
        self.bar.n = min(engine.counters.records, self.bar.total)
        now = time.monotonic()
        if force or now - self._last > 0.2:  # redraw at most 5 times a second: cheap at thousands of answers/s
            self._last = now
            stats = engine.backend.stats
            self.bar.set_postfix(tok=stats.prompt_tokens + stats.completion_tokens, rej=engine.counters.rejects,
                                 hits=engine.counters.cache_hits, req=stats.requests, refresh=False)
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class PartialGeneration(UserError):
    """Fewer records than asked; the output holds those that were made."""

    exit_code = 3


class CostCapReached(PartialGeneration):
    """The cost cap stopped the run; ``summary`` (None after pickling) says what it did."""

    def __init__(self, message: str, summary: Summary | None = None):
        super().__init__(message)
        self.summary = summary


def check_complete(summary: Summary, allow_partial: bool = False) -> None:
    """Raise :class:`PartialGeneration` when the run made fewer records than asked (unless allowed)."""
    if summary.records >= summary.requested or allow_partial:
        return
    retry = ("rerun to retry the failed requests" if summary.failures
             else "rerun with a higher --max-attempts or --set overdraw=2")
    raise PartialGeneration(
        f"only {summary.records} of {summary.requested} records were generated ({summary.rejects} answers rejected, "
        f"{summary.failures} requests failed; see {summary.rejects_file}), and {summary.out} holds them; "
        f"{retry} (every answer so far is cached), or pass --allow-partial to accept fewer"
    )


def rejects_path(cfg: GenerationConfig) -> Path:
    return cfg.rejects or cfg.out.with_name(cfg.out.stem + ".rejects.jsonl")


def topics_path(cfg: GenerationConfig) -> Path:
    """Where a generated topic pool is written (only when no topics are given)."""
    return cfg.out.with_name(cfg.out.stem + ".topics.txt")


def check_paths(cfg: GenerationConfig) -> None:
    """Refuse, before any work, outputs that are inputs or each other, or that cannot be written."""
    from synthdiv.generation.config import option_name as named
    from synthdiv.paths import check_io

    topics_file = cfg.topics if cfg.topics and cfg.topics != "builtin" else None
    check_io(
        inputs={"--real": cfg.real, "--topics": topics_file, named("prompts_dir"): cfg.prompts_dir,
                named("adapter"): cfg.backend_options.get("adapter"), "--model": cfg.model},
        outputs={"--out": cfg.out, named("rejects"): rejects_path(cfg), "topic pool": None if cfg.topics else topics_path(cfg)},
        folders={named("cache_dir"): (cfg.cache_dir or default_cache_dir()) if cfg.cache else None},
    )


def default_cache_dir() -> Path:
    from synthdiv.models.registry import cache_dir

    return cache_dir() / "responses"


@contextmanager
def opened_engine(backend: str, model: str, options: dict[str, Any], sampling: SamplingParams, cache_dir: Path | None = None,
                  cost=None):
    """An :class:`Engine` on ``backend`` and the response cache (``cache_dir`` or the default), both
    closed on the way out: what ``synthdiv topics`` and a sweep's topics stage ask through. ``cost``
    (generation.cost.CostOptions) caps what its requests cost, as generate's."""
    from synthdiv.backends import get_backend
    from synthdiv.generation.cache import ResponseCache

    folder = cache_dir or default_cache_dir()
    engine_backend = get_backend(backend, model=model, **{"state_dir": str(folder / "batches"), **options})
    cache = ResponseCache(folder)
    budget = None if cost is None else cost.budget(engine_backend, sampling.max_tokens)
    try:
        yield Engine(engine_backend, sampling, cache, budget=budget)
    finally:
        engine_backend.close()
        cache.close()


def load_real(cfg: GenerationConfig) -> list[Record]:
    from synthdiv.data import read_input

    if cfg.real_records is not None:
        records = list(cfg.real_records)
    elif cfg.real is not None:
        records = read_input(cfg.real)
    elif cfg.task == "story_completion":
        try:
            from synthdiv.data.corpus import load_corpus_stories
        except ImportError:
            raise UserError("no embedded story corpus in this install; give --real FILE") from None
        records = load_corpus_stories("train")
    elif cfg.task == "sft":
        from synthdiv.generation.instruct import shipped_examples

        records = shipped_examples()
    else:
        raise UserError(f"{cfg.task} generation needs real seed records: give --real FILE (for QA, for example converted NarrativeQA)")
    records = [r for r in records if r.task == cfg.task]
    if not records:
        raise UserError(f"the real data has no {cfg.task} records", where=str(cfg.real or "embedded corpus"))
    return records


def check_strategy(cfg: GenerationConfig):
    """The level of ``cfg`` once its strategy and task agree (a UserError when they do not)."""
    return get_strategy(cfg.strategy, cfg.task).level(cfg.level, cfg.level_overrides)


def generate_records(engine: Engine, cfg: GenerationConfig, level, real: list[Record], write_pool: bool = True) -> list[Record]:
    """Run the strategy of ``cfg`` on ``engine`` (the plan of a dry run passes ``write_pool=False``)."""
    return get_strategy(cfg.strategy).generate(engine, cfg, level, real, write_pool)


def run_generation(cfg: GenerationConfig) -> Summary:
    from synthdiv.backends import get_backend
    from synthdiv.generation.cache import NullCache, ResponseCache
    from synthdiv.generation.cost import budget_for

    level = check_strategy(cfg)
    check_paths(cfg)
    real = load_real(cfg)
    start = time.monotonic()
    cache_folder = cfg.cache_dir or default_cache_dir()
    # state_dir: what a backend must keep across runs (the batch backend's submitted batches), beside the cache
    backend = get_backend(cfg.backend, model=cfg.model, **{"state_dir": str(cache_folder / "batches"), **cfg.backend_kwargs()})
    cache = ResponseCache(cache_folder) if cfg.cache else NullCache()
    progress = Progress(cfg.n, cfg.progress)
    engine = Engine(backend, cfg.sampling, cache, progress, budget=budget_for(cfg, backend))
    rejects_file = rejects_path(cfg)
    try:
        records = generate_records(engine, cfg, level, real)
        engine.counters.records = len(records)
        progress.tick(engine)
    except UserError:
        if engine.stopped:  # a step that needs all its answers (a QA context's m pairs, the topic pool) was cut short
            raise CostCapReached(engine.budget.message(0, cfg.n, "nothing was written")) from None
        raise
    finally:
        progress.close()
        backend.close()
        cache.close()
    if greedy := engine.greedy_warning():  # once per run, after the bar: the count covers every step
        say(greedy)
    if cfg.generation is not None:
        _mark_generation(records, cfg.generation)
    if len({r.id for r in records}) != len(records):  # an internal bug, not a user error
        raise RuntimeError("generated records have duplicate ids")
    from synthdiv.data.records_io import write_records

    write_records(records, cfg.out)
    with atomic_write(rejects_file) as fh:
        for rej in engine.rejects:
            fh.write(json.dumps(rej, ensure_ascii=False) + "\n")
    summary = _summary(engine, cfg, records, time.monotonic() - start, rejects_file)
    if engine.stopped:
        raise CostCapReached(engine.budget.message(len(records), cfg.n, f"{cfg.out} holds them"), summary)
    return summary


def _mark_generation(records: list[Record], generation: int) -> None:
    """Every generation of a loop uses the same prompts, so its records would get the same
    ids as the last generation's: the generation goes into the id and the provenance."""
    for r in records:
        r.id = f"{r.id}-g{generation}"
        r.provenance.generation = generation
        if r.provenance.parent_id:
            r.provenance.parent_id = f"{r.provenance.parent_id}-g{generation}"


def _summary(engine: Engine, cfg: GenerationConfig, records, seconds: float, rejects_file: Path) -> Summary:
    stats = engine.backend.stats
    from synthdiv.generation.cost import resolve_prices

    price_factor = float(getattr(engine.backend, "price_factor", 1.0))
    prices = resolve_prices(cfg.backend, cfg.model, cfg.price_in, cfg.price_out)
    # a batch backend bills at a fraction of the online price (its price_factor setting)
    cost = None if prices is None else prices.cost(stats.prompt_tokens, stats.completion_tokens, price_factor)
    return Summary(
        records=len(records),
        requests=stats.requests,
        cache_hits=engine.counters.cache_hits,
        retries=stats.retries,
        failures=stats.failures,
        rejects=engine.counters.rejects,
        prompt_tokens=stats.prompt_tokens,
        completion_tokens=stats.completion_tokens,
        cached_tokens=engine.counters.cached_prompt_tokens + engine.counters.cached_completion_tokens,
        seconds=seconds,
        cost=cost,
        price_factor=price_factor,
        price_source="" if prices is None else prices.source,
        skipped_replacements=engine.counters.skipped_replacements,
        out=str(cfg.out),
        rejects_file=str(rejects_file),
        requested=cfg.n,
        servers={url: dict(counts) for url, counts in stats.servers.items()},
    )


def summary_dict(summary: Summary) -> dict[str, Any]:
    return asdict(summary)
