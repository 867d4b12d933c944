"""``synthdiv compare A B``: is B's test loss really different from A's?

Reads two per-record loss files (``evaluate --per-sample`` JSONL, or an
``eval.json`` with a ``per_sample`` list), pairs the records by id and reports
the paired bootstrap difference B - A (docs/uncertainty.md). numpy only: no torch.
"""

from __future__ import annotations

import json

import typer

from synthdiv.evaluation.bootstrap_settings import DEFAULTS, check_settings
from synthdiv.evaluation.uncertainty import HIGHER, LOWER, UNRESOLVED  # noqa: F401 (the verdicts, re-exported)


def compare_files(a: str, b: str, *, resamples: int = DEFAULTS.resamples, seed: int = DEFAULTS.seed, level: float = DEFAULTS.level) -> dict:
    """The paired difference of two per-record loss files, as the JSON ``compare`` prints."""
    from synthdiv.evaluation.per_record import align_per_record, read_loss_rows
    from synthdiv.evaluation.uncertainty import paired_difference, paired_verdict

    check_settings(resamples, level, seed)  # before reading: a bad option fails at once
    aligned = align_per_record(read_loss_rows(a), read_loss_rows(b), a, b)
    d = paired_difference(aligned.a_nll, aligned.a_tokens, aligned.b_nll, aligned.b_tokens, resamples=resamples, seed=seed, level=level)
    return {
        "a": a, "b": b,
        "delta": d.delta, "ci_low": d.ci_low, "ci_high": d.ci_high, "level": d.level,
        "p_value": d.p_value, "p_at_floor": d.p_at_floor,
        "pairs": d.pairs, "resamples": d.resamples, "seed": d.seed,
        "a_loss": d.a_loss, "b_loss": d.b_loss,
        "tokens": int(aligned.a_tokens.sum()), "a_tokens": int(aligned.a_tokens.sum()), "b_tokens": int(aligned.b_tokens.sum()),
        "verdict": paired_verdict(d),
    }  # fmt: skip


def format_p(p_value: float, resamples: int, at_floor: bool) -> str:
    return f"p ≤ 1/{resamples + 1} (no resample as extreme)" if at_floor else f"p = {p_value:.4f}"


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
    level: float = typer.Option(DEFAULTS.level, "--level", help="Confidence level of the percentile interval."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (keys: delta, ci_low, ci_high, p_value, pairs, ...)."),
) -> None:
    """Paired bootstrap of the test-loss difference B - A over the shared test records."""
    result = compare_files(a, b, resamples=resamples, seed=seed, level=level)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        _print_human(result)


def register(app: typer.Typer) -> None:
    app.command("compare")(compare_cmd)
