"""Values out of range, duplicate record ids, non-text fields, escaping spec names and a
bad executor are refused before any work: exit 2, one line, and nothing written."""

from __future__ import annotations

import json
import math

import pytest
import yaml
from faultkit import one_error_line, story_records, tree

from synthdiv.backends.base import SamplingParams
from synthdiv.data.records_io import read_records, write_records
from synthdiv.errors import UserError
from synthdiv.experiments.spec import load_spec
from synthdiv.records import Record

GEN = ["generate", "--backend", "dummy", "--model", "dummy", "--topics", "builtin", "--no-progress", "--n", "4"]


@pytest.mark.parametrize(("args", "line"), [
    (["data", "corpus", "--sample", "0"], "error: --sample: must be at least 1 (got 0)"),
    (["data", "corpus", "--sample", "-1"], "error: --sample: must be at least 1 (got -1)"),
    (["data", "convert", "REAL", "-f", "jsonl", "-t", "story_completion", "--per-group", "0"], "error: --per-group: must be at least 1 (got 0)"),
    ([*GEN, "--real", "REAL", "--temperature", "-1"], "error: --temperature: must be a finite number, 0 or more (got -1.0)"),
    ([*GEN, "--real", "REAL", "--temperature", "nan"], "error: --temperature: must be a finite number, 0 or more (got nan)"),
    ([*GEN, "--real", "REAL", "--temperature", "inf"], "error: --temperature: must be a finite number, 0 or more (got inf)"),
    ([*GEN, "--real", "REAL", "--set", "top_p=2"], "error: --set top_p: must be in (0, 1] (got 2.0)"),
    ([*GEN, "--real", "REAL", "--set", "top_p=0"], "error: --set top_p: must be in (0, 1] (got 0.0)"),
    ([*GEN, "--real", "REAL", "--max-tokens", "0"], "error: --max-tokens: must be at least 1 (got 0)"),
    ([*GEN, "--real", "REAL", "--max-attempts", "0"], "error: --max-attempts: must be at least 1 (got 0)"),
    ([*GEN, "--real", "REAL", "--set", "overdraw=nan"], "error: --set overdraw: must be between 1 and 10 (got nan)"),
    ([*GEN, "--real", "REAL", "--set", "timeout=-1"], "error: --set timeout: must be a positive number (got -1.0)"),
    (["shift", "REAL", "REAL", "--seed", "-1"], "error: --seed: must be 0 or more (got -1)"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_a_value_out_of_range_is_one_line_and_writes_nothing(args, line, cli, real_file, tmp_path):
    args = [real_file if a == "REAL" else a for a in args]
    if "--out" not in args and args[0] != "shift":
        args += ["--out", tmp_path / "out.jsonl"]
    code, out, err = cli(*args)
    assert (code, one_error_line(err)) == (2, line)
    assert tree(tmp_path) == ["real.jsonl"] and out == ""


def test_sampling_settings_are_refused_where_they_are_defined():
    assert SamplingParams(temperature=0.0, top_p=1.0).to_dict()["temperature"] == 0.0  # greedy is allowed
    for kwargs in ({"temperature": -0.1}, {"temperature": math.nan}, {"top_p": 1.5}, {"top_p": -1}, {"max_tokens": 0}):
        with pytest.raises(UserError):
            SamplingParams(**kwargs)


@pytest.mark.parametrize(("override", "says"), [
    ("generation.temperature=nan", "generation: temperature: must be a finite number, 0 or more"),  # SamplingParams' check
    ("generation.top_p=2", "generation: top_p: must be in (0, 1]"),
    ("seeds=[-1]", "a seed is 0 or more"),
    ("mixing.sizes=[0]", "a size is a number of records: at least 1"),
])
def test_the_spec_refuses_the_same_values(override, says):
    with pytest.raises(UserError, match=says.replace("(", r"\(").replace("[", r"\[")):
        load_spec("demo", [override])


@pytest.mark.parametrize("name", ["../../escape", "a/b", "/abs", ".hidden", "..", "", "a\\b", "x" * 101])
def test_a_spec_name_that_would_leave_the_run_folder_is_refused(name, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"name": name, "task": "story_completion"}))
    with pytest.raises(UserError, match="cannot name a run folder"):
        load_spec(config)


def test_ordinary_spec_names_stay_valid(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"name": "story-levels_v2.1", "task": "story_completion"}))
    assert load_spec(config).name == "story-levels_v2.1"


def test_duplicate_ids_in_a_file_are_refused_naming_the_first(tmp_path, cli):
    records = story_records(40)
    records[30].id = records[7].id  # 40 records, 39 ids
    path = tmp_path / "dup.jsonl"
    path.write_text("".join(r.to_json() + "\n" for r in records))
    with pytest.raises(UserError, match=r"record id 'real-7' is used twice \(records 8 and 31\)"):
        read_records(path)
    code, _, err = cli("data", "inspect", path)
    assert code == 2 and one_error_line(err).startswith(f"error: {path}: record id 'real-7' is used twice")


def test_duplicate_ids_are_never_written(tmp_path):
    records = story_records(3) + story_records(1)
    with pytest.raises(UserError, match="record id 'real-0' is used twice"):
        write_records(records, tmp_path / "out.csv")
    assert list(tmp_path.iterdir()) == []


def test_a_mix_of_files_that_share_ids_is_refused(cli, real_file, tmp_path):
    gen = tmp_path / "gen.jsonl"
    shared = story_records(5)  # the ids real-0 … real-4 are in the real file too
    for r in shared:
        r.source = "generated"
    write_records(shared, gen)
    code, _, err = cli("mix", "--real", real_file, "--generated", gen, "--ratio", "0.5", "--out", tmp_path / "mix.jsonl")
    assert code == 2 and one_error_line(err).startswith("error: --real and --generated: record id 'real-0' is used twice")
    assert not (tmp_path / "mix.jsonl").exists()


@pytest.mark.parametrize("field", ["context", "target", "question"])
def test_a_field_that_is_not_text_is_refused(field, tmp_path, cli):
    row = {"id": "a", "task": "story_completion", "context": "One. Two.", "target": "Three.", field: 5}
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(row) + "\n")
    code, _, err = cli("data", "inspect", path)
    assert code == 2 and one_error_line(err).startswith(f"error: {path}:1: field '{field}'")
    with pytest.raises(UserError, match=f"field '{field}' must be text, got int 5"):
        Record(**{"id": "a", "task": "story_completion", "context": "c", "target": "t", field: 5})


def test_a_dry_run_checks_the_executor(cli, tmp_path):
    code, _, err = cli("run", "demo", "--out", tmp_path / "r", "--executor", "bogus", "--dry-run")
    assert (code, one_error_line(err)) == (2, "error: --executor: unknown executor 'bogus'; use local or ray")
    assert list(tmp_path.iterdir()) == []


def test_a_numeric_context_in_a_file_without_tasks_is_refused_on_convert(tmp_path, cli):
    # no `task` field: the generic loader maps the columns, and used to turn 5 into "5"
    path, out = tmp_path / "plain.jsonl", tmp_path / "out.jsonl"
    path.write_text(json.dumps({"context": 5, "target": "Three."}) + "\n")
    code, _, err = cli("data", "convert", path, "--format", "jsonl", "--task", "story_completion", "--out", out)
    assert code == 2
    assert one_error_line(err) == (f"error: {path}:1: column 'context' (record field 'context') holds int 5, not text; "
                                   "write it as a string")
    assert not out.exists()


# ----- validate runs the spec checks run makes; 'none' means no embedder everywhere ---------------------
def _spec(tmp_path, **sections):
    spec = {"name": "tiny", "task": "story_completion", "real": {"n_train": 8, "n_test": 4},
            "generation": {"backend": "dummy", "model": "dummy", "levels": ["D0"], "n": 8},
            "metrics": {"embedder": None}, "training": {"models": []}}
    for key, value in sections.items():
        spec[key] = {**spec.get(key, {}), **value}
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_validate_refuses_the_backend_run_refuses(cli, tmp_path):
    config = _spec(tmp_path, generation={"backend": "dummmy"})
    line = (f"error: {config}: generation.backend: unknown backend 'dummmy'; did you mean 'dummy'? use one of dummy, openai, "
            "openai-batch, transformers, llamacpp, vllm (got 'dummmy')")
    for args in (["validate", config], ["run", config, "--out", tmp_path / "run", "--dry-run"]):
        code, out, err = cli(*args)
        assert (code, one_error_line(err), out) == (2, line, "")
    assert tree(tmp_path) == ["tiny.yaml"]


@pytest.mark.parametrize("section", ["metrics", "report"])
def test_an_embedder_of_none_in_a_spec_is_no_embedder_in_validate_and_run(section, cli, tmp_path):
    config = _spec(tmp_path, **{section: {"embedder": "none"}})
    assert load_spec(config).model_dump()[section]["embedder"] is None
    code, out, err = cli("validate", config)
    assert code == 0 and "valid" in out, err
    code, out, err = cli("run", config, "--out", tmp_path / "run", "--dry-run")
    assert code == 0 and "Nothing was run." in out, err


@pytest.fixture
def no_network(monkeypatch):
    """Every attempt to open a network connection, recorded and refused."""
    import socket

    attempts = []

    def refuse(self, address):
        attempts.append(address)
        raise OSError("network refused by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def test_select_embedder_none_is_no_model_and_no_network(cli, real_file, gen_file, tmp_path, no_network):
    out = tmp_path / "sel.jsonl"
    code, stdout, err = cli("select", "--pool", gen_file, "--n", "4", "--strategy", "diverse", "--embedder", "none", "--out", out)
    assert (code, one_error_line(err)) == (2, "error: --embedder: strategy 'diverse' compares embeddings, and 'none' means no "
                                              "embedding model; give one (minilm-l6, mpnet-base, a folder or a hub id)")
    assert not out.exists() and no_network == []
    code, stdout, err = cli("select", "--pool", gen_file, "--n", "4", "--strategy", "random", "--embedder", "none", "--out", out)
    assert code == 0 and len(read_records(out)) == 4 and no_network == [], err


@pytest.mark.parametrize("command", ["diversity", "shift"])
def test_embedder_none_means_lexical_metrics_on_every_command(command, cli, real_file, gen_file, no_network):
    args = [real_file] if command == "diversity" else [real_file, gen_file]
    code, out, err = cli(command, *args, "--embedder", "NONE", "--json")
    assert code == 0, err
    assert json.loads(out).get("embedder") is None and no_network == []
