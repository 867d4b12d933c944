"""``synthdiv compare A B``: is B's test loss really different from A's?

Reads two per-record loss files (``evaluate --per-sample`` JSONL, or an
``eval.json`` with a ``per_sample`` list) and prints the paired bootstrap
difference B - A of :mod:`synthdiv.stats.comparison`. numpy only: no torch.
"""

from __future__ import annotations

import json

import typer

from synthdiv.cli.deprecated import Old, old_spellings
from synthdiv.stats.bootstrap_settings import DEFAULTS
from synthdiv.stats.comparison import compare_files, format_p


def _print_human(r: dict) -> None:
    pct = f"{100 * r['level']:g}%"
    typer.echo(
        f"B - A test loss: {r['delta']:+.4f} nats/token (A {r['a_loss']:.4f}, B {r['b_loss']:.4f}), "
        f"{pct} interval [{r['ci_low']:+.4f}, {r['ci_high']:+.4f}], {format_p(r['p_value'], r['resamples'], r['p_at_floor'])}"
    )
    typer.echo(f"  {r['pairs']} paired records ({r['tokens']} target tokens in A), {r['resamples']} resamples, seed {r['seed']}")
    typer.echo(f"  A = {r['a']}, B = {r['b']}")
    typer.echo(r["verdict"])


def compare_cmd(
    a: str = typer.Argument(..., metavar="A", help="Per-record losses of model A: JSONL from 'evaluate --per-sample', or an eval.json with 'per_sample'."),
    b: str = typer.Argument(..., metavar="B", help="Per-record losses of model B on the same test records."),
    resamples: int = typer.Option(DEFAULTS.resamples, "--resamples", help="Bootstrap resamples of the test records."),
    seed: int = typer.Option(DEFAULTS.seed, "--seed", help="Seed of the resampling (numpy PCG64): the same seed gives the same numbers."),
    confidence: float = typer.Option(DEFAULTS.level, "--confidence", help="Confidence level of the percentile interval."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (keys: delta, ci_low, ci_high, p_value, pairs, ...)."),
) -> None:
    """Paired bootstrap of the test-loss difference B - A over the shared test records."""
    result = compare_files(a, b, resamples=resamples, seed=seed, level=confidence)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        _print_human(result)


def register(app: typer.Typer) -> None:
    # --level is generate's diversity level: the confidence level has its own word
    app.command("compare", cls=old_spellings(Old("--level", "--confidence")))(compare_cmd)
