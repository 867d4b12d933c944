"""--push-to-hub with the client faked at its boundary (HfApi's two methods): the calls, the
uploaded folder, and the token, which reaches the client and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthdiv.cli.main import main

TOKEN = "hf_fakeTokenForTests0123456789abcdef"


@pytest.fixture
def fake_hub(monkeypatch):
    """Record create_repo and upload_folder calls (and the files present at upload) instead of calling the Hub."""
    hub = pytest.importorskip("huggingface_hub")
    calls = {"create": [], "upload": [], "tokens": []}

    def create_repo(self, repo_id, **kwargs):
        calls["create"].append({"repo_id": repo_id, **kwargs})
        calls["tokens"].append(self.token)
        return f"https://huggingface.co/datasets/{repo_id}"

    def upload_folder(self, **kwargs):
        folder = Path(kwargs["folder_path"])
        calls["upload"].append({**kwargs, "files": sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())})
        return None

    monkeypatch.setattr(hub.HfApi, "create_repo", create_repo)
    monkeypatch.setattr(hub.HfApi, "upload_folder", upload_folder)
    return calls


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_push_uploads_the_folder_with_the_token_from_the_environment(gen_file, tmp_path, monkeypatch, capsys, fake_hub):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    out = tmp_path / "hf"
    assert main(["export", str(gen_file), "--format", "hf", "--out", str(out), "--embedder", "none",
                 "--push-to-hub", "me/stories-d3"]) == 0
    assert fake_hub["create"] == [{"repo_id": "me/stories-d3", "repo_type": "dataset", "private": None, "exist_ok": True}]
    (upload,) = fake_hub["upload"]
    assert (upload["repo_id"], upload["repo_type"], Path(upload["folder_path"])) == ("me/stories-d3", "dataset", out)
    assert upload["files"] == ["README.md", "data/default/train-00000-of-00001.parquet"]
    assert fake_hub["tokens"] == [TOKEN]  # handed to the client ...
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err  # ... and to nothing else
    assert TOKEN.encode() not in _all_bytes(out)
    assert "pushed to https://huggingface.co/datasets/me/stories-d3" in captured.out
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "load_dataset('me/stories-d3', 'default', split=\"train\")" in card


def test_private_flag_reaches_create_repo(gen_file, tmp_path, monkeypatch, fake_hub):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    assert main(["export", str(gen_file), "--format", "hf", "--out", str(tmp_path / "hf"), "--embedder", "none",
                 "--push-to-hub", "me/x", "--private"]) == 0
    assert fake_hub["create"][0]["private"] is True


def test_missing_token_fails_before_any_work(gen_file, tmp_path, monkeypatch, capsys, fake_hub):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    out = tmp_path / "hf"
    assert main(["export", str(gen_file), "--format", "hf", "--out", str(out), "--push-to-hub", "me/x"]) == 2
    err = capsys.readouterr().err
    assert err == ("error: --push-to-hub: uploading needs a Hugging Face token in the environment variable HF_TOKEN "
                   "(a write token from your Hub settings)\n")
    assert not out.exists() and fake_hub["create"] == []


def test_upload_error_is_one_line_without_the_token(gen_file, tmp_path, monkeypatch, capsys, fake_hub):
    import huggingface_hub

    def refuse(self, **kwargs):
        raise PermissionError(f"401 Unauthorized for token {TOKEN}")

    monkeypatch.setattr(huggingface_hub.HfApi, "upload_folder", refuse)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    out = tmp_path / "hf"
    assert main(["export", str(gen_file), "--format", "hf", "--out", str(out), "--embedder", "none", "--push-to-hub", "me/x"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and TOKEN not in err
    assert err.startswith("error: me/x: upload failed (PermissionError: 401 Unauthorized for token ***)")
    assert (out / "README.md").exists()  # the export itself is kept for a retry


def test_push_needs_the_hf_format(gen_file, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    assert main(["export", str(gen_file), "--format", "trl-messages", "--out", str(tmp_path / "t.jsonl"), "--push-to-hub", "me/x"]) == 2
    assert "use it with --format hf" in capsys.readouterr().err
