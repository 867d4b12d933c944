"""The plain help of every command: no Python type names, every option explained, defaults whole."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import typer.main

from synthdiv.cli.helpformat import default_text, use_plain_help, value_name
from synthdiv.cli.main import app, main

TYPE_NAME = re.compile(r"<[a-z][\w\[\], ]*>")  # <bool>, <int>, <list[str]>, <path>
BRACED = re.compile(r"\{\w+\}")  # typer's {files} for a required argument


def all_commands():
    """(path, click command) of every leaf command, sub-apps included."""
    found = []

    def walk(cmd, path):
        subs = getattr(cmd, "commands", None) or {}
        if not subs:
            found.append((path, cmd))
        for name, sub in subs.items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def help_of(path: list[str], capsys) -> str:
    assert main([*path, "--help"]) == 0, path
    return capsys.readouterr().out


def test_there_are_commands_to_check():
    paths = [p for p, _ in all_commands()]
    assert ["generate"] in paths and ["data", "inspect"] in paths and len(paths) >= 15


def test_every_argument_and_option_of_every_command_has_help():
    missing = [(" ".join(path), p.name) for path, cmd in all_commands() for p in cmd.params if not (getattr(p, "help", None) or "").strip()]
    assert missing == []


def test_no_help_shows_a_python_type_name_or_braces(capsys):
    for path, _ in [([], None), *all_commands()]:
        text = help_of(path, capsys)
        assert not TYPE_NAME.search(text), (path, TYPE_NAME.search(text)[0])
        assert not BRACED.search(text), (path, BRACED.search(text)[0])
        assert not [line for line in text.splitlines() if line.rstrip().endswith("…")], path  # nothing cut at the edge


def test_values_are_named_and_formats_have_an_example(capsys):
    text = help_of(["diversity"], capsys)
    assert "Usage: synthdiv diversity [OPTIONS] FILES..." in text
    assert "--ngram-order INTEGER" in text and "--out, -o PATH" in text and "--fields FIELD[,FIELD]" in text
    assert "--metrics NAME[,NAME]" in text and "e.g. --metrics distinct" in text
    assert "--column FIELD=NAME" in help_of(["data", "convert"], capsys)
    assert "--set KEY=VALUE" in help_of(["run"], capsys)


@pytest.mark.parametrize("columns", ["72", "80", "120"])
def test_defaults_are_never_split_across_lines(columns, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", columns)
    text = help_of(["generate"], capsys)
    assert "[default: transformers]" in text and "[default: smollm2-135m-instruct]" in text
    assert "--progress / --no-progress" in text and "[default: --progress]" in text


def test_group_listing_shows_each_first_sentence_whole(capsys):
    text = help_of([], capsys)
    assert "Diversity of each file: distinct-1..n, n-gram diversity score," in text
    assert "..." not in text.split("Commands:")[1]


def test_value_name_and_default_text_on_a_small_app():
    small = typer.Typer()

    @small.command()
    def cmd(
        count: int = typer.Option(3, help="c"),
        share: float = typer.Option(0.5, help="s"),
        where: Path = typer.Option(Path("x"), help="w"),
        names: list[str] = typer.Option([], "--name", help="n"),
        pair: str = typer.Option("a=b", metavar="K=V", help="p"),
        flag: bool = typer.Option(False, "--flag", help="f"),
        switch: bool = typer.Option(True, "--on/--off", help="o"),
    ) -> None:
        pass

    use_plain_help(small)
    params = {p.name: p for p in typer.main.get_command(small).params}
    assert [value_name(params[k]) for k in ("count", "share", "where", "names", "pair")] == ["INTEGER", "NUMBER", "PATH", "TEXT", "K=V"]
    assert default_text(params["count"]) == "3" and default_text(params["names"]) is None
    assert default_text(params["flag"]) is None and default_text(params["switch"]) == "--on"


def test_subcommand_help_imports_neither_rich_nor_pydantic():
    code = (
        "import sys; from synthdiv.cli.main import main; main(['generate', '--help']); "
        "print([m for m in ('rich', 'pydantic') if m in sys.modules], file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stderr.strip().splitlines()[-1] == "[]"


def test_a_usage_error_is_plain_and_exits_2(capsys):
    assert main(["data", "convert"]) == 2
    err = capsys.readouterr().err
    assert "Usage: synthdiv data convert [OPTIONS] INPUT" in err and "╭" not in err
