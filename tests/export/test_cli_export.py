"""Bad input is one `error:` line, exit 2, and nothing written; a failure half-way leaves OUT as it was."""

from __future__ import annotations

import subprocess
import sys

import pytest

from synthdiv.cli.main import main


def run_export(*args) -> int:
    return main(["export", *map(str, args)])


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    return err.strip()


def no_leftovers(folder) -> None:
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []  # no staged or temp file left behind


@pytest.mark.parametrize("make, message", [
    (lambda p: p, "input file not found; check the path"),
    (lambda p: (p.write_text(""), p)[1], "input file is empty; give a file with at least one record"),
])
def test_missing_or_empty_file(tmp_path, capsys, make, message):
    src = make(tmp_path / "gen.jsonl")
    assert run_export(src, "--format", "hf", "--out", tmp_path / "hf") == 2
    assert one_error_line(capsys) == f"error: {src}: {message}"
    assert not (tmp_path / "hf").exists()


def test_unknown_format_suggests_the_closest(gen_file, tmp_path, capsys):
    assert run_export(gen_file, "--format", "trl-message", "--out", tmp_path / "o.jsonl") == 2
    assert one_error_line(capsys) == ("error: --format: unknown export format 'trl-message'; did you mean 'trl-messages'? "
                                      "use one of trl-prompt-completion, trl-messages, hf")


def test_folder_without_datasets_csv(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "spec.yaml").write_text("name: x\n")
    assert run_export(run, "--format", "hf", "--out", tmp_path / "hf") == 2
    assert "folder has no datasets.csv; give a run folder written by `synthdiv run`" in one_error_line(capsys)
    assert not (tmp_path / "hf").exists()


def test_non_empty_out_is_refused_unless_overwrite(gen_file, tmp_path, capsys):
    out = tmp_path / "hf"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert run_export(gen_file, "--format", "hf", "--out", out, "--embedder", "none") == 2
    assert one_error_line(capsys) == f"error: {out}: output folder exists and is not empty; choose another path or pass --overwrite"
    assert [p.name for p in out.iterdir()] == ["notes.txt"]

    assert run_export(gen_file, "--format", "hf", "--out", out, "--embedder", "none", "--overwrite") == 0
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "data"]
    no_leftovers(tmp_path)


def test_trl_out_must_be_a_new_jsonl_file(gen_file, tmp_path, capsys):
    assert run_export(gen_file, "--format", "trl-prompt-completion", "--out", tmp_path / "o.txt") == 2
    assert one_error_line(capsys).endswith("TRL output must be a .jsonl file")
    existing = tmp_path / "o.jsonl"
    existing.write_text("old\n")
    assert run_export(gen_file, "--format", "trl-prompt-completion", "--out", existing) == 2
    assert one_error_line(capsys).endswith("output file exists; choose another path or pass --overwrite")
    assert existing.read_text() == "old\n"


def test_out_may_not_swallow_the_input(gen_file, capsys):
    assert run_export(gen_file, "--format", "hf", "--out", gen_file.parent, "--overwrite") == 2
    assert one_error_line(capsys).endswith("output would replace an input; choose an output outside the input's folder")
    assert gen_file.exists()


def test_real_must_match_the_task(gen_file, tmp_path, capsys):
    from export_records import qa_record

    from synthdiv.data.records_io import write_records

    qa = tmp_path / "qa.jsonl"
    write_records([qa_record(i) for i in range(4)], qa)
    assert run_export(gen_file, "--format", "hf", "--out", tmp_path / "hf", "--embedder", "none", "--real", qa) == 2
    assert "the real data is long_context_qa but the exported set is story_completion" in one_error_line(capsys)
    assert not (tmp_path / "hf").exists()
    no_leftovers(tmp_path)


def test_failure_half_way_leaves_out_as_it_was(gen_file, tmp_path, monkeypatch):
    out = tmp_path / "hf"
    out.mkdir()
    (out / "old.txt").write_text("previous export")

    def card_fails(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("synthdiv.export.card.render_card", card_fails)
    with pytest.raises(RuntimeError, match="disk full"):  # an internal failure keeps its traceback
        run_export(gen_file, "--format", "hf", "--out", out, "--embedder", "none", "--overwrite")
    assert [p.name for p in out.iterdir()] == ["old.txt"]
    no_leftovers(tmp_path)


def test_help_imports_nothing_heavy():
    code = ("import sys; from synthdiv.cli.main import main; main(['export', '--help']); "
            "print([m for m in ('pyarrow', 'pandas', 'datasets', 'huggingface_hub', 'torch') if m in sys.modules], file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stderr.strip().splitlines()[-1] == "[]"
    assert "--push-to-hub" in proc.stdout


def test_cli_defaults_are_the_settings_defaults():
    import typer.main

    from synthdiv.cli.main import app
    from synthdiv.export.settings import DEFAULTS

    command = typer.main.get_command(app).commands["export"]
    defaults = {p.name: p.default for p in command.params}
    assert defaults["embedder"] == DEFAULTS.embedder == "minilm-l6"
    assert defaults["shard_rows"] == DEFAULTS.shard_rows
    assert (defaults["seed"], defaults["license_id"]) == (DEFAULTS.seed, DEFAULTS.license)
    assert (defaults["private"], defaults["overwrite"]) == (DEFAULTS.private, DEFAULTS.overwrite) == (False, False)
