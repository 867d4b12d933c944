"""The one reader of input datasets: :func:`read_input`.

Every command and stage that takes a user's data reads it here: our record files
(JSONL, CSV, Parquet, a saved Hugging Face folder or a hub id), the real datasets
in their own layout (a ROCStories or Story Cloze CSV, NarrativeQA in the official
folder or in the Hugging Face schema) and raw JSONL or CSV rows whose columns
``columns`` names. Without a format the form is told from the data before it is
read: a folder with ``qaps.csv`` is NarrativeQA, and the column names (a CSV's
header, the keys of a JSONL file's first row) go through :func:`input_form`.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from pathlib import Path

from synthdiv.data.csvutil import read_csv_rows
from synthdiv.data.loaders import json_rows, load_generic, load_rocstories, load_story_cloze
from synthdiv.data.narrativeqa import load_narrativeqa
from synthdiv.data.records_io import detect_format, read_records
from synthdiv.errors import UserError, check_choice
from synthdiv.records import Record

FORMATS = ("records", "rocstories", "story_cloze", "narrativeqa", "jsonl", "csv")
RAW_FORMATS = ("jsonl", "csv")  # raw rows read by their named columns, unless already in the record schema
RAW = "raw rows"
FORM_TASK = {"rocstories": "story_completion", "story_cloze": "story_completion", "narrativeqa": "long_context_qa"}
FORMS_OF_KIND = {"csv": ("records", "story_cloze", "rocstories"), "jsonl": ("records", "narrativeqa")}
FORM_COLUMNS = {  # the columns input_form looks at, as the error for a file that fits no form lists them
    "records": "a record file (task, context, target)",
    "story_cloze": "Story Cloze (InputSentence1 … InputSentence4, RandomFifthSentenceQuiz1/2, AnswerRightEnding)",
    "rocstories": "ROCStories (sentence1 … sentence5)",
    "narrativeqa": "NarrativeQA rows (document, question, answers)",
}


def read_input(
    path: str | os.PathLike,
    task: str | None = None,
    fmt: str | None = None,
    columns: dict[str, str] | None = None,
    split: str | None = None,
) -> list[Record]:
    """Records of an input dataset. ``fmt``: one of FORMATS, or None to tell the form from the data.
    ``task``: every record must have it; raw rows (the formats jsonl and csv, or ``columns``) need it.
    ``columns``: record field -> the file's column name, for raw rows. ``split``: of a Hugging Face dataset."""
    columns = {k: v for k, v in (columns or {}).items() if v}
    form = _form(path, fmt, columns)
    expected = FORM_TASK.get(form)
    if task is not None and expected is not None and task != expected:
        raise UserError(f"{form} data holds {expected} records; use --task {expected}", where=str(path))
    records = _read(form, path, task, columns, split)
    if task is not None:
        _require_task(records, task, path)
    return records


def input_form(fields: Collection[str]) -> str | None:
    """The one rule that tells the input forms apart by their column names (a CSV's header, the keys
    of a JSONL row): a ``task`` column marks our record schema, then each dataset's first own column.
    None when no form fits."""
    names = set(fields)
    if "task" in names:
        return "records"
    if "InputSentence1" in names:
        return "story_cloze"
    if "sentence1" in names:
        return "rocstories"
    if {"document", "question", "answers"} <= names:
        return "narrativeqa"
    return None


def sniff_form(path: str | os.PathLike) -> str:
    """The form of an input given without a format, told from the data before it is read."""
    p = Path(str(path))
    if p.is_dir() and (p / "qaps.csv").exists():
        return "narrativeqa"
    kind = detect_format(path)
    fields = _column_names(p, kind)
    if fields is None:
        return "records"
    form = input_form(fields)
    if form not in FORMS_OF_KIND[kind]:
        raise _fits_no_form(p, kind, fields)
    return form


def _form(path: str | os.PathLike, fmt: str | None, columns: dict[str, str]) -> str:
    if fmt is None:
        return RAW if columns else sniff_form(path)
    check_choice(fmt, FORMATS, what="format")
    if fmt in RAW_FORMATS:
        return RAW if columns or not _holds_records(path) else "records"
    return fmt


def _holds_records(path: str | os.PathLike) -> bool:
    """Whether a file given as raw rows is in our record schema already (then it is read as is)."""
    fields = _column_names(Path(str(path)), detect_format(path))
    return fields is None or input_form(fields) == "records"


def _column_names(path: Path, kind: str) -> Sequence[str] | None:
    """A CSV's header or the keys of a JSONL file's first row; None for the other kinds, which hold
    records, and for a JSONL file without rows (its reader names the problem)."""
    if kind == "csv":
        header, _ = read_csv_rows(path)
        return header
    if kind == "jsonl":
        first = next(json_rows(path), None)
        return None if first is None else list(first[1])
    return None


def _fits_no_form(path: Path, kind: str, fields: Sequence[str]) -> UserError:
    what = "CSV header" if kind == "csv" else "first row's keys"
    shown = ", ".join(fields[:8]) + (", …" if len(fields) > 8 else "")
    forms = "; ".join(FORM_COLUMNS[f] for f in FORMS_OF_KIND[kind])
    return UserError(
        f"the {what} ({shown}) fits no input form: {forms}; for other columns convert the file with "
        f"synthdiv data convert --format {kind} --task TASK --column FIELD=NAME",
        where=str(path),
    )


def _read(form: str, path: str | os.PathLike, task: str | None, columns: dict[str, str], split: str | None) -> list[Record]:
    if form == "records":
        return read_records(path, split=split)
    if form == "rocstories":
        return load_rocstories(path)
    if form == "story_cloze":
        return load_story_cloze(path)
    if form == "narrativeqa":
        return load_narrativeqa(path)
    if task is None:
        raise UserError("raw rows need the task of their records; give it (--task) with the columns (--column FIELD=NAME)",
                        where=str(path))
    return load_generic(path, task=task, columns=columns)


def _require_task(records: list[Record], task: str, path: str | os.PathLike) -> None:
    wrong = next((r for r in records if r.task != task), None)
    if wrong is not None:
        raise UserError(f"record {wrong.id} has task {wrong.task!r}, but the task asked for is {task!r}", where=str(path))
