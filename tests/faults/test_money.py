"""Money: prices are checked where they are defined, and the cost cap counts what this output's
requests already cost, so a retry loop over the same command spends nothing past the cap."""

from __future__ import annotations

import re

import pytest
import yaml
from faultkit import last_error_line, one_error_line, tree

from synthdiv.errors import UserError
from synthdiv.experiments.spec import load_spec

GEN = ["generate", "--backend", "dummy", "--model", "dummy", "--topics", "builtin", "--no-progress", "--n", "8", "--max-tokens", "40"]


# ----- prices ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "line"), [
    (["--price-in", "nan", "--price-out", "1", "--max-cost", "1"],
     "error: --price-in: must be a finite price in USD per 1M tokens, 0 or more (got nan)"),
    (["--price-in", "inf", "--price-out", "1", "--max-cost", "1"],
     "error: --price-in: must be a finite price in USD per 1M tokens, 0 or more (got inf)"),
    (["--price-in", "-1000", "--price-out", "1", "--max-cost", "1"],
     "error: --price-in: must be a finite price in USD per 1M tokens, 0 or more (got -1000.0)"),
    (["--price-in", "1", "--price-out", "-0.5"],
     "error: --price-out: must be a finite price in USD per 1M tokens, 0 or more (got -0.5)"),
    (["--price-in", "1", "--max-cost", "1"],
     "error: --price-in: the completion price is missing (--price-out, generation.price_out): give both prices, "
     "or neither for the built-in ones"),
    (["--price-out", "1"],
     "error: --price-out: the prompt price is missing (--price-in, generation.price_in): give both prices, "
     "or neither for the built-in ones"),
], ids=["nan", "inf", "negative", "negative-out", "in-without-out", "out-without-in"])
def test_a_bad_price_is_one_line_and_nothing_is_sent(args, line, cli, real_file, tmp_path):
    for dry in ([], ["--dry-run"]):
        code, out, err = cli(*GEN, "--real", real_file, "--out", tmp_path / "g.jsonl", "--cache-dir", tmp_path / "cache", *args, *dry)
        assert (code, one_error_line(err)) == (2, line) and out == ""
    assert tree(tmp_path) == ["real.jsonl"]


@pytest.mark.parametrize(("override", "says"), [
    ("generation.price_in=-1", "generation: price_in: must be a finite price in USD per 1M tokens, 0 or more (got -1.0)"),
    ("generation.price_in=.nan", "generation: price_in: must be a finite price in USD per 1M tokens, 0 or more (got nan)"),
    ("generation.price_out=.inf", "generation: price_out: must be a finite price in USD per 1M tokens, 0 or more (got inf)"),
])
def test_the_spec_refuses_the_same_prices_in_validate_and_a_dry_run(override, says, cli, tmp_path):
    with pytest.raises(UserError, match=re.escape(says)):
        load_spec("demo", [override, "generation.price_out=1" if "price_in" in override else "generation.price_in=1"])
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump({"name": "tiny", "task": "story_completion", "real": {"n_train": 8, "n_test": 4},
                                      "generation": {"backend": "dummy", "model": "dummy", "levels": ["D0"], "n": 4,
                                                     "price_in": 1.0, "price_out": 1.0},
                                      "metrics": {"embedder": None}, "training": {"models": []}}))
    for args in (["validate", config], ["run", config, "--out", tmp_path / "run", "--dry-run"]):
        code, _, err = cli(*args, "--set", override)
        assert code == 2 and says in one_error_line(err), err
    assert not (tmp_path / "run").exists()


# ----- the cap across invocations ----------------------------------------------------------------
CAPPED = ["--price-in", "0", "--price-out", "1000000", "--max-cost", "100"]  # 1 USD a completion token: a bound of 40 USD


def _numbers(line: str) -> dict[str, float]:
    """The stop line's spent, reserved, next-request bound, their sum and the cap."""
    m = re.search(r"([\d.]+) USD was spent and ([\d.]+) USD reserved .* up to ([\d.]+) USD.* = ([\d.]+) USD, over the ([\d.]+) USD cap",
                  line)
    assert m, line
    return dict(zip(("spent", "reserved", "next", "sum", "cap"), map(float, m.groups())))


def test_a_rerun_with_the_same_cap_sends_nothing_more(cli, real_file, tmp_path):
    args = [*GEN, "--real", real_file, "--out", tmp_path / "g.jsonl", "--cache-dir", tmp_path / "cache", *CAPPED]
    code, out, err = cli(*args)
    assert code == 3 and "requests: 2 " in out  # two bounds of 40 fit under 100, the third does not
    first = _numbers(last_error_line(err))
    for _ in range(3):  # a retry loop: each rerun sends nothing, and says the same
        code, out, err = cli(*args)
        line = last_error_line(err)
        assert code == 3 and "requests: 0 " in out and "records: 2 of 8 asked" in out, out
        assert "stopped at the cost cap: 2 of 8 records made" in line
        assert _numbers(line) == first
    n = first
    assert n["spent"] + n["reserved"] + n["next"] == pytest.approx(n["sum"], abs=1e-3) and n["sum"] > n["cap"] == 100


def test_the_stop_message_adds_up_and_counts_cached_answers(cli, real_file, tmp_path):
    args = [*GEN, "--real", real_file, "--out", tmp_path / "g.jsonl", "--cache-dir", tmp_path / "cache"]
    assert cli(*args, "--price-in", "0", "--price-out", "1000000", "--max-cost", "100")[0] == 3
    code, out, err = cli(*args, "--price-in", "0", "--price-out", "1000000", "--max-cost", "180")  # room for two more bounds
    line = last_error_line(err)
    n = _numbers(line)
    assert code == 3 and "requests: 2 " in out and "records: 4 of 8 asked" in out
    assert n["spent"] + n["reserved"] + n["next"] == pytest.approx(n["sum"], abs=1e-3) and n["sum"] > n["cap"] == 180
    paid = re.search(r"this output's requests cost ([\d.]+) USD in all \(([\d.]+) USD sent this run, ([\d.]+) USD answered from the "
                     r"cache, paid before\)", line)
    assert paid, line
    total, sent, cached = map(float, paid.groups())
    assert sent > 0 and cached > 0 and total == pytest.approx(sent + cached, abs=1e-3)
