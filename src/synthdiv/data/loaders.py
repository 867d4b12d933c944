"""Loaders that turn real datasets into records; :func:`synthdiv.data.inputs.read_input`
chooses among them.

Each loader returns ``list[Record]`` with ``source="real"`` and provenance
naming the dataset, the file and the row. Errors name the file, the line and
the field and say what to do.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from synthdiv.data.csvutil import read_csv_rows, require_columns, require_value
from synthdiv.errors import UserError
from synthdiv.fileio import read_lines
from synthdiv.records import Provenance, Record, content_id, dedupe_ids
from synthdiv.tasks import get_task

ROCSTORIES_COLUMNS = ("sentence1", "sentence2", "sentence3", "sentence4", "sentence5")
STORY_CLOZE_COLUMNS = (
    "InputSentence1",
    "InputSentence2",
    "InputSentence3",
    "InputSentence4",
    "RandomFifthSentenceQuiz1",
    "RandomFifthSentenceQuiz2",
    "AnswerRightEnding",
)


def story_record(sentences: list[str], *, story_id: str | None, dataset: str, origin: str, row: int, meta=None) -> Record:
    """A story_completion record: four context sentences and the fifth as target."""
    context = " ".join(s.strip() for s in sentences[:4])
    target = sentences[4].strip()
    rid = story_id or content_id("story_completion", context, None, target)
    return Record(
        id=rid,
        task="story_completion",
        context=context,
        target=target,
        group=rid,
        provenance=Provenance(dataset=dataset, origin=origin, row=row),
        meta=meta or {},
    )


def load_rocstories(path: str | os.PathLike) -> list[Record]:
    """ROCStories CSV (storyid, storytitle, sentence1 … sentence5)."""
    path = Path(path)
    header, rows = read_csv_rows(path)
    require_columns(path, header, ROCSTORIES_COLUMNS, "the rocstories format")
    records = []
    for rowno, row in rows:
        where = f"{path}:{rowno}"
        sentences = [require_value(row, c, where) for c in ROCSTORIES_COLUMNS]
        meta = {"title": row["storytitle"].strip()} if row.get("storytitle") else {}
        sid = (row.get("storyid") or "").strip() or None
        records.append(story_record(sentences, story_id=sid, dataset="rocstories", origin=str(path), row=rowno, meta=meta))
    return _nonempty(dedupe_ids(records), path)


def load_story_cloze(path: str | os.PathLike) -> list[Record]:
    """Story Cloze CSV: InputSentence1..4 and the right one of two endings
    (AnswerRightEnding ∈ {1, 2}) as the fifth sentence. The wrong ending is kept in meta."""
    path = Path(path)
    header, rows = read_csv_rows(path)
    require_columns(path, header, STORY_CLOZE_COLUMNS, "the story_cloze format")
    records = []
    for rowno, row in rows:
        where = f"{path}:{rowno}"
        answer = (row.get("AnswerRightEnding") or "").strip()
        if answer not in ("1", "2"):
            raise UserError(f"field 'AnswerRightEnding' is {answer!r}; it must be 1 or 2", where=where)
        right = f"RandomFifthSentenceQuiz{answer}"
        wrong = f"RandomFifthSentenceQuiz{3 - int(answer)}"
        sentences = [require_value(row, f"InputSentence{i}", where) for i in range(1, 5)] + [require_value(row, right, where)]
        sid = (row.get("InputStoryid") or row.get("storyid") or "").strip() or None
        meta = {"wrong_ending": row[wrong].strip()}
        records.append(story_record(sentences, story_id=sid, dataset="story_cloze", origin=str(path), row=rowno, meta=meta))
    return _nonempty(dedupe_ids(records), path)


def _nonempty(records: list[Record], path) -> list[Record]:
    if not records:
        raise UserError("file has a header but no data rows", where=str(path))
    return records


def load_generic(path: str | os.PathLike, *, task: str, columns: dict[str, str] | None = None) -> list[Record]:
    """Raw JSONL or CSV rows with named columns. ``columns`` maps record fields (id, context,
    question, target, group) to the file's column names; by default the names are
    the field names themselves."""
    from synthdiv.data.records_io import detect_format

    path = Path(path)
    fmt = detect_format(path)
    mapping = {"id": "id", "context": "context", "question": "question", "target": "target", "group": "group"} | (columns or {})
    rows = _generic_rows(path, fmt)
    kind = get_task(task)
    needed = ["context"] * (kind.needs_context or "context" in (columns or {})) + ["target"] + ["question"] * kind.needs_question
    records = []
    for rowno, row in rows:
        where = f"{path}:{rowno}"
        values = {}
        for field in needed:
            col = mapping[field]
            if col not in row:
                raise UserError(f"no column {col!r} for the record field {field!r}; name it with --column {field}=NAME", where=where)
            value = row[col]
            if value is not None and not isinstance(value, str):  # a JSON number or list is not a text
                raise UserError(f"column {col!r} (record field {field!r}) holds {type(value).__name__} {value!r}, not text; "
                                f"write it as a string", where=where)
            values[field] = require_value({col: value or ""}, col, where)
        context = values.get("context", "")
        rid = str(row.get(mapping["id"]) or "") or content_id(task, context, values.get("question"), values["target"])
        group = row.get(mapping["group"])
        used = {mapping[f] for f in ("id", "group", *needed)}
        records.append(
            Record(
                id=rid,
                task=task,
                context=context,
                question=values.get("question"),
                target=values["target"],
                group=str(group) if group not in (None, "") else (rid if kind.groups_by_record else None),
                provenance=Provenance(dataset=fmt, origin=str(path), row=rowno),
                meta={k: v for k, v in row.items() if k not in used},
            )
        )
    return _nonempty(dedupe_ids(records), path)


def _generic_rows(path: Path, fmt: str) -> list[tuple[int, dict[str, Any]]]:
    if fmt == "csv":
        _, rows = read_csv_rows(path)
        return list(rows)
    if fmt == "jsonl":
        return list(json_rows(path))
    raise UserError("named-column input must be .csv or .jsonl", where=str(path))


def json_rows(path: str | os.PathLike) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of each non-blank line of a JSONL file of objects."""
    for lineno, line in read_lines(path):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"malformed JSON ({exc.msg}); fix or remove the line", where=f"{path}:{lineno}") from None
        if not isinstance(obj, dict):
            raise UserError("expected a JSON object per line", where=f"{path}:{lineno}")
        yield lineno, obj
