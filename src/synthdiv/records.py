"""The one record type that flows through every stage of the pipeline.

A :class:`Record` is one training or test example of a task, real or
generated, with the provenance needed to trace it back to where it came from.
JSONL is the interchange format (see docs/records.md for the schema);
:mod:`synthdiv.data.records_io` reads and writes CSV, Parquet and Hugging Face
datasets too. What the fields hold for each task (stories, long-context QA,
instruction data, plain text) is said once, in :mod:`synthdiv.tasks`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from typing import Any

from synthdiv.errors import UserError
from synthdiv.tasks import TASK_NAMES as TASKS
from synthdiv.tasks import TASKS as TASK_KINDS

SOURCES = ("real", "generated")
ROLES = ("system", "user", "assistant", "tool")


@dataclass
class Provenance:
    """Where a record came from. Real records fill the first block; generated
    records also fill the second. Unknown keys survive a round trip in ``extra``."""

    dataset: str | None = None  # loader name: story_cloze, rocstories, narrativeqa, corpus, jsonl ...
    origin: str | None = None  # file, folder or hub id the record was read from
    row: int | None = None  # 1-based data row (CSV) or line (JSONL) in ``origin``
    # generated records only
    strategy: str | None = None  # "topic" (topic-guided) or "paraphrase" (paraphrasing-based)
    level: str | None = None  # diversity level, e.g. "D3"
    topic: str | None = None
    seed_ids: list[str] | None = None  # ids of the real records shown in the prompt
    parent_id: str | None = None  # the generated record a paraphrase was made from
    backend: str | None = None
    model: str | None = None
    prompt_hash: str | None = None  # sha256 of the exact messages sent
    sampling: dict[str, Any] | None = None  # temperature, top_p, seed ...
    generation: int | None = None  # model-collapse loops: which generation produced it
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        # shallow on purpose: dataclasses.asdict deep-copies every nested value and was
        # 40 % of the time of writing cached generation records
        out = {name: getattr(self, name) for name in _PROVENANCE_FIELDS if getattr(self, name) is not None}
        if self.extra:
            out["extra"] = self.extra
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Provenance:
        if not data:
            return cls()
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known and k != "extra"}
        extra = dict(data.get("extra") or {})
        extra.update({k: v for k, v in data.items() if k not in known})
        return cls(**kwargs, extra=extra)


_PROVENANCE_FIELDS = tuple(f.name for f in fields(Provenance) if f.name != "extra")


@dataclass
class Record:
    """One example of a task. See the module docstring for the fields per task."""

    id: str
    task: str
    context: str
    target: str
    question: str | None = None
    source: str = "real"
    group: str | None = None
    split: str | None = None
    provenance: Provenance = field(default_factory=Provenance)
    meta: dict[str, Any] = field(default_factory=dict)  # source columns we keep but do not use
    # a chat record (task sft): the turns before the target, [{"role", "content"}, ...]; None for plain pairs
    messages: list[dict[str, str]] | None = None

    def __post_init__(self) -> None:
        # text fields stay text: a number is refused rather than silently turned into "5"
        for name in ("context", "target", "question"):
            value = getattr(self, name)
            if not (isinstance(value, str) or (name == "question" and value is None)):
                raise UserError(f"field '{name}' must be text, got {type(value).__name__} {value!r}; quote it in the file",
                                where=f"record {self.id}")
        if self.task not in TASKS:
            raise UserError(f"unknown task {self.task!r}; use one of {', '.join(TASKS)}", where="task")
        if self.source not in SOURCES:
            raise UserError(f"unknown source {self.source!r}; use 'real' or 'generated'", where="source")
        kind = TASK_KINDS[self.task]
        if kind.needs_question and not self.question:
            raise UserError(f"a {self.task} record needs a non-empty 'question'", where=f"record {self.id}")
        if self.messages is not None:
            check_messages(self.messages, where=f"record {self.id}")

    # ----- serialisation -------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "task": self.task,
            "source": self.source,
            "group": self.group,
            "split": self.split,
            "context": self.context,
            "question": self.question,
            "target": self.target,
            "provenance": self.provenance.to_dict(),
            "meta": self.meta,
        }
        if self.messages is not None:  # only chat records carry the key: other files stay byte for byte as they were
            out["messages"] = self.messages
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, where: str = "record") -> Record:
        """Build a record from its JSON form; ``where`` names the file and line in errors."""
        if not isinstance(data, dict):
            raise UserError("expected a JSON object per line", where=where)
        for name in ("task", "target"):
            value = data.get(name)
            if not isinstance(value, str) or not value.strip():
                raise UserError(f"field '{name}' is missing or not a non-empty string; every record needs it", where=where)
        if data["task"] not in TASK_KINDS:
            raise UserError(f"unknown task {data['task']!r}; use one of {', '.join(TASKS)}", where=where)
        context = data.get("context")
        if context is None and not TASK_KINDS[data["task"]].needs_context:
            context = ""
        if not isinstance(context, str) or (TASK_KINDS[data["task"]].needs_context and not context.strip()):
            raise UserError("field 'context' is missing or not a non-empty string; every record needs it", where=where)
        question = data.get("question")
        if question is not None and not isinstance(question, str):
            raise UserError(f"field 'question' must be text, got {type(question).__name__} {question!r}; quote it in the file",
                            where=where)
        prov = data.get("provenance")
        if prov is not None and not isinstance(prov, dict):
            raise UserError("field 'provenance' must be an object", where=where)
        rid = data.get("id")
        record_id = str(rid) if rid not in (None, "") else content_id(data["task"], context, data.get("question"), data["target"])
        try:
            return cls(
                id=record_id,
                task=data["task"],
                context=context,
                target=data["target"],
                question=data.get("question"),
                source=data.get("source") or "real",
                group=None if data.get("group") is None else str(data["group"]),
                split=data.get("split"),
                provenance=Provenance.from_dict(prov),
                meta=dict(data.get("meta") or {}),
                messages=data.get("messages"),
            )
        except UserError as exc:
            raise UserError(str(exc), where=where) from None

    @classmethod
    def from_json(cls, line: str, *, where: str = "record") -> Record:
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"malformed JSON ({exc.msg} at column {exc.colno}); fix or remove the line", where=where) from None
        return cls.from_dict(data, where=where)

    # ----- views used by several stages ----------------------------------
    @property
    def is_generated(self) -> bool:
        return self.source == "generated"


def check_messages(messages: Any, where: str) -> None:
    """A conversation is a list of {"role", "content"} turns with text content and a known role."""
    if not isinstance(messages, list):
        raise UserError(f"'messages' must be a list of turns, got {type(messages).__name__}", where=where)
    for i, turn in enumerate(messages):
        if not isinstance(turn, dict) or not isinstance(turn.get("content"), str) or turn.get("role") not in ROLES:
            raise UserError(f"turn {i + 1} of 'messages' must be {{\"role\": {' | '.join(ROLES)}, \"content\": text}}, got {str(turn)[:80]}",
                            where=where)


def content_id(task: str, context: str, question: str | None, target: str) -> str:
    """A stable id from a record's content, for sources without an id column."""
    h = hashlib.sha256()
    for part in (task, context, question or "", target):
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:16]


def dedupe_ids(records: list[Record]) -> list[Record]:
    """Make ids unique in place by suffixing repeats (``id``, ``id-2``, ...), keeping order."""
    seen: dict[str, int] = {}
    for rec in records:
        n = seen.get(rec.id, 0) + 1
        seen[rec.id] = n
        if n > 1:
            rec.id = f"{rec.id}-{n}"
    return records


def prompt_hash(messages: Any) -> str:
    """sha256 of the exact messages sent to a backend (canonical JSON)."""
    blob = json.dumps(messages, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
