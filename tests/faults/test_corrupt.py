"""Corrupt inputs: a truncated Parquet file, a broken adapter_config.json, a truncated
safetensors file and a response cache that is not a database are one line naming the file (exit 2)."""

from __future__ import annotations

import json
import struct

import pytest
from faultkit import one_error_line, story_records

from synthdiv.backends.base import check_safetensors, read_adapter_config
from synthdiv.data.records_io import read_records, write_records
from synthdiv.errors import UserError


def _safetensors(path, values: int = 4) -> None:
    """A small valid safetensors file: one float32 tensor (the format: u64 header size, JSON header, data)."""
    header = json.dumps({"w": {"dtype": "F32", "shape": [values], "data_offsets": [0, 4 * values]}}).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header + bytes(4 * values))


def _adapter(folder, config: str = '{"r": 8, "base_model_name_or_path": "tiny"}'):
    folder.mkdir()
    (folder / "adapter_config.json").write_text(config)
    _safetensors(folder / "adapter_model.safetensors")
    return folder


@pytest.mark.parametrize("keep", [0.5, 0.05])
def test_a_truncated_parquet_file_is_one_line(keep, cli, tmp_path):
    whole = tmp_path / "whole.parquet"
    write_records(story_records(30), whole)
    data = whole.read_bytes()
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(data[: int(len(data) * keep)])
    assert len(read_records(whole)) == 30
    code, _, err = cli("data", "inspect", cut)
    line = one_error_line(err)
    assert code == 2 and line.startswith(f"error: {cut}: not a readable Parquet file (") and line.endswith("; write it again")


def test_a_broken_adapter_config_is_one_line_before_any_model_loads(cli, tmp_path):
    (tmp_path / "test.jsonl").write_text("".join(r.to_json() + "\n" for r in story_records(4)))
    adapter = _adapter(tmp_path / "adapter", config='{"r": 8, "base_model_name_or_pa')
    code, _, err = cli("evaluate", "--model", adapter, "--test", tmp_path / "test.jsonl")
    line = one_error_line(err)
    assert code == 2 and line.startswith(f"error: {adapter / 'adapter_config.json'}: adapter_config.json is not valid JSON (")


def test_a_truncated_safetensors_file_is_named(tmp_path):
    adapter = _adapter(tmp_path / "adapter")
    assert read_adapter_config(str(adapter)) == {"r": 8, "base_model_name_or_path": "tiny"}
    weights = adapter / "adapter_model.safetensors"
    whole = weights.read_bytes()
    for size, says in [(len(whole) - 3, "truncated: "), (20, "its header runs past the end"), (5, "5 bytes")]:
        weights.write_bytes(whole[:size])
        with pytest.raises(UserError, match="is not a whole safetensors file") as caught:
            read_adapter_config(str(adapter))
        assert str(caught.value).startswith(f"{weights}: ") and says in str(caught.value)


def test_the_safetensors_check_accepts_what_the_library_writes(tmp_path):
    np = pytest.importorskip("numpy")
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "w.safetensors"
    safetensors_numpy.save_file({"a": np.ones((3, 5), dtype=np.float32), "b": np.zeros(7, dtype=np.int64)}, str(path))
    check_safetensors(path)  # a whole file: no error
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(UserError, match=r"truncated: \d+ bytes, its tensors need \d+"):
        check_safetensors(path)


def test_a_response_cache_that_is_not_a_database_is_one_line(cli, tmp_path):
    (tmp_path / "real.jsonl").write_text("".join(r.to_json() + "\n" for r in story_records(10)))
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "responses.sqlite").write_bytes(b"this is not SQLite" * 100)
    code, _, err = cli("generate", "--backend", "dummy", "--model", "dummy", "--n", "2", "--topics", "builtin", "--no-progress",
                       "--real", tmp_path / "real.jsonl", "--out", tmp_path / "g.jsonl", "--cache-dir", tmp_path / "cache")
    line = one_error_line(err)
    assert code == 2 and line.startswith(f"error: {tmp_path / 'cache' / 'responses.sqlite'}: the response cache database is corrupt")
    assert "--set cache=false" in line and not (tmp_path / "g.jsonl").exists()


def test_a_truncated_training_checkpoint_is_one_line_saying_how_to_resume(tmp_path):
    from synthdiv.training.checkpoints import load_checkpoint

    step = tmp_path / "checkpoints" / "step-2"
    step.mkdir(parents=True)
    _safetensors(step / "trainable.safetensors")
    whole = (step / "trainable.safetensors").read_bytes()
    (step / "trainable.safetensors").write_bytes(whole[:-3])
    with pytest.raises(UserError) as caught:
        load_checkpoint(step, model=None, optimizer=None, scheduler=None)  # refused before any of them is touched
    message = str(caught.value)
    assert message.startswith(f"{step / 'trainable.safetensors'}: ") and "truncated: " in message
    assert message.endswith(f"delete {step} and rerun: training resumes from the checkpoint before it, or from the start")


def test_a_damaged_embedding_cache_is_one_line_naming_it(tmp_path, monkeypatch):
    import numpy as np

    from synthdiv.metrics import embed_cache

    monkeypatch.setenv("SYNTHDIV_CACHE", str(tmp_path / "cache"))
    path = embed_cache.cache_file("minilm-l6")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not an SQLite file, whatever its name says" * 20)
    with pytest.raises(UserError) as caught:
        embed_cache.embed_texts(["a story"], "minilm-l6", encoder=lambda texts: np.ones((len(texts), 4)))
    message = str(caught.value)
    assert message.startswith(f"{path}: the embedding cache is corrupt (")
    assert message.endswith("delete it (the embeddings are then computed again)")


def test_a_truncated_model_weights_file_is_one_line(tmp_path, tiny_model_dir):
    import shutil

    from synthdiv.models.registry import load_causal_lm

    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder)
    weights = next(folder.glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:-7])
    with pytest.raises(UserError) as caught:
        load_causal_lm(str(folder))
    assert str(caught.value).startswith(f"{weights}: ") and "is not a whole safetensors file (truncated: " in str(caught.value)
