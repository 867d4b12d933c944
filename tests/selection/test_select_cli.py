"""``synthdiv select``: output, summary, and every refusal as one line, exit 2, nothing written."""

from __future__ import annotations

import json

import pytest
from selection_helpers import FARM, make_stories, word_hash_encoder

from synthdiv.cli.main import main
from synthdiv.data.records_io import read_records, write_records


@pytest.fixture
def files(tmp_path, farm_space_pool):
    pool, real = farm_space_pool
    copies = [make_stories(FARM, 1, seed=1, prefix="copy")[0]]  # the same text as pool record f0
    write_records(pool + copies, tmp_path / "pool.jsonl")
    write_records(real, tmp_path / "real.jsonl")
    write_records(make_stories(FARM, 4, seed=5, prefix="q", task="long_context_qa"), tmp_path / "qa.jsonl")
    return tmp_path


@pytest.fixture
def fake_embedder(monkeypatch):
    monkeypatch.setattr("synthdiv.metrics.embed_cache._default_encoder", lambda model, batch_size: word_hash_encoder)


def test_random_writes_records_in_rank_order(files, capsys):
    out = files / "out.jsonl"
    assert main(["select", "--pool", str(files / "pool.jsonl"), "--n", "5", "--strategy", "random", "--seed", "3", "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"selected 5 of 61 pool records with random (seed 3) -> {out}")
    records = read_records(out)
    assert [r.provenance.extra["selection"]["rank"] for r in records] == [0, 1, 2, 3, 4]
    assert {r.provenance.extra["selection"]["pool"] for r in records} == {str(files / "pool.jsonl")}


def test_dedup_reports_what_it_dropped(files, capsys):
    out = files / "out.csv"
    assert main(["select", "--pool", str(files / "pool.jsonl"), "--n", "60", "--strategy", "dedup", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "dropped 1 exact and 0 near-duplicates (Jaccard >= 0.7 on 3-word shingles); 60 left" in printed
    assert "copy0" not in {r.id for r in read_records(out)}


def test_matched_json_summary(files, capsys, fake_embedder):
    out = files / "out.jsonl"
    args = ["select", "--pool", str(files / "pool.jsonl"), "--real", str(files / "real.jsonl"), "--n", "15",
            "--strategy", "matched", "--out", str(out), "--json"]  # fmt: skip
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["strategy"], summary["pool_size"], summary["real_size"], summary["selected"]) == ("matched", 61, 20, 15)
    fd = summary["objectives"]["frechet_distance"]
    assert fd["selected"] < fd["random"]
    assert sum(r.id.startswith(("f", "copy")) for r in read_records(out)) >= 14


def test_diverse_prints_the_objective(files, capsys, fake_embedder):
    assert main(["select", "--pool", str(files / "pool.jsonl"), "--n", "8", "--strategy", "diverse", "--out", str(files / "o.jsonl")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("  vendi_score: ") and "(random draw of 8) ->" in line for line in lines)


REFUSALS = [
    (["--n", "62", "--strategy", "random"], "--n: cannot select 62 records from a pool of 61; ask for at most 61"),
    (["--n", "61", "--strategy", "dedup"], "--n: only 60 of 61 records are left after dropping 1 exact and 0 near-duplicates; ask for at most 60"),
    (["--n", "0", "--strategy", "random"], "--n: N must be a positive number of records (got 0)"),
    (["--n", "5", "--strategy", "matched"], "--real: strategy 'matched' matches the pool to real data"),
    (["--n", "5", "--strategy", "matched-diverse", "--real", "{qa}"], "--real: the real records are long_context_qa but the pool is story_completion"),
    (["--n", "5", "--strategy", "matched-diverse", "--real", "{real}", "--weight", "1.5"], r"--weight: the weight must be in [0, 1]"),
    (["--n", "5", "--strategy", "randm"], "--strategy: unknown strategy 'randm'; did you mean 'random'?"),
]


@pytest.mark.parametrize("extra, message", REFUSALS)
def test_refusals_are_one_line_exit_2_and_write_nothing(files, capsys, fake_embedder, extra, message):
    out = files / "out.jsonl"
    extra = [a.format(qa=files / "qa.jsonl", real=files / "real.jsonl") for a in extra]
    assert main(["select", "--pool", str(files / "pool.jsonl"), *extra, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
    assert not out.exists() and sorted(p.name for p in files.iterdir()) == ["pool.jsonl", "qa.jsonl", "real.jsonl"]


def test_pool_of_another_task_than_real(files, capsys):
    assert main(["select", "--pool", str(files / "qa.jsonl"), "--real", str(files / "real.jsonl"), "--n", "2",
                 "--strategy", "random", "--out", str(files / "o.jsonl")]) == 2  # fmt: skip
    assert "the real records are story_completion but the pool is long_context_qa" in capsys.readouterr().err


def test_bad_output_suffix_is_refused_before_reading(files, capsys):
    assert main(["select", "--pool", str(files / "missing.jsonl"), "--n", "2", "--strategy", "random", "--out", str(files / "o.txt")]) == 2
    assert "output must be a .jsonl, .csv or .parquet file" in capsys.readouterr().err


def test_an_output_that_is_the_pool_is_refused_and_the_pool_kept(files, capsys):
    pool = files / "pool.jsonl"
    before = pool.read_bytes()
    assert main(["select", "--pool", str(pool), "--n", "5", "--strategy", "random", "--out", str(files / "." / "pool.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --out: ") and "--pool" in err and err.count("\n") == 1
    assert pool.read_bytes() == before
