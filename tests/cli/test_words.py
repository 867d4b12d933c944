"""One word, one meaning on the command line: an option name means the same thing in every command,
``--json`` prints, ``--out``/``-o`` writes, help texts are sentences, and the old spellings still
work for one release with one notice each."""

from __future__ import annotations

import json

import pytest
import typer.main

from synthdiv.backends import BACKENDS
from synthdiv.cli.main import app, main
from synthdiv.data.records_io import write_records


def _commands():
    def walk(cmd, path):
        if getattr(cmd, "commands", None):
            for name, sub in cmd.commands.items():
                yield from walk(sub, [*path, name])
        else:
            yield " ".join(path), cmd

    return dict(walk(typer.main.get_command(app), []))


def _options(cmd) -> dict[str, object]:
    return {o: p for p in cmd.params if p.param_type_name == "option" and not p.hidden for o in p.opts}


def test_json_prints_and_out_writes_in_every_command():
    for name, cmd in _commands().items():
        options = _options(cmd)
        if "--json" in options:
            assert options["--json"].is_flag, f"{name}: --json prints to stdout; a file is --out"
        if "--out" in options:
            assert "-o" in options["--out"].opts, f"{name}: --out has -o"


def test_the_words_the_review_found_twice_now_mean_one_thing():
    commands = _commands()
    assert "--n" not in _options(commands["diversity"]) and "--ngram-order" in _options(commands["diversity"])
    assert "--level" not in _options(commands["compare"]) and "--confidence" in _options(commands["compare"])
    assert "--sample" not in _options(commands["topics"]) and "--show" in _options(commands["topics"])
    assert "--mode" not in _options(commands["diversity"])  # mix --mode is the mixing mode
    assert [name for name, cmd in commands.items() if "--level" in _options(cmd)] == ["generate"]


def test_every_help_text_is_a_sentence():
    """A capital letter (or the backends it is about, ``openai: …``) first, a full stop last."""
    loose = []
    for name, cmd in _commands().items():
        for p in cmd.params:
            text = " ".join((p.help or "").split())
            if p.hidden or p.name == "help":
                continue
            about = [w.strip() for w in text.split(":")[0].split(",")]
            if not text.endswith(".") or not (text[:1].isupper() or all(w in BACKENDS for w in about)):
                loose.append(f"{name} {p.name}: {text}")
    assert loose == []


def test_version(capsys):
    from synthdiv import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"synthdiv {__version__}"


def test_generate_help_fits_a_screen_with_its_options_grouped(capsys):
    assert main(["generate", "--help"]) == 0
    text = capsys.readouterr().out
    assert len(text.splitlines()) <= 60
    assert "Model and sampling:" in text and "Cost and cache:" in text and "--set NAME=VALUE" in text
    assert "--concurrency" not in text and "--k " not in text  # behind --set and --level-option


def _stories(path, records):
    write_records(records, path)
    return path


def _untimed(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "timings_s"}


def _notices(err: str) -> list[str]:
    return [line for line in err.splitlines() if "is deprecated" in line]


@pytest.mark.parametrize(("old", "new"), [
    (["--n", "2"], ["--ngram-order", "2"]),
    (["--mode", "sample"], ["--distinct-over", "sample"]),
])
def test_old_diversity_spellings_still_work_with_one_notice(tmp_path, capsys, story_records, old, new):
    path = _stories(tmp_path / "s.jsonl", story_records)
    assert main(["diversity", str(path), "--json", *new]) == 0
    expected = capsys.readouterr()
    assert main(["diversity", str(path), "--json", *old]) == 0
    got = capsys.readouterr()
    assert _untimed(json.loads(got.out)) == _untimed(json.loads(expected.out))
    assert _notices(got.err) == [f"warning: {old[0]} is deprecated and goes in synthdiv 0.2; use {new[0]}"]


def test_old_compare_level_still_works(tmp_path, capsys):
    rows = tmp_path / "a.jsonl"
    rows.write_text("".join(json.dumps({"id": f"r{i}", "nll": 1.0 + i, "tokens": 4}) + "\n" for i in range(6)))
    assert main(["compare", str(rows), str(rows), "--json", "--level", "0.9"]) == 0
    got = capsys.readouterr()
    assert json.loads(got.out)["level"] == 0.9
    assert _notices(got.err) == ["warning: --level is deprecated and goes in synthdiv 0.2; use --confidence"]


def test_ladder_json_prints_and_the_old_json_file_still_writes(tmp_path, capsys):
    files = []
    for level in ("D0", "D3"):
        f = tmp_path / f"{level}.jsonl"
        assert main(["generate", "--backend", "dummy", "--model", "dummy", "--topics", "builtin", "--level", level, "--n", "8",
                     "-o", str(f), "--cache-dir", str(tmp_path / "cache"), "--no-progress"]) == 0
        files.append(str(f))
    capsys.readouterr()
    assert main(["ladder", *files, "--embedder", "none", "--draws", "10", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [r["level"] for r in printed["rows"]] == ["D0", "D3"]
    assert main(["ladder", *files, "--embedder", "none", "--draws", "10", "--json", str(tmp_path / "old.json")]) == 0
    got = capsys.readouterr()
    assert json.loads((tmp_path / "old.json").read_text()) == printed and got.out.startswith("set ")
    assert _notices(got.err) == ["warning: --json is deprecated and goes in synthdiv 0.2; use --out"]


def test_generate_takes_its_old_flags_as_set_and_level_options(tmp_path, capsys):
    common = ["generate", "--backend", "dummy", "--model", "dummy", "--topics", "builtin", "--level", "D1", "--n", "4",
              "--no-progress"]
    assert main([*common, "-o", str(tmp_path / "new.jsonl"), "--level-option", "k=2", "--set", "cache=false",
                 "--set", "top_p=0.9", "--set", "concurrency=3"]) == 0
    capsys.readouterr()
    assert main([*common, "-o", str(tmp_path / "old.jsonl"), "--k", "2", "--no-cache", "--top-p", "0.9", "--concurrency=3"]) == 0
    notices = _notices(capsys.readouterr().err)
    assert notices == ["warning: --k is deprecated and goes in synthdiv 0.2; use --level-option k=2",
                       "warning: --no-cache is deprecated and goes in synthdiv 0.2; use --set cache=false",
                       "warning: --top-p is deprecated and goes in synthdiv 0.2; use --set top_p=0.9",
                       "warning: --concurrency is deprecated and goes in synthdiv 0.2; use --set concurrency=3"]
    assert (tmp_path / "old.jsonl").read_text() == (tmp_path / "new.jsonl").read_text()


def test_set_reads_each_setting_as_its_type_and_refuses_a_setting_given_twice(tmp_path, capsys):
    common = ["generate", "--backend", "dummy", "--model", "dummy", "--topics", "builtin", "--n", "2", "-o", str(tmp_path / "g.jsonl")]
    for args, says in ((["--set", "top_p=high"], "error: --set top_p: must be a number (got 'high')"),
                       (["--set", "temprature=0.5"], "did you mean 'temperature'?"),
                       (["--temperature", "0.5", "--set", "temperature=0.6"], "temperature is given twice")):
        assert main([*common, *args]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and says in err[0], err
    assert not (tmp_path / "g.jsonl").exists()
