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
from synthdiv.generation.topic_tree import MAX_DEPTH, NEAR_DUPLICATE_THRESHOLD


def register(app: typer.Typer) -> None:
    @app.command("topics", help="Grow a pool of distinct topics as a tree (themes > subtopics > topics), near-duplicates removed.")
    def topics_cmd(
        size: int = typer.Option(..., help="distinct topics wanted (the paper's D6 uses 10000)"),
        out: Path = typer.Option(..., help="pool file to write: one 'Theme > Subtopic > Topic' line per topic"),
        backend: str = typer.Option(SETTINGS["backend"].default, help=f"one of {', '.join(BACKENDS)}"),
        model: str = typer.Option(SETTINGS["model"].default, help=SETTINGS["model"].help),
        base_url: str = typer.Option(SETTINGS["base_url"].default, help=SETTINGS["base_url"].help),
        seed: int = typer.Option(0, help="seed of the style examples in each prompt, and of sampling"),
        per_request: int = typer.Option(10, help="topics asked for in each request (a small model repeats itself in longer lists)"),
        depth: int = typer.Option(MAX_DEPTH, help="tree depth: 3 = theme > subtopic > topic"),
        near_duplicate_threshold: float = typer.Option(NEAR_DUPLICATE_THRESHOLD,
                                                       help="embedding cosine at or above which a topic is a near-duplicate"),
        embedder: str = typer.Option("minilm-l6", help="embedder for near-duplicates, or 'none' for exact (normalised) matches only"),
        temperature: float = typer.Option(SETTINGS["temperature"].default, help=SETTINGS["temperature"].help),
        max_tokens: int = typer.Option(200, help="answer budget per request, in tokens"),
        batch_size: int = typer.Option(OPTION_DEFAULTS["batch_size"], help="transformers: prompts per forward pass"),
        cache_dir: Path = typer.Option(None, help="response cache folder (default $SYNTHDIV_CACHE/responses)"),
        sample: int = typer.Option(10, help="pool lines to print as a sample"),
    ) -> None:
        from synthdiv.backends import get_backend
        from synthdiv.backends.base import SamplingParams
        from synthdiv.errors import check_choice
        from synthdiv.generation.cache import ResponseCache
        from synthdiv.generation.engine import Engine
        from synthdiv.generation.runner import default_cache_dir
        from synthdiv.generation.topic_tree import grow_topic_tree
        from synthdiv.paths import check_io

        check_choice(backend, BACKENDS, what="backend", where="--backend")
        check_io(outputs={"--out": out}, folders={"--cache-dir": cache_dir or default_cache_dir()})
        embed = None
        if embedder != "none":
            from synthdiv.metrics.embed_cache import embed_texts

            def embed(texts: list[str]):
                return embed_texts(texts, embedder)

        options = {"base_url": base_url} if base_url else {}
        if backend == "transformers":
            options["batch_size"] = batch_size
        engine_backend = get_backend(backend, model=model, **options)
        cache = ResponseCache(cache_dir or default_cache_dir())
        engine = Engine(engine_backend, SamplingParams(temperature=temperature, max_tokens=max_tokens, seed=seed), cache)
        start = time.monotonic()

        def progress(g) -> None:
            print(f"  {len(g.topics)} topics after {g.requests} requests ({g.duplicate_rate:.0%} of candidates were duplicates)",
                  file=sys.stderr, flush=True)
            # the pool so far, after every round: a usable file if the growth is stopped (a rerun resumes from the cache)
            _write_pool(out, g.topics, f"partial: {len(g.topics)} of {size} topics so far; run the same command again to "
                                      f"continue (answered requests are cached), {backend} {model}, seed {seed}")

        try:
            growth = grow_topic_tree(engine, size, seed, per_request=per_request, max_depth=depth, embed=embed,
                                     near_duplicate_threshold=near_duplicate_threshold, progress=progress)
        finally:
            engine_backend.close()
            cache.close()
        _write_pool(out, growth.topics, f"{len(growth.topics)} topics, {backend} {model}, seed {seed}")
        s = growth.summary()
        typer.echo(f"{s['topics']} of {size} distinct topics -> {out} ({s['requests']} requests, {time.monotonic() - start:.0f} s)")
        typer.echo(f"  candidates {s['candidates']}: {s['exact_duplicates']} exact and {s['near_duplicates']} near-duplicates "
                   f"removed ({s['duplicate_rate']:.1%}); by depth {s['by_depth']}")
        for t in growth.topics[:: max(1, len(growth.topics) // max(1, sample))][:sample]:
            typer.echo(f"  {t.line}")
        if len(growth.topics) < size:
            typer.echo(f"warning: the pool reached {len(growth.topics)} of {size} topics; raise --per-request or --depth, "
                       "or rerun with another --seed and merge the files", err=True)


def _write_pool(out: Path, topics, note: str) -> None:
    from synthdiv.fileio import atomic_write

    with atomic_write(out) as fh:
        fh.write(f"# synthdiv topics: {note}; one 'Theme > Subtopic > Topic' per line\n")
        fh.write("\n".join(t.line for t in topics) + ("\n" if topics else ""))
