"""The card's embedding panel with the real offline MiniLM (slower: loads the model)."""

from __future__ import annotations

import pytest

from synthdiv.cli.main import main


@pytest.mark.integration
def test_card_has_embedding_diversity_and_shift_with_minilm(gen_file, real_file, tmp_path):
    pytest.importorskip("sentence_transformers")
    out = tmp_path / "hf"
    assert main(["export", str(gen_file), "--format", "hf", "--out", str(out), "--real", str(real_file), "--embedder", "minilm-l6"]) == 0
    card = (out / "README.md").read_text(encoding="utf-8")
    vendi = next(line for line in card.splitlines() if line.startswith("| embedding: Vendi score (q=1;"))
    assert 1.0 <= float(vendi.split("|")[2]) <= 12.0  # the Vendi score of 12 texts lies between 1 and 12
    cosine = next(line for line in card.splitlines() if line.startswith("| embedding: mean pairwise cosine distance |"))
    assert 0.0 < float(cosine.split("|")[2]) < 1.0
    assert "| Fréchet distance (embeddings) |" in card and "| classifier AUC (0.5 = indistinguishable) |" in card
    assert "embedding metrics not computed" not in card
