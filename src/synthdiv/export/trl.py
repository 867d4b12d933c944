"""Records as TRL training rows (docs/export.md).

The prompt and completion are :func:`synthdiv.tasks.prompt_text` and
:func:`synthdiv.tasks.target_text`, the text synthdiv's own training and
evaluation encode, so a TRL run trains on exactly what ``synthdiv train`` does.

* ``trl-prompt-completion``: TRL's standard prompt-completion type,
  ``{"prompt": str, "completion": str}``. SFTTrainer tokenises prompt + completion
  together, appends EOS and puts the loss on the completion only (its default
  ``completion_only_loss`` for this type): the same tokens and mask as synthdiv.
* ``trl-messages``: TRL's conversational language-modelling type,
  ``{"messages": [user, assistant]}``. TRL applies the model's chat template
  around it, which synthdiv does not for stories and QA, so the tokens differ
  from synthdiv's.

A chat record (task ``sft`` with ``messages``) keeps its conversation in both:
``trl-prompt-completion`` writes TRL's conversational prompt-completion type
(``{"prompt": [turns], "completion": [assistant]}``) and ``trl-messages`` its
turns followed by the assistant's. Both then go through the chat template, in
TRL and in synthdiv alike. ``synthdiv`` reads every file written here back as
``sft`` records (:mod:`synthdiv.data.shapes`).

``id``, ``source`` and ``level`` ride along as extra columns: SFTTrainer keeps
only the tokenised columns it builds, so they never reach the model.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from synthdiv.export.settings import TRL_MESSAGES, TRL_PROMPT_COMPLETION
from synthdiv.fileio import atomic_write
from synthdiv.records import Record
from synthdiv.tasks import prompt_text, target_text


def extra_columns(record: Record) -> dict[str, Any]:
    """The columns kept beside the training text, to trace a row back to its record."""
    return {"id": record.id, "source": record.source, "level": record.provenance.level}


def prompt_completion_row(record: Record) -> dict[str, Any]:
    if record.messages is not None:
        return {"prompt": record.messages, "completion": [_assistant(record)], **extra_columns(record)}
    return {"prompt": prompt_text(record), "completion": target_text(record), **extra_columns(record)}


def messages_row(record: Record) -> dict[str, Any]:
    prompt = prompt_text(record)
    before = record.messages if record.messages is not None else [{"role": "user", "content": prompt}] if prompt else []
    return {"messages": [*before, _assistant(record)], **extra_columns(record)}


def _assistant(record: Record) -> dict[str, str]:
    return {"role": "assistant", "content": target_text(record)}


ROW_BUILDERS = {TRL_PROMPT_COMPLETION: prompt_completion_row, TRL_MESSAGES: messages_row}


def trl_rows(records: Iterable[Record], fmt: str) -> list[dict[str, Any]]:
    build = ROW_BUILDERS[fmt]
    return [build(r) for r in records]


def write_trl_jsonl(records: Iterable[Record], path: str | os.PathLike, fmt: str) -> int:
    """Write the TRL rows of ``records`` to ``path`` atomically; returns the row count."""
    rows = trl_rows(records, fmt)
    with atomic_write(path) as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False))
            fh.write("\n")
    return len(rows)
