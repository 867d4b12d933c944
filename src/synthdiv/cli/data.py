"""``synthdiv data ...``: convert real datasets, inspect record files, export the embedded corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from synthdiv.cli.deprecated import Old, old_spellings
from synthdiv.cli.inputs import COLUMN, DATA_HELP, SPLIT, SUBSET, read_options
from synthdiv.data.inputs import FORMATS
from synthdiv.errors import UserError
from synthdiv.records import TASKS

data_app = typer.Typer(help="Convert real datasets to records, inspect record files, export the embedded corpus.", no_args_is_help=True)

FORMAT_HELP = f"Source form: {' | '.join(FORMATS)} (default: told from the data)."
TASK_HELP = f"Task: {' | '.join(TASKS)} (default: the data's)."


def _require_positive(**counts: int | None) -> None:
    """Counts the user gave must be at least 1: 0 would write an empty file, a negative one is meaningless."""
    for name, value in counts.items():
        if value is not None and value < 1:
            raise UserError(f"must be at least 1 (got {value})", where="--" + name.replace("_", "-"))


@data_app.command("convert", cls=old_spellings(Old("--exclude-seeds-of", "--exclude-examples-of")))
def convert_cmd(
    input: str = typer.Argument(..., help=DATA_HELP + " NarrativeQA: the folder of the official layout."),
    format: Optional[str] = typer.Option(None, "--format", "-f", help=FORMAT_HELP),
    task: Optional[str] = typer.Option(None, "--task", "-t", help=TASK_HELP),
    out: Path = typer.Option(..., "--out", "-o", help="Output record file (.jsonl, .csv or .parquet)."),
    column: list[str] = COLUMN,
    split: Optional[str] = SPLIT,
    subset: Optional[str] = SUBSET,
    per_group: Optional[int] = typer.Option(None, "--per-group", help="Keep at most k records per group (k QA pairs per context)."),
    sample: Optional[int] = typer.Option(None, "--sample", help="Keep N records, drawn without replacement."),
    test_fraction: Optional[float] = typer.Option(None, "--test-fraction", help="Split by group; this share of groups is test."),
    test_out: Optional[Path] = typer.Option(None, "--test-out", help="Where the test records go with --test-fraction."),
    seed: int = typer.Option(0, "--seed", help="Seed for subsampling and the split."),
    exclude_examples_of: list[Path] = typer.Option(
        [], "--exclude-examples-of",
        help="Drop the records that prompts of this generated file showed as examples (provenance.seed_ids); repeatable.",
    ),
) -> None:
    """Convert a real dataset into synthdiv records (JSONL by default)."""
    from synthdiv.data.api import convert
    from synthdiv.paths import check_io

    _require_positive(per_group=per_group, sample=sample)
    shown_by = {f"--exclude-examples-of {p}": p for p in exclude_examples_of}
    check_io(inputs={"INPUT": input, **shown_by}, outputs={"--out": out, "--test-out": test_out if test_fraction is not None else None})

    result = convert(
        input, out, fmt=format, task=task, per_group=per_group, sample=sample, test_fraction=test_fraction,
        test_out=test_out, seed=seed, exclude_examples_of=exclude_examples_of, **read_options(split, subset, column),
    )
    if "dropped" in result:
        shown = ", ".join(str(p) for p in exclude_examples_of)
        typer.echo(f"dropped {result['dropped']} records that prompts of {shown} showed ({result['seed_ids']} seed ids), kept {result['kept']}")
    if "train" in result:
        typer.echo(f"wrote {result['train']} train records to {out} and {result['test']} test records to {test_out}")
    else:
        typer.echo(f"wrote {result['records']} records in {result['groups']} groups to {out}")


@data_app.command("inspect")
def inspect_cmd(
    file: str = typer.Argument(..., help=DATA_HELP),
    split: Optional[str] = SPLIT,
    subset: Optional[str] = SUBSET,
    column: list[str] = COLUMN,
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Counts, length statistics and two sample records of a data file, as synthdiv reads it."""
    from synthdiv.data.api import inspect
    from synthdiv.data.inspect import format_summary

    summary = inspect(file, **read_options(split, subset, column))
    typer.echo(json.dumps(summary, indent=2, ensure_ascii=False) if as_json else format_summary(summary))


@data_app.command("corpus")
def corpus_cmd(
    out: Path = typer.Option(..., "--out", "-o", help="Output record file."),
    split: str = typer.Option("train", "--split", help="Corpus split: train | test | all."),
    sample: Optional[int] = typer.Option(None, "--sample", help="Keep N windows, drawn without replacement."),
    seed: int = typer.Option(0, "--seed", help="Seed of the --sample draw."),
) -> None:
    """Write the embedded real corpus (five-sentence windows of the World English Bible's prose books)."""
    from synthdiv.data.api import export_corpus
    from synthdiv.paths import check_io

    _require_positive(sample=sample)
    check_io(outputs={"--out": out})

    n = export_corpus(out, split=None if split == "all" else split, sample=sample, seed=seed)
    typer.echo(f"wrote {n} records to {out}")


@data_app.command("instructions")
def instructions_cmd(
    out: Path = typer.Option(..., "--out", "-o", help="Output file: a chat `messages` JSONL, the shape most instruction data comes in."),
) -> None:
    """Write the 62 instruction/response pairs synthdiv ships (eleven kinds of everyday request) as chat messages:
    examples for `generate --strategy instruct`, or a file to try every command on."""
    import json

    from synthdiv.fileio import atomic_write
    from synthdiv.generation.instruct import shipped_examples
    from synthdiv.paths import check_io

    check_io(outputs={"--out": out})
    examples = shipped_examples()
    with atomic_write(out) as fh:
        for r in examples:
            row = {"id": r.id, "category": r.meta.get("category"),
                   "messages": [*r.messages, {"role": "assistant", "content": r.target}]}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    typer.echo(f"wrote {len(examples)} chat pairs to {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
