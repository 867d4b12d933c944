"""Building the exact chat messages of each generation step from template files.

The "build the prompt" half of each step (the distilabel split): templates live
in ``synthdiv/generation/prompts/<step>.txt``, one per step, in our own words
(the paper's prompt figures are lost in our copy). A template has ``[section]``
headers and ``$variables`` (``string.Template``); ``#`` lines at the top are its
documentation. ``prompts_dir`` points at a folder of replacement templates.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from string import Template

from synthdiv.errors import UserError
from synthdiv.records import Record

STEPS = ("topics", "topic_tree", "story", "instruction", "qa_pair", "qa_paraphrase")
_SECTION = re.compile(r"^\[(\w+)\]\s*$")


@lru_cache(maxsize=32)
def load_template(step: str, prompts_dir: str | None = None) -> dict[str, str]:
    """Sections of a template file, by name, text without the trailing newline."""
    if step not in STEPS:
        raise UserError(f"unknown prompt step {step!r}; use one of {', '.join(STEPS)}")
    if prompts_dir:
        path = Path(prompts_dir) / f"{step}.txt"
        if not path.is_file():
            raise UserError(f"prompt folder has no {step}.txt; copy the built-in one and edit it", where=str(path))
        text = path.read_text(encoding="utf-8")
    else:
        text = resources.files("synthdiv.generation").joinpath("prompts", f"{step}.txt").read_text(encoding="utf-8")
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if current is None and (not line.strip() or line.startswith("#")):
            continue
        if m := _SECTION.match(line):
            current = m.group(1)
            sections[current] = []
        elif current is None:
            raise UserError("template text before the first [section] header", where=f"{step}.txt")
        else:
            sections[current].append(line)
    return {name: "\n".join(lines).strip("\n") for name, lines in sections.items()}


@lru_cache(maxsize=64)
def _template(text: str) -> Template:
    return Template(text)


def _fill(template: str, where: str, **values) -> str:
    try:
        return _template(template).substitute(**values)
    except KeyError as exc:
        raise UserError(f"template uses an unknown variable ${exc.args[0]}", where=where) from None


def story_text(record: Record) -> str:
    """A real story as one paragraph: the four context sentences, then the fifth."""
    return f"{record.context.strip()} {record.target.strip()}"


def topics_messages(count: int, examples: list[str], prompts_dir: str | None = None) -> list[dict[str, str]]:
    t = load_template("topics", prompts_dir)
    values = {"count": count, "examples": ", ".join(examples)}
    return [
        {"role": "system", "content": _fill(t["system"], "topics.txt", **values)},
        {"role": "user", "content": _fill(t["user"], "topics.txt", **values)},
    ]


def topic_tree_messages(count: int, path: tuple[str, ...], examples: list[str], prompts_dir: str | None = None) -> list[dict[str, str]]:
    """A request for ``count`` children of the tree node ``path`` (the root when empty),
    after one worked exchange of the same kind (the template's example answer)."""
    t = load_template("topic_tree", prompts_dir)
    kind = "child" if path else "root"
    shown = {"count": len(t[f"example_{kind}"].splitlines()), "examples": ", ".join(examples), "parent": "Seaside", "path": "Seaside"}
    values = {"count": count, "examples": ", ".join(examples), "parent": path[-1] if path else "", "path": " > ".join(path)}
    return [
        {"role": "system", "content": _fill(t["system"], "topic_tree.txt", **values)},
        {"role": "user", "content": _fill(t[kind], "topic_tree.txt", **shown)},
        {"role": "assistant", "content": t[f"example_{kind}"]},
        {"role": "user", "content": _fill(t[kind], "topic_tree.txt", **values)},
    ]


def story_messages(topic: str, examples: list[Record], words: int, prompts_dir: str | None = None) -> list[dict[str, str]]:
    """System turn, one (example request, real example story) exchange per example, then the request."""
    return _few_shot("story", {"topic": topic, "words": words}, [{"story": story_text(s)} for s in examples], prompts_dir)


def instruction_messages(topic: str, examples: list[Record], words: int, prompts_dir: str | None = None) -> list[dict[str, str]]:
    """System turn, one (example request, real example pair) exchange per example, then the request."""
    shown = [{"instruction": s.context.strip(), "response": s.target.strip()} for s in examples]
    return _few_shot("instruction", {"topic": topic, "words": words}, shown, prompts_dir)


def _few_shot(step: str, values: dict, examples: list[dict], prompts_dir: str | None) -> list[dict[str, str]]:
    """A step whose real examples are shown as earlier turns: the template's system turn, one exchange of its
    ``example_user`` and ``example_assistant`` per example (filled with that example's values), then its request."""
    t, where = load_template(step, prompts_dir), f"{step}.txt"
    messages = [{"role": "system", "content": _fill(t["system"], where, **values)}]
    example_request = _fill(t["example_user"], where, **values)
    for example in examples:
        messages.append({"role": "user", "content": example_request})
        messages.append({"role": "assistant", "content": _fill(t["example_assistant"], where, **example, **values)})
    messages.append({"role": "user", "content": _fill(t["user"], where, **values)})
    return messages


def qa_pair_messages(context: str, examples: list[Record], prompts_dir: str | None = None) -> list[dict[str, str]]:
    t = load_template("qa_pair", prompts_dir)
    blocks = "\n\n".join(f"Question: {r.question.strip()}\nAnswer: {r.target.strip()}" for r in examples)
    values = {"context": context.strip(), "examples": blocks}
    return [
        {"role": "system", "content": _fill(t["system"], "qa_pair.txt", **values)},
        {"role": "user", "content": _fill(t["user"], "qa_pair.txt", **values)},
    ]


def paraphrase_messages(question: str, answer: str, example: Record, prompts_dir: str | None = None) -> list[dict[str, str]]:
    t = load_template("qa_paraphrase", prompts_dir)
    values = {
        "question": question.strip(),
        "answer": answer.strip(),
        "example_question": (example.question or "").strip(),
        "example_answer": example.target.strip(),
    }
    return [
        {"role": "system", "content": _fill(t["system"], "qa_paraphrase.txt", **values)},
        {"role": "user", "content": _fill(t["user"], "qa_paraphrase.txt", **values)},
    ]
