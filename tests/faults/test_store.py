"""What a run paid for stays as it was: ``export --overwrite`` never removes a run folder, a stage
store or a record file it did not write, and ``run --dry-run`` writes nothing into a finished run."""

from __future__ import annotations

import pytest
import yaml
from faultkit import one_error_line, tree

TINY = {
    "name": "tiny", "task": "story_completion",
    "real": {"source": "corpus", "n_train": 8, "n_test": 4},
    "generation": {"backend": "dummy", "model": "dummy", "levels": ["D0", "D3"], "n": 8},
    "metrics": {"embedder": None}, "mixing": {"ratios": [0.0, 1.0]}, "training": {"models": []},
}


@pytest.fixture
def finished_run(tmp_path, cli):
    """runs/tiny, finished, with its stage store runs/stages (dummy backend, no training: seconds)."""
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    code, _, err = cli("run", config, "--out", tmp_path / "runs" / "tiny")
    assert code == 0, err
    return config, tmp_path / "runs" / "tiny", tmp_path / "runs" / "stages"


def _snapshot(*folders):
    return {p: p.read_bytes() for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("target", ["store", "run folder", "runs", "record files"])
def test_export_overwrite_never_removes_synthdiv_data_it_did_not_write(target, finished_run, cli, tmp_path, gen_file):
    _, run, store = finished_run
    data = tmp_path / "data"  # a folder of record files, none of them an input of the export
    data.mkdir()
    gen_file = gen_file.rename(data / gen_file.name)
    out = {"store": store, "run folder": run, "runs": run.parent, "record files": data}[target]
    before = _snapshot(tmp_path)
    code, stdout, err = cli("export", run, "--format", "hf", "--out", out, "--overwrite", "--embedder", "none")
    line = one_error_line(err)
    assert code == 2 and line.startswith(f"error: --out: {out} ") and stdout == ""
    says = {"store": "is a stage store", "run folder": f"is the input SOURCE ({run}): output would replace an input",
            "runs": f"holds the input SOURCE ({run}): output would replace an input",
            "record files": f"holds the record file {gen_file}"}[target]
    assert says in line, line
    assert _snapshot(tmp_path) == before  # nothing touched


def test_export_overwrite_still_replaces_its_own_earlier_export(finished_run, cli, tmp_path):
    _, run, _ = finished_run
    out = tmp_path / "hf"
    for _ in range(2):  # the second replaces the first
        code, _, err = cli("export", run, "--format", "hf", "--out", out, "--overwrite", "--embedder", "none")
        assert code == 0, err
    trl = tmp_path / "trl"
    for _ in range(2):
        code, _, err = cli("export", run, "--format", "trl-messages", "--out", trl, "--overwrite")
        assert code == 0, err
    assert tree(trl) == ["D0.jsonl", "D3.jsonl"]


def test_a_trl_export_does_not_overwrite_a_record_file(cli, tmp_path, gen_file, real_file):
    before = real_file.read_bytes()
    code, _, err = cli("export", gen_file, "--format", "trl-prompt-completion", "--out", real_file, "--overwrite")
    assert code == 2 and one_error_line(err).startswith(f"error: --out: {real_file} is a record file, which this command did not write")
    assert real_file.read_bytes() == before


def test_a_dry_run_writes_nothing_into_a_finished_run_or_its_store(finished_run, cli):
    config, run, store = finished_run
    before = _snapshot(run, store)
    code, out, err = cli("run", config, "--out", run, "--dry-run", "--set", "generation.temperature=0.9",
                         "--set", "real.n_test=5")  # another real stage: a dry run must not write it either
    assert code == 0, err
    assert "Nothing was run." in out
    assert _snapshot(run, store) == before  # spec.yaml and graph.json still say what made the data


def test_a_dry_run_of_a_new_run_creates_no_folder(cli, tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    code, out, err = cli("run", config, "--out", tmp_path / "runs" / "tiny", "--dry-run")
    assert code == 0, err
    assert "generate" in out and tree(tmp_path) == ["tiny.yaml"]
