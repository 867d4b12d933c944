"""The shapes practitioners hold their data in, each turned into records of a general task.

=====================  ==========================================================  ======
shape                  a row holds                                                 task
=====================  ==========================================================  ======
``messages``           ``messages``: chat turns ``{"role", "content"}`` (TRL,      sft
                       OpenAI); the last assistant turn is the target
``conversations``      ``conversations``: ShareGPT turns ``{"from", "value"}``      sft
``prompt_completion``  ``prompt`` and ``completion``: texts (TRL standard) or       sft
                       turns (TRL conversational)
``alpaca``             ``instruction``, optional ``input``, ``output``              sft
``text``               ``text`` (also every line of a ``.txt`` file)              lm
=====================  ==========================================================  ======

A chat record keeps the turns before its target in ``Record.messages`` (the student sees them through
its chat template, :mod:`synthdiv.tasks`) and their text, system turns left out, in ``context`` (what
the metrics read as the prompt). Columns a shape does not use are kept in ``meta``; an ``id``, a
``group`` and a ``source`` column (``real``/``generated``, as ``synthdiv export`` writes) are used.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from synthdiv.errors import UserError
from synthdiv.records import SOURCES, Provenance, Record, check_messages, content_id, dedupe_ids

SHARE_GPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system",
                   "tool": "tool", "function_call": "tool", "observation": "tool"}
ID_COLUMNS = ("id", "group", "source", "level")  # used by every shape, never kept in meta


@dataclass(frozen=True)
class Example:
    """What a shape reads from one row: the prompt text, the target, and the conversation before it."""

    context: str
    target: str
    messages: list[dict[str, str]] | None = None


@dataclass(frozen=True)
class Shape:
    name: str
    task: str
    keys: tuple[str, ...]  # the columns that mark it (all present)
    describe: str  # as the error for a file that fits no shape lists it
    read: Callable[[dict[str, Any], str], Example]
    optional: tuple[str, ...] = ()  # columns it also reads when present


def _text(row: dict[str, Any], where: str) -> Example:
    return Example("", _string(row, "text", where))


def _prompt_completion(row: dict[str, Any], where: str) -> Example:
    prompt, completion = row["prompt"], row["completion"]
    if isinstance(prompt, list) or isinstance(completion, list):  # TRL's conversational prompt-completion
        turns = _turns(prompt, "prompt", where) + _turns(completion, "completion", where)
        return _conversation(turns, where, "prompt + completion")
    return Example(_string(row, "prompt", where, empty_ok=True), _string(row, "completion", where))


def _messages(row: dict[str, Any], where: str) -> Example:
    return _conversation(_turns(row["messages"], "messages", where), where, "messages")


def _conversations(row: dict[str, Any], where: str) -> Example:
    turns = row["conversations"]
    if not isinstance(turns, list):
        raise UserError(f"column 'conversations' holds {type(turns).__name__}, not a list of turns", where=where)
    out = []
    for i, turn in enumerate(turns, 1):
        role = SHARE_GPT_ROLES.get(str(turn.get("from", "")).lower()) if isinstance(turn, dict) else None
        if role is None or not isinstance(turn.get("value"), str):
            raise UserError(f"turn {i} of 'conversations' must be {{\"from\": human | gpt | system, \"value\": text}}, "
                            f"got {str(turn)[:80]}", where=where)
        out.append({"role": role, "content": turn["value"]})
    return _conversation(out, where, "conversations")


def _alpaca(row: dict[str, Any], where: str) -> Example:
    instruction = _string(row, "instruction", where)
    extra = row.get("input")
    prompt = instruction if not extra else f"{instruction}\n\n{extra}"
    return Example(prompt, _string(row, "output", where))


SHAPES: dict[str, Shape] = {  # in the order they are tried: the first whose keys a row has
    "messages": Shape("messages", "sft", ("messages",), "chat messages (messages)", _messages),
    "conversations": Shape("conversations", "sft", ("conversations",), "ShareGPT (conversations)", _conversations),
    "prompt_completion": Shape("prompt_completion", "sft", ("prompt", "completion"), "prompt/completion (prompt, completion)",
                               _prompt_completion),
    "alpaca": Shape("alpaca", "sft", ("instruction", "output"), "Alpaca (instruction, input, output)", _alpaca, ("input",)),
    "text": Shape("text", "lm", ("text",), "plain text (text)", _text),
}
SHAPE_FIELDS = tuple(dict.fromkeys(k for s in SHAPES.values() for k in (*s.keys, *s.optional)))


def shape_of(columns: Collection[str]) -> Shape | None:
    names = set(columns)
    return next((s for s in SHAPES.values() if set(s.keys) <= names), None)


def rename_columns(row: dict[str, Any], columns: dict[str, str]) -> dict[str, Any]:
    """``row`` with the user's column names (``--column text=content``: field -> column) as the shape's."""
    if not columns:
        return row
    renamed = {v: k for k, v in columns.items()}
    return {renamed.get(k, k): v for k, v in row.items() if not (k in columns and k not in renamed)}


def shape_records(rows: Iterable[tuple[str, dict[str, Any]]], shape: Shape, *, dataset: str, origin: str,
                  source: str = "real") -> list[Record]:
    """Records of ``rows`` (each with where it was read, for errors: ``file:line``) in ``shape``; a row
    without a ``source`` column is of ``source``."""
    used = set(shape.keys) | set(shape.optional) | set(ID_COLUMNS)
    records = []
    for where, row in rows:
        if not set(shape.keys) <= set(row):
            missing = next(k for k in shape.keys if k not in row)
            raise UserError(f"row has no column {missing!r}, which the {shape.name} shape of the first row needs", where=where)
        example = shape.read(row, where)
        records.append(_record(example, row, shape, where, dataset, origin, used, source))
    if not records:
        raise UserError("no rows", where=origin)
    return dedupe_ids(records)


def _record(example: Example, row: dict[str, Any], shape: Shape, where: str, dataset: str, origin: str, used: set[str],
            default_source: str) -> Record:
    rid = row.get("id")
    rid = str(rid) if rid not in (None, "") else content_id(shape.task, example.context, None, example.target)
    source = row.get("source") if row.get("source") in SOURCES else default_source
    group = row.get("group")
    line = where.rpartition(":")[2]
    return Record(
        id=rid,
        task=shape.task,
        context=example.context,
        target=example.target,
        source=source,
        group=None if group in (None, "") else str(group),
        provenance=Provenance(dataset=dataset, origin=origin, row=int(line) if line.isdigit() else None,
                              level=row.get("level") or None),
        meta={k: _jsonable(v) for k, v in row.items() if k not in used},
        messages=example.messages,
    )


def _conversation(turns: list[dict[str, str]], where: str, column: str) -> Example:
    if not turns or turns[-1]["role"] != "assistant":
        last = turns[-1]["role"] if turns else "nothing"
        raise UserError(f"the conversation in {column!r} ends with {last}; its last turn must be the assistant's (the target)",
                        where=where)
    before = turns[:-1]
    context = "\n\n".join(t["content"].strip() for t in before if t["role"] != "system" and t["content"].strip())
    if not turns[-1]["content"].strip():
        raise UserError(f"the last assistant turn in {column!r} is empty; give it the text the model should learn", where=where)
    return Example(context, turns[-1]["content"], [dict(t) for t in before])


def _turns(value: Any, column: str, where: str) -> list[dict[str, str]]:
    if isinstance(value, str):  # a JSON string, as CSV and some Parquet files store a list
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise UserError(f"column {column!r} is text that is not a JSON list of turns", where=where) from None
    check_messages(value, where=f"{where} ({column})")
    return [{"role": t["role"], "content": t["content"]} for t in value]


def _string(row: dict[str, Any], key: str, where: str, empty_ok: bool = False) -> str:
    value = row.get(key)
    if not isinstance(value, str):
        raise UserError(f"column {key!r} holds {type(value).__name__} {str(value)[:40]!r}, not text; write it as a string", where=where)
    if not empty_ok and not value.strip():
        raise UserError(f"column {key!r} is empty; every row needs it", where=where)
    return value


def _jsonable(value: Any) -> Any:
    """A kept column's value as JSON can hold it (dates and other objects as their text)."""
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return str(value)
