"""``synthdiv generate``: diversity-controlled generation.

Stories:  synthdiv generate --task story_completion --strategy topic --level D3 --n 1000 --out gen.jsonl
QA:       synthdiv generate --task long_context_qa --strategy paraphrase --real qa.jsonl --level D3 --n 1000 --out gen.jsonl

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
    @app.command("generate", help="Generate records at a diversity level (topic-guided stories or paraphrase-augmented QA).")
    def generate(
        task: str = typer.Option(TASKS[0], help=" or ".join(TASKS)),
        strategy: str = typer.Option(next(iter(STRATEGIES)), help=_STRATEGY_HELP),
        level: str = typer.Option("D3", metavar="D0..D6", help="diversity level D0 (lowest) … D6 (highest), e.g. D3"),
        n: int = typer.Option(..., "--n", help="number of records to generate"),
        out: Path = typer.Option(..., help="output record file (.jsonl, .csv, .parquet)"),
        real: Path = typer.Option(None, help="real records used as seeds (default for stories: the embedded corpus)"),
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
        from synthdiv.backends.base import SamplingParams
        from synthdiv.backends.servers import as_base_url
        from synthdiv.generation.runner import CostCapReached, GenerationConfig, check_complete, check_paths, run_generation
        from synthdiv.generation.strategies import get_strategy

        chosen = get_strategy(strategy, task)
        given = {"topic_set_size": topic_set_size, "k": k, "m": m, "p": p, "replace_count": replace, "replace_share": replace_share}
        overrides = {name: given[name] for name in chosen.level_options if name in given}
        overrides.update(_level_options(level_option))
        chosen.level(level, overrides, where="--level-option")  # refuses a field the strategy's levels do not have
        cfg = GenerationConfig(
            task=task,
            strategy=strategy,
            level=level,
            n=n,
            out=out,
            real=real,
            topics=topics,
            pool_size=pool_size,
            pool_growth=pool_growth,
            min_topic_adherence=min_topic_adherence,
            constrain=constrain,
            backend=backend,
            model=model,
            backend_options={
                "adapter": str(adapter) if adapter else None, "base_url": as_base_url(base_url), "api_key_env": api_key_env,
                "concurrency": concurrency, "rpm": rpm, "tpm": tpm, "timeout": timeout, "max_retries": max_retries,
                "batch_size": batch_size, "device": device,
            },
            sampling=SamplingParams(temperature=temperature, top_p=top_p, seed=seed,
                                    max_tokens=max_tokens if max_tokens is not None else chosen.max_tokens),
            level_overrides=overrides,
            seed=seed,
            cache=not no_cache,
            cache_dir=cache_dir,
            rejects=rejects,
            max_attempts=max_attempts,
            overdraw=overdraw,
            prompts_dir=str(prompts_dir) if prompts_dir else None,
            price_in=price_in,
            price_out=price_out,
            progress=progress,
            max_cost=max_cost,
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
