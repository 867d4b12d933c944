"""``synthdiv generate --dry-run`` and ``--max-cost`` from the command line."""

from __future__ import annotations

from synthdiv.cli.main import main
from synthdiv.data.records_io import read_records


def generate(capsys, tmp_path, *extra):
    """The dummy backend on the embedded corpus's stories (the default seeds)."""
    args = ["generate", "--backend", "dummy", "--model", "dummy", "--topics", "builtin", "--n", "8",
            "--max-tokens", "40", "--out", str(tmp_path / "out.jsonl"), "--cache-dir", str(tmp_path / "cache"), "--no-progress", *extra]
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path, capsys):
    code, out, err = generate(capsys, tmp_path, "--dry-run", "--price-in", "2", "--price-out", "8")
    assert code == 0, err
    assert "dry run: nothing sent or written" in out and "requests to send: 8 if every answer parses" in out
    assert "already cached (free): 0" in out and "counted with the dummy backend's words" in out
    assert "completion tokens: at most 320 (--max-tokens 40 per request: an upper bound)" in out
    assert "cost: at most" in out and "2 in / 8 out per 1M tokens, given" in out
    assert not any(tmp_path.glob("out*")) and not (tmp_path / "cache").exists()
    code, out, _ = generate(capsys, tmp_path, "--dry-run")
    assert code == 0 and "cost: no price known: pass --price-in/--price-out" in out


def test_max_cost_stops_with_exit_3_and_a_raised_cap_finishes(tmp_path, capsys):
    # free prompts, 1 USD per completion token: a request is bounded by 40 USD, so a cap of 100 lets two through
    code, out, err = generate(capsys, tmp_path, "--price-in", "0", "--price-out", "1000000", "--max-cost", "100")
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 3 and len(errors) == 1 and "Traceback" not in err
    assert "stopped at the cost cap: 2 of 8 records made" in errors[0] and "100.0000 USD cap" in errors[0]
    assert "raise --max-cost (or generation.max_cost) and run the same command again to resume" in errors[0]
    assert "records: 2 of 8 asked" in out and len(read_records(tmp_path / "out.jsonl")) == 2
    code, out, err = generate(capsys, tmp_path, "--price-in", "0", "--price-out", "1000000", "--max-cost", "1000")
    assert code == 0, err
    assert "records: 8 ->" in out and "requests: 6 " in out and "cache hits: 2" in out


def test_max_cost_without_a_price_is_exit_2(tmp_path, capsys):
    code, _, err = generate(capsys, tmp_path, "--max-cost", "5")
    assert code == 2 and err.startswith("error: --max-cost (generation.max_cost):") and "--price-in/--price-out" in err
    assert not (tmp_path / "out.jsonl").exists()


def test_a_setting_given_as_a_flag_is_answered_with_its_set_spelling(tmp_path, capsys):
    code = main(["generate", "--backend", "dummy", "--n", "2", "--out", str(tmp_path / "g.jsonl"), "--gpu-memory-utilization", "0.5"])
    err = capsys.readouterr().err
    assert code == 2 and "No such option: --gpu-memory-utilization; it is a setting: --set gpu_memory_utilization=VALUE" in err
    assert main(["generate", "--backend", "dummy", "--n", "2", "--out", str(tmp_path / "g.jsonl"), "--dtyp", "x"]) == 2
    assert "No such option: --dtyp\n" in capsys.readouterr().err + "\n"  # not a setting: click's own words
