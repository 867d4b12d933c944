"""The one reader of input datasets: :func:`read_input`.

Every command and stage that takes a user's data reads it here, from JSONL, CSV, Parquet, ``.txt``,
a Hugging Face dataset folder or a hub id (:mod:`synthdiv.data.rows`), in any of these forms:

* our record files (a ``task`` column);
* the paper's datasets in their own layout: a ROCStories or Story Cloze CSV, NarrativeQA in the
  official folder or in the Hugging Face schema;
* the shapes practitioners hold (:mod:`synthdiv.data.shapes`): chat ``messages``, ShareGPT
  ``conversations``, ``prompt``/``completion``, Alpaca ``instruction``/``output`` (task ``sft``) and
  plain ``text`` (task ``lm``); ``columns`` (``--column text=content``) names a shape's columns when
  the file calls them otherwise;
* raw rows whose columns ``columns`` maps to record fields (``--column context=NAME``), with a task.

Without a format the form is told from the data before it is read: a folder with ``qaps.csv`` is
NarrativeQA, and the column names (a CSV's header, a JSONL file's first row, a Parquet schema, a
dataset's features) go through :func:`input_form`.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from pathlib import Path

from synthdiv.data.loaders import load_generic, load_rocstories, load_story_cloze
from synthdiv.data.narrativeqa import load_narrativeqa
from synthdiv.data.records_io import detect_format, read_records
from synthdiv.data.rows import column_names
from synthdiv.data.shapes import SHAPE_FIELDS, SHAPES, rename_columns, shape_of
from synthdiv.errors import UserError, check_choice
from synthdiv.records import Record

DATASET_FORMS = ("records", "rocstories", "story_cloze", "narrativeqa")
RAW_FORMATS = ("jsonl", "csv")  # raw rows read by their named columns, unless they fit a form already
FORMATS = (*DATASET_FORMS, *RAW_FORMATS, *SHAPES)
# a spec's real.format: told from the data. Stage keys name it "records", the form of every file read before the
# general shapes existed, so their stages keep their keys (a record file is read as records either way).
AUTO_FORMAT = "auto"
KEYED_AUTO_FORMAT = "records"
RAW = "raw rows"
RECORD_FIELDS = ("context", "question", "target")  # a column map naming one of these reads raw rows
FORM_TASK = {"rocstories": "story_completion", "story_cloze": "story_completion", "narrativeqa": "long_context_qa",
             **{name: shape.task for name, shape in SHAPES.items()}}
FORM_KINDS = {"story_cloze": ("csv",), "rocstories": ("csv",),  # their loaders read the CSV layout
              "narrativeqa": ("jsonl", "hf_disk", "hf_folder", "hf_hub")}  # the Hugging Face schema's nested rows
FORM_COLUMNS = {  # the columns input_form looks at, as the error for a file that fits no form lists them
    "records": "a record file (task, context, target)",
    "story_cloze": "Story Cloze (InputSentence1 … InputSentence4, RandomFifthSentenceQuiz1/2, AnswerRightEnding)",
    "rocstories": "ROCStories (sentence1 … sentence5)",
    "narrativeqa": "NarrativeQA rows (document, question, answers)",
    **{name: shape.describe for name, shape in SHAPES.items()},
}


def read_input(
    path: str | os.PathLike,
    task: str | None = None,
    fmt: str | None = None,
    columns: dict[str, str] | None = None,
    split: str | None = None,
    config: str | None = None,
    source: str = "real",
) -> list[Record]:
    """Records of an input dataset. ``fmt``: one of FORMATS, or None to tell the form from the data.
    ``task``: every record must have it. ``columns``: record or shape field -> the file's column name.
    ``split`` and ``config``: the part of a Hugging Face dataset to read. ``source``: what rows of a
    general shape without a ``source`` column are (record files say it per record)."""
    columns = {k: v for k, v in (columns or {}).items() if v}
    _check_columns(columns)
    form = _form(path, fmt, columns)
    expected = FORM_TASK.get(form)
    if task is not None and expected is not None and task != expected:
        other = f", or read its columns as {task} fields with --column context=NAME --column target=NAME" if form in SHAPES else ""
        raise UserError(f"{form} data holds {expected} records; use --task {expected}{other}", where=str(path))
    records = _read(form, path, task, columns, split, config, source)
    if task is not None:
        _require_task(records, task, path)
    return records


def input_form(fields: Collection[str]) -> str | None:
    """The one rule that tells the input forms apart by their column names (a CSV's header, the keys
    of a JSONL row): a ``task`` column marks our record schema, then each dataset's first own column,
    then the general shapes. None when no form fits."""
    names = set(fields)
    if "task" in names:
        return "records"
    if "InputSentence1" in names:
        return "story_cloze"
    if "sentence1" in names:
        return "rocstories"
    if {"document", "question", "answers"} <= names:
        return "narrativeqa"
    shape = shape_of(names)
    return None if shape is None else shape.name


def sniff_form(path: str | os.PathLike, columns: dict[str, str] | None = None) -> str | None:
    """The form of an input given without a format, told from the data before it is read; None for a
    Hugging Face dataset, whose rows must be loaded to see their columns."""
    p = Path(str(path))
    if p.is_dir() and (p / "qaps.csv").exists():
        return "narrativeqa"
    kind = detect_format(path)
    fields = column_names(p if kind != "hf_hub" else str(path), kind)
    if fields is None:
        return None if kind.startswith("hf_") else "records"
    form = input_form(_renamed(fields, columns))
    if form is None or kind not in FORM_KINDS.get(form, (kind,)):
        raise fits_no_form(str(path), kind, fields)
    return form


class NoForm(UserError):
    """Data whose columns fit no input form."""


def fits_no_form(where: str, kind: str, fields: Sequence[str]) -> NoForm:
    what = "CSV header fits" if kind == "csv" else "columns fit" if kind.startswith(("hf_", "parquet")) else "first row's keys fit"
    shown = ", ".join(fields[:8]) + (", …" if len(fields) > 8 else "") if fields else "none"
    forms = "; ".join(FORM_COLUMNS.values())
    return NoForm(
        f"the {what.rsplit(' ', 1)[0]} ({shown}) {what.rsplit(' ', 1)[1]} no input form; synthdiv reads {forms}. Name your columns with --column, e.g. "
        f"--column text=NAME or --column prompt=NAME --column completion=NAME, or convert the file with "
        f"synthdiv data convert --format {kind if kind in RAW_FORMATS else 'jsonl'} --task TASK --column FIELD=NAME",
        where=where,
    )


def _check_columns(columns: dict[str, str]) -> None:
    known = set(RECORD_FIELDS) | set(SHAPE_FIELDS) | {"id", "group"}
    unknown = sorted(set(columns) - known)
    if unknown:
        raise UserError(f"no field {unknown[0]!r} to name a column for; use {', '.join(sorted(known))}", where="--column")


def _raw(columns: dict[str, str]) -> bool:
    return any(k in RECORD_FIELDS for k in columns)


def _renamed(fields: Sequence[str], columns: dict[str, str] | None) -> list[str]:
    return list(rename_columns(dict.fromkeys(fields), columns or {}))


def _form(path: str | os.PathLike, fmt: str | None, columns: dict[str, str]) -> str | None:
    if fmt is None:
        return RAW if _raw(columns) else sniff_form(path, columns)
    check_choice(fmt, FORMATS, what="format")
    if fmt in RAW_FORMATS:
        if _raw(columns):
            return RAW
        try:
            return sniff_form(path, columns) or RAW
        except NoForm:
            return RAW  # rows in no known form: read by their named columns (the task says what they hold)
    return fmt


def _read(form: str | None, path: str | os.PathLike, task: str | None, columns: dict[str, str], split: str | None,
          config: str | None, source: str) -> list[Record]:
    if form is None or form in SHAPES:  # rows whose form shows once they are read, or a general shape
        return _read_rows(path, form, columns, split, config, source)
    if form == "records":
        return read_records(path, split=split)
    if form == "rocstories":
        return load_rocstories(path)
    if form == "story_cloze":
        return load_story_cloze(path)
    if form == "narrativeqa":
        return load_narrativeqa(path)
    if task is None:  # named context and target columns are a prompt and its completion, unless a question is named
        task = "long_context_qa" if "question" in columns else "sft"
    return load_generic(path, task=task, columns=columns)


def _read_rows(path: str | os.PathLike, form: str | None, columns: dict[str, str], split: str | None, config: str | None,
               source: str) -> list[Record]:
    from synthdiv.data.records_io import check_unique_ids, records_from_rows
    from synthdiv.data.rows import read_rows
    from synthdiv.data.shapes import shape_records

    rows = read_rows(path, split=split, config=config)
    renamed = [(where, rename_columns(row, columns)) for where, row in rows.rows]
    form = form or input_form(renamed[0][1])
    if form == "records":
        return check_unique_ids(records_from_rows((row for _, row in renamed), rows.origin), rows.origin)
    if form == "narrativeqa":
        return load_narrativeqa(path)
    if form not in SHAPES:
        raise fits_no_form(rows.origin, rows.kind, rows.columns)
    dataset = rows.kind if rows.kind in ("jsonl", "csv", "parquet", "txt") else "huggingface"
    return shape_records(renamed, SHAPES[form], dataset=dataset, origin=rows.origin, source=source)


def _require_task(records: list[Record], task: str, path: str | os.PathLike) -> None:
    wrong = next((r for r in records if r.task != task), None)
    if wrong is not None:
        raise UserError(f"record {wrong.id} has task {wrong.task!r}, but the task asked for is {task!r}", where=str(path))
