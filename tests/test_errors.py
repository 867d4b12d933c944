"""The one user-error type: a setting's check names it as a flag on the command line and as a key in a spec."""

import pytest

from synthdiv.errors import UserError, check_choice, flag
from synthdiv.experiments.spec import load_spec
from synthdiv.training.config import TrainConfig


def test_a_field_reads_as_a_flag_and_as_a_key():
    exc = UserError("must be at least 1 (got 0)", field="lora_r")
    assert (str(exc), exc.where, exc.for_key()) == ("--lora-r: must be at least 1 (got 0)", "--lora-r", "lora_r: must be at least 1 (got 0)")
    assert flag("max_tokens") == "--max-tokens"
    placed = UserError("bad line", where="data.jsonl:3")
    assert str(placed) == placed.for_key() == "data.jsonl:3: bad line"


def test_one_check_names_the_flag_and_the_spec_key():
    with pytest.raises(UserError, match=r"^--lora-r: must be at least 1 \(got 0\)$"):
        TrainConfig(model="m", lora_r=0)
    with pytest.raises(UserError, match=r"training: .*lora_r: must be at least 1 \(got 0\)") as caught:
        load_spec("demo", ["training.lora_r=0"])
    assert "--lora-r" not in str(caught.value)


def test_check_choice_carries_the_field():
    with pytest.raises(UserError, match=r"^--scheduler: unknown scheduler 'cosin'; did you mean 'cosine'\?") as caught:
        check_choice("cosin", ["linear", "cosine"], what="scheduler", field="scheduler")
    assert caught.value.for_key().startswith("scheduler: unknown scheduler")
