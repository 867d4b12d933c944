"""Load the texts a metric measures from an input dataset or a plain ``.txt`` file.

An input dataset (anything :func:`synthdiv.data.read_input` reads: a record file,
a Story Cloze or ROCStories CSV, a NarrativeQA folder …) gives one text per
record: :func:`synthdiv.tasks.measured_text` of the chosen fields (defaults:
story = context + target, QA = question + answer), plus each field on its own
for the per-field length statistics of ``synthdiv shift``. A ``.txt`` file gives
one text per non-blank line and has no fields or groups.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthdiv.errors import UserError
from synthdiv.tasks import MEASURABLE_FIELDS, measured_text

if TYPE_CHECKING:
    from synthdiv.records import Record

TEXT_FIELD = "text"  # the measured text, present for every kind of file


@dataclass
class TextSet:
    """The measured texts of one file, with their groups and the raw fields."""

    path: str
    texts: list[str]
    task: str | None = None  # None for .txt files
    groups: list | None = None
    fields: dict[str, list[str]] = field(default_factory=dict)  # "text" plus context/question/target
    source_records: list[Record] | None = None  # the records read (None: plain texts)

    @property
    def records(self) -> list[Record]:
        """The records a model-based metric reads (gradient, fluency): those read, or for plain texts
        one plain-text record (task ``lm``: every token carries the loss) per text."""
        if self.source_records is not None:
            return self.source_records
        from synthdiv.records import Record

        return [Record(id=str(i), task="lm", context="", target=t) for i, t in enumerate(self.texts, 1)]

    def __len__(self) -> int:
        return len(self.texts)


def load_texts(path: str | os.PathLike, fields: tuple[str, ...] | None = None, **reading: Any) -> TextSet:
    """Texts of ``path``; ``fields`` selects which record fields make the measured text (``prompt``,
    ``completion`` or record fields); ``reading``: :func:`synthdiv.data.read_input`'s options
    (``split``, ``config``, ``columns``)."""
    if _is_text_file(Path(str(path))):
        return _load_lines(path)
    from synthdiv.data import read_input

    records = read_input(path, **reading)
    return text_set(records, str(path), fields)


def text_set(records: list[Record], path: str, fields: tuple[str, ...] | None = None) -> TextSet:
    """The measured texts of ``records`` (one task), with their groups and raw fields."""
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
        source_records=list(records),
    )


def _is_text_file(path: Path) -> bool:
    return path.suffix.lower() == ".txt" and not path.is_dir()


def _load_lines(path: str | os.PathLike) -> TextSet:
    """One text per non-blank line of a ``.txt`` file."""
    from synthdiv.fileio import read_lines

    lines = [line for _, line in read_lines(path) if line.strip()]
    if not lines:
        raise UserError("file has only blank lines; give one text per line", where=str(path))
    return TextSet(path=str(path), texts=lines, fields={TEXT_FIELD: lines})


def display_name(path: str | os.PathLike) -> str:
    return Path(str(path)).name or str(path)
