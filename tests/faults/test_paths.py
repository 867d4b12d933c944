"""An output that is an input (or another output), or that cannot be written, is refused
before any work: exit 2, one line naming the option, and every input byte for byte as it was."""

from __future__ import annotations

import os

import pytest
from faultkit import one_error_line

from synthdiv.errors import UserError
from synthdiv.paths import check_io

GEN = ["generate", "--backend", "dummy", "--model", "dummy", "--n", "2", "--topics", "builtin", "--no-progress"]


def _cases(real, gen, tmp):
    """(arguments, option named in the error, what it says) for every command the issue found losing data."""
    out = tmp / "out.jsonl"
    return [
        (["diversity", real, "--out", real], "--out", "is the input FILES[1]"),
        (["shift", real, gen, "--out", gen], "--out", "is the input GENERATED"),
        (["mix", "--real", real, "--generated", gen, "--ratio", "0.5", "--out", real], "--out", "is the input --real"),
        (["mix", "--real", real, "--generated", gen, "--ratio", "0.5", "--out", gen], "--out", "is the input --generated"),
        ([*GEN, "--real", real, "--out", real], "--out", "is the input --real"),
        ([*GEN, "--real", real, "--out", out, "--set", f"rejects={out}"], "--set rejects", "is also the output --out"),
        ([*GEN, "--real", real, "--out", out, "--set", f"rejects={real}"], "--set rejects", "is the input --real"),
        ([*GEN, "--real", tmp / "out.rejects.jsonl", "--out", out], "--set rejects", "is the input --real"),  # the default rejects file
        (["evaluate", "--model", "nowhere", "--test", real, "--per-sample", real], "--per-sample", "is the input --test"),
        (["data", "convert", real, "-f", "jsonl", "-t", "story_completion", "--out", real], "--out", "is the input INPUT"),
        (["data", "convert", real, "-f", "jsonl", "-t", "story_completion", "--out", out, "--test-fraction", "0.2",
          "--test-out", out], "--test-out", "is also the output --out"),
        (["run", "demo", "--out", tmp / "r", "--store", tmp / "r", "--dry-run"], "--store", "is also the output --out"),
    ]


CASE_IDS = ["diversity", "shift", "mix-real", "mix-generated", "generate-out", "generate-rejects-out", "generate-rejects-real",
            "generate-default-rejects", "evaluate-per-sample", "convert-out", "convert-test-out", "run-store"]


@pytest.mark.parametrize("case", range(len(CASE_IDS)), ids=CASE_IDS)
def test_an_output_that_is_an_input_is_refused_and_nothing_changes(case, cli, real_file, gen_file, tmp_path):
    args, option, says = _cases(real_file, gen_file, tmp_path)[case]
    if tmp_path / "out.rejects.jsonl" in args:  # the seeds sit where the default rejects file would go
        real_file.rename(tmp_path / "out.rejects.jsonl")
    before = {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    code, out, err = cli(*args)
    line = one_error_line(err)
    assert code == 2 and line.startswith(f"error: {option}: ") and says in line, line
    assert {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before  # nothing written, nothing lost
    assert out == ""


@pytest.mark.parametrize("alias", ["symlink", "hardlink", "relative"])
def test_links_and_relative_paths_resolve_to_the_input(alias, cli, real_file, gen_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if alias == "symlink":
        (tmp_path / "link.jsonl").symlink_to(real_file)
        out = "link.jsonl"
    elif alias == "hardlink":
        os.link(real_file, tmp_path / "hard.jsonl")
        out = "hard.jsonl"
    else:
        (tmp_path / "sub").mkdir()
        out = "sub/../real.jsonl"
    before = real_file.read_bytes()
    code, _, err = cli("mix", "--real", real_file, "--generated", gen_file, "--ratio", "0.5", "--out", out)
    assert code == 2 and f"{out} is the input --real" in one_error_line(err)
    assert real_file.read_bytes() == before


def test_a_file_where_a_folder_is_needed_is_refused_before_any_work(cli, real_file, tmp_path):
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    cases = [
        (["train", "--train", real_file, "--model", "nowhere", "--out", a_file], "--out", "is a file; give a folder path"),
        (["train", "--train", real_file, "--model", "nowhere", "--out", a_file / "sub"], "--out", f"{a_file} is a file, not a folder"),
        (["run", "demo", "--out", a_file, "--dry-run"], "--out", "is a file; give a folder path"),
        (["run", "demo", "--out", tmp_path / "r", "--store", a_file, "--dry-run"], "--store", "is a file; give a folder path"),
        (["report", tmp_path, "--out", a_file], "--out", "is a file; give a folder path"),
        (["mix", "--real", real_file, "--generated", real_file, "--ratio", "0.5", "--out", a_file / "m.jsonl"], "--out",
         f"{a_file} is a file, not a folder"),
    ]
    for args, option, says in cases:
        code, _, err = cli(*args)
        line = one_error_line(err)
        assert code == 2 and line.startswith(f"error: {option}: ") and says in line, (args, line)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "real.jsonl"]  # no run folder, no store


def test_a_folder_where_a_file_is_needed_is_refused_before_the_evaluation(cli, real_file, tmp_path):
    # "nowhere" is no model: the refusal comes first, so the evaluation (which would fail on it) never starts
    code, _, err = cli("evaluate", "--model", "nowhere", "--test", real_file, "--per-sample", tmp_path)
    assert code == 2 and one_error_line(err) == f"error: --per-sample: {tmp_path} is a folder; give a file path"


def test_an_output_in_a_folder_that_cannot_be_written_is_refused(cli, real_file, gen_file, read_only_folder):
    code, _, err = cli("mix", "--real", real_file, "--generated", gen_file, "--ratio", "0.5", "--out", read_only_folder / "m.jsonl")
    line = one_error_line(err)
    assert code == 2 and line.startswith("error: --out: cannot write ")
    assert "read-only file system" in line or "not writable" in line
    assert list(read_only_folder.iterdir()) == []


def test_the_response_cache_folder_is_checked_too(cli, real_file, tmp_path, read_only_folder):
    code, _, err = cli(*GEN, "--real", real_file, "--out", tmp_path / "g.jsonl", "--cache-dir", read_only_folder / "c")
    assert code == 2 and one_error_line(err).startswith("error: --cache-dir: cannot write ")
    assert not (tmp_path / "g.jsonl").exists()


def test_check_io_accepts_distinct_paths_and_names_that_are_not_files(tmp_path):
    (tmp_path / "in.jsonl").write_text("x")
    check_io(inputs={"--real": tmp_path / "in.jsonl", "--model": "hf:owner/name", "--x": None},
             outputs={"--out": tmp_path / "new" / "deeper" / "out.jsonl"}, folders={"--store": tmp_path / "store"})
    with pytest.raises(UserError, match=r"^--b: .* is also the output --a"):
        check_io(outputs={"--a": tmp_path / "o.jsonl"}, folders={"--b": tmp_path / "x" / ".." / "o.jsonl"})


def test_a_model_name_that_is_no_folder_may_name_the_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.jsonl").write_text("x")
    check_io(inputs={"--train": "train.jsonl", "--model": "gpt2"}, folders={"--out": "gpt2"})  # a hub id: nothing to destroy
    (tmp_path / "gpt2").mkdir()  # now --model is this folder, and writing into it would replace the model
    with pytest.raises(UserError, match=r"^--out: gpt2 is the input --model"):
        check_io(inputs={"--train": "train.jsonl", "--model": "gpt2"}, folders={"--out": "gpt2"})


def test_train_merge_into_its_own_base_model_is_refused(cli, real_file, tmp_path):
    model = tmp_path / "run1" / "merged"  # the merged weights of an earlier run, trained on again into the same run
    model.mkdir(parents=True)
    (model / "config.json").write_text("{}")
    code, _, err = cli("train", "--train", real_file, "--model", model, "--out", tmp_path / "run1", "--merge")
    assert code == 2 and one_error_line(err).startswith(f"error: --merge: {model} is the input --model")
    assert (model / "config.json").read_text() == "{}"


# ----- every output option of every command: the one path rule -----------------------------------
def _every_output(real, gen, tmp):
    """(command, option) -> (arguments aiming the option at an input, or at a path of the wrong kind; what the line says)."""
    folder, a_file = tmp / "folder", tmp / "afile"
    return {
        ("diversity", "--out"): (["diversity", real, "--out", real], "is the input FILES[1]"),
        ("shift", "--out"): (["shift", real, gen, "--out", real], "is the input REAL"),
        ("generate", "--out"): ([*GEN, "--real", real, "--out", real], "is the input --real"),
        ("generate", "--cache-dir"): ([*GEN, "--real", real, "--out", tmp / "o.jsonl", "--cache-dir", a_file], "is a file"),
        ("mix", "--out"): (["mix", "--real", real, "--generated", gen, "--ratio", "0.5", "--out", gen], "is the input --generated"),
        ("train", "--out"): (["train", "--train", real, "--model", "nowhere", "--out", real], "is the input --train"),
        ("evaluate", "--per-sample"): (["evaluate", "--model", "nowhere", "--test", real, "--per-sample", real], "is the input --test"),
        ("run", "--out"): (["run", "demo", "--out", a_file, "--dry-run"], "is a file; give a folder path"),
        ("run", "--store"): (["run", "demo", "--out", tmp / "r", "--store", a_file, "--dry-run"], "is a file; give a folder path"),
        ("demo", "--out"): (["demo", "--out", a_file], "is a file; give a folder path"),
        ("report", "--out"): (["report", tmp, "--out", tmp], "is the input RUN_DIR"),
        ("export", "--out"): (["export", gen, "--format", "trl-messages", "--out", gen, "--overwrite"], "is the input SOURCE"),
        ("select", "--out"): (["select", "--pool", gen, "--n", "2", "--strategy", "random", "--out", gen], "is the input --pool"),
        ("topics", "--out"): (["topics", "--size", "5", "--out", folder], "is a folder; give a file path"),
        ("topics", "--cache-dir"): (["topics", "--size", "5", "--out", tmp / "t.txt", "--cache-dir", a_file], "is a file"),
        ("ladder", "--out"): (["ladder", gen, real, "--out", real], "is the input FILES[2]"),
        ("data convert", "--out"): (["data", "convert", real, "-f", "jsonl", "-t", "story_completion", "--out", real],
                                    "is the input INPUT"),
        ("data convert", "--test-out"): (["data", "convert", real, "-f", "jsonl", "-t", "story_completion", "--out", tmp / "o.jsonl",
                                          "--test-fraction", "0.2", "--test-out", real], "is the input INPUT"),
        ("data corpus", "--out"): (["data", "corpus", "--out", folder], "is a folder; give a file path"),
        ("data instructions", "--out"): (["data", "instructions", "--out", folder], "is a folder; give a file path"),
    }


OUTPUT_PARAMS = {"out", "test_out", "per_sample", "rejects", "store", "cache_dir"}  # what a command writes to


def _output_options() -> set[tuple[str, str]]:
    """(command, option) of every option of the CLI that names where something is written."""
    import typer.main

    from synthdiv.cli.main import app

    def walk(cmd, prefix):
        if getattr(cmd, "commands", None):
            for name, sub in cmd.commands.items():
                yield from walk(sub, [*prefix, name])
            return
        for p in cmd.params:
            if p.name in OUTPUT_PARAMS:
                yield " ".join(prefix), max(p.opts, key=len)

    return set(walk(typer.main.get_command(app), []))


def test_the_table_below_names_every_output_option_of_the_cli(real_file, gen_file, tmp_path):
    assert set(_every_output(real_file, gen_file, tmp_path)) == _output_options()


@pytest.mark.parametrize("case", sorted(_output_options()), ids=" ".join)
def test_every_output_option_goes_through_the_path_rule(case, cli, real_file, gen_file, tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "afile").write_text("x")
    args, says = _every_output(real_file, gen_file, tmp_path)[case]
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    code, out, err = cli(*args)
    line = one_error_line(err)
    assert code == 2 and line.startswith(f"error: {case[1]}: ") and says in line, line
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before and out == ""


def test_ladder_out_on_a_folder_is_one_line(cli, gen_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli("ladder", gen_file, "--out", ".")
    assert code == 2 and one_error_line(err) == "error: --out: . is a folder; give a file path"
