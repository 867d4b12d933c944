"""``synthdiv mix``: real and generated records mixed at a mixing ratio (paper §4.3, Eq. 7).

A thin wrapper: parse options, read records, call :mod:`synthdiv.mixing`, write the mix
and print a summary.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from synthdiv.cli.inputs import COLUMN, DATA_HELP, SPLIT, SUBSET, read_options


def mix_cmd(
    real: str = typer.Option(..., "--real", help="Real data. " + DATA_HELP),
    generated: str = typer.Option(..., "--generated", help="Generated data, in any of the same forms (record files must hold "
                                                           "generated records; other rows count as generated)."),
    ratio: float = typer.Option(..., "--ratio", help="Mixing ratio |gen| / (|gen| + |real|) (paper Eq. 7), in [0, 1]."),
    mode: str = typer.Option("fixed", "--mode",
                             help="Mixing mode. fixed: total size N, a share 'ratio' generated. variable: the real part fixed, generated added."),
    size: Optional[int] = typer.Option(
        None, "--size", help="Size. fixed: total records (default: number of real records). variable: real records kept (default: all)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the sampling (without replacement)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output record file (.jsonl, .csv or .parquet)."),
    split: Optional[str] = SPLIT,
    subset: Optional[str] = SUBSET,
    column: list[str] = COLUMN,
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Mix real and generated records at a mixing ratio (paper §4.3)."""
    from synthdiv.data import read_input
    from synthdiv.data.records_io import check_unique_ids, write_records
    from synthdiv.mixing import mix
    from synthdiv.paths import check_io

    check_io(inputs={"--real": real, "--generated": generated}, outputs={"--out": out})
    reading = read_options(split, subset, column)
    real_records = read_input(real, **reading)
    gen_records = read_input(generated, source="generated", **reading)
    check_unique_ids(real_records + gen_records, "--real and --generated")  # a mix must not hold one id twice
    result = mix(real_records, gen_records, ratio, mode=mode, size=size, seed=seed)
    write_records(result.records, out)
    summary = result.summary() | {"out": str(out)}
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        typer.echo(
            f"wrote {len(result.records)} records to {out}: {result.n_real} real + {result.n_generated} generated "
            f"(ratio {result.ratio:.4f}, asked {ratio}; mode {mode}, seed {seed})"
        )


def register(app: typer.Typer) -> None:
    app.command("mix")(mix_cmd)
