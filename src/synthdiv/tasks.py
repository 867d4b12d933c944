"""The tasks a record can belong to, each defined once: how its record becomes model text (the prompt
a model sees and the target it must produce), what the diversity metrics read of it, and the words
the report and the dataset card use for it. Training, evaluation, export, selection and the metrics
all ask here, so the loss is always computed on the same text (never copied per stage).

Tasks
-----
``story_completion`` (paper §4.2)
    ``context`` = the first four sentences of a story, ``target`` = the fifth.
``long_context_qa`` (paper §4.3)
    ``context`` = the long context, ``question`` = the question, ``target`` = the answer; ``group`` is the
    document, so per-context metrics (paper Eq. 5) and splits by document work.
``sft`` (instruction data: prompt/completion pairs and chat conversations)
    ``context`` = the prompt, ``target`` = the completion. A chat record also keeps the conversation
    before the last assistant turn in ``messages``; the model sees it through its own chat template.
``lm`` (plain text, no prompt)
    ``target`` = the text, ``context`` empty: every token carries the loss.

Adding a task is one entry in :data:`TASKS` (and, to generate its data, a strategy in
:mod:`synthdiv.generation.strategies`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from synthdiv.errors import UserError

if TYPE_CHECKING:
    from synthdiv.records import Record

MEASURABLE_FIELDS = ("context", "question", "target")
# what a user may name in --fields besides the record fields: the parts of any task's example
FIELD_ALIASES = ("prompt", "completion")


@dataclass(frozen=True)
class Task:
    """Everything that differs between tasks. ``prompt`` builds the model input from a record (and the
    student's tokenizer, for chat templates)."""

    name: str
    title: str  # what the report and the docs call it
    prompt: Callable[..., str]
    prompt_fields: tuple[str, ...]  # what --fields prompt measures
    measured: tuple[str, ...]  # what diversity reads by default
    measured_words: str  # the card's and the report's words for that text
    hub_tag: str
    target_words: str  # the report's name of the target (length panels)
    needs_question: bool = False
    needs_context: bool = True
    strip_target: bool = True  # the paper's tasks strip the target; user data keeps its own spacing
    groups_by_record: bool = False  # without a group column, each record is its own group (one story, one group)
    grouped: bool = False  # records share a long context: distinct-n per group (paper Eq. 5), sizes count groups

    def target(self, record: Record) -> str:
        return record.target.strip() if self.strip_target else record.target


def _story_prompt(record: Record, tokenizer: Any = None) -> str:
    return record.context.strip() + " "


def _qa_prompt(record: Record, tokenizer: Any = None) -> str:
    return f"{record.context.strip()}\n\nQuestion: {(record.question or '').strip()}\nAnswer: "


def _sft_prompt(record: Record, tokenizer: Any = None) -> str:
    """A prompt/completion pair: the prompt as written (as TRL concatenates prompt and completion).
    A conversation: the turns before the target through the tokenizer's chat template, or, for a
    tokenizer without one, each turn as ``role: content`` on its own lines."""
    if record.messages is None:
        return record.context
    template = getattr(tokenizer, "chat_template", None)
    if template:
        return tokenizer.apply_chat_template(record.messages, tokenize=False, add_generation_prompt=True)
    turns = "".join(f"{m['role']}: {m['content']}\n" for m in record.messages)
    return f"{turns}assistant: "


def _lm_prompt(record: Record, tokenizer: Any = None) -> str:
    return ""


TASKS: dict[str, Task] = {
    "story_completion": Task(
        name="story_completion", title="story completion", prompt=_story_prompt, prompt_fields=("context",),
        measured=("context", "target"), measured_words="the four context sentences and the ending",
        hub_tag="story-completion", target_words="completion (5th sentence)", groups_by_record=True,
    ),
    "long_context_qa": Task(
        name="long_context_qa", title="long-context QA", prompt=_qa_prompt, prompt_fields=("question",),
        measured=("question", "target"),
        measured_words="the question and the answer (the long context is shared by a group and left out)",
        hub_tag="long-context-qa", target_words="answer", needs_question=True, grouped=True,
    ),
    "sft": Task(
        name="sft", title="instruction data (prompt and completion)", prompt=_sft_prompt, prompt_fields=("context",),
        measured=("context", "target"), measured_words="the prompt and the completion",
        hub_tag="instruction-tuning", target_words="completion", needs_context=False, strip_target=False,
    ),
    "lm": Task(
        name="lm", title="plain text (language modelling)", prompt=_lm_prompt, prompt_fields=(),
        measured=("target",), measured_words="the text", hub_tag="language-modeling", target_words="text",
        needs_context=False, strip_target=False,
    ),
}
TASK_NAMES = tuple(TASKS)


def get_task(name: str) -> Task:
    task = TASKS.get(name)
    if task is None:
        raise UserError(f"unknown task {name!r}; use one of {', '.join(TASKS)}", where="task")
    return task


def prompt_text(record: Record, tokenizer: Any = None) -> str:
    """The model input. Story: the four context sentences. QA: long context, then the question.
    Instruction data: the prompt (a conversation through ``tokenizer``'s chat template). Plain text: nothing."""
    return TASKS[record.task].prompt(record, tokenizer)


def target_text(record: Record) -> str:
    """The text whose tokens carry the loss (the fifth sentence, the answer, the completion, the text)."""
    return TASKS[record.task].target(record)


def measured_text(record: Record, fields: tuple[str, ...] | None = None) -> str:
    """Text whose diversity is measured: the task's default (story = context + target; QA = question + answer,
    the long context being shared by a group; instruction data = prompt + completion; plain text = the text),
    or ``fields``: record fields, ``prompt`` / ``completion``, or keys of the record's ``meta``."""
    task = TASKS[record.task]
    names = _expand(fields or task.measured, task)
    if not names:
        raise UserError(f"{task.name} records have no prompt; measure their text (--fields completion)", where=f"record {record.id}")
    parts = []
    for name in names:
        if name in MEASURABLE_FIELDS:
            value = getattr(record, name)
        elif name in record.meta:
            value = record.meta[name]
        else:
            raise UserError(
                f"record has no field {name!r}; use {', '.join(MEASURABLE_FIELDS + FIELD_ALIASES)} or a key of its 'meta'",
                where=f"record {record.id}",
            )
        if value:
            parts.append(str(value).strip())
    return " ".join(parts)


def _expand(fields: tuple[str, ...], task: Task) -> list[str]:
    out: list[str] = []
    for name in fields:
        if name == "prompt":
            out.extend(task.prompt_fields)
        elif name == "completion":
            out.append("target")
        else:
            out.append(name)
    return out
