"""Load the texts a metric measures from a record file or a plain ``.txt`` file.

A record file (any format :func:`synthdiv.data.records_io.read_records` reads)
gives one text per record: :func:`synthdiv.tasks.measured_text` of the chosen
fields (defaults: story = context + target, QA = question + answer), plus each
field on its own for the per-field length statistics of ``synthdiv shift``.
A ``.txt`` file gives one text per non-blank line and has no fields or groups.
The real datasets in their own layout are read too: a Story Cloze or ROCStories
CSV, and a NarrativeQA folder (documents.csv + qaps.csv).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

from synthdiv.errors import UserError
from synthdiv.tasks import MEASURABLE_FIELDS, measured_text

TEXT_FIELD = "text"  # the measured text, present for every kind of file


@dataclass
class TextSet:
    """The measured texts of one file, with their groups and the raw fields."""

    path: str
    texts: list[str]
    task: str | None = None  # None for .txt files
    groups: list | None = None
    fields: dict[str, list[str]] = field(default_factory=dict)  # "text" plus context/question/target

    def __len__(self) -> int:
        return len(self.texts)


def load_texts(path: str | os.PathLike, fields: tuple[str, ...] | None = None) -> TextSet:
    """Texts of ``path``; ``fields`` selects which record fields make the measured text."""
    from synthdiv.data.records_io import detect_format, read_records
    from synthdiv.fileio import read_lines, require_file

    records = _read_source(Path(str(path))) if _is_dataset_layout(Path(str(path))) else None
    if records is None:
        fmt = detect_format(path)
        if fmt == "txt":
            require_file(path)
            lines = [line for _, line in read_lines(path) if line.strip()]
            if not lines:
                raise UserError("file has only blank lines; give one text per line", where=str(path))
            return TextSet(path=str(path), texts=lines, fields={TEXT_FIELD: lines})
        if fmt not in ("hf_hub", "hf_disk"):
            require_file(path)
        records = read_records(path)
    tasks = sorted({r.task for r in records})
    if len(tasks) > 1:
        raise UserError(f"file mixes tasks {', '.join(tasks)}; measure one task per file", where=str(path))
    try:
        texts = [measured_text(r, fields) for r in records]
    except UserError as exc:
        raise UserError(f"{exc} (--fields)", where=str(path)) from None
    per_field = {TEXT_FIELD: texts}
    for name in MEASURABLE_FIELDS:
        values = [getattr(r, name) for r in records]
        if all(v for v in values):
            per_field[name] = [str(v) for v in values]
    groups = [r.group for r in records]
    return TextSet(
        path=str(path),
        texts=texts,
        task=tasks[0],
        groups=groups if any(g is not None for g in groups) else None,
        fields=per_field,
    )


def _is_dataset_layout(path: Path) -> bool:
    return (path.is_dir() and (path / "qaps.csv").exists()) or (path.suffix.lower() == ".csv" and path.is_file())


def _read_source(path: Path):
    """Records of a real dataset in its own layout, or None when ``path`` is a record file."""
    from synthdiv.data import loaders

    if path.is_dir():
        from synthdiv.data.narrativeqa import load_narrativeqa

        return load_narrativeqa(path)
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        header = set(next(csv.reader(fh), []))
    if set(loaders.STORY_CLOZE_COLUMNS) <= header:
        return loaders.load_story_cloze(path)
    if set(loaders.ROCSTORIES_COLUMNS) <= header:
        return loaders.load_rocstories(path)
    return None


def display_name(path: str | os.PathLike) -> str:
    return Path(str(path)).name or str(path)
