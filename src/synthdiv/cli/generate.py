"""``synthdiv generate``: diversity-controlled generation.

Stories:      synthdiv generate --strategy topic --level D3 --n 1000 -o gen.jsonl
Instructions: synthdiv generate --strategy instruct --real my_sft.jsonl --level D3 --n 1000 -o gen.jsonl
QA:           synthdiv generate --strategy paraphrase --real qa.jsonl --level D3 --n 1000 -o gen.jsonl

The options a run usually sets have flags; every generation setting (generation.config) is also
``--set NAME=VALUE``, and every level field ``--level-option FIELD=VALUE``, as a sweep's spec sets
them (torchtune's shape: one config, overrides by key), so the help fits a screen. The flags these
replaced keep working for one release (cli.deprecated). Nothing heavy is imported until the command runs.
"""

from __future__ import annotations

from pathlib import Path

import typer

from synthdiv.backends import BACKENDS  # names only: the backends' modules load when one is built
from synthdiv.cli.deprecated import Old, old_spellings
from synthdiv.generation.config import EVERY_SETTING, SETTINGS
from synthdiv.generation.strategies import STRATEGIES
from synthdiv.records import TASKS

_STRATEGY_HELP = ", ".join(STRATEGIES)
# generate's flags before --set and --level-option took them over (each still works, with a notice, until the next release)
_LEVEL_FLAGS = {"--k": "k", "--m": "m", "--p": "p", "--replace": "replace_count", "--replace-share": "replace_share",
                "--topic-set-size": "topic_set_size"}
_SET_FLAGS = ("top_p", "pool_size", "pool_growth", "min_topic_adherence", "constrain", "overdraw", "rejects", "prompts_dir",
              "adapter", "concurrency", "rpm", "tpm", "timeout", "max_retries", "batch_size", "device")  # --set took them over
MOVED = (
    *(Old(flag, "--level-option", key=field) for flag, field in _LEVEL_FLAGS.items()),
    *(Old("--" + name.replace("_", "-"), "--set", key=name, flag_value="true" if EVERY_SETTING[name].type is bool else None)
      for name in _SET_FLAGS),
    Old("--no-cache", "--set", key="cache", flag_value="false"),
)
SET_HELP = ("A generation setting: " + ", ".join(name for name, s in SETTINGS.items() if s.panel is None)
            + ", or a backend's own (docs/backends.md); e.g. top_p=0.9, dtype=bfloat16.")


def _option(name: str, *flags: str, **extra):
    """The flag of generation setting ``name``: its default, help and panel from generation.config."""
    setting = EVERY_SETTING[name]
    return typer.Option(setting.default, *flags, help=extra.pop("help", setting.help), rich_help_panel=setting.panel, **extra)


def register(app: typer.Typer) -> None:
    @app.command("generate", cls=old_spellings(*MOVED, set_names=EVERY_SETTING),
                 help="Generate records at a diversity level (topic-guided stories or instruction data, paraphrase-augmented QA).")
    def generate(
        ctx: typer.Context,
        strategy: str = typer.Option(None, help=f"Generation strategy: {_STRATEGY_HELP} (default: the task's)."),
        task: str = typer.Option(None, help=f"Task: {', '.join(TASKS)} (default: the strategy's)."),
        level: str = typer.Option("D3", metavar="D0..D6", help="Diversity level, D0 (lowest) to D6."),
        level_option: list[str] = typer.Option([], "--level-option", metavar="FIELD=VALUE",
                                               help="A level field, e.g. k=4 (real examples per prompt) or topic_set_size=50; repeatable."),
        n: int = typer.Option(..., "--n", help="Number of records to generate."),
        out: Path = typer.Option(..., "--out", "-o", help="Output record file (.jsonl, .csv, .parquet)."),
        real: Path = typer.Option(None, help="Real data shown as examples (default: the embedded corpus; instruct: its 62 pairs)."),
        topics: str = typer.Option(None, help="Topics file or 'builtin' (paper A.4) (default: grow a pool)."),
        seed: int = typer.Option(0, help="Random seed of every draw and of sampling."),
        set_: list[str] = typer.Option([], "--set", metavar="NAME=VALUE", help=SET_HELP),
        dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan and its cost; send and write nothing."),
        progress: bool = typer.Option(True, help="Show the progress bar."),
        allow_partial: bool = typer.Option(False, "--allow-partial",
                                           help="Exit 0 when fewer than --n records were made (else 3)."),
        backend: str = _option("backend", help=f"Generation backend: {', '.join(BACKENDS)}."),  # the registry's names
        model: str = _option("model"),
        base_url: list[str] = _option("base_url", "--base-url", metavar="URL"),
        api_key_env: str = _option("api_key_env"),
        temperature: float = _option("temperature"),
        max_tokens: int = _option("max_tokens"),
        max_attempts: int = _option("max_attempts"),
        price_in: float = _option("price_in"),
        price_out: float = _option("price_out"),
        max_cost: float = _option("max_cost"),
        cache_dir: Path = _option("cache_dir"),
    ) -> None:
        from synthdiv.errors import UserError
        from synthdiv.generation.config import generation_config
        from synthdiv.generation.runner import CostCapReached, check_complete, check_paths, run_generation

        flags = {"base_url": base_url, "api_key_env": api_key_env, "temperature": temperature, "max_tokens": max_tokens,
                 "max_attempts": max_attempts, "price_in": price_in, "price_out": price_out, "max_cost": max_cost,
                 "cache_dir": cache_dir, "backend": backend, "model": model}
        options = {**flags, **_settings(set_, ctx)}
        try:
            cfg = generation_config(n=n, out=out, level=level, strategy=strategy, task=task, seed=seed, real=real, topics=topics,
                                    level_options=_level_options(level_option), progress=progress, **options)
        except UserError as exc:  # a setting without a flag of its own is named as it was given
            if exc.field in EVERY_SETTING and EVERY_SETTING[exc.field].panel is None:
                raise UserError(exc.message, where=f"--set {exc.field}") from None
            raise
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


def _pairs(items: list[str], where: str) -> dict:
    """``["k=4"]`` → {"k": 4} (values read as YAML scalars: numbers, true/false, null, text)."""
    import yaml

    from synthdiv.errors import UserError

    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UserError(f"expected {'FIELD' if where == '--level-option' else 'NAME'}=VALUE, got {item!r}", where=where)
        out[name.strip()] = yaml.safe_load(value)
    return out


def _level_options(items: list[str]) -> dict:
    return _pairs(items, "--level-option")


def _settings(items: list[str], ctx) -> dict:
    """``--set NAME=VALUE`` as generation settings, each read as its setting's type; a setting given
    both as its flag and with --set is refused (which one was meant?)."""
    from synthdiv.errors import UserError, check_choice

    out = {}
    for name, value in _pairs(items, "--set").items():
        check_choice(name, EVERY_SETTING, what="generation setting", where="--set")
        if name in ctx.params and getattr(ctx.get_parameter_source(name), "name", "DEFAULT") == "COMMANDLINE":
            raise UserError(f"{name} is given twice: as --{name.replace('_', '-')} and with --set; give it once", where="--set")
        out[name] = EVERY_SETTING[name].read(name, value)
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
