"""``synthdiv select``: choose N records of a generated pool that control diversity and shift
separately (docs/selection.md). Thin: check the request, read, call
:func:`synthdiv.selection.api.select_records`, write atomically, print a summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from synthdiv.cli.inputs import COLUMN, DATA_HELP, FIELDS, SPLIT, SUBSET, parse_fields, read_options
from synthdiv.errors import UserError
from synthdiv.selection.settings import DEFAULTS, STRATEGY_NAMES, SelectionSettings, check_request

OUTPUT_FORMATS = ("jsonl", "csv", "parquet")


def _check_output(out: Path) -> None:
    from synthdiv.data.records_io import detect_format

    if out.is_dir() or detect_format(out) not in OUTPUT_FORMATS:
        raise UserError("output must be a .jsonl, .csv or .parquet file", where=str(out))


def _print_summary(s: dict[str, Any], out: Path) -> None:
    line = f"selected {s['selected']} of {s['pool_size']} pool records with {s['strategy']} (seed {s['seed']}"
    line += f", weight {s['weight']})" if "weight" in s else ")"
    typer.echo(f"{line} -> {out}")
    if "near_duplicates" in s:
        typer.echo(
            f"  dropped {s['exact_duplicates']} exact and {s['near_duplicates']} near-duplicates "
            f"(Jaccard >= {s['near_duplicate_jaccard']} on {s['shingle_words']}-word shingles); {s['left']} left"
        )
    if "eligible" in s:
        typer.echo(f"  eligible after matching: {s['eligible']} records")
    for name, v in s["objectives"].items():
        better = "lower" if name == "frechet_distance" else "higher"
        typer.echo(f"  {name}: {v['random']:.4f} (random draw of {s['n']}) -> {v['selected']:.4f} (selected; {better} is the aim)")


def select_cmd(
    pool: str = typer.Option(..., "--pool", help="The generated pool. " + DATA_HELP),
    n: int = typer.Option(..., "--n", help="How many records to select."),
    strategy: str = typer.Option(..., "--strategy", help=f"Selection strategy: {' | '.join(STRATEGY_NAMES)} (docs/selection.md)."),
    real: Optional[str] = typer.Option(None, "--real", help="Real records to match (needed by matched and matched-diverse)."),
    weight: float = typer.Option(DEFAULTS.weight, "--weight", help="Weight of matched-diverse: 0 = matched, 1 = diverse."),
    embedder: str = typer.Option(DEFAULTS.embedder, "--embedder", help="Embedding model: minilm-l6 | mpnet-base | NAME ('none': only for random and dedup)."),
    seed: int = typer.Option(DEFAULTS.seed, "--seed", help="Seed of every random choice of the strategy."),
    out: Path = typer.Option(..., "--out", "-o", help="Output record file (.jsonl, .csv or .parquet); written atomically."),
    fields: list[str] = FIELDS,
    split: Optional[str] = SPLIT,
    subset: Optional[str] = SUBSET,
    column: list[str] = COLUMN,
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Select N records of a pool by random, dedup, diverse, matched or matched-diverse; each keeps its
    provenance and gains provenance.extra.selection (strategy, score, rank, pool, n, seed)."""
    check_request(strategy, n, real is not None, embedder)
    settings = SelectionSettings(seed=seed, weight=weight, embedder=embedder)
    _check_output(out)
    from synthdiv.paths import check_io

    check_io(inputs={"--pool": pool, "--real": real}, outputs={"--out": out})
    from synthdiv.data import read_input
    from synthdiv.data.records_io import write_records
    from synthdiv.selection.api import select_records

    reading = read_options(split, subset, column)
    pool_records = read_input(pool, **reading)
    real_records = read_input(real, **reading) if real is not None else None
    report = select_records(pool_records, n, strategy, real=real_records, settings=settings, pool_name=pool,
                            fields=parse_fields(fields))
    write_records(report.records, out)
    summary = report.summary | {"out": str(out)}
    if as_json:
        typer.echo(json.dumps(summary, indent=2, allow_nan=False))
    else:
        _print_summary(summary, out)


def register(app: typer.Typer) -> None:
    app.command("select")(select_cmd)
