"""``synthdiv compare A B`` through the CLI entry point, and the per-record loss reader."""

from __future__ import annotations

import json

import numpy as np
import pytest

from synthdiv.cli.main import main
from synthdiv.stats.bootstrap_settings import DEFAULTS
from synthdiv.stats.comparison import HIGHER, UNRESOLVED
from synthdiv.stats.uncertainty import paired_difference

RNG = np.random.default_rng(0)
N = 300
TOKENS = RNG.integers(3, 40, N)
A_NLL = TOKENS * RNG.gamma(4.0, 0.5, N)


def _write_jsonl(path, nll, tokens=TOKENS, ids=None, order=None):
    ids = ids or [f"r{i}" for i in range(len(nll))]
    order = order if order is not None else range(len(nll))
    with open(path, "w", encoding="utf-8") as fh:
        for i in order:  # the shape 'synthdiv evaluate --per-sample' writes
            row = {"id": ids[i], "loss": nll[i] / tokens[i], "nll": float(nll[i]), "tokens": int(tokens[i]), "chars": 10, "truncated_tokens": 0}
            fh.write(json.dumps(row) + "\n")
    return path


def _one_error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:"), err
    return err[0]


def test_json_output_equals_the_estimator_on_the_aligned_records(tmp_path, capsys):
    b_nll = A_NLL + TOKENS * 0.2  # B is worse by 0.2 nats on every token
    a = _write_jsonl(tmp_path / "a.jsonl", A_NLL)
    b = _write_jsonl(tmp_path / "b.jsonl", b_nll, order=RNG.permutation(N))  # another row order
    assert main(["compare", str(a), str(b), "--json", "--resamples", "500", "--seed", "3", "--confidence", "0.9"]) == 0
    out = json.loads(capsys.readouterr().out)
    ref = paired_difference(A_NLL, TOKENS, b_nll, TOKENS, resamples=500, seed=3, level=0.9)
    for key in ("delta", "ci_low", "ci_high", "p_value", "pairs", "resamples", "seed", "a_loss", "b_loss", "level"):
        assert out[key] == pytest.approx(getattr(ref, key), rel=1e-12), key
    assert out["delta"] == pytest.approx(0.2, rel=1e-9) and out["tokens"] == int(TOKENS.sum())
    assert out["p_value"] == 1 / 501 and out["p_at_floor"] and out["verdict"] == HIGHER


def test_human_output_with_defaults_and_an_eval_json(tmp_path, capsys):
    noise = RNG.normal(0, 0.3, N) * TOKENS  # B differs from A by noise only: nothing to resolve
    b_nll = np.maximum(A_NLL + noise, 0.0)  # a summed NLL is never negative (compare refuses one)
    a = _write_jsonl(tmp_path / "a.jsonl", A_NLL)
    rows = [{"id": f"r{i}", "nll": float(b_nll[i]), "tokens": int(TOKENS[i])} for i in range(N)]
    b = tmp_path / "eval.json"
    b.write_text(json.dumps({"test_loss": 2.0, "tokens": int(TOKENS.sum()), "per_sample": rows}))
    assert main(["compare", str(a), str(b)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    ref = paired_difference(A_NLL, TOKENS, b_nll, TOKENS)
    assert ref.ci_low < 0 < ref.ci_high and ref.resamples == DEFAULTS.resamples
    assert lines[0].startswith(f"B - A test loss: {ref.delta:+.4f} nats/token")
    assert f"95% interval [{ref.ci_low:+.4f}, {ref.ci_high:+.4f}], p = {ref.p_value:.4f}" in lines[0]
    assert lines[1].startswith(f"  {N} paired records") and lines[-1] == UNRESOLVED


def test_a_p_value_at_its_floor_is_shown_as_a_bound(tmp_path, capsys):
    a = _write_jsonl(tmp_path / "a.jsonl", A_NLL)
    b = _write_jsonl(tmp_path / "b.jsonl", A_NLL + TOKENS)
    assert main(["compare", str(a), str(b), "--resamples", "99"]) == 0
    out = capsys.readouterr().out
    assert "p ≤ 1/100" in out and HIGHER in out


def test_bad_input_is_one_line_exit_2(tmp_path, capsys):
    a = _write_jsonl(tmp_path / "a.jsonl", A_NLL)
    cases = {}
    cases["missing"] = (tmp_path / "nope.jsonl", "not found")
    text = tmp_path / "text.jsonl"
    text.write_text('{"id": "r0", "nll": 1.0, "tokens": 2}\nthis is not json\n')
    cases["not_jsonl"] = (text, "text.jsonl:2: not JSON")
    no_tokens = tmp_path / "no_tokens.jsonl"
    no_tokens.write_text('{"id": "r0", "nll": 1.0}\n')
    cases["missing_key"] = (no_tokens, "no_tokens.jsonl:1: row has no 'tokens'")
    zero = tmp_path / "zero.jsonl"
    zero.write_text('{"id": "r0", "nll": 1.0, "tokens": 0}\n')
    cases["zero_tokens"] = (zero, "'tokens' must be a positive whole number")
    bare_eval = tmp_path / "eval.json"
    bare_eval.write_text(json.dumps({"test_loss": 2.0, "tokens": 10}))
    cases["eval_without_rows"] = (bare_eval, "no 'per_sample' rows")
    fewer = _write_jsonl(tmp_path / "fewer.jsonl", A_NLL[:-1])
    cases["ids_differ"] = (fewer, f"fewer.jsonl: record id 'r{N - 1}' of {a} is missing from this file")
    for name, (b, message) in cases.items():
        assert main(["compare", str(a), str(b)]) == 2, name
        line = _one_error_line(capsys)
        assert message in line, (name, line)
    assert main(["compare", str(a), str(a), "--confidence", "95"]) == 2
    assert "--confidence" in _one_error_line(capsys)
    assert main(["compare", str(a), str(a), "--resamples", "0"]) == 2
    assert "--resamples" in _one_error_line(capsys)


def test_cli_defaults_come_from_the_settings():
    import typer.main

    from synthdiv.cli.main import app

    params = {p.name: p.default for p in typer.main.get_command(app).commands["compare"].params}
    assert (params["resamples"], params["seed"], params["confidence"]) == (DEFAULTS.resamples, DEFAULTS.seed, DEFAULTS.level)
