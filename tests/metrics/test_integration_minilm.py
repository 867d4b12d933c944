"""The embedding metrics with the real offline MiniLM model (slower; marked integration)."""

from __future__ import annotations

import json

import pytest

from synthdiv.cli.main import main

pytestmark = pytest.mark.integration


def test_diversity_and_shift_with_minilm(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    pytest.importorskip("sentence_transformers")
    real = tmp_path / "real.txt"
    gen = tmp_path / "gen.txt"
    real.write_text("\n".join(f"The farmer planted {w} in the spring." for w in ["corn", "wheat", "beans", "rice"] * 5), encoding="utf-8")
    gen.write_text("\n".join(f"A robot landed on planet {i} and sent a photo home." for i in range(20)), encoding="utf-8")
    assert main(["diversity", str(gen), "--embedder", "minilm-l6", "--json"]) == 0
    emb = json.loads(capsys.readouterr().out)["embedding"]
    assert emb["embedded_samples"] == 20 and 1.0 <= emb["vendi_score"] <= 20
    assert main(["shift", str(real), str(gen), "--embedder", "minilm-l6", "--json"]) == 0
    shift = json.loads(capsys.readouterr().out)["embedding"]
    assert shift["dimensions"] == 384 and shift["classifier_auc"] > 0.9
