"""``synthdiv mix``: options, the Story Cloze CSV reader, and a too-small input as one line with exit 2."""

from __future__ import annotations

import json

from synthdiv.cli.main import main
from synthdiv.data.records_io import read_records, write_records
from tests.mixing.conftest import mix_records

REAL, GEN = mix_records(100, "real"), mix_records(80, "generated")


def test_cli_mix(tmp_path, capsys):
    real, gen, out = tmp_path / "real.jsonl", tmp_path / "gen.jsonl", tmp_path / "mix.jsonl"
    write_records(REAL, real)
    write_records(GEN, gen)
    code = main(["mix", "--real", str(real), "--generated", str(gen), "--ratio", "0.2", "--mode", "fixed", "--size", "50", "--out", str(out), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["size"] == 50 and summary["generated"] == 10 and summary["ratio"] == 0.2
    mixed = read_records(out)
    assert sum(r.is_generated for r in mixed) == 10
    assert all(r.provenance.topic == "cows" for r in mixed if r.is_generated)


def test_cli_mix_reads_story_cloze_csv(story_cloze_csv, tmp_path, capsys):
    gen, out = tmp_path / "gen.jsonl", tmp_path / "mix.jsonl"
    write_records(GEN, gen)
    code = main(["mix", "--real", str(story_cloze_csv), "--generated", str(gen), "--ratio", "0.1", "--mode", "variable", "--size", "100", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    mixed = read_records(out)
    assert len(mixed) == 111 and sum(r.is_generated for r in mixed) == 11
    assert {r.provenance.dataset for r in mixed if not r.is_generated} == {"story_cloze"}


def test_cli_mix_too_small_is_one_line_exit_2(tmp_path, capsys):
    real, gen = tmp_path / "real.jsonl", tmp_path / "gen.jsonl"
    write_records(REAL, real)
    write_records(GEN[:5], gen)
    out = tmp_path / "mix.jsonl"
    code = main(["mix", "--real", str(real), "--generated", str(gen), "--ratio", "0.5", "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error:") and "needs 50 generated records" in err[0]
    assert not out.exists()


def test_mix_sits_between_generate_and_train_in_the_help():
    import click
    import typer.main

    from synthdiv.cli.main import app

    group = typer.main.get_command(app)
    names = group.list_commands(click.Context(group))
    assert names.index("generate") < names.index("mix") < names.index("train")
