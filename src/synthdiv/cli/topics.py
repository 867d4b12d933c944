"""``synthdiv topics``: grow a topic pool of any size as a tree (docs/generation.md).

    synthdiv topics --size 10000 --out pool.txt

The pool file has one topic per line with its path ("Theme > Subtopic > Topic"); edit
it and give it to ``synthdiv generate --topics pool.txt`` or the spec's ``generation.topics``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

from synthdiv.backends import BACKENDS
from synthdiv.backends.base import OPTION_DEFAULTS
from synthdiv.generation.settings import SETTINGS
from synthdiv.generation.topic_tree import PoolRecipe

_RECIPE = PoolRecipe(size=1)  # the recipe's defaults: one definition for this command and a sweep's topics stage


def register(app: typer.Typer) -> None:
    @app.command("topics", help="Grow a pool of distinct topics as a tree (themes > subtopics > topics), near-duplicates removed.")
    def topics_cmd(
        size: int = typer.Option(..., help="distinct topics wanted (the paper's D6 uses 10000)"),
        out: Path = typer.Option(..., help="pool file to write: one 'Theme > Subtopic > Topic' line per topic"),
        backend: str = typer.Option(SETTINGS["backend"].default, help=f"one of {', '.join(BACKENDS)}"),
        model: str = typer.Option(SETTINGS["model"].default, help=SETTINGS["model"].help),
        base_url: list[str] = typer.Option(SETTINGS["base_url"].default, "--base-url", metavar="URL", help=SETTINGS["base_url"].help),
        seed: int = typer.Option(0, help="seed of the style examples in each prompt, and of sampling"),
        per_request: int = typer.Option(_RECIPE.per_request, help="topics asked for in each request (a small model repeats itself in longer lists)"),
        depth: int = typer.Option(_RECIPE.depth, help="depth the tree fills first (3 = theme > subtopic > topic); "
                                                      "it grows deeper once asking nodes again stops finding new topics"),
        near_duplicate_threshold: float = typer.Option(_RECIPE.near_duplicate_threshold,
                                                       help="embedding cosine at or above which a topic is a near-duplicate"),
        embedder: str = typer.Option(_RECIPE.embedder, help="embedder for near-duplicates, or 'none' for exact (normalised) matches only"),
        temperature: float = typer.Option(SETTINGS["temperature"].default, help=SETTINGS["temperature"].help),
        max_tokens: int = typer.Option(_RECIPE.max_tokens, help="answer budget per request, in tokens"),
        batch_size: int = typer.Option(OPTION_DEFAULTS["batch_size"], help="transformers: prompts per forward pass"),
        cache_dir: Path = typer.Option(None, help="response cache folder (default $SYNTHDIV_CACHE/responses)"),
        sample: int = typer.Option(10, help="pool lines to print as a sample"),
    ) -> None:
        from synthdiv.backends.base import SamplingParams
        from synthdiv.backends.servers import as_base_url
        from synthdiv.errors import check_choice
        from synthdiv.generation.runner import default_cache_dir, opened_engine
        from synthdiv.generation.topic_tree import PoolRecipe, grow_pool, write_pool_file
        from synthdiv.paths import check_io

        check_choice(backend, BACKENDS, what="backend", where="--backend")
        check_io(outputs={"--out": out}, folders={"--cache-dir": cache_dir or default_cache_dir()})
        recipe = PoolRecipe(size=size, seed=seed, per_request=per_request, depth=depth, max_tokens=max_tokens,
                            embedder=None if embedder == "none" else embedder, near_duplicate_threshold=near_duplicate_threshold)
        options = {"base_url": as_base_url(base_url)} if base_url else {}
        if backend == "transformers":
            options["batch_size"] = batch_size
        start = time.monotonic()

        def progress(g) -> None:
            print(f"  {len(g.topics)} topics after {g.requests} requests ({g.duplicate_rate:.0%} of candidates were duplicates)",
                  file=sys.stderr, flush=True)
            # the pool so far, after every round: a usable file if the growth is stopped (a rerun resumes from the cache)
            write_pool_file(out, g.topics, f"partial: {len(g.topics)} of {size} topics so far; run the same command again to "
                                           f"continue (answered requests are cached), {backend} {model}, seed {seed}")

        with opened_engine(backend, model, options, SamplingParams(temperature=temperature, seed=seed), cache_dir) as engine:
            growth = grow_pool(engine, recipe, progress=progress)
        write_pool_file(out, growth.topics, f"{len(growth.topics)} topics, {backend} {model}, seed {seed}")
        s = growth.summary()
        typer.echo(f"{s['topics']} of {size} distinct topics -> {out} ({s['requests']} requests, {time.monotonic() - start:.0f} s)")
        typer.echo(f"  candidates {s['candidates']}: {s['exact_duplicates']} exact and {s['near_duplicates']} near-duplicates "
                   f"removed ({s['duplicate_rate']:.1%}); by depth {s['by_depth']}")
        for t in growth.topics[:: max(1, len(growth.topics) // max(1, sample))][:sample]:
            typer.echo(f"  {t.line}")
        if len(growth.topics) < size:
            typer.echo(f"warning: the pool reached {len(growth.topics)} of {size} topics; raise --per-request or --depth, "
                       "or rerun with another --seed and merge the files", err=True)
