"""The options every command that reads a user's data takes, defined once: which part of a Hugging
Face dataset (``--split``, ``--subset``) and what the file calls its columns (``--column``).

    def cmd(..., split: Optional[str] = SPLIT, subset: Optional[str] = SUBSET, column: list[str] = COLUMN):
        reading = read_options(split, subset, column)
        records = read_input(path, **reading)
"""

from __future__ import annotations

from typing import Any

import typer

from synthdiv.errors import UserError

SPLIT = typer.Option(None, "--split", help="Split of a Hugging Face dataset (hub id or folder), e.g. train.")
SUBSET = typer.Option(None, "--subset", help="Configuration (subset) of a Hugging Face dataset that has several.")
COLUMN = typer.Option(
    [], "--column", metavar="FIELD=NAME",
    help="Your data's column for a field, when it names it otherwise: text=, prompt=, completion=, messages=, "
         "instruction=, output=, id=, group= (or the record fields context=, question=, target=); repeatable.",
)
FIELDS_HELP = ("What the metrics read of a record: prompt, completion, or record fields (context, question, target, a meta "
               "key), comma-separated (default: the task's whole example; QA: question + answer).")
FIELDS = typer.Option([], "--fields", metavar="FIELD[,FIELD]", help=FIELDS_HELP)
DATA_HELP = ("JSONL, CSV, Parquet or .txt file, Hugging Face dataset folder or hub id (hf:OWNER/NAME), holding records, "
             "text, prompt/completion, chat messages, Alpaca rows, Story Cloze, ROCStories or NarrativeQA.")


def parse_columns(pairs: list[str], where: str = "--column") -> dict[str, str]:
    """``["text=content"]`` -> ``{"text": "content"}`` (the fields are checked by the reader)."""
    out = {}
    for pair in pairs:
        field, sep, name = pair.partition("=")
        if not sep or not field.strip() or not name.strip():
            raise UserError(f"{pair!r}: write FIELD=NAME, e.g. --column text=content", where=where)
        out[field.strip()] = name.strip()
    return out


def read_options(split: str | None, subset: str | None, column: list[str]) -> dict[str, Any]:
    """The keyword arguments of :func:`synthdiv.data.read_input` these options give."""
    return {"split": split, "config": subset, "columns": parse_columns(column)}


def parse_fields(values: list[str]) -> tuple[str, ...] | None:
    """``--fields prompt --fields completion`` or ``--fields prompt,completion`` -> ("prompt", "completion")."""
    names = tuple(f.strip() for v in values for f in v.split(",") if f.strip())
    return names or None
