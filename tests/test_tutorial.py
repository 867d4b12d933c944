"""The tutorial (docs/tutorial.md) runs from a fresh clone, and its output blocks are what the commands print.

Its commands are read from the page and run in order, in an empty folder, through the CLI. Three
substitutions keep the test offline and fast: the generator is the dummy backend (``--backend
transformers`` becomes ``--backend dummy``), the student is the tiny random-init Llama of conftest.py
(``--model smollm2-135m-instruct`` of train becomes its folder), and sentence embeddings come from a hash
of the text instead of MiniLM. Numbers then differ from the page's, so each printed line is compared with
the page's line with every number masked and runs of spaces as one: the same lines, the same words, the
same cells. tests/test_readme.py runs the README's recipes with the same rule.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from synthdiv.cli.main import main

TUTORIAL = Path(__file__).resolve().parent.parent / "docs" / "tutorial.md"
STUDENT = "smollm2-135m-instruct"
# A number with its sign, decimals and exponent; "D3" or "distinct-1" keep their digits (a letter or "-" before them).
NUMBER = re.compile(r"(?<![A-Za-z0-9_.-])[-+]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?")
# A p-value prints as "p = 0.0305" or, at the floor of its resamples, "p ≤ 1/2001 (no resample as extreme)".
P_VALUE = re.compile(r"p (?:= #|≤ #/#(?: \([^)]*\))?)")


@dataclass
class Step:
    command: str
    output: list[str] = field(default_factory=list)


def worked_example(text: str) -> list[Step]:
    """The ``$ synthdiv ...`` commands of the text's console blocks, each with the lines printed under it."""
    steps: list[Step] = []
    for block in re.findall(r"```(?:console|bash)\n(.*?)```", text, flags=re.S):
        continued = False
        for line in block.splitlines():
            if continued:
                steps[-1].command += " " + line.strip().removesuffix("\\").strip()
            elif line.startswith(("$ synthdiv ", "synthdiv ")):
                steps.append(Step(line.removeprefix("$ ").removesuffix("\\").strip()))
            elif steps:
                steps[-1].output.append(line)
            continued = line.rstrip().endswith("\\")
    return steps


def offline_argv(command: str, tiny_model: Path) -> list[str]:
    argv = shlex.split(command)[1:]
    for i, arg in enumerate(argv[:-1]):
        if arg == "--backend" and argv[i + 1] == "transformers":
            argv[i + 1] = "dummy"
        if arg == "--model" and argv[i + 1] == STUDENT and argv[0] == "train":
            argv[i + 1] = str(tiny_model)
    return argv


def shape(line: str) -> list[str]:
    """The line's cells with every number masked; column widths follow the numbers, so they are not compared."""
    return P_VALUE.sub("p #", NUMBER.sub("#", line)).split()


def _word_hash_encoder(model: str, batch_size: int):
    """A stand-in for MiniLM: the mean of a fixed random vector per word, 384-dimensional like MiniLM,
    so texts that share words lie close and the printed lines (dimensions, warnings) are MiniLM's."""

    def vector(word: str) -> np.ndarray:
        return np.random.default_rng(int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")).normal(size=384)

    def encode(texts: list[str]) -> np.ndarray:
        return np.stack([np.mean([vector(w) for w in t.lower().split()] or [np.zeros(384)], axis=0) for t in texts]).astype(np.float32)

    return encode


def test_the_tutorial_has_every_stage():
    text = TUTORIAL.read_text(encoding="utf-8")
    steps = worked_example(text)
    stages = [shlex.split(s.command)[1] for s in steps]
    for stage in ("data", "generate", "diversity", "shift", "mix", "train", "evaluate", "compare"):
        assert stage in stages
    assert all(s.output for s in steps), [s.command for s in steps if not s.output]
    assert "../shared" not in text
    generate = next(s.command for s in steps if shlex.split(s.command)[1] == "generate")
    assert "--real train.jsonl" in generate  # the generator never sees a test record


def test_the_tutorial_runs_and_prints_what_it_shows(tmp_path, monkeypatch, capsys, tiny_model_dir):
    monkeypatch.setattr("synthdiv.metrics.embed_cache._default_encoder", _word_hash_encoder)
    work = tmp_path / "clone"
    work.mkdir()
    monkeypatch.chdir(work)
    text = TUTORIAL.read_text(encoding="utf-8")
    stale = []  # every block that no longer matches, so one run names them all
    for step in worked_example(text):
        code = main(offline_argv(step.command, tiny_model_dir))
        captured = capsys.readouterr()
        assert code == 0, f"{step.command}\n{captured.err}"
        printed = captured.out.splitlines()
        if [shape(x) for x in printed] != [shape(x) for x in step.output]:
            stale.append(f"$ {step.command}\n" + "\n".join(printed))
    for snippet in re.findall(r"```python\n(.*?)```", text, flags=re.S):
        exec(compile(snippet, "tutorial.md", "exec"), {})  # reads what the commands wrote
        assert capsys.readouterr().out.strip()
    assert not stale, "tutorial output blocks differ from what the commands print now (dummy backend, tiny model):\n\n" + "\n\n".join(stale)
