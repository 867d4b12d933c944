"""The smaller holes: a TRL export with real data of another task, a failed tracker that leaves
folders behind, and ``--report-to none``."""

from __future__ import annotations

import pytest
from faultkit import last_error_line, one_error_line, tree

from synthdiv.data.records_io import write_records
from synthdiv.records import Record


@pytest.mark.parametrize("fmt", ["trl-prompt-completion", "trl-messages", "hf"])
def test_export_refuses_real_data_of_another_task_in_every_format(fmt, cli, gen_file, tmp_path):
    qa = tmp_path / "qa.jsonl"
    write_records([Record(id=f"q{i}", task="long_context_qa", context="A long text.", question="Who?", target="Tom.", group="g")
                   for i in range(4)], qa)
    out = tmp_path / ("out" if fmt == "hf" else "out.jsonl")
    before = tree(tmp_path)
    code, stdout, err = cli("export", gen_file, "--format", fmt, "--out", out, "--real", qa, "--embedder", "none")
    assert code == 2 and stdout == ""
    assert one_error_line(err) == ("error: --real: the real data is long_context_qa but the exported set is story_completion; "
                                   "give real data of the same task")
    assert tree(tmp_path) == before


def test_a_tracker_that_fails_to_start_leaves_no_folder(cli, real_file, tmp_path, monkeypatch):
    wandb = pytest.importorskip("wandb")

    def refuse(**_):
        raise wandb.errors.UsageError("api_key not configured (no-tty)")

    monkeypatch.setattr(wandb, "init", refuse)
    out = tmp_path / "run"
    code, _, err = cli("train", "--train", real_file, "--model", "nowhere", "--out", out, "--report-to", "wandb", "--no-progress")
    assert code == 2 and last_error_line(err).startswith("error: --report-to: W&B cannot start a run (api_key not configured")
    assert not out.exists() and tree(tmp_path) == ["real.jsonl"]  # no empty OUT/tracking


@pytest.mark.parametrize("value", ["none", "None"])
def test_report_to_none_is_no_tracker(value):
    from synthdiv.training.tracking import make_tracker, parse_report_to

    assert parse_report_to([value]) == [] and make_tracker(value, "unused").trackers == []


def test_report_to_none_with_a_tracker_is_one_line(cli, real_file, tmp_path):
    code, _, err = cli("train", "--train", real_file, "--model", "nowhere", "--out", tmp_path / "run", "--report-to", "none,tensorboard")
    assert code == 2 and one_error_line(err) == ("error: --report-to: 'none' means no tracker; give it alone, or name the "
                                                 "trackers without it")
    assert not (tmp_path / "run").exists()


def test_a_spec_takes_report_to_none(tmp_path):
    import yaml

    from synthdiv.experiments.spec import load_spec
    from synthdiv.training.tracking import parse_report_to

    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"name": "c", "task": "story_completion", "training": {"report_to": ["none"]}}))
    assert parse_report_to(load_spec(config).training.report_to, where="training.report_to") == []
