"""How a record becomes model text: the prompt a model sees and the target it
must produce. Training, evaluation and generation all use these two functions,
so the loss is always computed on the same text (never copied per stage).
"""

from __future__ import annotations

from synthdiv.errors import UserError
from synthdiv.records import Record

MEASURABLE_FIELDS = ("context", "question", "target")


def prompt_text(record: Record) -> str:
    """The model input. Story: the four context sentences. QA: long context, then the question."""
    if record.task == "story_completion":
        return record.context.strip() + " "
    return f"{record.context.strip()}\n\nQuestion: {(record.question or '').strip()}\nAnswer: "


def target_text(record: Record) -> str:
    """The text whose tokens carry the loss (the fifth sentence, or the answer)."""
    return record.target.strip()


def measured_text(record: Record, fields: tuple[str, ...] | None = None) -> str:
    """Text whose diversity is measured. Defaults follow the paper: story = context + target;
    QA = question + answer (the long context is shared by a group and excluded)."""
    if fields is None:
        fields = ("context", "target") if record.task == "story_completion" else ("question", "target")
    parts = []
    for name in fields:
        if name in MEASURABLE_FIELDS:
            value = getattr(record, name)
        elif name in record.meta:
            value = record.meta[name]
        else:
            raise UserError(
                f"record has no field {name!r}; use {', '.join(MEASURABLE_FIELDS)} or a key of its 'meta'",
                where=f"record {record.id}",
            )
        if value:
            parts.append(str(value).strip())
    return " ".join(parts)
