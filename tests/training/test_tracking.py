"""Experiment tracking: each backend's files read back, the fan-out, missing packages, secrets,
``train --report-to`` and a tracked sweep."""

from __future__ import annotations

import glob
import json
import struct
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from synthdiv.errors import UserError
from synthdiv.training.tracking import FanOut, Tracker, make_tracker, parse_report_to, public_params, tracked

STEPS = [(step, 2.0 / step, 1e-3 * step) for step in range(1, 6)]  # (step, loss, lr) of a fake loop
SECRET = "sk-sentinel-4242424242424242424242424242424242"


def _fake_loop(tracker: Tracker, artifact: Path, name: str = "fake run") -> None:
    with tracked(tracker, name, {"lr": 1e-3, "model": "tiny", "target_modules": ["q_proj"], "max_steps": None}):
        for step, loss, lr in STEPS:
            tracker.log_metrics(step, {"train/loss": loss, "train/lr": lr})
        tracker.log_artifact(artifact)


@pytest.fixture
def artifact(tmp_path) -> Path:
    path = tmp_path / "results.csv"
    path.write_text("dataset,test_loss\nreal,1.5\n")
    return path


@pytest.fixture
def offline_tools(tmp_path, monkeypatch):
    """MLflow's default file store and W&B offline, every folder of theirs under tmp_path."""
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "WANDB_PROJECT", "WANDB_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE")  # restored to unset afterwards, whatever the tracker sets
    monkeypatch.setenv("WANDB_MODE", "offline")
    for var, sub in (("WANDB_DIR", "wandb-dir"), ("WANDB_CONFIG_DIR", "wandb-config"), ("WANDB_CACHE_DIR", "wandb-cache"),
                     ("WANDB_DATA_DIR", "wandb-data")):
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(var, str(tmp_path / sub))
    return tmp_path


def _scalars(logdir: Path) -> dict[str, list[tuple[int, float]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(logdir))
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def _f32(value: float) -> float:
    return float(np.float32(value))  # TensorBoard stores scalars as float32


def _tb_run(root: Path, prefix: str) -> Path:
    runs = [Path(p) for p in glob.glob(str(root / "tensorboard" / f"{prefix}-*"))]
    assert len(runs) == 1, runs
    return runs[0]


# ----- names --------------------------------------------------------------------
def test_names_come_as_a_comma_list_or_repeated_once_each():
    assert parse_report_to(["tensorboard,mlflow", "wandb", "MLflow"]) == ["tensorboard", "mlflow", "wandb"]
    assert parse_report_to("tensorboard") == ["tensorboard"] and parse_report_to(None) == []
    with pytest.raises(UserError) as exc:
        parse_report_to(["tensorbord"], where="training.report_to")
    message = str(exc.value)
    assert "\n" not in message and message.startswith("training.report_to:") and "did you mean 'tensorboard'" in message


def test_a_parameter_named_like_a_secret_is_never_logged():
    params = public_params({"lr": 0.1, "api_key": SECRET, "hf_token": SECRET, "target_modules": ["q", "v"]})
    assert params == {"lr": 0.1, "target_modules": ["q", "v"]}


# ----- the three backends -------------------------------------------------------------
def test_tensorboard_events_hold_the_logged_steps_and_values(tmp_path, artifact):
    pytest.importorskip("tensorboard", reason="tensorboard is in the train extra")
    _fake_loop(make_tracker(["tensorboard"], tmp_path / "tracking"), artifact)
    run = _tb_run(tmp_path / "tracking", "fake_run")
    scalars = _scalars(run)
    assert scalars["train/loss"] == [(s, _f32(loss)) for s, loss, _ in STEPS]
    assert scalars["train/lr"] == [(s, _f32(lr)) for s, _, lr in STEPS]
    assert (run / "artifacts" / "results.csv").read_text() == artifact.read_text()


def test_a_second_start_is_a_second_tensorboard_run(tmp_path, artifact):
    pytest.importorskip("tensorboard", reason="tensorboard is in the train extra")
    tracker = make_tracker("tensorboard", tmp_path)
    _fake_loop(tracker, artifact, name="same")
    _fake_loop(tracker, artifact, name="same")
    runs = sorted(glob.glob(str(tmp_path / "tensorboard" / "same-*")))
    assert len(runs) == 2 and all(_scalars(Path(r))["train/loss"][0] == (1, 2.0) for r in runs)


def _mlflow_run(store: Path) -> Path:
    runs = [Path(p).parent for p in glob.glob(str(store / "*" / "*" / "meta.yaml")) if Path(p).parent.name != "0"]
    runs = [r for r in runs if (r / "params").is_dir()]
    assert len(runs) == 1, runs
    return runs[0]


def test_mlflow_file_store_holds_params_metrics_and_artifacts(offline_tools, artifact):
    pytest.importorskip("mlflow", reason="mlflow is in the track extra: pip install 'synthdiv[track]'")
    _fake_loop(make_tracker(["mlflow"], offline_tools / "tracking", project="tiny-sweep"), artifact)
    run = _mlflow_run(offline_tools / "tracking" / "mlruns")
    assert (run / "params" / "lr").read_text() == "0.001" and (run / "params" / "target_modules").read_text() == "['q_proj']"
    lines = (run / "metrics" / "train" / "loss").read_text().split("\n")
    assert [(int(step), float(value)) for _, value, step in (ln.split() for ln in lines if ln)] == [(s, loss) for s, loss, _ in STEPS]
    assert (run / "artifacts" / "results.csv").read_text() == artifact.read_text()
    assert (run / "tags" / "mlflow.runName").read_text() == "fake run"
    assert "status: 3" in (run / "meta.yaml").read_text()  # RunStatus.FINISHED
    assert "name: tiny-sweep" in (run.parent / "meta.yaml").read_text()


def test_a_run_that_raises_is_marked_failed_in_mlflow(offline_tools):
    pytest.importorskip("mlflow", reason="mlflow is in the track extra: pip install 'synthdiv[track]'")
    with pytest.raises(RuntimeError), tracked(make_tracker("mlflow", offline_tools), "crash", {}):
        raise RuntimeError("boom")
    assert "status: 4" in (_mlflow_run(offline_tools / "mlruns") / "meta.yaml").read_text()  # RunStatus.FAILED


def _wandb_records(run_file: Path) -> list:
    """The records of a W&B offline run file: a 7-byte header, then LevelDB-log blocks of 32 KiB whose
    chunks (crc32 4 bytes, length 2, type 1: full 1, first 2, middle 3, last 4) hold protobuf Records."""
    from wandb.proto import wandb_internal_pb2

    data, block = run_file.read_bytes(), 32768
    assert data[:4] == b":W&B"
    pos, pending, records = 7, b"", []
    while pos + 7 <= len(data):
        if block - pos % block < 7:  # a block's tail too short for a chunk header is padding
            pos += block - pos % block
            continue
        _, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        if kind == 0:
            pos += block - pos % block
            continue
        if pos + 7 + length > len(data):  # a chunk still being written
            break
        pending += data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            records.append(record)
            pending = b""
    return records


def _finished_wandb_run(wandb_dir: Path, timeout_s: float = 60) -> list:
    """The records of the one offline run under ``wandb_dir``, once W&B's service has written its exit record:
    ``finish()`` may return before the service's buffered writes reach the file."""
    files = glob.glob(str(wandb_dir / "wandb" / "offline-run-*" / "run-*.wandb"))
    assert len(files) == 1, files
    deadline = time.monotonic() + timeout_s
    while True:
        records = _wandb_records(Path(files[0]))
        if any(r.WhichOneof("record_type") == "exit" for r in records) or time.monotonic() > deadline:
            return records
        time.sleep(0.2)


def test_wandb_offline_run_folder_holds_the_history(offline_tools, artifact):
    pytest.importorskip("wandb", reason="wandb is in the track extra: pip install 'synthdiv[track]'")
    _fake_loop(make_tracker(["wandb"], offline_tools / "unused", project="tiny-sweep"), artifact)
    records = _finished_wandb_run(offline_tools / "wandb-dir")
    history = [{(item.key or "/".join(item.nested_key)): json.loads(item.value_json) for item in r.history.item} for r in records if r.WhichOneof("record_type") == "history"]
    assert [(h["_step"], h["train/loss"], h["train/lr"]) for h in history] == STEPS
    run = next(r.run for r in records if r.WhichOneof("record_type") == "run")
    assert run.display_name == "fake run" and run.project == "tiny-sweep"
    config = {u.key: json.loads(u.value_json) for u in run.config.update}
    assert config["lr"] == 1e-3 and config["target_modules"] == ["q_proj"]
    assert any(r.WhichOneof("record_type") == "artifact" and r.artifact.name == "fake_run-results.csv" for r in records)


# ----- several at once, missing packages, secrets --------------------------------------
class _Recorder(Tracker):
    def __init__(self, calls: list, fail_finish: bool = False):
        self.calls, self.fail_finish = calls, fail_finish

    def start(self, run_name, params):
        self.calls.append(("start", run_name))

    def log_metrics(self, step, metrics):
        self.calls.append(("log", step, dict(metrics)))

    def finish(self, ok=True):
        self.calls.append(("finish", ok))
        if self.fail_finish:
            raise OSError("disk full")


def test_fan_out_sends_every_call_to_each_tracker_and_finishes_all(tmp_path, artifact):
    pytest.importorskip("tensorboard", reason="tensorboard is in the train extra")
    first, second = [], []
    fan = FanOut([_Recorder(first, fail_finish=True), make_tracker("tensorboard", tmp_path).trackers[0], _Recorder(second)])
    with pytest.raises(OSError, match="disk full"):
        _fake_loop(fan, artifact)
    assert first == second and first[0] == ("start", "fake run") and first[-1] == ("finish", True)
    assert [c[1] for c in first if c[0] == "log"] == [s for s, _, _ in STEPS]
    assert _scalars(_tb_run(tmp_path, "fake_run"))["train/loss"][-1] == (5, _f32(0.4))


@pytest.mark.parametrize("name,module", [("mlflow", "mlflow"), ("wandb", "wandb"), ("tensorboard", "tensorboard")])
def test_a_missing_package_is_one_line_with_the_pip_command(tmp_path, monkeypatch, name, module):
    monkeypatch.setitem(sys.modules, module, None)  # import now raises ImportError
    with pytest.raises(UserError) as exc:
        make_tracker(["tensorboard", name] if name != "tensorboard" else [name], tmp_path, where="training.report_to")
    message = str(exc.value)
    assert "\n" not in message and message.startswith("training.report_to:") and "pip install" in message and module in message


def test_no_key_or_token_reaches_a_written_file(offline_tools, artifact, monkeypatch):
    for tool in ("mlflow", "wandb", "tensorboard"):
        pytest.importorskip(tool)
    for var in ("WANDB_API_KEY", "MLFLOW_TRACKING_TOKEN", "HF_TOKEN", "OPENAI_API_KEY"):
        monkeypatch.setenv(var, SECRET)
    report = offline_tools / "report"
    report.mkdir()
    (report / "index.html").write_text("<html>report</html>")
    tracker = make_tracker(["tensorboard", "mlflow", "wandb"], offline_tools / "tracking")
    with tracked(tracker, "secret run", {"lr": 0.1, "api_key": SECRET}):
        tracker.log_metrics(1, {"train/loss": 1.0})
        tracker.log_artifact(artifact)
        tracker.log_artifact(report)  # a folder: the report with its figures
    assert (_tb_run(offline_tools / "tracking", "secret_run") / "artifacts" / "report" / "index.html").is_file()
    assert (_mlflow_run(offline_tools / "tracking" / "mlruns") / "artifacts" / "report" / "index.html").is_file()
    assert any(r.WhichOneof("record_type") == "history" for r in _finished_wandb_run(offline_tools / "wandb-dir"))
    written = [p for p in offline_tools.rglob("*") if p.is_file()]
    assert len(written) > 10  # all three wrote their files
    assert not [p for p in written if SECRET.encode() in p.read_bytes()]


# ----- train --report-to, the recipe on its own, a sweep -------------------------------
def test_train_report_to_tensorboard_logs_the_loss_of_each_step_and_the_test_loss(tiny_model_dir, tmp_path, capsys, records_of):
    pytest.importorskip("tensorboard", reason="tensorboard is in the train extra")
    from synthdiv.cli.main import main
    from synthdiv.data.records_io import write_records
    from synthdiv.training.runlog import read_log

    train_file, test_file, out = tmp_path / "train.jsonl", tmp_path / "test.jsonl", tmp_path / "run"
    write_records(records_of(12), train_file)
    write_records(records_of(5), test_file)
    code = main(["train", "--train", str(train_file), "--model", str(tiny_model_dir), "--out", str(out), "--max-steps", "3",
                 "--batch-size", "4", "--lr", "1e-2", "--test", str(test_file), "--no-progress", "--json", "--report-to", "tensorboard"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    test = json.loads(captured.out)["test"]
    run = _tb_run(out / "tracking", "run")
    scalars = _scalars(run)
    assert scalars["train/loss"] == [(row["step"], _f32(row["loss"])) for row in read_log(out / "train_log.csv")]
    assert [s for s, _ in scalars["train/lr"]] == [1, 2, 3]
    assert scalars["eval/test_loss"] == [(3, _f32(test["test_loss"]))] and scalars["eval/base_test_loss"] == [(3, _f32(test["base_test_loss"]))]
    assert scalars["eval/test_loss_ci_low"][0][1] <= scalars["eval/test_loss"][0][1] <= scalars["eval/test_loss_ci_high"][0][1]
    assert json.loads((run / "artifacts" / "eval.json").read_text())["test_loss"] == test["test_loss"]


def test_train_report_to_a_missing_tracker_fails_before_training(tiny_model_dir, tmp_path, capsys, records_of, monkeypatch):
    from synthdiv.cli.main import main
    from synthdiv.data.records_io import write_records

    monkeypatch.setitem(sys.modules, "wandb", None)
    write_records(records_of(4), tmp_path / "train.jsonl")
    code = main(["train", "--train", str(tmp_path / "train.jsonl"), "--model", str(tiny_model_dir), "--out", str(tmp_path / "o"),
                 "--report-to", "wandb"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: --report-to:") and "pip install" in err[0]
    assert not (tmp_path / "o" / "train_log.csv").exists()


def test_the_recipe_tracks_config_report_to_without_a_given_tracker(tiny_llama, tmp_path, records_of):
    pytest.importorskip("tensorboard", reason="tensorboard is in the train extra")
    from synthdiv.training import TrainConfig
    from synthdiv.training.recipe import train

    model, tok = tiny_llama
    config = TrainConfig(model="tiny", batch_size=4, max_steps=2, progress=False, checkpoint_every=0, report_to=["tensorboard"])
    assert config.computation() == TrainConfig(**{**config.to_dict(), "report_to": []}).computation()  # resume is not refused
    result = train(records_of(8), config, tmp_path / "adapter", model=model, tokenizer=tok)
    scalars = _scalars(_tb_run(tmp_path / "adapter" / "tracking", "adapter"))
    assert [s for s, _ in scalars["train/loss"]] == [1, 2] and scalars["train/loss"][-1][1] == _f32(result.final_loss)


def test_a_tracked_sweep_has_a_run_per_train_stage_and_a_summary_run(tmp_path, tiny_spec):
    pytest.importorskip("tensorboard", reason="tensorboard is in the train extra")
    from synthdiv.experiments import layout
    from synthdiv.experiments.graph import build_graph
    from synthdiv.experiments.runner import run_experiment
    from synthdiv.experiments.spec import load_spec

    sections = {"generation": None, "mixing": {"ratios": [0.0]}}
    spec = load_spec(tiny_spec(training={"max_steps": 2, "report_to": ["tensorboard"]}, **sections))
    plain = load_spec(tiny_spec("plain.yaml", training={"max_steps": 2}, **sections))
    assert spec.training.report_to == ["tensorboard"] and plain.training.report_to == []
    assert [n.key for n in build_graph(spec).nodes] == [n.key for n in build_graph(plain).nodes]  # tracking is in no stage key
    result = run_experiment(spec, tmp_path / "run")
    root = tmp_path / "run" / "tracking"
    (train_run,) = glob.glob(str(root / "tensorboard" / "train_*_on_real_seed_0-*"))
    assert [s for s, _ in _scalars(Path(train_run))["train/loss"]] == [1, 2]
    summary = _tb_run(root, "tiny_summary") / "artifacts"
    assert (summary / f"{layout.RESULTS}.csv").read_bytes() == (result.out / f"{layout.RESULTS}.csv").read_bytes()
    for name in (f"{layout.DATASETS}.csv", layout.SPEC, layout.FINDINGS):
        assert (summary / name).read_bytes() == (result.out / name).read_bytes()


def test_an_unknown_tracker_in_a_spec_is_one_line_with_did_you_mean(tiny_spec):
    from synthdiv.experiments.spec import load_spec

    with pytest.raises(UserError) as exc:
        load_spec(tiny_spec(training={"report_to": ["wandbb"]}))
    assert "\n" not in str(exc.value) and "did you mean 'wandb'" in str(exc.value)
