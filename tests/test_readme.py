"""The README's recipes run from a fresh clone as written, and print what the README shows.

The console blocks of "## Three recipes" run in an empty folder, through the CLI, with every number
masked in the comparison (tests/test_tutorial.py's rule); a block that talks to a server runs only with
--dry-run, which contacts nothing. `synthdiv run` is too long for a test: its config is checked instead,
and docs/tutorial.md runs the same stages on the dummy backend. The Python block runs as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from test_tutorial import shape, worked_example

from synthdiv.cli.main import main

README = Path(__file__).resolve().parent.parent / "README.md"
RECIPES = "## Three recipes"


def recipes() -> str:
    return README.read_text(encoding="utf-8").split(RECIPES, 1)[1].split("\n## ", 1)[0]


def test_the_recipes_run_and_print_what_the_readme_shows(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    steps = worked_example(recipes())
    assert steps, "no console block in the recipes"
    stale = []
    for step in steps:
        argv = shlex.split(step.command)[1:]
        if argv[0] == "run":
            assert main(["validate", argv[1]]) == 0  # the sweep's config is valid; the tutorial runs its stages
            capsys.readouterr()
            continue
        assert "--backend" not in argv or argv[argv.index("--backend") + 1] in ("dummy", "transformers") or "--dry-run" in argv
        code = main(argv)
        captured = capsys.readouterr()
        assert code == 0, f"{step.command}\n{captured.err}"
        if [shape(x) for x in captured.out.splitlines()] != [shape(x) for x in step.output]:
            stale.append(f"$ {step.command}\n{captured.out}")
    assert not stale, "README recipe output differs from what the commands print now:\n\n" + "\n\n".join(stale)


def test_the_python_block_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["data", "instructions", "--out", "mine.jsonl"]) == 0
    text = README.read_text(encoding="utf-8").split("## From Python", 1)[1]
    (snippet,) = re.findall(r"```python\n(.*?)```", text.split("\n## ", 1)[0], flags=re.S)
    exec(compile(snippet, "README.md", "exec"), {})
    assert len(capsys.readouterr().out.strip().splitlines()) >= 3


def test_the_readme_is_a_front_door():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    assert "arXiv:2506.19262" in text and "@article{" in text and 'pip install -e ".[all]"' in text
    assert "../shared" not in text and "--backend openai" in text
    for link in re.findall(r"\]\(([^)#]+)\)", text):
        if not link.startswith("http"):
            assert (README.parent / link).exists(), link
