"""``synthdiv generate``: diversity-controlled generation.

Stories:      synthdiv generate --strategy topic --level D3 --n 1000 --out gen.jsonl
Instructions: synthdiv generate --strategy instruct --real my_sft.jsonl --level D3 --n 1000 --out gen.jsonl
QA:           synthdiv generate --strategy paraphrase --real qa.jsonl --level D3 --n 1000 --out gen.jsonl

Nothing heavy is imported until the command runs.
"""

from __future__ import annotations

from pathlib import Path

import typer

from synthdiv.backends import BACKENDS  # names only: the backends' modules load when one is built
from synthdiv.backends.base import OPTION_DEFAULTS
from synthdiv.generation.settings import SETTINGS
from synthdiv.records import TASKS
from synthdiv.generation.strategies import STRATEGIES


def _option(name: str, *flags: str, **extra):
    """The option of generation setting ``name``: its default and help from generation.settings."""
    setting = SETTINGS[name]
    return typer.Option(setting.default, *flags, help=extra.pop("help", setting.help), **extra)


_STRATEGY_HELP = " or ".join(f"{s.name} ({s.task})" for s in STRATEGIES.values())


def register(app: typer.Typer) -> None:
    @app.command("generate", help="Generate records at a diversity level (topic-guided stories or instruction data, paraphrase-augmented QA).")
    def generate(
        task: str = typer.Option(None, help=f"{' or '.join(TASKS)} (default: the strategy's)"),
        strategy: str = typer.Option(None, help=f"{_STRATEGY_HELP} (default: the task's first, else topic)"),
        level: str = typer.Option("D3", metavar="D0..D6", help="diversity level D0 (lowest) … D6 (highest), e.g. D3"),
        n: int = typer.Option(..., "--n", help="number of records to generate"),
        out: Path = typer.Option(..., help="output record file (.jsonl, .csv, .parquet)"),
        real: Path = typer.Option(None, help="real data shown as seeds, in any form synthdiv reads (default: the embedded corpus "
                                             "for stories, synthdiv's 62 instruction pairs for instruct)"),
        topics: str = typer.Option(None, help="topics file, one per line, or 'builtin' (paper A.4); default: generate a pool"),
        pool_size: int = _option("pool_size"),
        pool_growth: str = _option("pool_growth"),
        min_topic_adherence: float = _option("min_topic_adherence"),
        constrain: bool = _option("constrain", "--constrain"),
        topic_set_size: int = typer.Option(None, help="override |T| of the level"),
        k: int = typer.Option(None, help="real seed examples per prompt (default 3 stories / 5 QA pairs)"),
        m: int = typer.Option(None, help="QA: generated pairs per context (default 10)"),
        p: int = typer.Option(None, help="QA: paraphrases per question (default 5)"),
        replace: int = typer.Option(None, help="QA: replacement count r (overrides the level's share)"),
        replace_share: float = typer.Option(None, help="QA: replaced share r/m"),
        level_option: list[str] = typer.Option([], "--level-option", metavar="FIELD=VALUE",
                                               help="any level field of the strategy, e.g. k=4, or seed_pool=level and "
                                                    "temperature=level (the level narrows the seeds and sets the "
                                                    "temperature, docs/generation.md); repeat for more "
                                                    "(a strategy added without flags of its own is set so)"),
        backend: str = _option("backend", help=f"one of {', '.join(BACKENDS)}"),  # the registry's names
        model: str = _option("model"),
        adapter: Path = typer.Option(None, help="transformers: a LoRA adapter folder to generate with"),
        base_url: list[str] = _option("base_url", "--base-url", metavar="URL"),
        api_key_env: str = _option("api_key_env"),
        concurrency: int = typer.Option(OPTION_DEFAULTS["concurrency"], help="openai: requests in flight, per server"),
        rpm: float = typer.Option(None, help="openai: requests per minute limit"),
        tpm: float = typer.Option(None, help="openai: tokens per minute limit"),
        timeout: float = typer.Option(OPTION_DEFAULTS["timeout"], help="openai: per-request timeout, seconds"),
        max_retries: int = typer.Option(OPTION_DEFAULTS["max_retries"], help="openai: retries per request"),
        batch_size: int = typer.Option(OPTION_DEFAULTS["batch_size"], help="transformers: prompts per forward pass"),
        device: str = typer.Option(None, help="transformers: cpu, cuda … (default: GPU when there is one)"),
        temperature: float = _option("temperature"),
        top_p: float = _option("top_p"),
        max_tokens: int = _option("max_tokens"),
        seed: int = typer.Option(0, help="seed for topics, seeds, replacement and sampling"),
        max_attempts: int = _option("max_attempts"),
        overdraw: float = _option("overdraw"),
        no_cache: bool = typer.Option(False, "--no-cache", help="do not read or write the response cache"),
        cache_dir: Path = typer.Option(None, help="response cache folder (default $SYNTHDIV_CACHE/responses)"),
        rejects: Path = typer.Option(None, help="rejects file (default OUT.rejects.jsonl)"),
        prompts_dir: Path = typer.Option(None, help="folder with replacement prompt templates"),
        price_in: float = _option("price_in"),
        price_out: float = _option("price_out"),
        max_cost: float = _option("max_cost"),
        dry_run: bool = typer.Option(False, "--dry-run", help="print the planned requests, tokens and cost; send and write nothing"),
        progress: bool = typer.Option(True, help="show the progress bar"),
        allow_partial: bool = typer.Option(False, "--allow-partial",
                                           help="exit 0 even when fewer than --n records were made (default: exit code 3)"),
    ) -> None:
        from synthdiv.generation.runner import CostCapReached, check_complete, check_paths, generation_config, run_generation
        from synthdiv.generation.strategies import resolve_strategy

        chosen = resolve_strategy(strategy, task)
        given = {"topic_set_size": topic_set_size, "k": k, "m": m, "p": p, "replace_count": replace, "replace_share": replace_share}
        overrides = {name: given[name] for name in chosen.level_options if name in given}
        overrides.update(_level_options(level_option))
        cfg = generation_config(
            n=n, out=out, level=level, strategy=chosen.name, seed=seed, level_options=overrides, real=real, topics=topics,
            pool_size=pool_size, pool_growth=pool_growth, min_topic_adherence=min_topic_adherence, constrain=constrain,
            backend=backend, model=model, adapter=adapter, base_url=base_url, api_key_env=api_key_env, concurrency=concurrency,
            rpm=rpm, tpm=tpm, timeout=timeout, max_retries=max_retries, batch_size=batch_size, device=device,
            temperature=temperature, top_p=top_p, max_tokens=max_tokens, max_attempts=max_attempts, overdraw=overdraw,
            cache=not no_cache, cache_dir=cache_dir, rejects=rejects, prompts_dir=prompts_dir, price_in=price_in,
            price_out=price_out, max_cost=max_cost, progress=progress,
        )
        if dry_run:
            _print_plan(cfg, check_paths)
            return
        try:
            summary = run_generation(cfg)
        except CostCapReached as exc:  # the summary first, then the one error line (exit code 3)
            for line in exc.summary.lines() if exc.summary else []:
                typer.echo(line)
            raise
        for line in summary.lines():
            typer.echo(line)
        check_complete(summary, allow_partial)  # the last line says when records fall short (exit code 3)


def _level_options(items: list[str]) -> dict:
    """``--level-option k=4`` → {"k": 4} (values read as YAML scalars: numbers, true/false, null, text)."""
    import yaml

    from synthdiv.errors import UserError

    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UserError(f"expected FIELD=VALUE, got {item!r}", where="--level-option")
        out[name.strip()] = yaml.safe_load(value)
    return out


def _print_plan(cfg, check_paths) -> None:
    """``--dry-run``: the checks a run makes before work, then its plan (generation.cost)."""
    from synthdiv.generation.cost import plan_generation

    check_paths(cfg)
    plan = plan_generation(cfg)
    typer.echo(f"plan: {cfg.n} {cfg.task} records at {cfg.level} with {cfg.backend} {cfg.model} -> {cfg.out} (dry run: nothing sent or written)")
    for line in plan.lines():
        typer.echo(line)
    if cfg.max_cost is not None:
        typer.echo(f"cap: --max-cost {cfg.max_cost:g} USD stops the run before a request could pass it")
