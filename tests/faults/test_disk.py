"""A write the machine refuses is one line naming the path and the cause, exit 4 (exit 2
for a path of the wrong kind), with nothing half-written; a full disk keeps what was done and the
same command resumes. Real tmpfs folders where the machine allows, the failing OS call patched elsewhere."""

from __future__ import annotations

import errno
import os
import sqlite3

import pytest
import yaml
from faultkit import last_error_line, one_error_line, resize, tree

from synthdiv.cli.main import EXIT_ENVIRONMENT, _os_failure
from synthdiv.generation.cache import ResponseCache

RESUME = "run the same command again to resume: finished work is kept (cached answers, checkpoints, finished stages)"
GEN = ["generate", "--backend", "dummy", "--model", "dummy", "--topics", "builtin", "--no-progress"]


def _fail(monkeypatch, name: str, code: int) -> None:
    """Make one OS call fail as the kernel would (filename-less for fsync, like a real write)."""
    def failing(*args, **kwargs):
        raise OSError(code, os.strerror(code))
    monkeypatch.setattr(os, name, failing)


def test_full_disk_at_fsync_is_one_line_and_the_old_output_stays(cli, real_file, gen_file, tmp_path, monkeypatch):
    out = tmp_path / "mix.jsonl"
    out.write_text("the earlier mix\n")
    _fail(monkeypatch, "fsync", errno.ENOSPC)
    code, stdout, err = cli("mix", "--real", real_file, "--generated", gen_file, "--ratio", "0.5", "--out", out)
    assert code == EXIT_ENVIRONMENT == 4
    assert one_error_line(err) == f"error: {out}: no space left on the device; free space, then {RESUME}"
    assert out.read_text() == "the earlier mix\n" and stdout == ""
    assert tree(tmp_path) == ["gen.jsonl", "mix.jsonl", "real.jsonl"]  # no temporary file left behind


@pytest.mark.parametrize(("code", "cause", "exit_code"), [
    (errno.EROFS, "read-only file system; write somewhere writable", 4),
    (errno.EACCES, "permission denied; fix its permissions or use another path", 4),
    (errno.EDQUOT, "disk quota exceeded; free space, then run the same command again", 4),
    (errno.EISDIR, "is a folder, but a file is needed here; give a file path", 2),
])
def test_a_refused_rename_names_the_target_and_its_cause(code, cause, exit_code, cli, real_file, tmp_path, monkeypatch):
    out = tmp_path / "div.json"
    _fail(monkeypatch, "replace", code)
    rc, _, err = cli("diversity", real_file, "--out", out, "--json")
    assert rc == exit_code and one_error_line(err).startswith(f"error: {out}: {cause}")
    assert tree(tmp_path) == ["real.jsonl"]


def test_a_real_full_disk_leaves_no_half_written_file(cli, real_file, gen_file, small_disk):
    disk = small_disk(8)  # the 40-record mix needs about 12 KiB
    code, _, err = cli("mix", "--real", real_file, "--generated", gen_file, "--ratio", "0.5", "--size", "40",
                       "--out", disk / "mix.jsonl")
    assert code == 4 and one_error_line(err) == f"error: {disk / 'mix.jsonl'}: no space left on the device; free space, then {RESUME}"
    assert tree(disk) == []


def test_generate_on_a_full_disk_keeps_its_answers_and_resumes(cli, real_file, tmp_path, small_disk):
    disk = small_disk(96)
    args = [*GEN, "--real", real_file, "--n", "300", "--out", tmp_path / "g.jsonl", "--cache-dir", disk / "cache"]
    code, _, err = cli(*args)
    database = disk / "cache" / "responses.sqlite"
    assert code == 4 and last_error_line(err) == f"error: {database}: no space left on the device; free space, then {RESUME}"
    assert not (tmp_path / "g.jsonl").exists()
    resize(disk, 8192)  # free space
    cache = ResponseCache(disk / "cache")
    kept = len(cache)
    cache.close()
    assert 0 < kept < 300
    code, out, _ = cli(*args)
    assert code == 0 and "records: 300 -> " in out
    hits = int(out.split("cache hits: ")[1].split()[0])
    assert hits == kept  # every answer paid for before the disk filled is used, none is asked again


def test_a_sweep_on_a_full_disk_keeps_its_finished_stages(cli, tmp_path, small_disk):
    disk = small_disk(256)
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump({
        "name": "tiny", "task": "story_completion", "real": {"source": "corpus", "n_train": 40, "n_test": 20},
        "generation": {"backend": "dummy", "model": "dummy", "levels": ["D0", "D3", "D6"], "n": 60},
        "metrics": {"embedder": None}, "mixing": {"ratios": [0.0, 0.5, 1.0]}, "training": {"models": []},
    }))
    args = ["run", config, "--out", disk / "runs" / "tiny"]
    code, _, err = cli(*args)
    line = last_error_line(err)  # after the [run] progress lines
    assert code == 4 and line.startswith(f"error: {disk / 'runs' / 'stages'}") and line.endswith(RESUME)
    assert not [p for p in tree(disk) if p.endswith(".tmp")]
    finished = sum(1 for p in tree(disk) if p.endswith("done.json"))
    assert finished >= 1
    resize(disk, 8192)
    code, out, _ = cli(*args)
    assert code == 0 and f"{finished} stages reused" in out


def test_the_first_failure_is_named_when_a_cleanup_fails_too():
    first = OSError(errno.ENOSPC, "No space left on device", "/data/out.jsonl")
    try:
        try:
            raise first
        except OSError:
            raise OSError(errno.EROFS, "Read-only file system", "/data/.out.jsonl.tmp")  # noqa: B904 - a cleanup's own failure
    except OSError as top:
        assert _os_failure(top) == ("/data/out.jsonl", errno.ENOSPC)


def test_failures_reported_without_an_oserror_are_recognised():
    rust = RuntimeError('Error while serializing: IoError(Os { code: 28, kind: StorageFull, message: "No space left on device" })')
    assert _os_failure(rust) == (None, errno.ENOSPC)
    assert _os_failure(sqlite3.OperationalError("database or disk is full")) == ("a cache database", errno.ENOSPC)
    assert _os_failure(KeyError("a bug")) is None
    assert _os_failure(OSError(errno.ENOENT, "No such file or directory", "x")) is None  # not a write failure: a bug keeps its traceback


@pytest.mark.parametrize(("message", "code"), [("database or disk is full", errno.ENOSPC), ("attempt to write a readonly database", errno.EACCES)])
def test_the_response_cache_names_its_database_when_sqlite_fails(message, code, tmp_path):
    cache = ResponseCache(tmp_path / "c")
    with pytest.raises(OSError) as caught, cache._guard():
        raise sqlite3.OperationalError(message)
    assert caught.value.errno == code and caught.value.filename == str(tmp_path / "c" / "responses.sqlite")
    cache.close()
