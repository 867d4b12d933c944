"""``synthdiv topics``: grow a topic pool of any size as a tree (docs/generation.md).

    synthdiv topics --size 10000 --out pool.txt

The growth stops at the pool's size, when it stalls, or at the request cap derived from the size;
``--max-cost``, ``--price-in/--price-out`` and ``--dry-run`` are generate's. A pool that falls short
is written and ends in exit code 3 (``--allow-partial``: 0); an empty one is exit code 2.

The pool file has one topic per line with its path ("Theme > Subtopic > Topic"); edit
it and give it to ``synthdiv generate --topics pool.txt`` or the spec's ``generation.topics``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

from synthdiv.backends import BACKENDS
from synthdiv.cli.deprecated import Old, old_spellings
from synthdiv.generation.config import EVERY_SETTING
from synthdiv.generation.topic_tree import PoolRecipe

_RECIPE = PoolRecipe(size=1)  # the recipe's defaults: one definition for this command and a sweep's topics stage


def _option(name: str, *flags: str, **extra):
    """The option of generation setting ``name``, as generate has it (one meaning everywhere)."""
    setting = EVERY_SETTING[name]
    return typer.Option(setting.default, *flags, help=extra.pop("help", setting.help), **extra)


def register(app: typer.Typer) -> None:
    # --sample keeps N records in `data`: printing N pool lines is --show
    @app.command("topics", cls=old_spellings(Old("--sample", "--show")),
                 help="Grow a pool of distinct topics as a tree (themes > subtopics > topics), near-duplicates removed.")
    def topics_cmd(
        size: int = typer.Option(..., help="Distinct topics wanted (the paper's D6 uses 10000)."),
        out: Path = typer.Option(..., "--out", "-o", help="Pool file to write: one 'Theme > Subtopic > Topic' line per topic."),
        backend: str = _option("backend", help=f"Generation backend: {', '.join(BACKENDS)}."),
        model: str = _option("model"),
        base_url: list[str] = _option("base_url", "--base-url", metavar="URL"),
        seed: int = typer.Option(0, help="Random seed of the style examples in each prompt, and of sampling."),
        per_request: int = typer.Option(_RECIPE.per_request, help="Topics asked for in each request (a small model repeats itself in longer lists)."),
        depth: int = typer.Option(_RECIPE.depth, help="Depth the tree fills first (3 = theme > subtopic > topic); "
                                                      "it grows deeper once asking nodes again stops finding new topics."),
        near_duplicate_threshold: float = typer.Option(_RECIPE.near_duplicate_threshold,
                                                       help="Embedding cosine at or above which a topic is a near-duplicate."),
        embedder: str = typer.Option(_RECIPE.embedder, help="Embedding model for near-duplicates, or 'none' for exact (normalised) matches only."),
        temperature: float = _option("temperature"),
        max_tokens: int = typer.Option(_RECIPE.max_tokens, help="Answer budget per request, in tokens."),
        batch_size: int = _option("batch_size"),
        cache_dir: Path = _option("cache_dir"),
        show: int = typer.Option(10, help="Pool lines to print as a sample."),
        price_in: float = _option("price_in"),
        price_out: float = _option("price_out"),
        max_cost: float = _option("max_cost"),
        dry_run: bool = typer.Option(False, "--dry-run", help="Print the request cap and what it could cost; send and write nothing."),
        allow_partial: bool = typer.Option(False, "--allow-partial",
                                           help="Exit 0 even when the pool falls short of --size (default: exit code 3)."),
    ) -> None:
        from synthdiv.backends.base import SamplingParams
        from synthdiv.backends.servers import as_base_url
        from synthdiv.errors import check_choice
        from synthdiv.generation.cost import CostOptions
        from synthdiv.generation.runner import default_cache_dir, opened_engine
        from synthdiv.generation.topic_tree import PoolRecipe, grow_pool, write_pool_file
        from synthdiv.models.registry import embedder_or_none
        from synthdiv.paths import check_io

        check_choice(backend, BACKENDS, what="backend", where="--backend")
        recipe = PoolRecipe(size=size, seed=seed, per_request=per_request, depth=depth, max_tokens=max_tokens,
                            embedder=embedder_or_none(embedder), near_duplicate_threshold=near_duplicate_threshold)
        cost = CostOptions(backend, model, price_in, price_out, max_cost)  # the same checks as generate's
        check_io(outputs={"--out": out}, folders={"--cache-dir": cache_dir or default_cache_dir()})
        if dry_run:
            _print_plan(recipe, cost, backend, model, out)
            return
        options = {"base_url": as_base_url(base_url)} if base_url else {}
        if backend == "transformers":
            options["batch_size"] = batch_size
        start = time.monotonic()
        print(f"growing {size} topics with at most {recipe.request_cap} requests (the cap for --size {size}); it stops "
              "sooner when the growth stalls (docs/generation.md)", file=sys.stderr, flush=True)

        def progress(g) -> None:
            print(f"  {len(g.topics)} topics after {g.requests} requests ({g.duplicate_rate:.0%} of candidates were duplicates)",
                  file=sys.stderr, flush=True)
            if g.topics:  # the pool so far, after every round: a usable file if the growth is stopped (a rerun resumes from the cache)
                write_pool_file(out, g.topics, f"partial: {len(g.topics)} of {size} topics so far; run the same command again to "
                                               f"continue (answered requests are cached), {backend} {model}, seed {seed}")

        sampling = SamplingParams(temperature=temperature, seed=seed, max_tokens=max_tokens)
        with opened_engine(backend, model, options, sampling, cache_dir, cost=cost) as engine:
            growth = grow_pool(engine, recipe, progress=progress)
            _check_not_empty(growth, engine, size)
            write_pool_file(out, growth.topics, f"{len(growth.topics)} topics, {backend} {model}, seed {seed}")
            _print_summary(growth, size, out, time.monotonic() - start, show, cost.cost_line(engine.backend.stats,
                                                                                                 _price_factor(engine)))
            _check_full(growth, engine, size, out, allow_partial)


def _price_factor(engine) -> float:
    return float(getattr(engine.backend, "price_factor", 1.0))


def _print_plan(recipe, cost, backend: str, model: str, out: Path) -> None:
    from synthdiv.generation.cost import plan_topic_pool

    typer.echo(f"plan: a pool of {recipe.size} topics with {backend} {model} -> {out} (dry run: nothing sent or written)")
    for line in plan_topic_pool(recipe, cost):
        typer.echo(line)
    if cost.max_cost is not None:
        typer.echo(f"cap: --max-cost {cost.max_cost:g} USD stops the growth before a request could pass it")


def _print_summary(growth, size: int, out: Path, seconds: float, sample: int, cost_line: str | None) -> None:
    s = growth.summary()
    typer.echo(f"{s['topics']} of {size} distinct topics -> {out} ({s['requests']} requests, {seconds:.0f} s)")
    typer.echo(f"  candidates {s['candidates']}: {s['exact_duplicates']} exact and {s['near_duplicates']} near-duplicates "
               f"removed ({s['duplicate_rate']:.1%}); by depth {s['by_depth']}")
    for t in growth.topics[:: max(1, len(growth.topics) // max(1, sample))][:sample]:
        typer.echo(f"  {t.line}")
    if cost_line:
        typer.echo(cost_line)


def _check_not_empty(growth, engine, size: int) -> None:
    """An empty pool is exit 2 (nothing to write), or exit 3 when the cost cap stopped it."""
    from synthdiv.errors import UserError
    from synthdiv.generation.runner import CostCapReached

    if growth.topics:
        return
    if engine.stopped:
        raise CostCapReached(engine.budget.message(0, size, "nothing was written", unit="topics"))
    why = f": {growth.stopped}" if growth.stopped else ""
    raise UserError(f"the model produced no usable topics in {growth.requests} requests{why}; nothing was written; check the "
                    "model and its answers (a larger model, --temperature), or give generate a topics file")


def _check_full(growth, engine, size: int, out: Path, allow_partial: bool) -> None:
    """A pool short of ``size`` ends in exit 3 (written, and said why), like generate; --allow-partial accepts it."""
    from synthdiv.generation.runner import CostCapReached, PartialGeneration

    n = len(growth.topics)
    if engine.stopped:
        raise CostCapReached(engine.budget.message(n, size, f"{out} holds them", unit="topics"))
    if n >= size:
        return
    advice = "raise --per-request or --depth, or rerun with another --seed and merge the files"
    if allow_partial:
        typer.echo(f"warning: the pool reached {n} of {size} topics ({growth.stopped}); {advice}", err=True)
        return
    raise PartialGeneration(f"only {n} of {size} topics were grown ({growth.stopped}), and {out} holds them; {advice} "
                            "(every answer so far is cached), or pass --allow-partial to accept fewer")
