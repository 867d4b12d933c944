"""Honest ends. A generate that made fewer records than asked exits 3 and says so in its
last line (or 0 under --allow-partial); temporary files of a killed writer are removed by the
next write; files follow the user's umask."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time

import pytest
from faultkit import last_error_line, story_records, tree

from synthdiv import fileio
from synthdiv.backends.dummy import DummyBackend
from synthdiv.data.records_io import write_records
from synthdiv.fileio import atomic_write, remove_stale_temps
from synthdiv.generation.config import GenerationConfig
from synthdiv.generation.runner import PartialGeneration, check_complete, run_generation

GEN = ["generate", "--backend", "dummy", "--model", "dummy", "--topics", "builtin", "--no-progress", "--level", "D1"]


@pytest.fixture
def rejecting_model(monkeypatch):
    """The dummy backend answering nothing that parses (every answer rejected)."""
    monkeypatch.setattr(DummyBackend, "__init__", functools.partialmethod(DummyBackend.__init__, reject_every=1))


def test_a_generate_that_made_nothing_exits_3_and_says_so_last(cli, real_file, tmp_path, rejecting_model):
    out = tmp_path / "g.jsonl"
    code, stdout, err = cli(*GEN, "--real", real_file, "--n", "16", "--out", out, "--cache-dir", tmp_path / "cache")
    assert code == 3
    line = last_error_line(err)
    assert line.startswith("error: only 0 of 16 records were generated (") and "see " + str(tmp_path / "g.rejects.jsonl") in line
    assert line.endswith("rerun with a higher --max-attempts or --set overdraw=2 (every answer so far is cached), "
                         "or pass --allow-partial to accept fewer")
    assert f"records: 0 of 16 asked -> {out}" in stdout
    assert out.exists() and out.read_text() == ""  # what was made (nothing) is there, as the line says


def test_allow_partial_accepts_fewer(cli, real_file, tmp_path, rejecting_model):
    code, stdout, err = cli(*GEN, "--real", real_file, "--n", "16", "--out", tmp_path / "g.jsonl", "--cache-dir", tmp_path / "c",
                            "--allow-partial")
    assert code == 0 and "records: 0 of 16 asked" in stdout and "error" not in err


def test_a_partial_run_through_the_api_reports_its_shortfall(tmp_path, real_file):
    cfg = GenerationConfig(task="story_completion", strategy="topic", level="D1", n=30, out=tmp_path / "g.jsonl", real=real_file,
                           topics="builtin", backend="dummy", model="dummy", backend_options={"reject_every": 1},
                           cache_dir=tmp_path / "cache", progress=False)
    summary = run_generation(cfg)
    assert (summary.requested, summary.records, summary.failures) == (30, 0, 0) and summary.rejects > 30
    assert summary.lines()[0] == f"records: 0 of 30 asked -> {tmp_path / 'g.jsonl'}"
    with pytest.raises(PartialGeneration, match=f"only 0 of 30 records were generated \\({summary.rejects} answers rejected") as caught:
        check_complete(summary)
    assert caught.value.exit_code == 3
    check_complete(summary, allow_partial=True)  # no error


def test_a_complete_run_exits_0(cli, real_file, tmp_path):
    code, stdout, _ = cli(*GEN, "--real", real_file, "--n", "6", "--out", tmp_path / "g.jsonl", "--cache-dir", tmp_path / "c")
    assert code == 0 and f"records: 6 -> {tmp_path / 'g.jsonl'}" in stdout


def _killed_writer(target) -> None:
    """A process killed (SIGKILL) in the middle of an atomic write of ``target``: it leaves its temporary file."""
    code = ("import sys, time; from synthdiv.fileio import atomic_write\n"
            "with atomic_write(sys.argv[1]) as fh:\n    fh.write('half'); fh.flush(); print('writing', flush=True); time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_the_temporary_file_of_a_killed_writer_is_removed_by_the_next_write(tmp_path):
    target = tmp_path / "report.html"
    _killed_writer(target)
    left = [p for p in tree(tmp_path) if p.startswith(".report.html.") and p.endswith(".tmp")]
    assert len(left) == 1 and not target.exists()
    with atomic_write(target) as fh:
        fh.write("whole")
    assert tree(tmp_path) == ["report.html"] and target.read_text() == "whole"


def test_a_live_writer_and_a_young_untagged_file_are_kept(tmp_path):
    target = tmp_path / "t.csv"
    live = tmp_path / f".t.csv.{fileio._HOST}-{os.getpid()}-0123abcd.tmp"  # this process: alive
    elsewhere = tmp_path / ".t.csv.ffffff-1-0123abcd.tmp"  # another host: judged by age
    young, old = tmp_path / ".t.csv.abcd1234.tmp", tmp_path / ".t.csv.wxyz6789.tmp"  # written before the tags
    other_target = tmp_path / ".u.csv.abcd1234.tmp"
    for p in (live, elsewhere, young, old, other_target):
        p.write_text("x")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    assert remove_stale_temps(target) == [old]
    os.utime(elsewhere, (two_days_ago, two_days_ago))
    assert remove_stale_temps(target) == [elsewhere]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in (live, young, other_target))


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_files_follow_the_umask(umask, mode, tmp_path):
    old = os.umask(umask)
    try:
        write_records(story_records(3), tmp_path / "r.jsonl")
        write_records(story_records(3), tmp_path / "r.parquet")
        with atomic_write(tmp_path / "x.bin", "wb") as fh:
            fh.write(b"x")
    finally:
        os.umask(old)
    assert {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()} == {"r.jsonl": mode, "r.parquet": mode, "x.bin": mode}
